package web_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"cartera/portal/apptest"
	"cartera/portal/store/storetest"
	"cartera/tenants"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestLogin(t *testing.T) {
	e := apptest.New(t)
	cases := []struct {
		name, email, password string
		want                  int
	}{
		{"right password", apptest.AdminEmail, apptest.Password, 200},
		{"email case and spaces ignored", "  ADMIN@test.cartera ", apptest.Password, 200},
		{"wrong password", apptest.AdminEmail, "nope-nope-nope", 401},
		{"unknown email", "ghost@test.cartera", apptest.Password, 401},
		{"empty", "", "", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do("POST", "/api/auth/login", "", map[string]string{"email": c.email, "password": c.password})
			if r.Status != c.want {
				t.Fatalf("status %d, want %d: %s", r.Status, c.want, r.Body)
			}
			if c.want == 401 {
				// The same answer whether the account exists or not.
				if got := r.JSON()["code"]; got != "unauthorized" {
					t.Fatalf("code %v", got)
				}
				return
			}
			m := r.JSON()
			if m["token"] == "" || m["user"].(map[string]any)["role"] != "admin" {
				t.Fatalf("body %s", r.Body)
			}
			ck := r.Header.Get("Set-Cookie")
			for _, attr := range []string{"session=", "HttpOnly", "secure", "SameSite=Strict"} {
				if !strings.Contains(ck, attr) {
					t.Fatalf("session cookie lacks %s: %s", attr, ck)
				}
			}
		})
	}
}

func TestLoginOperatorInjectionIs400(t *testing.T) {
	e := apptest.New(t)
	for _, body := range []string{
		`{"email":{"$ne":""},"password":{"$ne":""}}`,
		`{"email":{"$gt":""},"password":"x"}`,
		`{"email":"a@b.c","password":"x","role":"admin"}`,
		`{"email":"a@b.c"`,
	} {
		r := e.Do("POST", "/api/auth/login", "", body)
		if r.Status != 400 {
			t.Fatalf("%s: status %d %s", body, r.Status, r.Body)
		}
	}
}

func TestLoginLockoutPerAccountAndAddress(t *testing.T) {
	e := apptest.New(t)
	bad := map[string]string{"email": apptest.AdminEmail, "password": "wrong-wrong"}
	for i := 0; i < 5; i++ {
		if r := e.Do("POST", "/api/auth/login", "", bad); r.Status != 401 {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
	}
	r := e.Do("POST", "/api/auth/login", "", map[string]string{"email": apptest.AdminEmail, "password": apptest.Password})
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures even the right password: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	// A spoofed X-Forwarded-For (no trusted proxy configured) changes nothing.
	req, _ := http.NewRequest("POST", "/api/auth/login", strings.NewReader(`{"email":"admin@test.cartera","password":"test-password-123"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.77")
	req.Header.Set("X-Real-IP", "203.0.113.77")
	if r := e.Request(req); r.Status != 429 {
		t.Fatalf("spoofed address reset the lockout: %d", r.Status)
	}
	// The lock ends when its time is up.
	acct, addr := e.App.Tenants.Limiters()
	later := func() time.Time { return time.Now().Add(16 * time.Minute) }
	acct.SetClock(later)
	addr.SetClock(later)
	if r := e.Do("POST", "/api/auth/login", "", map[string]string{"email": apptest.AdminEmail, "password": apptest.Password}); r.Status != 200 {
		t.Fatalf("after the lock expired: %d", r.Status)
	}
	entries, _ := e.App.Audit.List(e.Ctx(), "", "login.failed", 100)
	if len(entries) != 5 {
		t.Fatalf("audit has %d login.failed entries, want 5", len(entries))
	}
}

func TestPerAddressLimitAcrossAccounts(t *testing.T) {
	e := apptest.New(t)
	for i := 0; i < 20; i++ {
		e.Do("POST", "/api/auth/login", "", map[string]string{"email": "user" + string(rune('a'+i)) + "@x.co", "password": "wrong-wrong"})
	}
	r := e.Do("POST", "/api/auth/login", "", map[string]string{"email": apptest.AdminEmail, "password": apptest.Password})
	if r.Status != 429 {
		t.Fatalf("20 failures from one address, then a login: %d", r.Status)
	}
}

func TestTokens(t *testing.T) {
	e := apptest.New(t)
	secret := []byte(strings.Repeat("k", 40))
	good, err := jwt.ParseWithClaims(e.Admin, &tenants.Claims{}, func(*jwt.Token) (any, error) { return secret, nil })
	if err != nil {
		t.Fatal(err)
	}
	claims := good.Claims.(*tenants.Claims)
	sign := func(method jwt.SigningMethod, key any, mut func(c *tenants.Claims)) string {
		c := *claims
		mut(&c)
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, func(*tenants.Claims) {})
	cases := map[string]string{
		"alg none":        none,
		"wrong key":       sign(jwt.SigningMethodHS256, []byte(strings.Repeat("x", 40)), func(*tenants.Claims) {}),
		"expired":         sign(jwt.SigningMethodHS256, secret, func(c *tenants.Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute)) }),
		"no expiry":       sign(jwt.SigningMethodHS256, secret, func(c *tenants.Claims) { c.ExpiresAt = nil }),
		"wrong audience":  sign(jwt.SigningMethodHS256, secret, func(c *tenants.Claims) { c.Audience = jwt.ClaimStrings{tenants.AudienceDebtor} }),
		"wrong issuer":    sign(jwt.SigningMethodHS256, secret, func(c *tenants.Claims) { c.Issuer = "evil" }),
		"HS512":           sign(jwt.SigningMethodHS512, secret, func(*tenants.Claims) {}),
		"tampered role":   tamper(e.Admin),
		"garbage":         "not.a.token",
		"old version":     sign(jwt.SigningMethodHS256, secret, func(c *tenants.Claims) { c.Version = -1 }),
		"unknown subject": sign(jwt.SigningMethodHS256, secret, func(c *tenants.Claims) { c.Subject = "000000000000000000000000" }),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if r := e.Do("GET", "/api/me", tok, nil); r.Status != 401 {
				t.Fatalf("status %d, want 401", r.Status)
			}
		})
	}
	if r := e.Do("GET", "/api/me", e.Admin, nil); r.Status != 200 {
		t.Fatalf("good token: %d", r.Status)
	}
}

// tamper swaps the payload's role without re-signing.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p, _ := jwt.NewParser().DecodeSegment(parts[1])
	s := strings.Replace(string(p), `"role":"admin"`, `"role":"root"`, 1)
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(s))
	return strings.Join(parts, ".")
}

func TestLogoutAndRoleChangeRevoke(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	id, tok := e.User("acme", "collector")
	if r := e.Do("GET", "/api/me", tok, nil); r.Status != 200 {
		t.Fatalf("me: %d", r.Status)
	}
	if r := e.Do("PATCH", "/api/tenants/acme/users/"+id, e.Admin, map[string]any{"role": "client"}); r.Status != 200 {
		t.Fatalf("role change: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/me", tok, nil); r.Status != 401 {
		t.Fatalf("token after role change: %d", r.Status)
	}
	admin2 := e.Login(apptest.AdminEmail, apptest.Password)
	if r := e.Do("POST", "/api/auth/logout", admin2, nil); r.Status != 204 {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := e.Do("GET", "/api/me", admin2, nil); r.Status != 401 {
		t.Fatalf("token after logout: %d", r.Status)
	}
}

func TestPasswordChangeRevokes(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, tok := e.User("acme", "client")
	if r := e.Do("PUT", "/api/me/password", tok, map[string]string{"currentPassword": "wrong", "newPassword": "another-password-1"}); r.Status != 400 {
		t.Fatalf("wrong current password: %d", r.Status)
	}
	if r := e.Do("PUT", "/api/me/password", tok, map[string]string{"currentPassword": apptest.Password, "newPassword": "another-password-1"}); r.Status != 204 {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/me", tok, nil); r.Status != 401 {
		t.Fatalf("old token after password change: %d", r.Status)
	}
}
