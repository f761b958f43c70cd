package payments_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/i18n"
	"cartera/portal/strategy"
	"cartera/portal/testtool"
	"cartera/static"
)

// "Pay everything" charges what the statement asks for today: balance plus
// late interest less the policy's discount, account by account. The ledger
// gets the interest (+), the discount (−), the payment (− balance less
// discount) and the interest paid (−), so every balance equals its ledger,
// reports count no interest as recovery, and the receipt shows the
// interest. A full refund gives the interest back as interest.
func TestPayEverythingChargesTheStatement(t *testing.T) {
	e, ctx := env(t)
	svc := e.App.Payments
	// 31 March 2026: A1 (due 1 Jan) is 89 days late, A2 (1 Feb) 58, B1 (1 Mar) 30.
	e.App.DebtorsSvc.Now = func() time.Time { return time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC) }
	// 10 % off to settle 30 or more days late.
	pol := strategy.Default()
	pol.Settlement = []strategy.SettlementTier{{MinDaysPastDue: 30, PercentBP: 1000}}
	if _, err := e.App.Web.Policy.Put(e.Ctx(), "acme", pol); err != nil {
		t.Fatal(err)
	}
	st, err := e.App.DebtorsSvc.Statement(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]struct{ bal, intr, disc int64 }{}
	var wantInterest, wantDiscount, wantBalance int64
	for _, l := range st.Lines {
		lines["acme:"+l.ID] = struct{ bal, intr, disc int64 }{l.Balance, l.Interest, l.Discount}
		wantInterest += l.Interest
		wantDiscount += l.Discount
		wantBalance += l.Balance
		if l.Interest <= 0 || l.Discount != l.Balance/10 {
			t.Fatalf("statement line %+v: want interest and a 10 %% discount", l)
		}
	}
	if len(st.Lines) != 3 || wantBalance != 18000000 {
		t.Fatalf("statement %+v", st.Lines)
	}

	p, _, err := svc.Checkout(ctx, payments.CheckoutInput{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Amount != st.Total || st.Total != wantBalance+wantInterest-wantDiscount {
		t.Fatalf("pay everything charges %d, the statement says %d", p.Amount, st.Total)
	}
	for i := 0; i < 2; i++ { // a repeat applies nothing
		if _, err := svc.Complete(ctx, "acme", p.ID, "sbx_ref", p.Amount, "COP"); err != nil {
			t.Fatal(err)
		}
	}
	sc := e.App.DB.Tenant("acme")
	for id, l := range lines {
		if b := balance(t, e, strings.TrimPrefix(id, "acme:")); b != 0 {
			t.Fatalf("%s balance %d after paying everything", id, b)
		}
		var entries []accounts.LedgerEntry
		if err := sc.C("ledger").Find(ctx, bson.D{{Key: "accountId", Value: id}}, &entries); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, le := range entries {
			got[le.Kind] += le.Amount
		}
		// Placement, discount (credit), interest paid, principal paid: late
		// interest is never booked, only its payment (interest first).
		if got[accounts.KindPayment] != -(l.bal-l.disc) || got[accounts.KindCredit] != -l.disc || got[accounts.KindInterest] != 0 || got[accounts.KindInterestPaid] != -l.intr || len(entries) != 4 {
			t.Errorf("%s ledger %v (%d entries), want payment %d, credit %d, interest paid %d", id, got, len(entries), -(l.bal - l.disc), -l.disc, -l.intr)
		}
	}
	if drift, err := accounts.Reconcile(ctx, sc); err != nil || len(drift) != 0 {
		t.Fatalf("balance != ledger: %+v %v", drift, err)
	}
	// Reports: recovery is what was paid on the invoices, not the interest.
	r := e.Do("GET", "/api/tenants/acme/reports/summary?from=2026-01-01&to=2026-12-31", e.Admin, nil)
	if r.Status != 200 {
		t.Fatalf("summary %d %s", r.Status, r.Body)
	}
	var sum struct {
		Recovered struct {
			Amount int64 `json:"amount"`
		} `json:"recovered"`
	}
	r.Decode(t, &sum)
	if sum.Recovered.Amount != wantBalance-wantDiscount {
		t.Errorf("reports recovered %d, want %d (no interest)", sum.Recovered.Amount, wantBalance-wantDiscount)
	}
	// The remittance accounts for every peso the debtor paid, interest too.
	if r := e.Do("GET", "/api/tenants/acme/reports/remittance.pdf?from=2026-01-01&to=2026-12-31", e.Admin, nil); r.Status != 200 {
		t.Fatalf("remittance.pdf %d", r.Status)
	}
	remit := func() int64 {
		t.Helper()
		rr, err := e.App.Web.Reports.Remittance(actor.With(ctx, actor.Actor{Role: "system"}), "acme", "2026-01-01", "2026-12-31")
		if err != nil {
			t.Fatal(err)
		}
		return rr.Collected
	}
	if got := remit(); got != p.Amount {
		t.Errorf("remittance collected %d, the debtor paid %d", got, p.Amount)
	}
	// The receipt names the interest.
	cat, err := i18n.Load(static.FS, "es", "en")
	if err != nil {
		t.Fatal(err)
	}
	receipt := func(lang string) []byte {
		pdf, err := payments.Receipt(payments.ReceiptData{TenantName: "Empresa acme", Locale: "es-CO", DebtorName: "Deudor Uno", Payment: mustGet(t, svc, ctx, p.ID),
			Invoices: map[string]string{"acme:A1": "A1", "acme:A2": "A2", "acme:B1": "B1"}, Lang: lang, T: cat.T})
		if err != nil {
			t.Fatal(err)
		}
		return pdf
	}
	pdf := receipt("es")
	if txt := testtool.PDFText(t, receipt("en")); !strings.Contains(txt, "Late interest, invoice A1") || !strings.Contains(txt, "Discounts granted") || strings.Contains(txt, "Factura") {
		t.Errorf("receipt in English:\n%s", txt)
	}
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" { // to look at it
		_ = os.WriteFile(filepath.Join(d, "receipt-everything.pdf"), pdf, 0o644)
	}
	if txt := testtool.PDFText(t, pdf); !strings.Contains(txt, "Intereses de mora, factura A1") || !strings.Contains(txt, "Descuentos concedidos") {
		t.Errorf("receipt text:\n%s", txt)
	}
	// A full refund gives back the interest as interest, then the payments.
	if _, err := svc.Reverse(ctx, "acme", p.ID, "refund:ch_all", p.Amount, "reembolso"); err != nil {
		t.Fatal(err)
	}
	// The books are as before the payment: principal back (discount
	// revoked), the interest owed again, the same statement on the same day.
	var owed int64
	for _, inv := range []string{"A1", "A2", "B1"} {
		owed += balance(t, e, inv)
	}
	if owed != wantBalance {
		t.Fatalf("principal after a full refund %d, want %d", owed, wantBalance)
	}
	if st2, err := e.App.DebtorsSvc.Statement(ctx); err != nil || st2.Owed != st.Owed || st2.Total != st.Total {
		t.Fatalf("statement after a full refund: owed %d total %d, before the payment %d %d (%v)", st2.Owed, st2.Total, st.Owed, st.Total, err)
	}
	if drift, err := accounts.Reconcile(ctx, sc); err != nil || len(drift) != 0 {
		t.Fatalf("after refund: %+v %v", drift, err)
	}
	if got := remit(); got != 0 {
		t.Errorf("remittance after a full refund: %d collected, want 0", got)
	}
}

func mustGet(t *testing.T, svc *payments.Service, ctx context.Context, id string) payments.Payment {
	t.Helper()
	p, err := svc.Get(ctx, "acme", id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
