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

// DefaultCapTable returns example caps for a country code (ISO 3166 alpha-2,
// any case), or nil when none is configured: then LateInterest applies the
// policy rate and flags every segment Uncapped.
//
// EXAMPLE CONFIGURATION, NOT AN AUTHORITY. The Colombian figures are the usury
// rates (1.5 × the interés bancario corriente) for consumer and ordinary
// credit, August to December 2025, as the press reported the Superintendencia
// Financiera's monthly certifications. Check them against the SFC resolution
// and add each new month before relying on them. The last period is closed on
// purpose: days after it come out Uncapped instead of silently reusing an old
// cap. MX, PE and US caps are not configured here.
func DefaultCapTable(country string) CapTable {
	switch strings.ToUpper(strings.TrimSpace(country)) {
	case "CO":
		month := func(y int, m time.Month, bp int64) RatePeriod {
			from := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
			return RatePeriod{From: from, To: AddMonths(from, 1).AddDate(0, 0, -1), AnnualEffectiveBP: bp}
		}
		return CapTable{
			month(2025, time.August, 2517),
			month(2025, time.September, 2501),
			month(2025, time.October, 2436),
			month(2025, time.November, 2499),
			month(2025, time.December, 2502),
		}
	default:
		return nil
	}
}
