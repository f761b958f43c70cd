package web_test

import (
	"strings"
	"testing"
)

// The debtor arrives by the tenant's link: the page names the company and
// the company may be typed by name; unknown companies are 404.
func TestDebtorLinkAndCompanyByName(t *testing.T) {
	e := newDebtorEnv(t)
	r := e.Do("GET", "/api/debtor/company/acme", "", nil)
	if r.Status != 200 || r.JSON()["name"] != "Empresa acme" || r.JSON()["slug"] != "acme" {
		t.Fatalf("company: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/debtor/company/nadie", "", nil); r.Status != 404 {
		t.Fatalf("unknown company: %d %s", r.Status, r.Body)
	}
	page := e.Do("GET", "/pay/acme", "", nil)
	if page.Status != 200 || !strings.Contains(string(page.Body), `data-company="acme"`) || !strings.Contains(string(page.Body), `data-default-lang="es"`) {
		t.Fatalf("link page: %d", page.Status)
	}
	if r := e.Do("GET", "/pay/nadie", "", nil); r.Status != 404 {
		t.Fatalf("link of an unknown company: %d", r.Status)
	}
	// The company's name however typed logs in like its slug.
	for _, typed := range []string{"Empresa acme", "  EMPRESA ACME ", "empresa acme s.a.s."} {
		code := e.code("acme", "80123456")
		if r := e.login(typed, "80123456", code); r.Status != 200 {
			t.Fatalf("login as %q: %d %s", typed, r.Status, r.Body)
		}
	}
	if r := e.login("Empresa", "80123456", e.code("acme", "80123456")); r.Status != 401 {
		t.Fatalf("part of the name: %d %s", r.Status, r.Body)
	}
	// Staff see the link to give out.
	if l := e.Do("GET", "/api/tenants/acme", e.manager, nil).JSON()["debtorUrl"]; l != "http://127.0.0.1/pay/acme" {
		t.Fatalf("debtorUrl: %v", l)
	}
}

// A US company's link opens in English unless the person chose Spanish.
func TestDebtorLinkLanguage(t *testing.T) {
	e := newDebtorEnv(t)
	e.TenantIn("usco", "US")
	page := string(e.Do("GET", "/pay/usco", "", nil).Body)
	if !strings.Contains(page, `data-default-lang="en"`) {
		t.Fatal("a US company's link does not default to English")
	}
}
