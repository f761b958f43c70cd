package web_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/browsertest"
	"cartera/portal/config"
)

// On a phone, a Mexican debtor chooses cash at OXXO: the sheet offers card,
// OXXO and SPEI and says when OXXO counts; the checkout goes to the
// tenant's Stripe (stripe-mock here; its hosted page, which would show the
// voucher, is not reachable offline), and once Stripe says the voucher is
// issued the statement shows the payment in progress.
func TestOxxoBrowserDebtorChoosesCashAtOxxo(t *testing.T) {
	browsertest.Browser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e := mexaEnvWith(t, func(c *config.Config) { c.PublicURL = base })
	go func() { _ = e.App.HTTP.Listener(ln) }()
	t.Cleanup(func() { _ = e.App.HTTP.ShutdownWithTimeout(5 * time.Second) })
	code := e.code("mexa", "ANA800101")
	dir := t.TempDir()
	ctx := browsertest.New(t, 390, 844)
	clientRun(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientRun(t, ctx, "login", chromedp.Navigate(base+"/pay/mexa"), chromedp.WaitVisible(chromedp.CSS("#d-document")),
		chromedp.SendKeys(chromedp.CSS("#d-document"), "ANA800101"),
		chromedp.SendKeys(chromedp.CSS("#d-code"), code),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#pay-bar-go")))
	clientRun(t, ctx, "open the sheet", chromedp.Click(chromedp.CSS("#pay-bar-go")), chromedp.WaitVisible(chromedp.CSS("#pay-methods")))
	if m := browsertest.Text(t, ctx, "#pay-methods"); !strings.Contains(m, "Tarjeta") || !strings.Contains(m, "Efectivo en OXXO") || !strings.Contains(m, "Transferencia SPEI") {
		t.Fatalf("methods %q", m)
	}
	clientRun(t, ctx, "choose OXXO", chromedp.Click(chromedp.CSS("#pay-method-oxxo")))
	if hint := browsertest.Text(t, ctx, "#pay-method-hint"); !strings.Contains(hint, "ficha") || !strings.Contains(hint, "OXXO") {
		t.Fatalf("OXXO hint %q", hint)
	}
	browsertest.ShotView(t, ctx, dir, "oxxo-sheet-phone")
	clientRun(t, ctx, "pay at OXXO", chromedp.Click(chromedp.CSS("#pay-confirm")))
	// The checkout was opened on the tenant's Stripe with OXXO.
	var list []payments.Payment
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(list) == 0; time.Sleep(200 * time.Millisecond) {
		_ = e.App.DB.C("payments").Find(e.Ctx(), bson.D{{Key: "tenantId", Value: "mexa"}, {Key: "method", Value: "oxxo"}}, &list)
	}
	if len(list) != 1 || list[0].Gateway != "stripe" || list[0].Amount != 784000 {
		t.Fatalf("OXXO checkout: %+v", list)
	}
	p := list[0]
	if r := stripeTo(e.Env, "/api/webhooks/stripe/mexa", mexaEvent("evt_b1", "checkout.session.completed", p.ID, "unpaid", "pi_b1", "oxxo", p.Amount), mexaWebhookSecret); r.Status != 200 {
		t.Fatalf("voucher issued: %d %s", r.Status, r.Body)
	}
	clientRun(t, ctx, "back to the portal", chromedp.Navigate(base+"/debtor"), chromedp.WaitVisible(chromedp.CSS("#pay-pending-list")))
	if item := browsertest.Text(t, ctx, "#pay-pending-list"); !strings.Contains(item, "$7,840.00") || !strings.Contains(item, "Efectivo en OXXO") {
		t.Fatalf("pending item %q", item)
	}
	browsertest.ShotView(t, ctx, dir, "oxxo-pending-phone")
}
