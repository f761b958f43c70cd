package reports

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/payments"
	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/compliance"
	"cartera/portal/debtors"
	"cartera/portal/money"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/portal/work"
	"cartera/tenants"
)

// The report of a strategy test compares its arms over the accounts each
// arm received (accounts.Account.Test), from placement to now: the whole
// life of the test's accounts, not a period.
//
// Differences are challenger − champion, with a 95 % confidence interval
// by the normal approximation (z = 1.959964):
//
//   - Payers: the share of accounts with any payment, p = x/n per arm, a
//     difference of two independent proportions (Wald, unpooled):
//     d = p₂ − p₁, SE = √(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂), CI = d ± z·SE.
//   - Recovery: each account's recovery rate rᵢ = recovered/placed (in
//     [0, 1]); Welch's difference of means with unequal variances:
//     d = r̄₂ − r̄₁, SE = √(s₁²/n₁ + s₂²/n₂) (sample variances, n−1),
//     CI = d ± z·SE; the Welch–Satterthwaite degrees of freedom
//     ν = SE⁴ / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)) are reported: below
//     about 30 the t quantile exceeds z and the interval is too narrow.
//
// Accounts are the unit: assignment is by account (strategy.ArmOf), so
// the accounts of an arm are a random sample of the accounts placed.
// The arms' amount-weighted recovery rates (Σ recovered / Σ placed) are
// shown as they are; the interval is on the per-account mean, which an
// account with a large balance cannot swing alone.
//
// Cost: one pass over the tenant's accounts of the test (filtered on
// test.id, indexed on MongoDB proper) and one over its promises, plans,
// disputes and activities (scans on the embedded server). Fine for the
// tens of thousands of accounts a test holds; a test over a whole large
// portfolio would want counters per arm kept by the report projection.

// z95 is the standard normal quantile for a two-sided 95 % interval.
const z95 = 1.959964

// Methods of the intervals, as the report names them.
const (
	MethodWald  = "wald_two_proportions"
	MethodWelch = "welch_normal"
)

// ArmFigures are one arm's figures.
type ArmFigures struct {
	Arm       string `json:"arm"`
	Accounts  int64  `json:"accounts"`
	Placed    int64  `json:"placed"`    // minor units: Σ the accounts' amounts as placed
	Recovered int64  `json:"recovered"` // principal recovered: payments less reversals
	// RecoveryRate is Recovered / Placed (amount-weighted).
	RecoveryRate Rate `json:"recoveryRate"`
	// MeanRateBP is the mean of the accounts' own recovery rates.
	MeanRateBP int64 `json:"meanRateBP"`
	// Payers are accounts with any money in (net of reversals).
	Payers    int64 `json:"payers"`
	PayerRate Rate  `json:"payerRate"`
	// MedianDaysToPay is the median of the civil days from placement to the
	// first money in, over the payers (nil: none paid).
	MedianDaysToPay *float64 `json:"medianDaysToPay"`
	PromisesMade    int64    `json:"promisesMade"`
	PromisesKept    int64    `json:"promisesKept"`
	PlansCompleted  int64    `json:"plansCompleted"`
	Contacts        int64    `json:"contacts"` // outbound contacts, every channel
	// ContactsPerThousand is contacts per 1,000 units of the currency
	// recovered (nil: nothing recovered).
	ContactsPerThousand *float64 `json:"contactsPerThousand"`
	Disputes            int64    `json:"disputes"`
}

// Difference is challenger − champion for one measure, in basis points.
type Difference struct {
	Measure string  `json:"measure"` // payers, recovery
	Method  string  `json:"method"`  // MethodWald, MethodWelch
	DiffBP  int64   `json:"diffBP"`
	LowBP   int64   `json:"lowBP"`
	HighBP  int64   `json:"highBP"`
	DF      float64 `json:"df,omitempty"` // Welch–Satterthwaite degrees of freedom
	// Significant: the interval leaves out zero.
	Significant bool `json:"significant"`
	// Defined is false when an arm has too few accounts (fewer than 2).
	Defined bool `json:"defined"`
}

// TestReport is a strategy test with its figures by arm.
type TestReport struct {
	Test       strategy.Test `json:"test"`
	Currency   string        `json:"currency"`
	Locale     string        `json:"locale"`
	Champion   ArmFigures    `json:"champion"`
	Challenger ArmFigures    `json:"challenger"`
	Payers     Difference    `json:"payers"`
	Recovery   Difference    `json:"recovery"`
	AsOf       time.Time     `json:"asOf"`
}

// sample is what the statistics need of one account.
type sample struct {
	placed, recovered, collected int64
	daysToPay                    int // -1: no money in
}

// armOf sums one arm's accounts.
func armOf(name string, xs []sample) ArmFigures {
	f := ArmFigures{Arm: name, Accounts: int64(len(xs))}
	var days []int
	var rateSum float64
	for _, x := range xs {
		f.Placed += x.placed
		f.Recovered += x.recovered
		rateSum += accountRate(x)
		if x.collected > 0 {
			f.Payers++
			if x.daysToPay >= 0 {
				days = append(days, x.daysToPay)
			}
		}
	}
	f.RecoveryRate = rate(f.Recovered, f.Placed)
	f.PayerRate = rate(f.Payers, f.Accounts)
	if len(xs) > 0 {
		f.MeanRateBP = bp(rateSum / float64(len(xs)))
	}
	if len(days) > 0 {
		slices.Sort(days)
		m := float64(days[len(days)/2])
		if len(days)%2 == 0 {
			m = float64(days[len(days)/2-1]+days[len(days)/2]) / 2
		}
		f.MedianDaysToPay = &m
	}
	return f
}

// accountRate is an account's recovered share of its placed amount, in [0, 1].
func accountRate(x sample) float64 {
	if x.placed <= 0 {
		return 0
	}
	return min(max(float64(x.recovered)/float64(x.placed), 0), 1)
}

func bp(f float64) int64 { return int64(math.Round(f * 10000)) }

// waldDiff is the Wald interval for p₂ − p₁ (x successes of n).
func waldDiff(x1, n1, x2, n2 int64) Difference {
	d := Difference{Measure: "payers", Method: MethodWald}
	if n1 < 2 || n2 < 2 {
		return d
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p2*(1-p2)/float64(n2))
	return interval(d, p2-p1, se)
}

// welchDiff is Welch's difference of means r̄₂ − r̄₁ with a normal interval.
func welchDiff(a, b []float64) Difference {
	d := Difference{Measure: "recovery", Method: MethodWelch}
	if len(a) < 2 || len(b) < 2 {
		return d
	}
	m1, v1 := meanVar(a)
	m2, v2 := meanVar(b)
	n1, n2 := float64(len(a)), float64(len(b))
	q1, q2 := v1/n1, v2/n2
	se := math.Sqrt(q1 + q2)
	d = interval(d, m2-m1, se)
	if den := q1*q1/(n1-1) + q2*q2/(n2-1); den > 0 {
		d.DF = math.Round((q1+q2)*(q1+q2)/den*10) / 10
	}
	return d
}

func interval(d Difference, diff, se float64) Difference {
	d.Defined = true
	d.DiffBP, d.LowBP, d.HighBP = bp(diff), bp(diff-z95*se), bp(diff+z95*se)
	d.Significant = d.LowBP > 0 || d.HighBP < 0
	return d
}

// meanVar is the mean and the sample variance (n−1).
func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}

// compare builds both arms' figures and the differences from the samples.
func compare(champion, challenger []sample) (ArmFigures, ArmFigures, Difference, Difference) {
	c1, c2 := armOf(strategy.ArmChampion, champion), armOf(strategy.ArmChallenger, challenger)
	rates := func(xs []sample) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = accountRate(x)
		}
		return out
	}
	return c1, c2, waldDiff(c1.Payers, c1.Accounts, c2.Payers, c2.Accounts), welchDiff(rates(champion), rates(challenger))
}

// perThousand is contacts per 1,000 currency units recovered (recovered in minor units).
func perThousand(contacts, recovered int64, currency string) *float64 {
	if recovered <= 0 {
		return nil
	}
	exp, err := money.Exponent(currency)
	if err != nil {
		exp = 2
	}
	units := float64(recovered) / math.Pow10(exp)
	v := math.Round(float64(contacts)/units*1000*100) / 100
	return &v
}

// StrategyTestReport computes a test's report from the tenant's accounts
// and what happened to them (see the cost note above).
func StrategyTestReport(ctx context.Context, db *store.DB, t tenants.Tenant, test strategy.Test, now time.Time) (TestReport, error) {
	sc := db.Tenant(t.ID)
	loc := t.Location()
	rep := TestReport{Test: test, Currency: t.Currency, Locale: t.Locale, AsOf: now.UTC()}
	// member is an account's arm and when it entered the test: what
	// happened to it before (an enrolled open account's history) is not
	// the test's.
	type member struct {
		arm  string
		from time.Time
	}
	arm := map[string]member{}
	var champ, chall []sample
	err := sc.C("accounts").Each(ctx, bson.D{{Key: "test.id", Value: test.Key}}, options.Find().SetProjection(bson.D{
		{Key: "_id", Value: 1}, {Key: "original", Value: 1}, {Key: "history", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "test", Value: 1}}),
		func(raw bson.Raw) error {
			var a accounts.Account
			if err := bson.Unmarshal(raw, &a); err != nil {
				return err
			}
			if a.Test == nil || a.Test.ID != test.Key {
				return nil
			}
			from := a.Test.At
			x := sample{placed: a.Original, daysToPay: -1}
			if a.Test.Base > 0 {
				x.placed = a.Test.Base
			}
			var first time.Time
			for _, m := range a.History {
				if m.At.Before(from) {
					continue
				}
				x.recovered += accounts.Recovered(m.Kind, m.Amount)
				if c := accounts.Collected(m.Kind, m.Amount); c != 0 {
					x.collected += c
					if c > 0 && (first.IsZero() || m.At.Before(first)) {
						first = m.At
					}
				}
			}
			if !first.IsZero() {
				start := a.CreatedAt
				if !from.IsZero() {
					start = from
				}
				x.daysToPay = max(int(civil(first, loc).Sub(civil(start, loc)).Hours()/24+0.5), 0)
			}
			arm[a.ID] = member{arm: a.Test.Arm, from: from}
			if a.Test.Arm == strategy.ArmChallenger {
				chall = append(chall, x)
			} else {
				champ = append(champ, x)
			}
			return nil
		})
	if err != nil {
		return rep, fmt.Errorf("strategy test report: accounts: %w", err)
	}
	rep.Champion, rep.Challenger, rep.Payers, rep.Recovery = compare(champ, chall)
	figures := func(a string) *ArmFigures {
		switch a {
		case strategy.ArmChallenger:
			return &rep.Challenger
		case strategy.ArmChampion:
			return &rep.Champion
		}
		return nil
	}
	// armsOf names each arm once among a document's accounts, for a
	// document dated at (counted only from the account's entry).
	armsOf := func(ids []string, at time.Time, fn func(*ArmFigures)) {
		seen := map[string]bool{}
		for _, id := range ids {
			if m, ok := arm[id]; ok && !seen[m.arm] && !at.Before(m.from) {
				seen[m.arm] = true
				fn(figures(m.arm))
			}
		}
	}
	if len(arm) == 0 {
		return rep, nil
	}
	err = sc.C("promises").Each(ctx, bson.D{}, nil, func(raw bson.Raw) error {
		var p work.Promise
		if err := bson.Unmarshal(raw, &p); err != nil {
			return err
		}
		armsOf([]string{p.AccountID}, p.CreatedAt, func(f *ArmFigures) {
			f.PromisesMade++
			if p.Status == work.PromiseKept {
				f.PromisesKept++
			}
		})
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("strategy test report: promises: %w", err)
	}
	err = sc.C("plans").Each(ctx, bson.D{{Key: "kind", Value: "plan"}, {Key: "status", Value: payments.PlanCompleted}}, nil, func(raw bson.Raw) error {
		var p payments.Plan
		if err := bson.Unmarshal(raw, &p); err != nil {
			return err
		}
		armsOf(p.AccountIDs, p.CreatedAt, func(f *ArmFigures) { f.PlansCompleted++ })
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("strategy test report: plans: %w", err)
	}
	err = sc.C("disputes").Each(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "accountIds", Value: 1}, {Key: "createdAt", Value: 1}}), func(raw bson.Raw) error {
		var d debtors.Dispute
		if err := bson.Unmarshal(raw, &d); err != nil {
			return err
		}
		armsOf(d.AccountIDs, d.CreatedAt, func(f *ArmFigures) { f.Disputes++ })
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("strategy test report: disputes: %w", err)
	}
	err = sc.C("activities").Each(ctx, bson.D{{Key: "direction", Value: compliance.Outbound}},
		options.Find().SetProjection(bson.D{{Key: "accountId", Value: 1}, {Key: "at", Value: 1}}), func(raw bson.Raw) error {
			var a work.Activity
			if err := bson.Unmarshal(raw, &a); err != nil {
				return err
			}
			armsOf([]string{a.AccountID}, a.At, func(f *ArmFigures) { f.Contacts++ })
			return nil
		})
	if err != nil {
		return rep, fmt.Errorf("strategy test report: activities: %w", err)
	}
	rep.Champion.ContactsPerThousand = perThousand(rep.Champion.Contacts, rep.Champion.Recovered, t.Currency)
	rep.Challenger.ContactsPerThousand = perThousand(rep.Challenger.Contacts, rep.Challenger.Recovered, t.Currency)
	return rep, nil
}

// TestSource gives a tenant's strategy tests (strategy.Service).
type TestSource interface {
	Test(ctx context.Context, tenant, key string) (strategy.Test, error)
	TestsOf(ctx context.Context, tenant string) ([]strategy.Test, error) // no membership check
}

// StrategyTest is a test of the tenant with its report (staff and the
// client company; another tenant's is not found).
func (s *Service) StrategyTest(ctx context.Context, tenant, key string) (TestReport, error) {
	t, _, err := s.open(ctx, tenant, "", "")
	if err != nil {
		return TestReport{}, err
	}
	if s.tests == nil {
		return TestReport{}, fmt.Errorf("strategy test %q: %w", key, apperr.ErrNotFound)
	}
	test, err := s.tests.Test(ctx, tenant, key)
	if err != nil {
		return TestReport{}, err
	}
	return StrategyTestReport(ctx, s.db, t, test, s.Now())
}

// StrategyTestsIn are the reports of the tenant's tests that ran at some
// time in the period, oldest first (the recovery PDF shows them).
func (s *Service) StrategyTestsIn(ctx context.Context, tenant string, p Period) ([]TestReport, error) {
	t, _, err := s.open(ctx, tenant, "", "")
	if err != nil {
		return nil, err
	}
	return s.testsIn(ctx, t, p)
}

// testsIn is StrategyTestsIn for a tenant already loaded (the monthly job).
func (s *Service) testsIn(ctx context.Context, t tenants.Tenant, p Period) ([]TestReport, error) {
	if s.tests == nil {
		return nil, nil
	}
	list, err := s.tests.TestsOf(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var out []TestReport
	for i := len(list) - 1; i >= 0; i-- {
		if !list[i].Overlaps(p.Start, p.End) {
			continue
		}
		r, err := StrategyTestReport(ctx, s.db, t, list[i], s.Now())
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
