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
	"POST /api/debtor/link":             true, // a payment link: the token is the credential
	"POST /api/debtor/login/email-code": true,
	"GET /api/debtor/login/options":     true,
	"GET /api/debtor/company/:slug":     true, // the debtor link names its company (printed on letters)
	"POST /api/webhooks/stripe":         true,
	"POST /api/webhooks/stripe/:tenant": true, // a tenant's own Stripe account, verified by its signature
	"POST /api/webhooks/wompi":          true, // verified by the tenant's events checksum
	"GET /api/openapi.json":             true, // the public API's OpenAPI document
}

var paramRE = regexp.MustCompile(`:[a-zA-Z]+`)

// The access-control matrix, generated from the router: every API route x
// every staff role x own tenant / other tenant. Anonymous callers get 401,
// a role not listed 403, a member of another tenant 404, and an allowed
// role neither. A route added without roles (and not public) fails here.
func TestAccessMatrix(t *testing.T) {
	e := apptest.New(t, apptest.Sandbox) // every route live, checkout too
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
	// A debtor in each tenant, logged in with the debtor portal's code.
	debtorCode := map[string]string{}
	debtorDoc := map[string]string{"acme": "555001", "globex": "555002"}
	for _, tenant := range []string{"acme", "globex"} {
		csv := "documento,nombre,factura,vencimiento,valor\n" + debtorDoc[tenant] + ",Deudor " + tenant + ",M-" + tenant + ",2025-10-01,100000\n"
		if m := e.Import(tenant, e.Admin, "m.csv", []byte(csv)); m["status"] != "done" {
			t.Fatalf("import %s: %v", tenant, m)
		}
		r := e.Do("POST", "/api/tenants/"+tenant+"/debtors/"+debtorDoc[tenant]+"/access-code", e.Admin, nil)
		if r.Status != 200 {
			t.Fatalf("debtor code %s: %d %s", tenant, r.Status, r.Body)
		}
		debtorCode[tenant] = r.JSON()["code"].(string)
	}
	debtorLogin := func(tenant string) string {
		t.Helper()
		r := e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": tenant, "document": debtorDoc[tenant], "code": debtorCode[tenant]})
		if r.Status != 200 {
			t.Fatalf("debtor login %s: %d %s", tenant, r.Status, r.Body)
		}
		return r.JSON()["token"].(string)
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
		// The debtor of the tenant: a member, with its own role.
		r := e.Do(rt.Method, path, debtorLogin("acme"), body) // fresh: logout revokes
		switch {
		case !allowed["debtor"] && r.Status != 403:
			t.Errorf("%s as debtor: %d, want 403", key, r.Status)
		case allowed["debtor"] && (r.Status == 401 || r.Status == 403 || r.Status >= 500):
			t.Errorf("%s as allowed debtor: %d %s", key, r.Status, r.Body)
		}
		if !strings.Contains(rt.Path, ":tenant") {
			continue
		}
		// Not a member: 404 whatever the role, before any role check.
		for role, email := range others {
			tok := e.Login(email, apptest.Password)
			if r := e.Do(rt.Method, path, tok, body); r.Status != 404 {
				t.Errorf("%s as %s of another tenant: %d, want 404", key, role, r.Status)
			}
		}
		if r := e.Do(rt.Method, path, debtorLogin("globex"), body); r.Status != 404 {
			t.Errorf("%s as debtor of another tenant: %d, want 404", key, r.Status)
		}
	}
}

// Access-code issuance on a real debtor, every caller: managers and admins
// see the code, a collector only for a debtor of theirs, a client has it
// sent (never shown), a debtor and a non-member neither.
func TestAccessMatrixAccessCodes(t *testing.T) {
	w := newSafeEnv(t)
	w.Tenant("globex")
	_, otherMgr := w.User("globex", "manager")
	_, otherCli := w.User("globex", "client")
	// José (S1 of collector 1, S2 of collector 2) has a confirmed e-mail;
	// María (S3, nobody's) has none.
	if r := w.Do("POST", "/api/tenants/acme/debtors/80123456/contacts", w.col1, map[string]string{"kind": "email", "value": "jose@verified.example"}); r.Status != 201 {
		t.Fatalf("add contact: %d %s", r.Status, r.Body)
	}
	code := w.Do("POST", "/api/tenants/acme/debtors/900123456/access-code", w.manager, nil).JSON()["code"].(string)
	maria := w.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": "900123456", "code": code}).JSON()["token"].(string)
	_, col3 := w.User("acme", "collector") // no accounts
	for _, c := range []struct {
		who, token, doc string
		want            int
		shows           bool
	}{
		{"debtor", maria, "900123456", 403, false}, // first: a new code ends her session
		{"admin", w.Admin, "900123456", 200, true},
		{"manager", w.manager, "80123456", 200, true},
		{"collector of S1", w.col1, "80123456", 200, true},
		{"collector of S2", w.col2, "80123456", 200, true},
		{"collector without accounts", col3, "80123456", 404, false},
		{"collector, debtor not theirs", w.col1, "900123456", 404, false},
		{"client, verified e-mail", w.client, "80123456", 202, false},
		{"client, no verified channel", w.client, "900123456", 422, false},
		{"client, unknown debtor", w.client, "nobody", 404, false},
		{"manager of another tenant", otherMgr, "80123456", 404, false},
		{"client of another tenant", otherCli, "80123456", 404, false},
		{"anonymous", "", "80123456", 401, false},
	} {
		r := w.Do("POST", "/api/tenants/acme/debtors/"+c.doc+"/access-code", c.token, nil)
		_, shown := r.JSON()["code"].(string)
		shown = shown && r.Status < 300
		if r.Status != c.want || shown != c.shows {
			t.Errorf("%s: %d %s, want %d (code shown: %v)", c.who, r.Status, r.Body, c.want, c.shows)
		}
	}
}
