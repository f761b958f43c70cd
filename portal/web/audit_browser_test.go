package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A manager opens the Auditoría tab, reads who did what, narrows the list
// to one person and one kind of action, and finds the CSV link carrying the
// same filters.
func TestAuditBrowser(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	w := newWorkEnv(t)
	email := "gerente@acme.test"
	if r := w.Do("POST", "/api/tenants/acme/users", w.Admin, map[string]any{"email": email, "name": "Gina Gerente", "role": "manager", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "contacted", "note": "Atendió la tesorera"}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	url := w.Listen()
	ctx := browsertest.New(t, 1280, 900)
	clientRun(t, ctx, "login and open the audit",
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#tab-audit")),
		chromedp.Click(chromedp.CSS("#tab-audit")),
		chromedp.WaitVisible(chromedp.CSS("#audit-table")),
	)
	clientWait(t, ctx, `document.querySelector('#audit-table tr[data-action="activity.create"]') !== null`)
	if v := browsertest.Eval(t, ctx, `document.querySelector('#tab-audit').className`); !strings.Contains(v, "primary") {
		t.Errorf("audit tab not marked current: %q", v)
	}
	act := browsertest.Text(t, ctx, `#audit-table tr[data-action="activity.create"]`)
	for _, want := range []string{"Gestión registrada", "U collector", "Gestor de cobranza", "canal: call", "F-1"} {
		if !strings.Contains(act, want) {
			t.Errorf("activity row lacks %q:\n%s", want, act)
		}
	}
	page := browsertest.Text(t, ctx, "#audit")
	for _, want := range []string{"Auditoría", "Carga iniciada", "Usuario creado", "Descargar CSV"} {
		if !strings.Contains(page, want) {
			t.Errorf("audit section lacks %q", want)
		}
	}
	if v := browsertest.Eval(t, ctx, `String(document.querySelectorAll('#dashboard:not([hidden])').length)`); v != "0" {
		t.Error("the dashboard shows under the audit")
	}
	browsertest.Shot(t, ctx, dir, "manager-audit")

	// Only the collector's contacts.
	browsertest.Eval(t, ctx, `(() => { const a = document.querySelector('#audit-actor'); a.value = '`+w.collectorID+`';
		const f = document.querySelector('#audit-action'); f.value = 'activity'; f.dispatchEvent(new Event('change')); return ''; })()`)
	clientWait(t, ctx, `(() => { const rows = [...document.querySelectorAll('#audit-table tbody tr')];
		return rows.length === 1 && rows[0].dataset.action === 'activity.create'; })()`)
	if href := browsertest.Eval(t, ctx, `document.querySelector('#audit-csv').getAttribute('href')`); href != "/api/tenants/acme/audit.csv?actor="+w.collectorID+"&action=activity" {
		t.Errorf("csv link %q", href)
	}
	clientNoRawKeys(t, ctx)
	if raw := browsertest.Eval(t, ctx, `(document.body.innerText.match(/\baudit\.[a-zA-Z.]+/g) || []).join(' ')`); raw != "" {
		t.Errorf("untranslated: %s", raw)
	}
	browsertest.Shot(t, ctx, dir, "manager-audit-filtered")
}
