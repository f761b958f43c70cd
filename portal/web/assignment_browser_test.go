package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A manager opens Assignment: sees each collector's load and the unassigned
// accounts, writes a rule (corporate accounts to Caro, the rest shared),
// previews it (nothing moves), lowers Ana's cap, distributes, and undoes
// the run.
func TestAssignmentBrowser(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	w := newAssignEnv(t)
	email := "gerente.asig@acme.test"
	if r := w.Do("POST", "/api/tenants/acme/users", w.Admin, map[string]any{"email": email, "name": "Gina Gerente", "role": "manager", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	url := w.Listen()
	ctx := browsertest.New(t, 1366, 900)
	wait := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("wait for %s: %v", js, err)
		}
	}
	staffLogin(t, ctx, url, email, "", "#tab-assignment")
	clientRun(t, ctx, "open assignment", chromedp.Click(chromedp.CSS("#tab-assignment")), chromedp.WaitVisible(chromedp.CSS("#assign-load-table")))
	browsertest.Eval(t, ctx, `(window.confirm = () => true, 'ok')`)
	if u := browsertest.Text(t, ctx, "#assign-unassigned"); !strings.Contains(u, "Sin asignar: 12 cuentas") || !strings.Contains(u, "4.800,00") {
		t.Fatalf("unassigned: %q", u)
	}
	if l := browsertest.Text(t, ctx, "#assign-load-table"); !strings.Contains(l, "Ana") || !strings.Contains(l, "0 % del tope") || !strings.Contains(l, "sin límite") {
		t.Fatalf("load table: %q", l)
	}
	// The rule: corporate → Caro; the rest shared among everyone.
	set := func(sel, v string) {
		t.Helper()
		browsertest.Eval(t, ctx, `(() => { const s = document.querySelector('`+sel+`'); s.value = '`+v+`'; s.dispatchEvent(new Event(s.tagName === 'SELECT' ? 'change' : 'input')); return s.value; })()`)
	}
	set("#assign-mode", "rules")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#assign-add-rule")), chromedp.WaitVisible(chromedp.CSS(`tr[data-rule="0"]`))); err != nil {
		t.Fatal(err)
	}
	set(`tr[data-rule="0"] input[name="rules[0].segment"]`, "corporativo")
	browsertest.Eval(t, ctx, `(() => { const b = document.querySelector('tr[data-rule="0"] input[value="`+w.caro+`"]'); b.click(); return String(b.checked); })()`)
	set("#assign-fallback", "round_robin")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#assign-preview-btn")), chromedp.WaitVisible(chromedp.CSS("#assign-plan-table"))); err != nil {
		t.Fatal(err)
	}
	if s := browsertest.Text(t, ctx, "#assign-plan-summary"); !strings.Contains(s, "12 cuentas se asignarían") || !strings.Contains(s, "0 quedarían sin asignar") {
		t.Fatalf("preview summary: %q", s)
	}
	if p := browsertest.Text(t, ctx, "#assign-plan-table"); !strings.Contains(p, "Caro") || !strings.Contains(p, "4.200,00") {
		t.Fatalf("preview table: %q", p) // Caro: 4 corporate × 1.000 + 2 retail × 100
	}
	browsertest.Shot(t, ctx, dir, "assignment-preview")
	if l := w.loads(); l[""] != 12 {
		t.Fatalf("the preview moved accounts: %v", l)
	}
	// Distribute now.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#assign-run")), chromedp.WaitVisible(chromedp.CSS("#assign-runs-table"))); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('#assign-unassigned') && document.querySelector('#assign-unassigned').innerText.includes('Sin asignar: 0 cuentas')`)
	if l := w.loads(); l[""] != 0 || l["Caro"] != 6 || l["Ana"] != 3 {
		t.Fatalf("loads after the run: %v", l)
	}
	if l := browsertest.Text(t, ctx, `#assign-load-table tr[data-collector="`+w.ana+`"]`); !strings.Contains(l, "en su tope") {
		t.Fatalf("Ana at her cap: %q", l)
	}
	browsertest.Shot(t, ctx, dir, "assignment-after-run")
	// Undo it.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("[data-recall]"))); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('#assign-runs-table') && document.querySelector('#assign-runs-table').innerText.includes('Deshecho: 12 cuentas')`)
	if l := w.loads(); l[""] != 12 {
		t.Fatalf("loads after undo: %v", l)
	}
	// The phone layout stacks the tables.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	browsertest.Shot(t, ctx, dir, "assignment-phone")
}
