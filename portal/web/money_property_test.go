package web_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/money"
	"cartera/portal/testtool"
)

// Random sequences through the real paths (HTTP → handler → domain →
// embedded store): manual payments, online payments of any amount and of
// everything, refunds of part of an online payment, refused overpayments,
// days passing. After every step:
//   - paying X lowers what the statement says is owed by exactly X;
//   - no principal below zero, and every balance equals its ledger;
//   - "pay everything" asks for exactly the statement's total;
//   - the collector's letter states the statement's owed figure.
func TestMoneyRandomSequencesThroughEveryPath(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { moneySequence(t, seed) })
	}
}

func moneySequence(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 11))
	extra := []string{
		fmt.Sprintf("555,Deudora Cinco,M2,2026-0%d-15,%d.00", 2+rng.IntN(3), 500_000+rng.IntN(3_000_000)),
		fmt.Sprintf("555,Deudora Cinco,M3,2026-0%d-10,%d.00", 5+rng.IntN(3), 100_000+rng.IntN(900_000)),
	}
	e := newMoneyEnv(t, int64(1_000_000+rng.IntN(9_000_000))*100, "2026-01-20", extra...)
	colID := ""
	for _, u := range []string{"M2", "M3"} {
		if colID == "" {
			var d struct {
				CollectorID string `json:"collectorId"`
			}
			e.Do("GET", "/api/tenants/acme/accounts/M1", e.manager, nil).Decode(t, &d)
			colID = d.CollectorID
		}
		if r := e.Do("POST", "/api/tenants/acme/assignments", e.manager, map[string]any{"accountIds": []string{u}, "collectorId": colID}); r.Status != 200 {
			t.Fatalf("assign %s: %d", u, r.Status)
		}
	}
	day := time.Date(2026, 4, 1, 15, 0, 0, 0, time.UTC)
	setDay := func(d time.Time) {
		day = d
		now := func() time.Time { return day }
		e.App.DebtorsSvc.Now, e.App.Web.Work.Now, e.App.Web.Queue.Now, e.App.Web.Plans.Now, e.App.Web.Letters.Now = now, now, now, now, now
		e.App.Ladder.Now, e.App.Outbox.Now, e.App.Bureau.Now = now, now, now
	}
	setDay(day)
	var online []string // succeeded online payments
	sc := e.App.DB.Tenant("acme")
	check := func(step string) moneyStatement {
		t.Helper()
		st := e.statement()
		var sum int64
		for _, a := range st.Accounts {
			sum += a.Owed
			if a.Balance < 0 {
				t.Fatalf("%s: negative principal %+v", step, a)
			}
		}
		if sum != st.Owed {
			t.Fatalf("%s: lines add to %d, owed %d", step, sum, st.Owed)
		}
		if drift, err := accounts.Reconcile(e.Ctx(), sc); err != nil || len(drift) != 0 {
			t.Fatalf("%s: balance != ledger %+v %v", step, drift, err)
		}
		return st
	}
	for step := range 14 {
		before := check(fmt.Sprint("before step ", step))
		name := ""
		op := rng.IntN(6)
		if op == 3 && step < 10 {
			op = 2 // settle everything only late in a sequence, so the rest gets exercised
		}
		if before.Owed == 0 {
			op = 4 // nothing owed: only a refund can change that
		}
		switch {
		case op <= 1: // a collector records a transfer on one account
			a := before.Accounts[rng.IntN(len(before.Accounts))]
			x := 1 + rng.Int64N(a.Owed)
			name = fmt.Sprintf("manual %d on %s", x, a.ID)
			r := e.Do("POST", "/api/tenants/acme/accounts/"+a.ID+"/payments", e.collector,
				map[string]any{"amount": x, "method": "transfer", "reference": fmt.Sprintf("S%d-%d", seed, step)})
			if r.Status != 201 {
				t.Fatalf("%s: %d %s", name, r.Status, r.Body)
			}
			if after := e.statement(); after.Owed != before.Owed-x {
				t.Fatalf("%s: owed %d → %d", name, before.Owed, after.Owed)
			}
		case op == 2: // the debtor pays any amount online
			x := min(before.Owed, 100_000+rng.Int64N(before.Owed))
			name = fmt.Sprintf("online %d", x)
			id := e.payOnline(t, map[string]any{"amount": x})
			online = append(online, id)
			if after := e.statement(); after.Owed != before.Owed-x {
				t.Fatalf("%s: owed %d → %d", name, before.Owed, after.Owed)
			}
		case op == 3: // pay everything: exactly the statement's total, then nothing is owed
			name = "everything"
			r := e.Do("POST", "/api/debtor/checkout", e.debtor, map[string]any{})
			if r.Status != 200 || int64(r.JSON()["amount"].(float64)) != before.Total {
				t.Fatalf("%s: %d %s (statement total %d)", name, r.Status, r.Body, before.Total)
			}
			id := r.JSON()["paymentId"].(string)
			if c := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", e.debtor, nil); c.Status != 200 {
				t.Fatalf("%s: complete %d", name, c.Status)
			}
			online = append(online, id)
			if after := e.statement(); after.Owed != 0 {
				t.Fatalf("%s: still owed %d", name, after.Owed)
			}
		case op == 4: // part of an online payment is refunded
			if len(online) == 0 {
				name = "no refund"
				break
			}
			id := online[rng.IntN(len(online))]
			name = "refund of " + id
			if _, err := e.App.Payments.Reverse(e.Ctx(), "acme", sc.ID(id), fmt.Sprintf("refund:s%d:%d", seed, step), 50_000+rng.Int64N(500_000), "reembolso"); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			// Money given back is owed again, with the interest since its payment.
			if after := e.statement(); after.Owed < before.Owed {
				t.Fatalf("%s: owed fell %d → %d", name, before.Owed, after.Owed)
			}
		case op == 5: // a payment above what one account owes is refused and changes nothing
			a := before.Accounts[0]
			name = "overpayment refused"
			r := e.Do("POST", "/api/tenants/acme/accounts/"+a.ID+"/payments", e.collector,
				map[string]any{"amount": a.Owed + 1, "method": "cash", "reference": fmt.Sprintf("O%d-%d", seed, step)})
			if r.Status != 422 || r.JSON()["fields"].(map[string]any)["owed"] != fmt.Sprint(a.Owed) {
				t.Fatalf("%s: %d %s", name, r.Status, r.Body)
			}
			if after := e.statement(); after.Owed != before.Owed {
				t.Fatalf("%s: owed moved %d → %d", name, before.Owed, after.Owed)
			}
		}
		st := check("after " + name)
		// The letter says what the statement says, on the same day.
		if st.Owed > 0 {
			r := e.Do("GET", "/api/tenants/acme/accounts/M1/letter.pdf?level=1", e.collector, nil)
			if r.Status != 200 {
				t.Fatalf("letter: %d", r.Status)
			}
			norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
			if want, txt := norm(money.Format(st.Owed, "COP", "es-CO")), norm(testtool.PDFText(t, r.Body)); !strings.Contains(txt, want) {
				t.Fatalf("after %s the letter lacks the owed %s:\n%s", name, want, txt)
			}
		}
		setDay(day.AddDate(0, 0, 1+rng.IntN(20)))
	}
}

// payOnline pays in the sandbox and returns the payment's key.
func (e moneyEnv) payOnline(t *testing.T, body map[string]any) string {
	t.Helper()
	r := e.Do("POST", "/api/debtor/checkout", e.debtor, body)
	if r.Status != 200 {
		t.Fatalf("checkout %v: %d %s", body, r.Status, r.Body)
	}
	id := r.JSON()["paymentId"].(string)
	if c := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", e.debtor, nil); c.Status != 200 {
		t.Fatalf("complete: %d %s", c.Status, c.Body)
	}
	return id
}
