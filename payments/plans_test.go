package payments_test

import (
	"testing"
	"time"

	"cartera/payments"
	"cartera/portal/strategy"
)

// Every offer the policy allows adds up to the cent: down payment plus
// installments is the total, principal is the balance, and the accepted
// plan keeps the same schedule.
func TestPlanScheduleSumsExactly(t *testing.T) {
	cases := []struct {
		name  string
		rules strategy.PlanRules
		want  []int // installments offered
	}{
		{"default", strategy.Default().Plans, []int{2, 3, 6, 12}},
		{"interest-free, no down payment", strategy.PlanRules{MaxInstallments: 6}, []int{2, 3, 6}},
		{"every 15 days at 1.8 %", strategy.PlanRules{MaxInstallments: 5, MinDownPaymentBP: 2000, MonthlyRateBP: 180, IntervalDays: 15}, []int{2, 3, 5}},
		{"minimum installment drops long plans", strategy.PlanRules{MaxInstallments: 24, MinInstallment: 2000000}, []int{2, 3, 6}},
		{"term limit", strategy.PlanRules{MaxInstallments: 12, MaxTermDays: 100}, []int{2, 3}},
		{"odd total over 7 at 1.75 %", strategy.PlanRules{MaxInstallments: 7, MinDownPayment: 333333, MonthlyRateBP: 175}, []int{2, 3, 6, 7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ctx := env(t)
			plans := e.App.Web.Plans
			plans.Now = func() time.Time { return time.Date(2026, 1, 31, 15, 0, 0, 0, time.UTC) }
			e.App.DebtorsSvc.Now = plans.Now
			pol := strategy.Default()
			pol.Plans = c.rules
			if _, err := e.App.Web.Policy.Put(e.Ctx(), "acme", pol); err != nil {
				t.Fatal(err)
			}
			offers, err := plans.Offers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, po := range offers {
				got = append(got, po.Offer.Installments)
				var sum, principal int64
				for _, in := range po.Offer.Schedule {
					sum += in.Amount
					principal += in.Principal
				}
				// The plan's base is what is owed on 31 Jan: 18,000,000 of principal
				// and A1's 30 days of late interest, 10,000,000 × 30 × d(24 %)
				// = 176,855.98 → 176,856. The down payment covers that interest,
				// so the schedule finances principal only.
				if po.Balance != 18176856 || po.Offer.DownPayment+sum != po.Offer.GrandTotal() || po.Offer.DownPayment+principal != po.Balance ||
					po.Offer.DownPayment < 176856 {
					t.Errorf("%d installments: down %d + %d != %d (principal %d)", po.Offer.Installments, po.Offer.DownPayment, sum, po.Offer.GrandTotal(), principal)
				}
				// 31 Jan: monthly installments clamp to the end of shorter months.
				if c.rules.IntervalDays == 0 && po.Offer.Schedule[0].Date.Format(time.DateOnly) != "2026-02-28" {
					t.Errorf("first date %s", po.Offer.Schedule[0].Date)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("offered %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("offered %v, want %v", got, c.want)
				}
			}
			last := offers[len(offers)-1]
			p, err := plans.Accept(ctx, last.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for _, in := range p.Schedule {
				sum += in.Amount
			}
			if sum != p.Total || p.Total != last.Offer.GrandTotal() || p.Remaining() != p.Total || p.Paid() != 0 {
				t.Fatalf("plan schedule %d, total %d, offer %d", sum, p.Total, last.Offer.GrandTotal())
			}
			// The accounts now owe the plan's principal and the late interest
			// accrued to acceptance (the plan's total less its financing
			// interest, which is booked as each installment is paid or falls
			// due), with late interest paused while the plan runs: paying the
			// plan off early costs no unearned interest.
			for _, day := range []time.Time{time.Date(2026, 1, 31, 15, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC)} {
				e.App.DebtorsSvc.Now = func() time.Time { return day }
				st, err := e.App.DebtorsSvc.Statement(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Owed != p.Total-p.Interest {
					t.Fatalf("on %s the accounts owe %d, plan total %d less financing interest %d", day.Format(time.DateOnly), st.Owed, p.Total, p.Interest)
				}
			}
			if _, err := plans.Accept(ctx, last.ID, true); err == nil {
				t.Fatal("second plan accepted")
			}
			if p.Status != payments.PlanActive {
				t.Fatalf("status %s", p.Status)
			}
		})
	}
}
