package web_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"cartera/portal/apptest"
)

// public routes need no session; every other API route must declare roles.
var public = map[string]bool{
	"POST /api/auth/login":              true,
	"POST /api/debtor/login":            true,
	"POST /api/debtor/login/email-code": true,
	"GET /api/debtor/login/options":     true,
	"POST /api/webhooks/stripe":         true,
}

var paramRE = regexp.MustCompile(`:[a-zA-Z]+`)

// The access-control matrix, generated from the router: every API route x
// every staff role x own tenant / other tenant. Anonymous callers get 401,
// a role not listed 403, a member of another tenant 404, and an allowed
// role neither. A route added without roles (and not public) fails here.
func TestAccessMatrix(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	users := map[string]string{"admin": apptest.AdminEmail}
	others := map[string]string{}
	for _, role := range []string{"manager", "collector", "client"} {
		for _, tenant := range []string{"acme", "globex"} {
			email := fmt.Sprintf("%s@%s.matrix", role, tenant)
			r := e.Do("POST", "/api/tenants/"+tenant+"/users", e.Admin, map[string]any{"email": email, "name": role, "role": role, "password": apptest.Password})
			if r.Status != 201 {
				t.Fatal(r.Status, string(r.Body))
			}
			if tenant == "acme" {
				users[role] = email
			} else {
				others[role] = email
			}
		}
	}
	routes := e.App.Web.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if len(rt.Roles) == 0 {
			if !public[key] {
				t.Errorf("%s has no roles and is not declared public", key)
			}
			continue
		}
		path := paramRE.ReplaceAllStringFunc(rt.Path, func(p string) string {
			if p == ":tenant" {
				return "acme"
			}
			return "matrix-missing"
		})
		var body any
		if rt.Method != "GET" {
			body = map[string]any{}
		}
		allowed := map[string]bool{}
		for _, r := range rt.Roles {
			allowed[r] = true
		}
		if r := e.Do(rt.Method, path, "", body); r.Status != 401 {
			t.Errorf("%s anonymous: %d, want 401", key, r.Status)
		}
		for role, email := range users {
			tok := e.Login(email, apptest.Password) // fresh: some routes revoke the session
			r := e.Do(rt.Method, path, tok, body)
			switch {
			case !allowed[role] && r.Status != 403:
				t.Errorf("%s as %s: %d, want 403", key, role, r.Status)
			case allowed[role] && (r.Status == 401 || r.Status == 403 || r.Status >= 500):
				t.Errorf("%s as allowed %s: %d %s", key, role, r.Status, r.Body)
			}
		}
		if !strings.Contains(rt.Path, ":tenant") {
			continue
		}
		for role, email := range others {
			if !allowed[role] {
				continue
			}
			tok := e.Login(email, apptest.Password)
			if r := e.Do(rt.Method, path, tok, body); r.Status != 404 {
				t.Errorf("%s as %s of another tenant: %d, want 404", key, role, r.Status)
			}
		}
	}
}
