package payments_test

import (
	"testing"

	"cartera/payments"
	"cartera/portal/strategy"
)

// The rules a plan runs under: its own (recorded at acceptance) first, then
// the policy's plan rules, then the promise grace and the service default.
func TestPlanDefaultRules(t *testing.T) {
	ptr := func(n int) *int { return &n }
	svc := payments.NewPlans(nil, nil, nil, nil, "", nil)
	pol := func(grace *int, maxMissed, promiseGrace int) strategy.Policy {
		p := strategy.Default()
		p.Plans.GraceDays, p.Plans.MaxMissed, p.Promises.GraceDays = grace, maxMissed, promiseGrace
		return p
	}
	cases := []struct {
		name             string
		pol              strategy.Policy
		plan             *payments.Plan
		grace, maxMissed int
	}{
		{"house default: promise grace, two misses", pol(nil, 0, 2), nil, 2, 2},
		{"policy rules", pol(ptr(5), 3, 2), nil, 5, 3},
		{"policy grace of zero is zero, not unset", pol(ptr(0), 1, 4), nil, 0, 1},
		{"the plan keeps what was accepted", pol(ptr(30), 12, 2), &payments.Plan{GraceDays: ptr(3), MaxMissed: 1}, 3, 1},
		{"a plan from before the rules follows the policy", pol(ptr(7), 4, 2), &payments.Plan{}, 7, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, m := svc.DefaultRules(c.pol, c.plan)
			if g != c.grace || m != c.maxMissed {
				t.Fatalf("grace %d, max missed %d; want %d, %d", g, m, c.grace, c.maxMissed)
			}
		})
	}
}
