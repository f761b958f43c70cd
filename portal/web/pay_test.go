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

// The same on a phone: pay everything, confirm on the clearly marked test
// page, come back to a receipt.
func TestDebtorBrowserPaysInSandbox(t *testing.T) {
	browsertest.Browser(t)
	e := newDebtorEnv(t)
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
		chromedp.WaitVisible(chromedp.CSS("#pay-all")))
	if txt := browsertest.Text(t, ctx, "#pay-all"); !strings.Contains(txt, "1.213.685,60") || txt != "Pagar todo ("+browsertest.Text(t, ctx, "#st-total")+")" {
		t.Fatalf("pay button %q", txt)
	}
	browsertest.Shot(t, ctx, dir, "pay-statement-phone")
	clientRun(t, ctx, "checkout", chromedp.Click(chromedp.CSS("#pay-all")), chromedp.WaitVisible(chromedp.CSS("#sandbox-pay")))
	if txt := browsertest.Text(t, ctx, ".sandbox-banner"); !strings.Contains(txt, "MODO DE PRUEBA") {
		t.Fatalf("sandbox page not marked: %q", txt)
	}
	browsertest.Shot(t, ctx, dir, "pay-sandbox-phone")
	clientRun(t, ctx, "pay", chromedp.Click(chromedp.CSS("#sandbox-pay")), chromedp.WaitVisible(chromedp.CSS("#pay-done")))
	if txt := browsertest.Text(t, ctx, "#pay-done"); !strings.Contains(txt, "1.213.685,60") || !strings.Contains(txt, "recibo") {
		t.Fatalf("after paying: %q", txt)
	}
	browsertest.Shot(t, ctx, dir, "pay-done-phone")
}
