package calc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RatePeriod is one certified legal cap: an annual effective rate in force from
// From through To, both civil dates and inclusive. A zero To leaves the period
// open-ended.
type RatePeriod struct {
	From              time.Time
	To                time.Time
	AnnualEffectiveBP int64
	Source            string // the act that certifies it, e.g. "SFC Res. 0405/2026"
}

// CapTable is a jurisdiction's legal cap on late interest over time. It is
// configuration: sorted by From, no overlaps; gaps are allowed and mean "no
// cap known" (see LateInterest).
type CapTable []RatePeriod

const dateLayout = "2006-01-02"

func (p RatePeriod) covers(day int64) bool {
	return dayNum(p.From) <= day && (p.To.IsZero() || day <= dayNum(p.To))
}

// Validate reports the first period that is empty, non-positive, out of order
// or overlapping its predecessor.
func (c CapTable) Validate() error {
	for i, p := range c {
		switch {
		case p.From.IsZero():
			return fmt.Errorf("cap table: period %d: missing from: %w", i, ErrInvalid)
		case !p.To.IsZero() && dayNum(p.To) < dayNum(p.From):
			return fmt.Errorf("cap table: period %d: to before from: %w", i, ErrInvalid)
		case p.AnnualEffectiveBP <= 0:
			return fmt.Errorf("cap table: period %d: rate must be positive: %w", i, ErrInvalid)
		}
		if i == 0 {
			continue
		}
		prev := c[i-1]
		if dayNum(p.From) <= dayNum(prev.From) {
			return fmt.Errorf("cap table: period %d: not sorted by from: %w", i, ErrInvalid)
		}
		if prev.To.IsZero() || dayNum(prev.To) >= dayNum(p.From) {
			return fmt.Errorf("cap table: period %d overlaps period %d: %w", i, i-1, ErrInvalid)
		}
	}
	return nil
}

// At returns the cap in force on a civil date. Should an unvalidated table
// overlap, the lowest covering rate wins: the error goes the debtor's way.
func (c CapTable) At(day time.Time) (bp int64, ok bool) {
	return c.at(dayNum(day))
}

func (c CapTable) at(day int64) (bp int64, ok bool) {
	for _, p := range c {
		if p.covers(day) && (!ok || p.AnnualEffectiveBP < bp) {
			bp, ok = p.AnnualEffectiveBP, true
		}
	}
	return bp, ok
}

// nearest is the cap of the last period ending before day, else of the
// first period starting after it: what a day the table does not cover
// accrues at, provisionally.
func (c CapTable) nearest(day int64) (bp int64, ok bool) {
	var before, after *RatePeriod
	for i := range c {
		p := &c[i]
		if !p.To.IsZero() && dayNum(p.To) < day && (before == nil || dayNum(p.To) > dayNum(before.To)) {
			before = p
		}
		if dayNum(p.From) > day && (after == nil || dayNum(p.From) < dayNum(after.From)) {
			after = p
		}
	}
	switch {
	case before != nil:
		return before.AnnualEffectiveBP, true
	case after != nil:
		return after.AnnualEffectiveBP, true
	}
	return 0, false
}

// LastCovered is the last day the table covers (zero for an empty or
// open-ended table): after it, interest is provisional.
func (c CapTable) LastCovered() time.Time {
	var last time.Time
	for _, p := range c {
		if p.To.IsZero() {
			return time.Time{}
		}
		if p.To.After(last) {
			last = p.To
		}
	}
	return last
}

type ratePeriodJSON struct {
	From string          `json:"from"`
	To   string          `json:"to,omitempty"`
	Pct  json.RawMessage `json:"annualEffectivePct"`
}

// ParseCapTable reads a cap table from JSON such as
//
//	[{"from":"2025-01-01","to":"2025-01-31","annualEffectivePct":"28.49"}]
//
// The percentage may be a string or a number, with at most two decimals; an
// absent or empty "to" leaves the period open. Periods are sorted by from and
// then validated.
func ParseCapTable(data []byte) (CapTable, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw []ratePeriodJSON
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("cap table: %v: %w", err, ErrInvalid)
	}
	c := make(CapTable, 0, len(raw))
	for i, r := range raw {
		var p RatePeriod
		var err error
		if p.From, err = time.Parse(dateLayout, r.From); err != nil {
			return nil, fmt.Errorf("cap table: period %d: from %q: %w", i, r.From, ErrInvalid)
		}
		if r.To != "" {
			if p.To, err = time.Parse(dateLayout, r.To); err != nil {
				return nil, fmt.Errorf("cap table: period %d: to %q: %w", i, r.To, ErrInvalid)
			}
		}
		pct := strings.Trim(string(r.Pct), `"`)
		if p.AnnualEffectiveBP, err = ParsePercentBP(pct); err != nil {
			return nil, fmt.Errorf("cap table: period %d: %w", i, err)
		}
		c = append(c, p)
	}
	slices.SortStableFunc(c, func(a, b RatePeriod) int { return a.From.Compare(b.From) })
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// MarshalJSON writes the form ParseCapTable reads.
func (c CapTable) MarshalJSON() ([]byte, error) {
	out := make([]ratePeriodJSON, len(c))
	for i, p := range c {
		out[i] = ratePeriodJSON{From: p.From.Format(dateLayout), Pct: json.RawMessage(`"` + FormatBP(p.AnnualEffectiveBP) + `"`)}
		if !p.To.IsZero() {
			out[i].To = p.To.Format(dateLayout)
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON parses and validates, so a config struct holding a CapTable
// cannot load a broken one.
func (c *CapTable) UnmarshalJSON(data []byte) error {
	t, err := ParseCapTable(data)
	if err != nil {
		return err
	}
	*c = t
	return nil
}

// DefaultCapTable is the cap table shipped with the portal for a country
// (ISO 3166 alpha-2, any case); managers keep it current (portal/caps) and
// the stored table, when there is one, replaces this.
//
//   - CO: the usury rate (1.5 × the interés bancario corriente) for consumer
//     and ordinary credit certified monthly by the Superintendencia
//     Financiera, each month with its resolution (caps_co.go). The last
//     period is closed on purpose: days after it accrue provisionally at the
//     last cap (LateInterest) until the next certification is entered.
//   - MX, PE, US: no table. There is no single statutory cap for commercial
//     late interest there; the client sets its contract rate and, for Peru,
//     the BCRP maximum (docs/money.md). The default policy outside Colombia
//     charges no late interest.
func DefaultCapTable(country string) CapTable {
	switch strings.ToUpper(strings.TrimSpace(country)) {
	case "CO":
		return colombiaUsury()
	default:
		return nil
	}
}
