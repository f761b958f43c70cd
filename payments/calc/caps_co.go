package calc

import "time"

// coUsury are Colombia's usury rates (tasa de usura, consumo y ordinario:
// 1.5 × the interés bancario corriente certified monthly by the
// Superintendencia Financiera), in basis points of annual effective rate.
// Only months whose figure could be checked are listed; a month missing
// here accrues provisionally at the nearest earlier cap (LateInterest) and
// the manager face asks for the table to be completed (portal/caps).
var coUsury = []struct {
	y      int
	m      time.Month
	bp     int64
	source string
}{
	{2025, time.March, 2492, "SFC certification for March 2025 (press figure)"},
	{2025, time.April, 2562, "SFC certification for April 2025 (press figure)"},
	{2025, time.November, 2499, "SFC certification for November 2025 (press figure)"},
	{2025, time.December, 2502, "SFC certification for December 2025 (press figure)"},
	{2026, time.January, 2436, "SFC certification for January 2026 (press figure)"},
	{2026, time.February, 2523, "SFC certification for February 2026 (press figure)"},
	{2026, time.March, 2552, "SFC Res. 0405 de 2026"},
}

// colombiaUsury is the shipped cap table for Colombia (see coUsury).
func colombiaUsury() CapTable {
	out := make(CapTable, 0, len(coUsury))
	for _, r := range coUsury {
		from := time.Date(r.y, r.m, 1, 0, 0, 0, 0, time.UTC)
		out = append(out, RatePeriod{From: from, To: AddMonths(from, 1).AddDate(0, 0, -1), AnnualEffectiveBP: r.bp, Source: r.source})
	}
	return out
}
