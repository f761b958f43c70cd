package calc

import (
	"math/big"
	"slices"
	"sync"
	"time"
)

// Segment is a run of days charged at one rate, as a statement shows it.
type Segment struct {
	From, To time.Time // civil dates, inclusive
	Days     int
	RateBP   int64 // annual effective rate applied
	CapBP    int64 // cap in force; 0 when Uncapped
	Amount   int64
	Capped   bool // the policy rate was above the cap, so the cap applied
	Uncapped bool // no cap table at all (a country whose caps the client sets): the policy rate applied unchecked
	// Provisional: the table has no period for these days, so the cap of
	// the nearest period (the last one before them, else the first after)
	// applied; the figure is final once the table covers the days.
	Provisional bool
}

// LateInterest is the late interest on balance for the days after from (the
// due date plus any grace, the caller's decision) through to, inclusive. Each
// day is charged at the policy's annual effective rate, or at the cap if that
// is lower; the range is split into segments where cap periods start or end,
// each rounded half-up (see the package doc).
//
// Days the table does not cover accrue at the lower of the policy rate and
// the nearest cap (the last period before them, else the first after), and
// their segments are flagged Provisional: the statement says so and the
// manager face warns until the table is current. With an empty table no cap
// applies and segments are flagged Uncapped.
// A zero or negative balance or policy rate, or to not after from, gives 0 and
// no segments. Amounts too large for int64 saturate at math.MaxInt64.
func LateInterest(balance int64, from, to time.Time, policyAnnualBP int64, caps CapTable) (int64, []Segment) {
	return lateInterest(balance, from, to, policyAnnualBP, caps, DailyRate)
}

func lateInterest(balance int64, from, to time.Time, policyAnnualBP int64, caps CapTable, rate func(int64) *big.Rat) (int64, []Segment) {
	first, last := dayNum(from)+1, dayNum(to)
	if balance <= 0 || policyAnnualBP <= 0 || last < first {
		return 0, nil
	}

	cuts := []int64{first, last + 1}
	addCut := func(d int64) {
		if d > first && d <= last {
			cuts = append(cuts, d)
		}
	}
	for _, p := range caps {
		addCut(dayNum(p.From))
		if !p.To.IsZero() {
			addCut(dayNum(p.To) + 1)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)

	loc := from.Location()
	bal := big.NewRat(balance, 1)
	daily := map[int64]*big.Rat{}
	total := new(big.Int)
	segs := make([]Segment, 0, len(cuts)-1)
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]-1
		seg := Segment{From: civilDate(a, loc), To: civilDate(b, loc), Days: int(b - a + 1), RateBP: policyAnnualBP}
		capBP, ok := caps.at(a)
		if !ok && len(caps) > 0 {
			capBP, ok = caps.nearest(a)
			seg.Provisional = true
		}
		if !ok {
			seg.Uncapped = true
		} else {
			seg.CapBP = capBP
			if policyAnnualBP > capBP {
				seg.RateBP, seg.Capped = capBP, true
			}
		}
		d, ok := daily[seg.RateBP]
		if !ok {
			d = rate(seg.RateBP)
			daily[seg.RateBP] = d
		}
		x := new(big.Rat).Mul(bal, d)
		x.Mul(x, big.NewRat(int64(seg.Days), 1))
		amt := roundHalfUp(x)
		total.Add(total, amt)
		seg.Amount = saturate(amt)
		segs = append(segs, seg)
	}
	return saturate(total), segs
}

// Rates remembers DailyRate by annual rate. DailyRate is a pure function but
// costs ~150 µs (a 365th root at 256 bits), and a statement of 50 invoices
// asks for the same two or three rates on every line; a Rates shared by a
// service computes each rate once. Safe for concurrent use; the zero value
// is ready.
type Rates struct {
	m sync.Map // int64 annual bp -> *big.Rat (never mutated after store)
}

// Daily is DailyRate(annualBP), computed once per rate.
func (r *Rates) Daily(annualBP int64) *big.Rat {
	if v, ok := r.m.Load(annualBP); ok {
		return v.(*big.Rat)
	}
	d := DailyRate(annualBP)
	v, _ := r.m.LoadOrStore(annualBP, d)
	return v.(*big.Rat)
}

// LateInterest is the package's LateInterest with the daily rates taken
// from r.
func (r *Rates) LateInterest(balance int64, from, to time.Time, policyAnnualBP int64, caps CapTable) (int64, []Segment) {
	return lateInterest(balance, from, to, policyAnnualBP, caps, r.Daily)
}
