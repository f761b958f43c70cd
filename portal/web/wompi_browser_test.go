package web_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cartera/portal/browsertest"
	"cartera/portal/config"
)

// On a phone, the debtor of a Colombian tenant with Wompi chooses PSE in
// the pay sheet, goes through the (fake) Wompi checkout and comes back to
// the portal: the payment shows as in progress until Wompi's APPROVED
// event, then as received.
func TestWompiBrowserDebtorPaysByPSE(t *testing.T) {
	browsertest.Browser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e, fake, srv := wompiEnv(t, func(c *config.Config) { c.PublicURL = base }) // Wompi redirects back here
	go func() { _ = e.App.HTTP.Listener(ln) }()
	t.Cleanup(func() { _ = e.App.HTTP.ShutdownWithTimeout(5 * time.Second) })
	code := e.code("acme", "80123456")
	dir := t.TempDir()
	ctx := browsertest.New(t, 390, 844)
	clientRun(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientRun(t, ctx, "login", chromedp.Navigate(base+"/pay/acme"), chromedp.WaitVisible(chromedp.CSS("#d-document")),
		chromedp.SendKeys(chromedp.CSS("#d-document"), "80123456"),
		chromedp.SendKeys(chromedp.CSS("#d-code"), code),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#pay-bar-go")))
	clientRun(t, ctx, "open the sheet", chromedp.Click(chromedp.CSS("#pay-bar-go")), chromedp.WaitVisible(chromedp.CSS("#pay-methods")))
	methods := browsertest.Text(t, ctx, "#pay-methods")
	for _, want := range []string{"¿Cómo quiere pagar?", "PSE (débito desde su banco)", "Nequi", "Transferencia Bancolombia", "Tarjeta"} {
		if !strings.Contains(methods, want) {
			t.Fatalf("methods %q lack %q", methods, want)
		}
	}
	if v := browsertest.Eval(t, ctx, `String(document.getElementById('pay-method-pse').checked)`); v != "true" {
		t.Fatal("PSE is not the default for a Colombian tenant with Wompi")
	}
	if hint := browsertest.Text(t, ctx, "#pay-method-hint"); !strings.Contains(hint, "Wompi") || !strings.Contains(hint, "pendiente") {
		t.Fatalf("PSE hint %q", hint)
	}
	browsertest.ShotView(t, ctx, dir, "wompi-sheet-pse-phone")
	clientRun(t, ctx, "pay by PSE", chromedp.Click(chromedp.CSS("#pay-confirm")), chromedp.WaitVisible(chromedp.CSS("#pay-pending")))
	tx, ok := fake.Last()
	if !ok || tx.PaymentMethodType != "PSE" || !strings.HasPrefix(browsertest.Eval(t, ctx, `location.href`), base+"/debtor?paid=") {
		t.Fatalf("back from Wompi: %+v at %s (fake at %s)", tx, browsertest.Eval(t, ctx, `location.href`), srv.URL)
	}
	body, sum := fake.Event(tx)
	if r := wompiDeliver(e.Env, body, sum); r.Status != 200 {
		t.Fatalf("pending event: %d %s", r.Status, r.Body)
	}
	clientRun(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#pay-pending-list")))
	if item := browsertest.Text(t, ctx, "#pay-pending-list"); !strings.Contains(item, "1.213.685,60") || !strings.Contains(item, "PSE") || !strings.Contains(item, "pendiente") {
		t.Fatalf("pending item %q", item)
	}
	browsertest.ShotView(t, ctx, dir, "wompi-pending-phone")
	// Paying again while it is on its way: the sheet says so first.
	clientRun(t, ctx, "open the sheet again", chromedp.Click(chromedp.CSS("#pay-bar-go")), chromedp.WaitVisible(chromedp.CSS("#pay-pending-note")))
	if note := browsertest.Text(t, ctx, "#pay-pending-note"); !strings.Contains(note, "1.213.685,60") || !strings.Contains(note, "saldo a su favor") {
		t.Fatalf("pending note %q", note)
	}
	body, sum = fake.Event(fake.Set(tx.ID, "APPROVED"))
	if r := wompiDeliver(e.Env, body, sum); r.Status != 200 {
		t.Fatalf("approved event: %d %s", r.Status, r.Body)
	}
	clientRun(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#pay-done")))
	if txt := browsertest.Text(t, ctx, "#pay-done"); !strings.Contains(txt, "1.213.685,60") {
		t.Fatalf("after approval %q", txt)
	}
	if n := browsertest.Eval(t, ctx, `String(document.querySelectorAll('#pay-pending-list').length)`); n != "0" {
		t.Fatal("still listed as in progress after approval")
	}
	browsertest.Shot(t, ctx, dir, "wompi-paid-phone")
}
