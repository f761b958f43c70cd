package web_test

import (
	"net/http"
	"strings"
	"testing"

	"cartera/portal/apptest"
)

// cookieSession logs in through the page flow: a GET hands out the CSRF
// cookie, the login sets the session cookie.
func cookieSession(t *testing.T, e *apptest.Env, email string) (session, csrf string) {
	t.Helper()
	r := e.Do("GET", "/", "", nil)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "csrf_" {
			csrf = c.Value
		}
	}
	r = e.Do("POST", "/api/auth/login", "", map[string]string{"email": email, "password": apptest.Password})
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		switch c.Name {
		case "session":
			session = c.Value
		case "csrf_": // the login binds a new token to the new session
			csrf = c.Value
		}
	}
	if session == "" || csrf == "" {
		t.Fatalf("no session (%q) or csrf (%q) cookie", session, csrf)
	}
	return session, csrf
}

func TestCSRFOnCookieSessions(t *testing.T) {
	e := apptest.New(t)
	session, csrf := cookieSession(t, e, apptest.AdminEmail)
	send := func(token string) int {
		req, _ := http.NewRequest("POST", "/api/tenants", strings.NewReader(`{"slug":"t`+token[:min(3, len(token))]+`x","name":"X","country":"CO"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "session", Value: session})
		req.AddCookie(&http.Cookie{Name: "csrf_", Value: csrf})
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		return e.Request(req).Status
	}
	if got := send(""); got != 403 {
		t.Fatalf("cookie write without CSRF token: %d, want 403", got)
	}
	if got := send("forged.token.value"); got != 403 {
		t.Fatalf("cookie write with a forged token: %d, want 403", got)
	}
	if got := send(csrf); got != 201 {
		t.Fatalf("cookie write with the token: %d, want 201", got)
	}
	// Cookie GETs need no token.
	req, _ := http.NewRequest("GET", "/api/me", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: session})
	if r := e.Request(req); r.Status != 200 {
		t.Fatalf("cookie GET: %d", r.Status)
	}
}

func TestRolesAndTenantIsolation(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	_, mgrA := e.User("acme", "manager")
	_, cliA := e.User("acme", "client")
	_, colA := e.User("acme", "collector")
	_, mgrB := e.User("globex", "manager")
	newUser := map[string]any{"email": "n@acme.co", "name": "N", "role": "client", "password": apptest.Password}
	cases := []struct {
		name, method, path, token string
		body                      any
		want                      int
		mustNot                   string
	}{
		{"anonymous me", "GET", "/api/me", "", nil, 401, ""},
		{"anonymous tenants", "GET", "/api/tenants", "", nil, 401, ""},
		{"manager creates tenant", "POST", "/api/tenants", mgrA, map[string]any{"slug": "zz", "name": "Z", "country": "CO"}, 403, ""},
		{"client creates user", "POST", "/api/tenants/acme/users", cliA, newUser, 403, ""},
		{"collector lists users", "GET", "/api/tenants/acme/users", colA, nil, 403, ""},
		{"manager of B reads tenant A", "GET", "/api/tenants/acme", mgrB, nil, 404, "Empresa acme"},
		{"manager of B lists users of A", "GET", "/api/tenants/acme/users", mgrB, nil, 404, "@test.cartera"},
		{"manager of B creates user in A", "POST", "/api/tenants/acme/users", mgrB, newUser, 404, ""},
		{"client of A reads own tenant", "GET", "/api/tenants/acme", cliA, nil, 200, ""},
		{"client of A lists tenants", "GET", "/api/tenants", cliA, nil, 200, "globex"},
		{"manager of A creates user", "POST", "/api/tenants/acme/users", mgrA, newUser, 201, "password"},
		{"same email again", "POST", "/api/tenants/acme/users", mgrA, newUser, 409, ""},
		{"unknown tenant", "GET", "/api/tenants/nope", e.Admin, nil, 404, ""},
		{"unknown api route", "GET", "/api/nothing-here", e.Admin, nil, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(c.method, c.path, c.token, c.body)
			if r.Status != c.want {
				t.Fatalf("status %d, want %d: %s", r.Status, c.want, r.Body)
			}
			if c.mustNot != "" && strings.Contains(string(r.Body), c.mustNot) {
				t.Fatalf("body reveals %q: %s", c.mustNot, r.Body)
			}
			if r.Status >= 400 && r.JSON()["code"] == nil {
				t.Fatalf("error body without code: %s", r.Body)
			}
		})
	}
}

func TestTenantValidation(t *testing.T) {
	e := apptest.New(t)
	r := e.Do("POST", "/api/tenants", e.Admin, map[string]any{"slug": "Bad Slug", "name": "", "country": "AR", "commissionRate": 2})
	if r.Status != 400 {
		t.Fatalf("status %d", r.Status)
	}
	fields := r.JSON()["fields"].(map[string]any)
	for _, f := range []string{"slug", "name", "country", "commissionRate"} {
		if fields[f] == nil {
			t.Errorf("no error for %s: %v", f, fields)
		}
	}
	e.Tenant("acme")
	if r := e.Do("POST", "/api/tenants", e.Admin, map[string]any{"slug": "acme", "name": "Again", "country": "CO"}); r.Status != 400 && r.Status != 409 {
		t.Fatalf("duplicate slug: %d", r.Status)
	}
}

func TestHealthHeadersAndStatic(t *testing.T) {
	e := apptest.New(t)
	if r := e.Do("GET", "/healthz", "", nil); r.Status != 200 || r.JSON()["status"] != "ok" {
		t.Fatalf("healthz %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/readyz", "", nil); r.Status != 200 {
		t.Fatalf("readyz %d", r.Status)
	}
	r := e.Do("GET", "/", "", nil)
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if r.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if !strings.Contains(string(r.Body), "/static/js/app.js?v=") {
		t.Fatalf("asset URLs carry no hash: %s", r.Body)
	}
	for _, p := range []string{"/static/../go.mod", "/static/%2e%2e/go.mod", "/static/embed.go", "/static/..%2f..%2fetc/passwd"} {
		if r := e.Do("GET", p, "", nil); r.Status != 404 {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	if r := e.Do("GET", "/static/css/app.css", "", nil); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("css: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	big := `{"email":"` + strings.Repeat("a", 2<<20) + `","password":"x"}`
	if r := e.Do("POST", "/api/auth/login", "", big); r.Status != 413 {
		t.Fatalf("2 MB JSON body: %d, want 413", r.Status)
	}
}
