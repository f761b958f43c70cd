package calc

import (
	"math"
	"math/big"
	"slices"
	"time"
)

// The money engine: what an account owes on a day, from its dated movements.
//
// An account has two books. The principal is what the client placed, less
// what was paid or credited against it. The interest book holds interest
// that was charged as a movement (an installment plan's financing interest,
// booked as each installment is earned), less interest paid, plus interest
// refunded, less interest waived. Late interest is not booked: it is
// computed every time from the principal's history (Price), so a payment
// dated in the past changes the interest from its date on, and a refund
// dated back to its payment restores the exact earlier figures.
//
// Rules, each with its source (docs/money.md has the full text):
//   - Late interest accrues day by day on the principal outstanding that day,
//     never on interest (CO Código Civil art. 2235, Código de Comercio art.
//     886), at the lower of the contract rate and the cap of the day
//     (CO Código de Comercio art. 884, the usury rate the Superintendencia
//     Financiera certifies monthly).
//   - A movement counts from the day after its value date: a payment on day
//     P pays interest accrued through P, and the principal it pays stops
//     accruing from P+1. So paying X on the day the statement is priced
//     lowers what is owed by exactly X.
//   - A payment goes first to interest owed, then to principal (CO Código
//     Civil art. 1653; MX Código Civil Federal art. 2094; PE Código Civil
//     art. 1257). What exceeds both is excess: the caller refuses it or keeps
//     it as a credit for the debtor, never as a negative principal.
//   - Paused days (an installment plan running) accrue no late interest.

// Move is one dated change of an account's books.
type Move struct {
	// Value is the civil date the movement takes effect for interest (the
	// date money moved). Zero means from the start: the placement, a
	// re-upload's correction of the invoice amount, a dispute credit that
	// says the amount was never owed.
	Value     time.Time
	Principal int64 // signed change of the principal
	Interest  int64 // signed change of the interest book (charge +, payment −, refund +, waiver −)
}

// Pause stops late interest on the days after From through To (a plan
// accepted on From accrues that day and none after; a default on To accrues
// again from To+1). A zero To leaves the pause open.
type Pause struct {
	From, To time.Time
}

// Terms are what an account's late interest depends on.
type Terms struct {
	Due       time.Time // civil due date
	GraceDays int       // days after the due date before interest runs
	AnnualBP  int64     // contract (policy) late interest rate, annual effective; 0: none
	Caps      CapTable  // the country's caps; empty: no cap (the client's contract rate alone)
	Pauses    []Pause
}

// Position is an account priced on a day.
type Position struct {
	AsOf        time.Time
	Principal   int64     // outstanding principal (never below zero when the books are kept by the engine's rules)
	Accrued     int64     // late interest accrued from the due date plus grace through AsOf
	Booked      int64     // the interest book: charges − interest paid + refunds − waivers
	Interest    int64     // interest owed: Accrued + Booked, not below zero
	Segments    []Segment // the accrual, as a statement lists it
	Capped      bool      // the cap limited some day's rate
	Provisional bool      // some day accrued under a cap the table does not cover yet
}

// Owed is what the account owes on AsOf: principal and interest.
func (p Position) Owed() int64 { return p.Principal + p.Interest }

// Price prices an account on asOf from its movements. Movements with a
// value date after asOf are ignored (they have not happened on that day).
func Price(t Terms, moves []Move, asOf time.Time) Position {
	return price(t, moves, asOf, DailyRate)
}

// Price is the package's Price with the daily rates taken from r.
func (r *Rates) Price(t Terms, moves []Move, asOf time.Time) Position {
	return price(t, moves, asOf, r.Daily)
}

func price(t Terms, moves []Move, asOf time.Time, rate func(int64) *big.Rat) Position {
	last := dayNum(asOf)
	pos := Position{AsOf: asOf}
	type step struct{ day, delta int64 }
	var steps []step
	var base int64 // principal counting from the start
	for _, m := range moves {
		if !m.Value.IsZero() && dayNum(m.Value) > last {
			continue
		}
		pos.Principal += m.Principal
		pos.Booked += m.Interest
		switch {
		case m.Principal == 0:
		case m.Value.IsZero():
			base += m.Principal
		default:
			steps = append(steps, step{dayNum(m.Value) + 1, m.Principal})
		}
	}
	slices.SortFunc(steps, func(a, b step) int { return cmpInt(a.day, b.day) })
	// One step per day, and none where movements cancel (a payment and its
	// refund): a cut where the principal does not change would round the
	// interest in two pieces instead of one.
	merged := steps[:0]
	for _, s := range steps {
		if n := len(merged); n > 0 && merged[n-1].day == s.day {
			merged[n-1].delta += s.delta
			continue
		}
		merged = append(merged, s)
	}
	steps = slices.DeleteFunc(merged, func(s step) bool { return s.delta == 0 })

	first := dayNum(t.Due) + int64(max(t.GraceDays, 0)) + 1
	if t.AnnualBP > 0 && first <= last {
		cuts := []int64{first, last + 1}
		cut := func(d int64) {
			if d > first && d <= last {
				cuts = append(cuts, d)
			}
		}
		for _, s := range steps {
			cut(s.day)
		}
		for _, p := range t.Pauses {
			cut(dayNum(p.From) + 1)
			if !p.To.IsZero() {
				cut(dayNum(p.To) + 1)
			}
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		loc := asOf.Location()
		si, principal := 0, base
		for i := 0; i+1 < len(cuts); i++ {
			a, b := cuts[i], cuts[i+1]-1
			for si < len(steps) && steps[si].day <= a {
				principal += steps[si].delta
				si++
			}
			if principal <= 0 || paused(t.Pauses, a) {
				continue
			}
			amt, segs := lateInterest(principal, civilDate(a-1, loc), civilDate(b, loc), t.AnnualBP, t.Caps, rate)
			pos.Accrued = addSat(pos.Accrued, amt)
			for _, sg := range segs {
				pos.Capped = pos.Capped || sg.Capped
				pos.Provisional = pos.Provisional || sg.Provisional
			}
			pos.Segments = append(pos.Segments, segs...)
		}
	}
	pos.Interest = max(addSat(pos.Accrued, pos.Booked), 0)
	return pos
}

// paused reports whether late interest stops on day d.
func paused(ps []Pause, d int64) bool {
	for _, p := range ps {
		if d > dayNum(p.From) && (p.To.IsZero() || d <= dayNum(p.To)) {
			return true
		}
	}
	return false
}

// Impute splits a payment made on the position's day by the law's order:
// interest owed first, then principal; excess is what is left over (money
// beyond everything owed).
func (p Position) Impute(amount int64) (interest, principal, excess int64) {
	if amount <= 0 {
		return 0, 0, 0
	}
	interest = min(amount, p.Interest)
	principal = min(amount-interest, max(p.Principal, 0))
	return interest, principal, amount - interest - principal
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func addSat(a, b int64) int64 {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}
