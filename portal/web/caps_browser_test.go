package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A manager opens the usury table, sees the months certified with their
// sources and the cap in force, and is warned on the home page while the
// table does not cover today.
func TestCapsPageBrowser(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	e := apptest.New(t)
	e.Tenant("acme")
	email := "gerente@acme.test"
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": email, "name": "Gina Gerente", "role": "manager", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	url := e.Listen()
	ctx := browsertest.New(t, 1280, 900)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#manager-tabs")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The shipped table ends before today (2026-12): the home page warns.
	if s := browsertest.Text(t, ctx, "#caps-stale"); !strings.Contains(s, "no cubre el mes actual") {
		t.Fatalf("stale warning: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-caps")), chromedp.WaitVisible(chromedp.CSS("#caps-table table"))); err != nil {
		t.Fatal(err)
	}
	out := browsertest.Text(t, ctx, "#caps")
	for _, want := range []string{"Topes de interés", "25.52 %", "Res. 0405/2026", "Certificada hasta"} {
		if !strings.Contains(out, want) {
			t.Fatalf("caps page lacks %q:\n%s", want, out)
		}
	}
	browsertest.Shot(t, ctx, dir, "manager-caps")
}
