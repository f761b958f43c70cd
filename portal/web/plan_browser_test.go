package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/browsertest"
)

// On a phone: read the plan offers with their schedules, accept one over
// its terms, then pay the down payment and installment 1 in the sandbox and
// see them paid on the plan.
func TestDebtorBrowserPlan(t *testing.T) {
	browsertest.Browser(t)
	e := planEnv(t)
	url := e.Listen()
	code := e.code("acme", "80123456")
	dir := t.TempDir()
	ctx := browsertest.New(t, 390, 844)
	clientRun(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientRun(t, ctx, "login", chromedp.Navigate(url+"/debtor"), chromedp.WaitVisible(chromedp.CSS("#d-tenant")),
		chromedp.SendKeys(chromedp.CSS("#d-tenant"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#d-document"), "80123456"),
		chromedp.SendKeys(chromedp.CSS("#d-code"), code),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#plans .plan-offer`)))
	if txt := browsertest.Text(t, ctx, "#plans h2"); txt != "Plan de pagos" {
		t.Fatalf("plans title %q", txt)
	}
	if n := browsertest.Eval(t, ctx, `String(document.querySelectorAll('#plans .plan-offer').length)`); n != "4" {
		t.Fatalf("%s offers shown", n)
	}
	// The 2-installment offer lists its full schedule: down payment and two installments.
	offer := `#plans .plan-offer[data-installments="2"]`
	if n := browsertest.Eval(t, ctx, `String(document.querySelectorAll('`+offer+` .sched-row').length)`); n != "3" {
		t.Fatalf("schedule rows %s", n)
	}
	browsertest.Shot(t, ctx, dir, "plans-offers-phone")
	clientRun(t, ctx, "choose", chromedp.Click(chromedp.CSS(offer+` input[type=radio]`)), chromedp.WaitVisible(chromedp.CSS("#plan-terms")))
	if terms := browsertest.Text(t, ctx, "#plan-terms"); !strings.Contains(terms, "Acepto un plan de pagos") || !strings.Contains(terms, "1.200.000,00") {
		t.Fatalf("terms %q", terms)
	}
	if d := browsertest.Eval(t, ctx, `String(document.getElementById('plan-accept').disabled)`); d != "true" {
		t.Fatal("accept enabled before the checkbox")
	}
	clientRun(t, ctx, "tick", chromedp.Click(chromedp.CSS("#plan-accept-check")), chromedp.ScrollIntoView(chromedp.CSS("#plan-accept")))
	browsertest.Shot(t, ctx, dir, "plans-terms-phone")
	clientRun(t, ctx, "accept", chromedp.Click(chromedp.CSS("#plan-accept")), chromedp.WaitVisible(chromedp.CSS("#plan-pay")))
	if txt := browsertest.Text(t, ctx, "#plan-pay"); !strings.Contains(txt, "Pagar cuota inicial") {
		t.Fatalf("pay button %q", txt)
	}
	browsertest.Shot(t, ctx, dir, "plans-current-phone")
	// The statement marks the invoices in the plan and names the next installment.
	clientWait(t, ctx, `document.querySelectorAll('#st-invoices .invoice-card.in-plan').length === 2`)
	if txt := browsertest.Text(t, ctx, "#st-plan"); !strings.Contains(txt, "próxima cuota inicial") || !strings.Contains(txt, "31 de oct") {
		t.Fatalf("statement plan note %q", txt)
	}
	if txt := browsertest.Text(t, ctx, `.invoice-card[data-id="A1"]`); !strings.Contains(txt, "En plan de pagos") {
		t.Fatalf("A1 card %q", txt)
	}
	if txt := browsertest.Text(t, ctx, "#st-total-label"); txt != "Saldo total de sus facturas" {
		t.Fatalf("total label under a plan %q", txt)
	}
	browsertest.Eval(t, ctx, `(document.getElementById('toast').hidden = true, '')`)
	clientRun(t, ctx, "top", chromedp.ScrollIntoView(chromedp.CSS("#statement")))
	browsertest.Shot(t, ctx, dir, "plans-statement-phone")

	for _, n := range []string{"0", "1"} {
		if got := browsertest.Eval(t, ctx, `document.getElementById('plan-pay').dataset.n`); got != n {
			t.Fatalf("next installment %s, want %s", got, n)
		}
		clientRun(t, ctx, "checkout "+n, chromedp.Click(chromedp.CSS("#plan-pay")), chromedp.WaitVisible(chromedp.CSS("#sandbox-pay")))
		if n == "1" {
			browsertest.Shot(t, ctx, dir, "plans-sandbox-phone")
		}
		clientRun(t, ctx, "pay "+n, chromedp.Click(chromedp.CSS("#sandbox-pay")), chromedp.WaitVisible(chromedp.CSS("#pay-done")),
			chromedp.WaitVisible(chromedp.CSS(`#plans .sched-row[data-n="`+n+`"].is-paid`)))
	}
	if txt := browsertest.Text(t, ctx, "#plan-pay"); !strings.Contains(txt, "Pagar cuota 2") {
		t.Fatalf("after paying installment 1: %q", txt)
	}
	if txt := browsertest.Text(t, ctx, `#plans .sched-row[data-n="1"]`); !strings.Contains(txt, "Pagada") {
		t.Fatalf("installment 1 row %q", txt)
	}
	clientRun(t, ctx, "scroll", chromedp.ScrollIntoView(chromedp.CSS("#plans")))
	browsertest.Shot(t, ctx, dir, "plans-paid-phone")
	// Promise and preferences forms are on the page too.
	for _, sel := range []string{"#promise-form", "#prefs-form"} {
		if v := browsertest.Eval(t, ctx, `String(!!document.querySelector('`+sel+`'))`); v != "true" {
			t.Fatalf("%s missing", sel)
		}
	}
}
