package web_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
	"cartera/portal/outbox"
)

// failingMail is an SMTP server that refuses every message.
type failingMail struct{}

func (failingMail) Send(context.Context, outbox.Message) error {
	return errors.New("550 5.2.2 buzón lleno")
}

// A manager sees the outbox's failures with their error and attempts, edits
// the policy and gets the server's errors next to the fields, and follows
// the credit-bureau list.
func TestManagerPagesBrowser(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	w := newWorkEnv(t)
	w.setQueueClock(at("2026-02-02 10:00")) // a Monday, F-1's D+1: its overdue e-mail
	email := "gerente@acme.test"
	if r := w.Do("POST", "/api/tenants/acme/users", w.Admin, map[string]any{"email": email, "name": "Gina Gerente", "role": "manager", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	// The ladder queues the e-mails; the mail server refuses them.
	failing := outbox.New(outbox.Options{DB: w.App.DB, Tenants: w.App.Tenants, Email: failingMail{}, MaxAttempts: 1, Now: w.App.Outbox.Now})
	if _, err := w.App.Ladder.Run(w.Ctx(), "acme"); err != nil {
		t.Fatal(err)
	}
	if st, err := failing.Deliver(w.Ctx(), "acme"); err != nil || st.Failed == 0 {
		t.Fatalf("deliver: %+v %v", st, err)
	}
	if r := w.Do("POST", "/api/tenants/acme/debtors/900100200/contacts", w.manager, map[string]any{"kind": "address", "value": "Calle 10 # 20-30", "city": "Medellín"}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	if r := w.Do("POST", "/api/tenants/acme/accounts/F-1/bureau-notices", w.manager, map[string]any{"channel": "letter"}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	url := w.Listen()
	ctx := browsertest.New(t, 1280, 900)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#manager-tabs")),
		chromedp.Click(chromedp.CSS("#tab-outbox")),
		chromedp.WaitVisible(chromedp.CSS("#outbox-table")),
	)
	if err != nil {
		t.Fatal(err)
	}
	out := browsertest.Text(t, ctx, "#outbox")
	for _, s := range []string{"Bandeja de salida", "Fallido", "Error: 550 5.2.2 buzón lleno", "Falló tras 1 intentos."} {
		if !strings.Contains(out, s) {
			t.Fatalf("outbox lacks %q: %q", s, out)
		}
	}
	browsertest.Shot(t, ctx, dir, "manager-outbox")
	// Only the failed ones.
	// (The old table goes first, so the wait below sees the new one.)
	browsertest.Eval(t, ctx, `(() => { document.querySelector('#outbox-table').remove(); const s = document.querySelector('#outbox-status'); s.value = 'failed'; s.dispatchEvent(new Event('change')); return s.value; })()`)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#outbox-table tr[data-status="failed"]`))); err != nil {
		t.Fatal(err)
	}
	if n := browsertest.Eval(t, ctx, `String(document.querySelectorAll('#outbox-table tbody tr:not([data-status="failed"])').length)`); n != "0" {
		t.Fatalf("%s rows not failed", n)
	}
	// The policy editor: two mistakes, two errors next to their fields;
	// fixed, it saves.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#tab-policy")),
		chromedp.WaitVisible(chromedp.CSS("#policy-form")),
	)
	if err != nil {
		t.Fatal(err)
	}
	setVal := func(sel, v string) {
		browsertest.Eval(t, ctx, `(() => { const i = document.querySelector('`+sel+`'); i.value = '`+v+`'; i.dispatchEvent(new Event('input')); return i.value; })()`)
	}
	setVal(`input[name="steps[0].day"]`, "200")
	setVal(`input[name="lateInterestBP"]`, "150")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#policy-save")),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-for="lateInterestBP"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := browsertest.Text(t, ctx, `[data-error-for="lateInterestBP"]`); !strings.Contains(s, "100 %") {
		t.Fatalf("interest error: %q", s)
	}
	if s := browsertest.Text(t, ctx, `[data-error-for="steps[1].day"]`); !strings.Contains(s, "orden") {
		t.Fatalf("step order error: %q", s)
	}
	browsertest.Shot(t, ctx, dir, "manager-policy-errors")
	setVal(`input[name="steps[0].day"]`, "-10")
	setVal(`input[name="lateInterestBP"]`, "22.5")
	browsertest.Eval(t, ctx, `(() => { const s = document.querySelector('#policy-ladder-start'); s.value = 'placement'; s.dispatchEvent(new Event('change')); return s.value; })()`)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#policy-save")),
		chromedp.WaitVisible(chromedp.CSS("#toast:not([hidden])")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if r := w.Do("GET", "/api/tenants/acme/policy", w.manager, nil); r.JSON()["lateInterestBP"] != float64(2250) || r.JSON()["default"] != false || r.JSON()["ladderStart"] != "placement" {
		t.Fatalf("saved policy: %s", r.Body)
	}
	browsertest.ShotOf(t, ctx, dir, "manager-policy-start", "#policy-form")
	// The bureau list: F-1 waits for its 20 days.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#tab-bureau")),
		chromedp.WaitVisible(chromedp.CSS("#bureau-table")),
	)
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.Text(t, ctx, "#bureau")
	for _, s := range []string{"En plazo", "F-1", "Ferretería Núñez", "Exportar CSV"} {
		if !strings.Contains(b, s) {
			t.Fatalf("bureau lacks %q: %q", s, b)
		}
	}
	browsertest.Shot(t, ctx, dir, "manager-bureau")
}

// A collector opens an account whose next step is a manual one (a credit
// suspension notified to the client), marks it done with a note, and sees it
// in the timeline.
func TestCollectorMarksStepDoneBrowser(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	// The page decides "due" with the browser's clock, so the server runs on
	// the real one too; F-1 and F-2 (due February 2026) are past D+20 and the
	// legal stage (D+1000) is far ahead.
	w := newWorkEnv(t)
	w.setClock(time.Now())
	pol := map[string]any{"steps": []map[string]any{
		{"day": 5, "channel": "call", "template": "follow_up_call", "label": "Llamada de seguimiento"},
		{"day": 20, "channel": "credit_suspension", "template": "credit_suspension_notice", "label": "Aviso de suspensión de crédito al cliente"},
		{"day": 1000, "channel": "legal", "template": "legal_stage", "label": "Etapa jurídica"},
	}, "lateInterestBP": 2400, "plans": map[string]any{"maxInstallments": 6, "minDownPaymentBP": 1000, "monthlyRateBP": 100, "maxTermDays": 200},
		"promises": map[string]any{"maxDaysAhead": 30, "graceDays": 2}}
	if r := w.Do("PUT", "/api/tenants/acme/policy", w.manager, pol); r.Status != 200 {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	w.setQueueClock(w.clock)
	email := "carla@acme.test"
	r := w.Do("POST", "/api/tenants/acme/users", w.Admin, map[string]any{"email": email, "name": "Carla Cobros", "role": "collector", "password": apptest.Password})
	if r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	if r := w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{"F-1", "F-2"}, "collectorId": r.JSON()["id"]}); r.Status != 200 {
		t.Fatal(r.Status, string(r.Body))
	}
	url := w.Listen()
	ctx := browsertest.New(t, 1280, 900)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#queue-table tbody tr[data-account]")),
		chromedp.Click(chromedp.CSS("#q-open-F-2")),
		chromedp.WaitVisible(chromedp.CSS("#step-done")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := browsertest.Text(t, ctx, "#step-done"); !strings.Contains(s, "Tarea pendiente: Aviso de suspensión de crédito al cliente") {
		t.Fatalf("task card: %q", s)
	}
	browsertest.Shot(t, ctx, dir, "collector-step-due")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#step-note"), "Se informó al cliente por correo; suspende el cupo."),
		chromedp.Click(chromedp.CSS("#step-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#step-done")),
		chromedp.WaitVisible(chromedp.CSS("#timeline li.activity")),
	)
	if err != nil {
		t.Fatal(err)
	}
	tl := browsertest.Text(t, ctx, "#timeline")
	if !strings.Contains(tl, "Suspensión de crédito · Hecho") || !strings.Contains(tl, "suspende el cupo") {
		t.Fatalf("timeline: %q", tl)
	}
	browsertest.Shot(t, ctx, dir, "collector-step-done")
}
