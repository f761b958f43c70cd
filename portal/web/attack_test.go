package web_test

import (
	"strings"
	"testing"

	"cartera/portal/apptest"
)

// Mass assignment: requests that try to set fields outside a route's
// allowlist are refused and leave the record unchanged.
func TestMassAssignmentRefused(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	_, mgr := e.User("acme", "manager")
	colID, _ := e.User("acme", "collector")
	e.Import("acme", mgr, "p.csv", []byte("documento,nombre,factura,vencimiento,valor\n1,Uno,A1,2026-01-01,1000\n"))
	cases := []struct {
		name, method, path string
		body               string
	}{
		{"user tenant and role", "PATCH", "/api/tenants/acme/users/" + colID, `{"name":"X","tenantId":"globex","tenants":["globex"]}`},
		{"user made admin", "PATCH", "/api/tenants/acme/users/" + colID, `{"role":"admin"}`},
		{"recall sets balance", "POST", "/api/tenants/acme/accounts/A1/recall", `{"reason":"x","balance":0,"status":"paid"}`},
		{"assignment with tenant", "POST", "/api/tenants/acme/assignments", `{"accountIds":["A1"],"collectorId":"` + colID + `","tenantId":"globex"}`},
		{"tenant with extra", "POST", "/api/tenants", `{"slug":"zz","name":"Z","country":"CO","commissionBP":0,"rev":9}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := mgr
			if c.path == "/api/tenants" {
				tok = e.Admin
			}
			r := e.Do(c.method, c.path, tok, c.body)
			if r.Status != 400 {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
		})
	}
	acc := e.Do("GET", "/api/tenants/acme/accounts/A1", mgr, nil).JSON()
	if acc["balance"].(float64) != 100000 || acc["status"] != "open" || acc["collectorId"] != "" {
		t.Fatalf("account changed: %v", acc)
	}
	users := e.Do("GET", "/api/tenants/acme/users", mgr, nil)
	if strings.Contains(string(users.Body), `"role":"admin"`) {
		t.Fatal("a user was made admin")
	}
	if r := e.Do("GET", "/api/tenants/globex/users", e.Admin, nil); strings.Contains(string(r.Body), colID) {
		t.Fatal("a user moved to another tenant")
	}
}

// Operators and regular expressions in query strings are plain text.
func TestQueryStringInjection(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	e.Import("acme", mgr, "p.csv", []byte("documento,nombre,factura,vencimiento,valor\n1,Uno,A1,2026-01-01,1000\n2,Dos,B2,2026-01-01,1000\n"))
	for _, q := range []string{"q=.*", "q=%5E", "q[$ne]=x", "status[$ne]=paid&q=.%2B", "debtor[$gt]=", "q=%28a%2B%29%2B%24"} {
		r := e.Do("GET", "/api/tenants/acme/accounts?"+q, mgr, nil)
		if r.Status != 200 && r.Status != 400 {
			t.Fatalf("%s: %d", q, r.Status)
		}
		if r.Status == 200 && (q == "q=.*" || q == "q=%5E" || strings.HasPrefix(q, "status")) {
			if n := len(r.JSON()["items"].([]any)); n != 0 {
				t.Fatalf("%s matched %d accounts as a pattern", q, n)
			}
		}
	}
	// HTML in a stored text comes back as data, never as markup.
	e.Import("acme", mgr, "x.csv", []byte("documento,nombre,factura,vencimiento,valor\n3,<img src=x onerror=alert(1)>,C3,2026-01-01,1000\n"))
	r := e.Do("GET", "/api/tenants/acme/accounts/C3", mgr, nil)
	if r.Header.Get("Content-Type") != "application/json" || !strings.Contains(r.JSON()["debtor"].(map[string]any)["name"].(string), "<img") {
		t.Fatalf("stored text: %s %s", r.Header.Get("Content-Type"), r.Body)
	}
}
