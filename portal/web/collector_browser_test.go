package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A collector opens an account from their list, logs a call with a promise,
// is told plainly why a second call today is not allowed, records a payment
// that keeps the promise, and sees it all in the timeline; on a desktop and
// on a phone.
func TestCollectorBrowserWorksAnAccount(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			w := newWorkEnv(t) // clock: Tuesday 2026-03-10 10:00 in Bogotá
			url := w.Listen()
			email := "cobrador." + size.name + "@acme.test"
			r := w.Do("POST", "/api/tenants/acme/users", w.Admin, map[string]any{"email": email, "name": "Carlos Cobrador", "role": "collector", "password": apptest.Password})
			if r.Status != 201 {
				t.Fatal(r.Status, string(r.Body))
			}
			if r := w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{"F-1", "F-2"}, "collectorId": r.JSON()["id"]}); r.Status != 200 {
				t.Fatal(r.Status, string(r.Body))
			}
			ctx := browsertest.New(t, size.w, size.h)
			choose := func(sel, value string) {
				t.Helper()
				browsertest.Eval(t, ctx, `(() => { const s = document.querySelector('`+sel+`'); s.value = '`+value+`'; s.dispatchEvent(new Event('change')); return s.value; })()`)
			}
			err := chromedp.Do(ctx,
				chromedp.Navigate(url+"/"),
				chromedp.WaitVisible(chromedp.CSS("#email")),
				chromedp.SendKeys(chromedp.CSS("#email"), email),
				chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
				chromedp.Click(chromedp.CSS("#login-submit")),
				chromedp.WaitVisible(chromedp.CSS("#queue table")),
				chromedp.Click(chromedp.CSS("#open-F-1")),
				chromedp.WaitVisible(chromedp.CSS("#log-form")),
			)
			if err != nil {
				t.Fatal(err)
			}
			if h := browsertest.Text(t, ctx, "#account"); !strings.Contains(h, "F-1") || !strings.Contains(h, "Ferretería Núñez") || !strings.Contains(h, "1.000.000,00") {
				t.Fatalf("account header: %q", h)
			}
			if c := browsertest.Text(t, ctx, "#contacts"); !strings.Contains(c, "pagos@nunez.co") {
				t.Fatalf("contacts: %q", c)
			}
			// A call with a promise to pay 400.000 on the 20th.
			choose("#log-channel", "call")
			choose("#log-outcome", "promise")
			err = chromedp.Do(ctx,
				chromedp.WaitVisible(chromedp.CSS("#promise-amount")),
				chromedp.SendKeys(chromedp.CSS("#promise-amount"), "400.000"),
				chromedp.SetValue(chromedp.CSS("#promise-date"), "2026-03-20"),
				chromedp.SendKeys(chromedp.CSS("#log-note"), "Acepta pagar la mitad el 20 de marzo"),
				chromedp.Click(chromedp.CSS("#log-submit")),
				chromedp.WaitVisible(chromedp.CSS("#timeline li.promise")),
			)
			if err != nil {
				t.Fatal(err)
			}
			tl := browsertest.Text(t, ctx, "#timeline")
			if !strings.Contains(tl, "Llamada · Promesa de pago") || !strings.Contains(tl, "Acepta pagar la mitad") || !strings.Contains(tl, "Vigente") {
				t.Fatalf("timeline after the call: %q", tl)
			}
			// A second call the same day is refused, with the rule's reason.
			choose("#log-outcome", "no_answer")
			err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#log-submit")), chromedp.WaitVisible(chromedp.CSS("#log-error")))
			if err != nil {
				t.Fatal(err)
			}
			if msg := browsertest.Text(t, ctx, "#log-error"); !strings.Contains(msg, "No se puede hacer este contacto ahora") || !strings.Contains(msg, "máximo es 1 por día") {
				t.Fatalf("refusal shown as %q", msg)
			}
			browsertest.Shot(t, ctx, dir, "collector-refusal-"+size.name)
			// The debtor pays the promised amount by transfer.
			choose("#pay-method", "transfer")
			err = chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#pay-amount"), "400.000"),
				chromedp.SendKeys(chromedp.CSS("#pay-reference"), "BANCO-123"),
				chromedp.Click(chromedp.CSS("#pay-submit")),
				chromedp.WaitVisible(chromedp.CSS("#timeline li.promise .badge.ok")),
			)
			if err != nil {
				t.Fatal(err)
			}
			// Interest first: of 400.000,00, the 21.812,24 of late interest to
			// 10 March (24 % EA, 37 days on 1.000.000,00) and 378.187,76 of
			// principal, which leaves 621.812,24.
			if b := browsertest.Text(t, ctx, "#account-balance"); !strings.Contains(b, "621.812,24") {
				t.Fatalf("balance after the payment: %q", b)
			}
			if l := browsertest.Text(t, ctx, "#ledger"); !strings.Contains(l, "Pago a capital · manual") || !strings.Contains(l, "378.187,76") ||
				!strings.Contains(l, "Pago de intereses de mora · manual") || !strings.Contains(l, "21.812,24") {
				t.Fatalf("ledger: %q", l)
			}
			if tl := browsertest.Text(t, ctx, "#timeline"); !strings.Contains(tl, "Cumplida") {
				t.Fatalf("promise not kept in the timeline: %q", tl)
			}
			// The same reference again says so instead of recording twice.
			err = chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#pay-amount"), "400.000"),
				chromedp.SendKeys(chromedp.CSS("#pay-reference"), "banco-123"),
				chromedp.Click(chromedp.CSS("#pay-submit")),
				chromedp.WaitVisible(chromedp.CSS("#pay-error")),
			)
			if msg := browsertest.Text(t, ctx, "#pay-error"); err != nil || !strings.Contains(msg, "Ya existe un pago con esa referencia") {
				t.Fatalf("duplicate payment: %v %q", err, msg)
			}
			if b := browsertest.Text(t, ctx, "#account-balance"); !strings.Contains(b, "621.812,24") {
				t.Fatalf("balance after the repeat: %q", b)
			}
			browsertest.Shot(t, ctx, dir, "collector-account-"+size.name)
			// Back to the list.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#queue table"))); err != nil {
				t.Fatal(err)
			}
		})
	}
}
