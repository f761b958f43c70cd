package calc

import (
	"fmt"
	"math/big"
	"time"
)

// MaxPlanInstallments bounds any plan (30 years of monthly installments) so a
// configuration typo cannot ask for a million-row schedule.
const MaxPlanInstallments = 360

// PlanRules is a tenant's policy for installment plans.
type PlanRules struct {
	MaxInstallments  int   // at least 1, at most MaxPlanInstallments
	MinDownPaymentBP int64 // minimum down payment as a share of the total
	MinDownPayment   int64 // and as an amount; the larger applies
	MonthlyRateBP    int64 // plan interest per month, French amortization; 0 = interest-free
	MaxTermDays      int   // last installment at most this many days after the start; 0 = no limit
	MinInstallment   int64 // every installment at least this much
	// IntervalDays spaces the installments; 0 means monthly on the start's day
	// of the month (clamped to shorter months). With a fixed interval the period
	// rate is the monthly rate pro rata over a 30-day month.
	IntervalDays int
}

// Installment is one row of a plan's schedule.
type Installment struct {
	N         int       // 1-based, stable: reductions never renumber
	Date      time.Time // civil date
	Amount    int64     // Principal + Interest
	Principal int64
	Interest  int64
}

// Offer is a concrete plan: a down payment due at the start, then Installments
// payments. Total is what the schedule adds up to (Financed + Interest); the
// debtor pays DownPayment + Total in all (GrandTotal).
type Offer struct {
	Installments      int
	DownPayment       int64
	Financed          int64
	InstallmentAmount int64 // the regular installment; the last one absorbs rounding
	Interest          int64
	Total             int64
	Schedule          []Installment
}

// GrandTotal is everything the debtor pays under the offer.
func (o Offer) GrandTotal() int64 { return o.DownPayment + o.Total }

// Validate checks the rules themselves.
func (r PlanRules) Validate() error {
	switch {
	case r.MaxInstallments < 1 || r.MaxInstallments > MaxPlanInstallments:
		return fmt.Errorf("plan rules: max installments must be 1..%d: %w", MaxPlanInstallments, ErrInvalid)
	case r.MinDownPaymentBP < 0 || r.MinDownPaymentBP > bpPerUnit:
		return fmt.Errorf("plan rules: minimum down payment share must be 0..100%%: %w", ErrInvalid)
	case r.MinDownPayment < 0 || r.MonthlyRateBP < 0 || r.MaxTermDays < 0 || r.MinInstallment < 0 || r.IntervalDays < 0:
		return fmt.Errorf("plan rules: negative value: %w", ErrInvalid)
	}
	return nil
}

// MinDown is the smallest down payment the rules allow on total: the share
// rounded up, or the fixed minimum if larger.
func (r PlanRules) MinDown(total int64) int64 {
	if total <= 0 {
		return r.MinDownPayment
	}
	n := new(big.Int).Mul(big.NewInt(total), big.NewInt(r.MinDownPaymentBP))
	n.Add(n, big.NewInt(bpPerUnit-1))
	n.Div(n, big.NewInt(bpPerUnit))
	return max(n.Int64(), r.MinDownPayment)
}

// periodRate is the interest rate per installment period.
func (r PlanRules) periodRate() *big.Rat {
	if r.IntervalDays == 0 {
		return big.NewRat(r.MonthlyRateBP, bpPerUnit)
	}
	return big.NewRat(r.MonthlyRateBP*int64(r.IntervalDays), bpPerUnit*30)
}

// dueDate is the date of installment k (1-based), always counted from start so
// clamping in a short month does not drift later dates.
func (r PlanRules) dueDate(start time.Time, k int) time.Time {
	if r.IntervalDays == 0 {
		return AddMonths(start, k)
	}
	return civilDate(dayNum(start)+int64(k*r.IntervalDays), start.Location())
}

// Plan builds the offer for a given number of installments and down payment
// (at least MinDown) and checks it against the rules.
func Plan(total int64, start time.Time, installments int, downPayment int64, rules PlanRules) (Offer, error) {
	if err := rules.Validate(); err != nil {
		return Offer{}, err
	}
	switch {
	case total <= 0:
		return Offer{}, fmt.Errorf("plan: total must be positive: %w", ErrInvalid)
	case installments < 1 || installments > rules.MaxInstallments:
		return Offer{}, fmt.Errorf("plan: %d installments, allowed 1..%d: %w", installments, rules.MaxInstallments, ErrInvalid)
	case downPayment < rules.MinDown(total):
		return Offer{}, fmt.Errorf("plan: down payment below the minimum %d: %w", rules.MinDown(total), ErrInvalid)
	case downPayment >= total:
		return Offer{}, fmt.Errorf("plan: down payment covers the total, nothing to finance: %w", ErrInvalid)
	}

	financed := total - downPayment
	r := rules.periodRate()
	P := big.NewRat(financed, 1)
	var payment *big.Rat
	if r.Sign() == 0 {
		payment = new(big.Rat).Quo(P, big.NewRat(int64(installments), 1))
	} else {
		// French installment: P·r·(1+r)^n / ((1+r)^n - 1)
		g := powRat(new(big.Rat).Add(big.NewRat(1, 1), r), installments)
		payment = new(big.Rat).Mul(P, r)
		payment.Mul(payment, g)
		payment.Quo(payment, g.Sub(g, big.NewRat(1, 1)))
	}
	regular := saturate(floorRat(payment))

	o := Offer{Installments: installments, DownPayment: downPayment, Financed: financed, Schedule: make([]Installment, installments)}
	bal := financed
	for k := 1; k <= installments; k++ {
		interest := saturate(roundHalfUp(new(big.Rat).Mul(big.NewRat(bal, 1), r)))
		principal := regular - interest
		if k == installments {
			principal = bal
		}
		if principal < 0 {
			return Offer{}, fmt.Errorf("plan: installment %d does not cover its interest: %w", k, ErrInvalid)
		}
		bal -= principal
		o.Schedule[k-1] = Installment{N: k, Date: rules.dueDate(start, k), Amount: principal + interest, Principal: principal, Interest: interest}
		o.Interest += interest
		o.Total += principal + interest
	}
	o.InstallmentAmount = o.Schedule[0].Amount
	if err := o.Validate(total, start, rules); err != nil {
		return Offer{}, err
	}
	return o, nil
}

// Offers lists the standard plans the rules allow on total, fewest
// installments first, each with the minimum down payment: 2, 3, 6, 12, 18, 24
// and 36 installments and the rules' maximum, dropping any that break a rule
// (an installment below the minimum, a term too long). Invalid rules or a total
// the minimum down payment already covers give none.
func Offers(total int64, start time.Time, rules PlanRules) []Offer {
	if rules.Validate() != nil {
		return nil
	}
	down := rules.MinDown(total)
	var out []Offer
	try := func(n int) {
		if o, err := Plan(total, start, n, down, rules); err == nil {
			out = append(out, o)
		}
	}
	for _, n := range []int{2, 3, 6, 12, 18, 24, 36} {
		if n < rules.MaxInstallments {
			try(n)
		}
	}
	if rules.MaxInstallments >= 2 {
		try(rules.MaxInstallments)
	}
	return out
}

// Validate checks an offer against the rules and its own arithmetic, e.g. an
// offer kept since it was made, after the rules changed. It does not recompute
// the schedule: to detect a tampered offer, compare it with Plan's.
func (o Offer) Validate(total int64, start time.Time, rules PlanRules) error {
	if err := rules.Validate(); err != nil {
		return err
	}
	switch {
	case o.Installments < 1 || o.Installments > rules.MaxInstallments:
		return fmt.Errorf("offer: %d installments, allowed 1..%d: %w", o.Installments, rules.MaxInstallments, ErrInvalid)
	case len(o.Schedule) != o.Installments:
		return fmt.Errorf("offer: schedule has %d rows for %d installments: %w", len(o.Schedule), o.Installments, ErrInvalid)
	case o.DownPayment < rules.MinDown(total):
		return fmt.Errorf("offer: down payment below the minimum %d: %w", rules.MinDown(total), ErrInvalid)
	case o.Financed <= 0 || o.DownPayment+o.Financed != total:
		return fmt.Errorf("offer: down payment and financed amount do not make the total: %w", ErrInvalid)
	case o.InstallmentAmount != o.Schedule[0].Amount:
		return fmt.Errorf("offer: installment amount differs from the first installment: %w", ErrInvalid)
	}
	var principal, interest, sum int64
	prev := dayNum(start)
	for i, in := range o.Schedule {
		day := dayNum(in.Date)
		switch {
		case in.N != i+1:
			return fmt.Errorf("offer: row %d numbered %d: %w", i+1, in.N, ErrInvalid)
		case in.Principal < 0 || in.Interest < 0 || in.Amount != in.Principal+in.Interest:
			return fmt.Errorf("offer: installment %d does not add up: %w", in.N, ErrInvalid)
		case in.Amount <= 0 || in.Amount < rules.MinInstallment:
			return fmt.Errorf("offer: installment %d of %d below the minimum %d: %w", in.N, in.Amount, rules.MinInstallment, ErrInvalid)
		case day <= prev:
			return fmt.Errorf("offer: installment %d not after the previous date: %w", in.N, ErrInvalid)
		case rules.MaxTermDays > 0 && day-dayNum(start) > int64(rules.MaxTermDays):
			return fmt.Errorf("offer: installment %d falls %d days after the start, beyond the maximum %d: %w", in.N, day-dayNum(start), rules.MaxTermDays, ErrInvalid)
		}
		prev = day
		principal += in.Principal
		interest += in.Interest
		sum += in.Amount
	}
	switch {
	case principal != o.Financed:
		return fmt.Errorf("offer: principal adds up to %d, financed %d: %w", principal, o.Financed, ErrInvalid)
	case interest != o.Interest || sum != o.Total || o.Total != o.Financed+o.Interest:
		return fmt.Errorf("offer: totals do not add up: %w", ErrInvalid)
	}
	return nil
}

// ReduceLast applies an extra payment to the unpaid installments of a plan from
// the last one backwards: the last drops to zero, then the one before, and so
// on. Within an installment the payment covers its interest before its
// principal (Código Civil art. 1653), so a partly reduced installment keeps
// only principal. Installments reduced to zero leave the schedule; the others
// keep their numbers. An extra beyond the whole schedule empties it: allocate
// the payment first if the excess matters. schedule is not modified.
func ReduceLast(schedule []Installment, extra int64) []Installment {
	out := make([]Installment, len(schedule))
	copy(out, schedule)
	for i := len(out) - 1; i >= 0 && extra > 0; i-- {
		in := &out[i]
		if in.Amount <= 0 {
			continue
		}
		take := min(extra, in.Amount)
		fromInterest := min(take, in.Interest)
		in.Interest -= fromInterest
		in.Principal -= take - fromInterest
		in.Amount -= take
		extra -= take
	}
	kept := out[:0]
	for _, in := range out {
		if in.Amount > 0 {
			kept = append(kept, in)
		}
	}
	return kept
}
