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
		{"every 15 days at 2 %", strategy.PlanRules{MaxInstallments: 5, MinDownPaymentBP: 2000, MonthlyRateBP: 200, IntervalDays: 15}, []int{2, 3, 5}},
		{"minimum installment drops long plans", strategy.PlanRules{MaxInstallments: 24, MinInstallment: 2000000}, []int{2, 3, 6}},
		{"term limit", strategy.PlanRules{MaxInstallments: 12, MaxTermDays: 100}, []int{2, 3}},
		{"odd total over 7 at 1.99 %", strategy.PlanRules{MaxInstallments: 7, MinDownPayment: 333333, MonthlyRateBP: 199}, []int{2, 3, 6, 7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ctx := env(t)
			plans := e.App.Web.Plans
			plans.Now = func() time.Time { return time.Date(2026, 1, 31, 15, 0, 0, 0, time.UTC) }
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
				if po.Balance != 18000000 || po.Offer.DownPayment+sum != po.Offer.GrandTotal() || po.Offer.DownPayment+principal != po.Balance {
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
			if got := balance(t, e, "A1") + balance(t, e, "A2") + balance(t, e, "B1"); got != p.Total {
				t.Fatalf("accounts owe %d, plan total %d", got, p.Total)
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
