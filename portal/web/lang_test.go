package web_test

import (
	"bytes"
	"net/http"
	"testing"

	"cartera/portal/apptest"
)

// Which language an answer is in when the person chose none: their
// company's (a US tenant's staff read English, a Colombian's Spanish,
// whatever the browser says), else the browser's Accept-Language, else
// Spanish; the lang cookie (the pages' switch) or ?lang= always wins.
func TestLanguageWithoutAChoice(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.TenantIn("acme-us", "US")
	_, co := e.User("acme", "manager")
	_, us := e.User("acme-us", "manager")

	send := func(path, token, acceptLanguage, cookie string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", path, bytes.NewReader([]byte(`{"email":"x","name":"","role":"collector","password":"1"}`)))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if acceptLanguage != "" {
			req.Header.Set("Accept-Language", acceptLanguage)
		}
		if cookie != "" {
			req.Header.Set("Cookie", "lang="+cookie)
		}
		req.RemoteAddr = "192.0.2.10:1234"
		r := e.Request(req)
		if r.Status != 400 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		if len(spanishIn(string(r.Body))) > 0 {
			return "es"
		}
		return "en"
	}
	cases := []struct {
		name, path, token, acceptLanguage, cookie, want string
	}{
		{"US company, no choice", "/api/tenants/acme-us/users", us, "", "", "en"},
		{"US company, Spanish browser", "/api/tenants/acme-us/users", us, "es-CO,es;q=0.9", "", "en"},
		{"US company, chose Spanish", "/api/tenants/acme-us/users", us, "", "es", "es"},
		{"CO company, English browser", "/api/tenants/acme/users", co, "en-US,en;q=0.9", "", "es"},
		{"CO company, chose English", "/api/tenants/acme/users", co, "", "en", "en"},
		{"anonymous, English browser", "/api/auth/login", "", "en-US,en;q=0.9,es;q=0.5", "", "en"},
		{"anonymous, Spanish first", "/api/auth/login", "", "es-MX,en;q=0.8", "", "es"},
		{"anonymous, no header", "/api/auth/login", "", "", "", "es"},
	}
	for _, c := range cases {
		if got := send(c.path, c.token, c.acceptLanguage, c.cookie); got != c.want {
			t.Errorf("%s: answered in %s, want %s", c.name, got, c.want)
		}
	}
	// The pages start in the browser's language before anyone logs in.
	for al, want := range map[string]string{"en-US,en;q=0.9": `data-default-lang="en"`, "es-CO": `data-default-lang="es"`, "": `data-default-lang="es"`} {
		req, _ := http.NewRequest("GET", "/", nil)
		if al != "" {
			req.Header.Set("Accept-Language", al)
		}
		if r := e.Request(req); r.Status != 200 || !bytes.Contains(r.Body, []byte(want)) {
			t.Errorf("page for %q: %d, want %s", al, r.Status, want)
		}
	}
}
