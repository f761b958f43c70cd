package payments_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const whsec = "whsec_test_secret_for_cartera"

// env is a tenant with one debtor owing three invoices (oldest first:
// A1 100.000, A2 50.000, B1 30.000 — in centavos).
func env(t *testing.T) (*apptest.Env, context.Context) {
	t.Helper()
	e := apptest.New(t, apptest.Sandbox, func(c *config.Config) { c.StripeWebhookKey = whsec })
	e.Tenant("acme")
	m := e.Import("acme", e.Admin, "p.csv", []byte("documento,nombre,factura,vencimiento,valor\n"+
		"777,Deudor Uno,A2,2026-02-01,50000\n777,Deudor Uno,A1,2026-01-01,100000\n777,Deudor Uno,B1,2026-03-01,30000\n888,Otro,Z1,2026-01-01,999\n"))
	if int(m["inserted"].(float64)) != 4 {
		t.Fatalf("import %v", m)
	}
	// Before every due date: no late interest, so "pay everything" is the
	// balances (interest is priced in TestPayEverythingChargesTheStatement).
	e.App.DebtorsSvc.Now = func() time.Time { return time.Date(2025, 12, 15, 15, 0, 0, 0, time.UTC) }
	ctx := actor.With(context.Background(), actor.Actor{UserID: "acme:777", Role: "debtor", Tenants: []string{"acme"}})
	return e, ctx
}

func balance(t *testing.T, e *apptest.Env, inv string) int64 {
	t.Helper()
	var a accounts.Account
	if err := e.App.DB.Tenant("acme").C("accounts").Get(context.Background(), "acme:"+inv, &a); err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

func TestCheckoutAllocationAndSandboxCompletionOnce(t *testing.T) {
	e, ctx := env(t)
	svc := e.App.Payments
	cases := []struct {
		name string
		in   payments.CheckoutInput
		want int64
		err  bool
	}{
		// 15 Dec 2025 is at least 5 days before every due date: the house
		// policy's 2 % early-payment discount applies to settling in full.
		{"pay everything", payments.CheckoutInput{}, 18000000 - 360000, false},
		{"any amount", payments.CheckoutInput{Amount: 12000000}, 12000000, false},
		{"these invoices", payments.CheckoutInput{AccountIDs: []string{"B1"}}, 3000000 - 60000, false},
		{"another debtor's invoice", payments.CheckoutInput{AccountIDs: []string{"Z1"}}, 0, true},
		{"more than owed", payments.CheckoutInput{Amount: 18000001}, 0, true},
		{"below the minimum", payments.CheckoutInput{Amount: 500}, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, sess, err := svc.Checkout(ctx, c.in)
			if c.err {
				if err == nil {
					t.Fatalf("want an error, got %+v", p)
				}
				return
			}
			if err != nil || p.Amount != c.want || !strings.Contains(sess.URL, "/api/payments/sandbox/") {
				t.Fatalf("p=%+v sess=%+v err=%v", p, sess, err)
			}
		})
	}
	// 120.000 pays A1 (oldest) in full and 20.000 of A2.
	p, _, err := svc.Checkout(ctx, payments.CheckoutInput{Amount: 12000000})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Allocation) != 2 || p.Allocation[0].ID != "acme:A1" || p.Allocation[0].Amount != 10000000 || p.Allocation[1].Amount != 2000000 {
		t.Fatalf("allocation %+v", p.Allocation)
	}
	// 50 concurrent completions (double clicks, retries) apply it once.
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Complete(ctx, "acme", p.ID, "sbx_ref", p.Amount, "COP"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if a1, a2 := balance(t, e, "A1"), balance(t, e, "A2"); a1 != 0 || a2 != 3000000 {
		t.Fatalf("balances A1=%d A2=%d, want 0 and 3000000", a1, a2)
	}
	drift, err := accounts.Reconcile(ctx, e.App.DB.Tenant("acme"))
	if err != nil || len(drift) != 0 {
		t.Fatalf("ledger drift %+v %v", drift, err)
	}
	// Paid in full, the invoice is marked paid.
	var a accounts.Account
	_ = e.App.DB.Tenant("acme").C("accounts").Get(ctx, "acme:A1", &a)
	if a.Status != accounts.StatusPaid {
		t.Fatalf("A1 status %s", a.Status)
	}
	pdf, err := payments.Receipt(payments.ReceiptData{TenantName: "Empresa acme", Locale: "es-CO", DebtorName: "Deudor Uno", Payment: p, Invoices: map[string]string{"acme:A1": "A1", "acme:A2": "A2"}})
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("receipt: %v", err)
	}
}

func event(id, typ, object string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2023-10-16","created":%d,"type":%q,"data":{"object":%s}}`, id, time.Now().Unix(), typ, object))
}

func session(paymentID string, amount int64, pi string) string {
	return fmt.Sprintf(`{"id":"cs_test_1","object":"checkout.session","payment_status":"paid","amount_total":%d,"currency":"cop","payment_intent":%q,"metadata":{"tenant":"acme","payment":%q,"debtor":"acme:777"}}`, amount, pi, paymentID)
}

func deliver(e *apptest.Env, payload []byte, ts time.Time, secret string) apptest.Resp {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: ts})
	req, _ := http.NewRequest("POST", "/api/webhooks/stripe", strings.NewReader(string(payload)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sp.Header)
	return e.Request(req)
}

func TestStripeWebhooks(t *testing.T) {
	e, ctx := env(t)
	svc := e.App.Payments
	p, _, err := svc.Checkout(ctx, payments.CheckoutInput{})
	if err != nil {
		t.Fatal(err)
	}
	completed := event("evt_1", "checkout.session.completed", session(p.ID, p.Amount, "pi_1"))

	if r := deliver(e, completed, time.Now(), "whsec_wrong"); r.Status != 400 {
		t.Fatalf("bad signature: %d", r.Status)
	}
	if r := deliver(e, completed, time.Now().Add(-10*time.Minute), whsec); r.Status != 400 {
		t.Fatalf("stale timestamp: %d", r.Status)
	}
	if n, _ := e.App.DB.C("webhooks").Count(ctx, bson.D{}); n != 0 {
		t.Fatalf("refused deliveries stored %d events", n)
	}
	if balance(t, e, "A1") != 10000000 {
		t.Fatal("a refused webhook moved money")
	}
	// Three deliveries, two of them concurrent: recorded once.
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := deliver(e, completed, time.Now(), whsec); r.Status != 200 {
				t.Errorf("delivery: %d %s", r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	for _, inv := range []string{"A1", "A2", "B1"} {
		if b := balance(t, e, inv); b != 0 {
			t.Fatalf("%s balance %d after payment", inv, b)
		}
	}
	if r := deliver(e, event("evt_x", "customer.created", `{"id":"cus_1","object":"customer"}`), time.Now(), whsec); r.Status != 200 {
		t.Fatalf("unknown event: %d", r.Status)
	}
	// A refund of 40.000 reverses the newest allocation first (B1 then A2).
	refund := event("evt_2", "charge.refunded", `{"id":"ch_1","object":"charge","amount_refunded":4000000,"payment_intent":"pi_1"}`)
	for i := 0; i < 2; i++ {
		if r := deliver(e, refund, time.Now(), whsec); r.Status != 200 {
			t.Fatalf("refund: %d %s", r.Status, r.Body)
		}
	}
	// B1 had 2,940,000 paid with 60,000 of discount: refunded in full it owes
	// 3,000,000 again (the refund revokes the discount); the other 1,060,000
	// comes off A2's 4,900,000 paid, which loses its 100,000 discount too.
	if b1, a2 := balance(t, e, "B1"), balance(t, e, "A2"); b1 != 3000000 || a2 != 1160000 {
		t.Fatalf("after refund B1=%d A2=%d", b1, a2)
	}
	// The completion arriving again after the refund moves nothing back.
	if r := deliver(e, event("evt_3", "checkout.session.completed", session(p.ID, p.Amount, "pi_1")), time.Now(), whsec); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if b1 := balance(t, e, "B1"); b1 != 3000000 {
		t.Fatalf("late duplicate completion re-applied: B1=%d", b1)
	}
	got, _ := svc.Get(actor.With(ctx, actor.Actor{UserID: "acme:777", Role: "debtor", Tenants: []string{"acme"}}), "acme", p.ID)
	// Partly refunded: still succeeded, with the refund recorded once.
	if got.Status != payments.StatusSucceeded || got.Refunded != 4000000 {
		t.Fatalf("status %s, refunded %d", got.Status, got.Refunded)
	}
	if drift, err := accounts.Reconcile(ctx, e.App.DB.Tenant("acme")); err != nil || len(drift) != 0 {
		t.Fatalf("drift %+v %v", drift, err)
	}
}

func TestWebhookAmountMismatchAndOutOfOrder(t *testing.T) {
	e, ctx := env(t)
	svc := e.App.Payments
	p, _, _ := svc.Checkout(ctx, payments.CheckoutInput{AccountIDs: []string{"B1"}})
	// The gateway says another amount: flagged, never credited.
	if r := deliver(e, event("evt_m", "checkout.session.completed", session(p.ID, 1, "pi_m")), time.Now(), whsec); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if b := balance(t, e, "B1"); b != 3000000 {
		t.Fatalf("mismatched amount credited: %d", b)
	}
	got, _ := svc.Get(ctx, "acme", p.ID)
	if got.Status != payments.StatusFlagged {
		t.Fatalf("status %s", got.Status)
	}
	// A refund that arrives before its payment waits, then applies.
	q, _, _ := svc.Checkout(ctx, payments.CheckoutInput{AccountIDs: []string{"A2"}})
	if r := deliver(e, event("evt_r", "charge.refunded", `{"id":"ch_9","object":"charge","amount_refunded":1000000,"payment_intent":"pi_9"}`), time.Now(), whsec); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if r := deliver(e, event("evt_c", "checkout.session.completed", session(q.ID, q.Amount, "pi_9")), time.Now(), whsec); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if b := balance(t, e, "A2"); b != 0 {
		t.Fatalf("A2 after payment %d", b)
	}
	n, err := svc.ReprocessPending(ctx)
	if err != nil || n != 1 {
		t.Fatalf("reprocessed %d %v", n, err)
	}
	// 1,000,000 refunded of 4,900,000 paid; the 100,000 early-payment
	// discount is revoked with it.
	if b := balance(t, e, "A2"); b != 1100000 {
		t.Fatalf("A2 after the late refund %d", b)
	}
}

// stripeMock starts Stripe's official mock server from the pinned Go tool
// dependency.
func stripeMock(t *testing.T) string {
	t.Helper()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	port2 := ln2.Addr().(*net.TCPAddr).Port
	ln2.Close()
	cmd := exec.Command("go", "tool", "stripe-mock", "-http-port", fmt.Sprint(port), "-https-port", fmt.Sprint(port2))
	if err := cmd.Start(); err != nil {
		t.Fatalf("stripe-mock: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return base
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("stripe-mock did not start")
	return ""
}

func TestStripeCheckoutAgainstStripeMock(t *testing.T) {
	base := stripeMock(t)
	gw := payments.NewStripe("sk_test_123", base)
	a, err := gw.Checkout(context.Background(), payments.CheckoutRequest{PaymentID: "acme:p1", Tenant: "acme", Debtor: "acme:777", Amount: 1500000, Currency: "COP",
		Description: "Pago a Empresa", SuccessURL: "http://x/ok", CancelURL: "http://x/no"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := gw.Checkout(context.Background(), payments.CheckoutRequest{PaymentID: "acme:p2", Tenant: "acme", Debtor: "acme:777", Amount: 10, Currency: "COP",
		Description: "Pago", SuccessURL: "http://x/ok", CancelURL: "http://x/no"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.ID, "cs_") || a.ID == b.ID || a.URL == "" {
		t.Fatalf("sessions %+v %+v", a, b)
	}
}

// A crash after the money was imputed but before the payment moved to
// succeeded leaves the accounts paid and the payment pending; the
// gateway's retry then records the payment with the same allocation and
// imputes nothing again.
func TestCompletionAfterACrashImputesOnce(t *testing.T) {
	e, ctx := env(t)
	svc := e.App.Payments
	p, _, err := svc.Checkout(ctx, payments.CheckoutInput{Amount: 12000000})
	if err != nil {
		t.Fatal(err)
	}
	if err := payments.ImputeOnly(ctx, svc, "acme", p.ID, "sbx_ref"); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Get(ctx, "acme", p.ID); got.Status != payments.StatusPending {
		t.Fatalf("status after the crash %s, want pending", got.Status)
	}
	if a1, a2 := balance(t, e, "A1"), balance(t, e, "A2"); a1 != 0 || a2 != 3000000 {
		t.Fatalf("after the crash A1=%d A2=%d, want 0 and 3000000", a1, a2)
	}
	for i := 0; i < 2; i++ { // the retry, then a duplicate of it
		got, err := svc.Complete(ctx, "acme", p.ID, "sbx_ref", p.Amount, "COP")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != payments.StatusSucceeded || got.CompletedAt == nil || len(got.Allocation) != 2 ||
			got.Allocation[0].ID != "acme:A1" || got.Allocation[0].Amount != 10000000 ||
			got.Allocation[1].ID != "acme:A2" || got.Allocation[1].Amount != 2000000 || got.Credit != 0 {
			t.Fatalf("completion %d: %+v", i, got)
		}
	}
	if a1, a2, b1 := balance(t, e, "A1"), balance(t, e, "A2"), balance(t, e, "B1"); a1 != 0 || a2 != 3000000 || b1 != 3000000 {
		t.Fatalf("after the retry A1=%d A2=%d B1=%d, want 0, 3000000 and 3000000", a1, a2, b1)
	}
	var paid int64
	n := 0
	err = e.App.DB.Tenant("acme").C("ledger").Each(ctx, bson.D{}, nil, func(raw bson.Raw) error {
		var l accounts.LedgerEntry
		if err := bson.Unmarshal(raw, &l); err != nil {
			return err
		}
		if c := accounts.Collected(l.Kind, l.Amount); c != 0 {
			paid += c
			n++
		}
		return nil
	})
	if err != nil || n != 2 || paid != 12000000 {
		t.Fatalf("ledger payments: %d entries, %d total, %v", n, paid, err)
	}
	drift, err := accounts.Reconcile(ctx, e.App.DB.Tenant("acme"))
	if err != nil || len(drift) != 0 {
		t.Fatalf("ledger drift %+v %v", drift, err)
	}
}
