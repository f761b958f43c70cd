package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A person logs in on each staff face and lands on its home page.
func TestBrowserLoginEachFace(t *testing.T) {
	browsertest.Browser(t)
	e := apptest.New(t)
	e.Tenant("acme")
	url := e.Listen()
	users := map[string]string{"manager": "", "collector": "", "client": ""}
	var collectorID string
	for role := range users {
		email := role + "@acme.test"
		r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": email, "name": "Persona " + role, "role": role, "password": apptest.Password})
		if r.Status != 201 {
			t.Fatal(r.Status, string(r.Body))
		}
		users[role] = email
		if role == "collector" {
			collectorID = r.JSON()["id"].(string)
		}
	}
	// The collector has one account assigned, which their home must list.
	e.Import("acme", e.Admin, "b.csv", []byte("documento,nombre,factura,vencimiento,valor\n321,Cliente Visible,VIS-1,2026-01-05,125000\n"))
	if r := e.Do("POST", "/api/tenants/acme/assignments", e.Admin, map[string]any{"accountIds": []string{"VIS-1"}, "collectorId": collectorID}); r.Status != 200 {
		t.Fatal(r.Status, string(r.Body))
	}
	users["admin"] = apptest.AdminEmail
	dir := t.TempDir()
	for _, role := range []string{"admin", "manager", "collector", "client"} {
		t.Run(role, func(t *testing.T) {
			ctx := browsertest.New(t, 1280, 900)
			err := chromedp.Do(ctx,
				chromedp.Navigate(url+"/"),
				chromedp.WaitVisible(chromedp.CSS("#email")),
				chromedp.SendKeys(chromedp.CSS("#email"), users[role]),
				chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
				chromedp.Click(chromedp.CSS("#login-submit")),
				chromedp.WaitVisible(chromedp.CSS("#view > *")),
			)
			if err != nil {
				t.Fatal(err)
			}
			path := browsertest.Eval(t, ctx, `location.pathname`)
			welcome := browsertest.Text(t, ctx, "#welcome")
			face := browsertest.Text(t, ctx, ".face-name")
			want := map[string]string{"admin": "/manager", "manager": "/manager", "collector": "/collector", "client": "/client"}[role]
			if path != want || !strings.HasPrefix(welcome, "Hola,") || face == "" {
				t.Fatalf("landed on %q, welcome %q, face %q", path, welcome, face)
			}
			if role == "collector" {
				if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#queue table"))); err != nil {
					t.Fatal(err)
				}
				if txt := browsertest.Text(t, ctx, "#queue"); !strings.Contains(txt, "VIS-1") || !strings.Contains(txt, "Cliente Visible") {
					t.Fatalf("collector home: %q", txt)
				}
			}
			browsertest.Shot(t, ctx, dir, "home-"+role)
			// The session cookie works for the page's API calls and logout ends it.
			err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
			if after := browsertest.Eval(t, ctx, `location.pathname`); err != nil || after != "/" {
				t.Fatalf("logout: %v %q", err, after)
			}
		})
	}
	t.Run("wrong password shows an error", func(t *testing.T) {
		ctx := browsertest.New(t, 390, 844)
		err := chromedp.Do(ctx,
			chromedp.Navigate(url+"/"),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), "nobody@acme.test"),
			chromedp.SendKeys(chromedp.CSS("#password"), "wrong-password"),
			chromedp.Click(chromedp.CSS("#login-submit")),
			chromedp.WaitVisible(chromedp.CSS("#login-error")),
		)
		msg := browsertest.Text(t, ctx, "#login-error")
		if err != nil || !strings.Contains(msg, "incorrectos") {
			t.Fatalf("error message %q: %v", msg, err)
		}
		browsertest.Shot(t, ctx, dir, "login-error-phone")
	})
}
