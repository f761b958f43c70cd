package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// The dashboard's KPI cards hold the largest figures on one line, in
// English (the longer format) and Spanish, on a desktop and on a phone.
func TestKPICardsFitLargeAmounts(t *testing.T) {
	browsertest.Browser(t)
	e := apptest.New(t)
	e.Tenant("acme")
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": "big@acme.test", "name": "Big Client", "role": "client", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	_, client := e.User("acme", "client")
	if m := e.Import("acme", client, "big.csv", []byte("documento;nombre;factura;vencimiento;valor\n"+
		"900100200;Grande SAS;G-1;2026-01-15;12.345.678.901,23\n900100201;Otra SAS;G-2;2026-02-15;9.876.543.210,99\n")); num(m, "inserted") != 2 {
		t.Fatalf("import: %v", m)
	}
	url := e.Listen()
	dir := t.TempDir()
	for _, c := range []struct {
		lang string
		w, h int
	}{{"en", 1366, 900}, {"en", 390, 844}, {"es", 390, 844}} {
		ctx := browsertest.New(t, c.w, c.h)
		if c.w < 500 {
			clientRun(t, ctx, "phone", chromedp.EmulateViewport(int64(c.w), int64(c.h), chromedp.EmulatePortrait, chromedp.EmulateMobile))
		}
		staffLogin(t, ctx, url, "big@acme.test", c.lang, "#dash-kpis")
		time.Sleep(500 * time.Millisecond)
		out := browsertest.Eval(t, ctx, `[...document.querySelectorAll('.dash-kpi .kpi')].filter((k) => k.scrollWidth > k.clientWidth + 1 || k.getBoundingClientRect().right > k.parentElement.getBoundingClientRect().right).map((k) => k.textContent).join(' | ')`)
		if out != "" {
			t.Errorf("%s %dpx: figures overflow their cards: %s", c.lang, c.w, out)
		}
		if all := browsertest.Text(t, ctx, "#dash-kpis"); !strings.Contains(all, "22,222,222,112.22") && !strings.Contains(all, "22.222.222.112,22") {
			t.Errorf("%s %dpx: the outstanding total is not shown: %q", c.lang, c.w, all)
		}
		browsertest.ShotOf(t, ctx, dir, "kpis-"+c.lang+"-"+string(rune('0'+c.w/1000)), "#dash-kpis")
	}
}
