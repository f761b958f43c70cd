package web_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/browsertest"
	"cartera/portal/testtool"
)

// A debtor pays everything in the sandbox through the API: the recording
// path applies it once, the receipt is a PDF with the amount, and another
// debtor cannot see the payment.
func TestDebtorPaysInSandbox(t *testing.T) {
	e := newDebtorEnv(t)
	jose := e.session("acme", "80123456")
	maria := e.session("acme", "900123456")
	r := e.Do("POST", "/api/debtor/checkout", jose, map[string]any{})
	if r.Status != 200 {
		t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	co := r.JSON()
	// Everything, as the statement says: A1 1.000.000,00 + 17.685,60 of late
	// interest, and A2 200.000,00 (not yet due) less the house policy's 2 %
	// early-payment discount, 4.000,00.
	if co["amount"].(float64) != 121368560 || !strings.Contains(co["url"].(string), "/api/payments/sandbox/") {
		t.Fatalf("checkout %v", co)
	}
	id := co["paymentId"].(string)
	if r := e.Do("GET", "/api/debtor/payments/"+id, maria, nil); r.Status != 404 {
		t.Fatalf("other debtor reads the payment: %d", r.Status)
	}
	if r := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", maria, nil); r.Status != 404 {
		t.Fatalf("other debtor completes the payment: %d", r.Status)
	}
	for i := 0; i < 3; i++ {
		if r := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", jose, nil); r.Status != 200 || r.JSON()["status"] != "succeeded" {
			t.Fatalf("complete: %d %s", r.Status, r.Body)
		}
	}
	st := e.Do("GET", "/api/debtor/statement", jose, nil).JSON()
	for _, a := range st["accounts"].([]any) {
		if b := a.(map[string]any)["balance"].(float64); b != 0 {
			t.Fatalf("balance after paying everything: %v", st)
		}
	}
	rc := e.Do("GET", "/api/debtor/payments/"+id+"/receipt.pdf", jose, nil)
	if rc.Status != 200 || !strings.HasPrefix(string(rc.Body), "%PDF") {
		t.Fatalf("receipt: %d", rc.Status)
	}
	cmd := exec.Command(testtool.Bin(t, "pdftotext", "poppler-utils", ""), "-", "-")
	cmd.Stdin = strings.NewReader(string(rc.Body))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Recibo de pago", "José Núñez", "1.213.685,60", "Intereses de mora, factura A1", "17.685,60", "A2", "Pagado"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("receipt lacks %q:\n%s", want, out)
		}
	}
}

// The same on a phone, from the tenant's link: the company is named and
// not asked for; from the statement, paying everything takes three taps —
// Pay on the bar, Pay $X in the sheet, and the gateway's button — and
// lands on the receipt.
func TestDebtorBrowserPaysInThreeTaps(t *testing.T) {
	browsertest.Browser(t)
	e := newDebtorEnv(t)
	url := e.Listen()
	code := e.code("acme", "80123456")
	dir := t.TempDir()
	ctx := browsertest.New(t, 390, 844)
	clientRun(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientRun(t, ctx, "open the link", chromedp.Navigate(url+"/pay/acme"), chromedp.WaitVisible(chromedp.CSS("#d-company")))
	if name := browsertest.Text(t, ctx, "#d-company"); name != "Empresa acme" {
		t.Fatalf("company on the login page: %q", name)
	}
	if v := browsertest.Eval(t, ctx, `String(document.getElementById('d-tenant-row').hidden)`); v != "true" {
		t.Fatal("the company field is still asked for")
	}
	browsertest.Shot(t, ctx, dir, "pay-link-login-phone")
	clientRun(t, ctx, "login",
		chromedp.SendKeys(chromedp.CSS("#d-document"), "80123456"),
		chromedp.SendKeys(chromedp.CSS("#d-code"), code),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#pay-bar-go")))
	total := browsertest.Text(t, ctx, "#st-total")
	if bar := browsertest.Text(t, ctx, "#pay-bar"); !strings.Contains(bar, total) || !strings.Contains(total, "1.213.685,60") || !strings.Contains(bar, "Total a pagar hoy") {
		t.Fatalf("pay bar %q, statement total %q", bar, total)
	}
	// The bar stays in view at the bottom of the phone.
	if v := browsertest.Eval(t, ctx, `(() => { const r = document.getElementById('pay-bar').getBoundingClientRect(); return String(Math.round(r.bottom)); })()`); v != "844" {
		t.Fatalf("bar bottom at %s px, want 844", v)
	}
	if w := browsertest.Eval(t, ctx, `String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("phone page is %s px wide, want 390", w)
	}
	browsertest.ShotView(t, ctx, dir, "pay-statement-phone")
	taps := 0
	tap := func(sel, next string) {
		t.Helper()
		taps++
		clientRun(t, ctx, "tap "+sel, chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(next)))
	}
	tap("#pay-bar-go", "#pay-confirm")
	if txt := browsertest.Text(t, ctx, "#pay-confirm"); txt != "Pagar "+total {
		t.Fatalf("sheet button %q, want Pagar %s", txt, total)
	}
	browsertest.ShotView(t, ctx, dir, "pay-sheet-phone")
	tap("#pay-confirm", "#sandbox-pay")
	if txt := browsertest.Text(t, ctx, ".sandbox-banner"); !strings.Contains(txt, "MODO DE PRUEBA") {
		t.Fatalf("sandbox page not marked: %q", txt)
	}
	browsertest.Shot(t, ctx, dir, "pay-sandbox-phone")
	tap("#sandbox-pay", "#pay-done")
	if taps != 3 {
		t.Fatalf("statement to paid took %d taps, want 3", taps)
	}
	if txt := browsertest.Text(t, ctx, "#pay-done"); !strings.Contains(txt, "1.213.685,60") || !strings.Contains(txt, "recibo") {
		t.Fatalf("after paying: %q", txt)
	}
	// Nothing is owed: the bar is gone.
	if v := browsertest.Eval(t, ctx, `String(document.getElementById('pay-bar').hidden)`); v != "true" {
		t.Error("pay bar still shown with nothing owed")
	}
	browsertest.Shot(t, ctx, dir, "pay-done-phone")
}

// Picking invoices on the page pays exactly those, at the figure their
// cards show.
func TestDebtorBrowserPaysPickedInvoices(t *testing.T) {
	browsertest.Browser(t)
	e := newDebtorEnv(t)
	url := e.Listen()
	code := e.code("acme", "80123456")
	ctx := browsertest.New(t, 390, 844)
	clientRun(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientRun(t, ctx, "login", chromedp.Navigate(url+"/pay/acme"), chromedp.WaitVisible(chromedp.CSS("#d-document")),
		chromedp.SendKeys(chromedp.CSS("#d-document"), "80123456"),
		chromedp.SendKeys(chromedp.CSS("#d-code"), code),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#pay-bar-go")))
	a2 := browsertest.Text(t, ctx, `.invoice-card[data-id="A2"] .inv-total strong`)
	clientRun(t, ctx, "pick A2", chromedp.Click(chromedp.CSS(`.invoice-card[data-id="A2"] .pick-box`)))
	if bar := browsertest.Text(t, ctx, "#pay-bar"); !strings.Contains(bar, "Facturas marcadas: 1") || !strings.Contains(bar, a2) {
		t.Fatalf("bar after picking A2 (%s): %q", a2, bar)
	}
	clientRun(t, ctx, "open sheet", chromedp.Click(chromedp.CSS("#pay-bar-go")), chromedp.WaitVisible(chromedp.CSS("#pay-confirm")))
	if v := browsertest.Eval(t, ctx, `String(document.getElementById('pay-opt-picked').checked)`); v != "true" {
		t.Fatal("the picked invoices are not the sheet's choice")
	}
	if txt := browsertest.Text(t, ctx, "#pay-confirm"); txt != "Pagar "+a2 {
		t.Fatalf("sheet button %q, want Pagar %s", txt, a2)
	}
	clientRun(t, ctx, "pay", chromedp.Click(chromedp.CSS("#pay-confirm")), chromedp.WaitVisible(chromedp.CSS("#sandbox-pay")),
		chromedp.Click(chromedp.CSS("#sandbox-pay")), chromedp.WaitVisible(chromedp.CSS("#pay-done")))
	if txt := browsertest.Text(t, ctx, "#pay-done"); !strings.Contains(txt, a2) {
		t.Fatalf("receipt %q, want %s", txt, a2)
	}
	// A2 is paid; A1 is still owed and the bar says so.
	clientWait(t, ctx, `document.querySelector('.invoice-card[data-id="A2"] .pick-box') === null`)
	if bar := browsertest.Text(t, ctx, "#pay-bar"); !strings.Contains(bar, "1.017.685,60") {
		t.Fatalf("bar after paying A2: %q", bar)
	}
}
