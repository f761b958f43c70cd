package calc

import (
	"math"
	"testing"
	"time"
)

type seg struct {
	from, to time.Time
	days     int
	rate     int64
	amount   int64
	capped   bool
	uncapped bool
}

// Expected amounts come from an independent Python decimal computation of
// round_half_up(balance × days × DailyRate), per segment.
func TestLateInterest(t *testing.T) {
	co := exampleCaps2025 // Aug 25.17, Sep 25.01, Oct 24.36, Nov 24.99, Dec 25.02
	augSep := CapTable{co[0], co[1]}
	gappy := CapTable{co[0], co[2]} // August and October only
	leapCaps := CapTable{
		{From: day(2024, 2, 1), To: day(2024, 2, 29), AnnualEffectiveBP: 3000},
		{From: day(2024, 3, 1), To: day(2024, 3, 31), AnnualEffectiveBP: 3000},
	}
	const bal = 100_000_000 // 1,000,000.00 in cents
	tests := []struct {
		name    string
		balance int64
		from    time.Time
		to      time.Time
		policy  int64
		caps    CapTable
		want    int64
		segs    []seg
	}{
		{
			name: "crossing a cap change, policy above both caps", balance: bal,
			from: day(2025, 8, 20), to: day(2025, 9, 10), policy: 3000, caps: augSep,
			want: 676791 + 611758,
			segs: []seg{
				{day(2025, 8, 21), day(2025, 8, 31), 11, 2517, 676791, true, false},
				{day(2025, 9, 1), day(2025, 9, 10), 10, 2501, 611758, true, false},
			},
		},
		{
			name: "policy below the cap", balance: bal,
			from: day(2025, 8, 20), to: day(2025, 9, 10), policy: 2000, caps: augSep,
			want: 549599 + 499636,
			segs: []seg{
				{day(2025, 8, 21), day(2025, 8, 31), 11, 2000, 549599, false, false},
				{day(2025, 9, 1), day(2025, 9, 10), 10, 2000, 499636, false, false},
			},
		},
		{
			name: "policy between the caps: capped only in September", balance: bal,
			from: day(2025, 8, 20), to: day(2025, 9, 10), policy: 2510, caps: augSep,
			want: 675104 + 611758,
			segs: []seg{
				{day(2025, 8, 21), day(2025, 8, 31), 11, 2510, 675104, false, false},
				{day(2025, 9, 1), day(2025, 9, 10), 10, 2501, 611758, true, false},
			},
		},
		{
			name: "a whole capped year", balance: bal,
			from: day(2024, 12, 31), to: day(2025, 12, 31), policy: 2517, caps: CapTable{{From: day(2025, 1, 1), AnnualEffectiveBP: 2517}},
			want: 22457168,
			segs: []seg{{day(2025, 1, 1), day(2025, 12, 31), 365, 2517, 22457168, false, false}},
		},
		{
			// September is missing: it accrues at the lower of the policy and
			// the last cap before it (August's), provisionally.
			name: "days the table skips accrue under the nearest cap", balance: bal,
			from: day(2025, 8, 20), to: day(2025, 9, 10), policy: 2000, caps: gappy,
			want: 549599 + 499636,
			segs: []seg{
				{day(2025, 8, 21), day(2025, 8, 31), 11, 2000, 549599, false, false},
				{day(2025, 9, 1), day(2025, 9, 10), 10, 2000, 499636, false, false},
			},
		},
		{
			name: "no table at all", balance: 1234567,
			from: day(2025, 3, 10), to: day(2025, 3, 11), policy: 2517, caps: nil,
			want: 760,
			segs: []seg{{day(2025, 3, 11), day(2025, 3, 11), 1, 2517, 760, false, true}},
		},
		{
			name: "one day", balance: 1234567,
			from: day(2025, 8, 5), to: day(2025, 8, 6), policy: 3000, caps: augSep,
			want: 760,
			segs: []seg{{day(2025, 8, 6), day(2025, 8, 6), 1, 2517, 760, true, false}},
		},
		{
			name: "leap day counts, split at the month", balance: 5_000_000,
			from: day(2024, 2, 27), to: day(2024, 3, 1), policy: 3000, caps: leapCaps,
			want: 7191 + 3595,
			segs: []seg{
				{day(2024, 2, 28), day(2024, 2, 29), 2, 3000, 7191, false, false},
				{day(2024, 3, 1), day(2024, 3, 1), 1, 3000, 3595, false, false},
			},
		},
		{
			name: "time of day and zone do not matter", balance: 1234567,
			from: time.Date(2025, 8, 5, 23, 30, 0, 0, time.FixedZone("COT", -5*3600)), to: time.Date(2025, 8, 6, 0, 10, 0, 0, time.UTC), policy: 3000, caps: augSep,
			want: 760,
			segs: []seg{{day(2025, 8, 6), day(2025, 8, 6), 1, 2517, 760, true, false}},
		},
		{
			name: "large balance near MaxInt64/1e6 over ten years", balance: math.MaxInt64 / 1_000_000,
			from: day(2020, 1, 1), to: day(2029, 12, 29), policy: 2517, caps: nil,
			want: 20713081956764,
			segs: []seg{{day(2020, 1, 2), day(2029, 12, 29), 3650, 2517, 20713081956764, false, true}},
		},
		{name: "same day", balance: bal, from: day(2025, 8, 20), to: day(2025, 8, 20), policy: 3000, caps: augSep},
		{name: "to before from", balance: bal, from: day(2025, 8, 20), to: day(2025, 8, 1), policy: 3000, caps: augSep},
		{name: "zero balance", balance: 0, from: day(2025, 8, 20), to: day(2025, 9, 1), policy: 3000, caps: augSep},
		{name: "credit balance", balance: -500, from: day(2025, 8, 20), to: day(2025, 9, 1), policy: 3000, caps: augSep},
		{name: "zero policy", balance: bal, from: day(2025, 8, 20), to: day(2025, 9, 1), policy: 0, caps: augSep},
	}
	var rates Rates // shared by every case, as a service shares it
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, segs := LateInterest(tt.balance, tt.from, tt.to, tt.policy, tt.caps)
			if cached, _ := rates.LateInterest(tt.balance, tt.from, tt.to, tt.policy, tt.caps); cached != got {
				t.Errorf("Rates.LateInterest = %d, LateInterest = %d", cached, got)
			}
			if got != tt.want {
				t.Errorf("interest = %d, want %d", got, tt.want)
			}
			if len(segs) != len(tt.segs) {
				t.Fatalf("%d segments, want %d: %+v", len(segs), len(tt.segs), segs)
			}
			var sum int64
			for i, w := range tt.segs {
				s := segs[i]
				sum += s.Amount
				if dayNum(s.From) != dayNum(w.from) || dayNum(s.To) != dayNum(w.to) || s.Days != w.days || s.RateBP != w.rate ||
					s.Amount != w.amount || s.Capped != w.capped || s.Uncapped != w.uncapped {
					t.Errorf("segment %d = %s..%s %dd %dbp %d capped=%v uncapped=%v; want %s..%s %dd %dbp %d capped=%v uncapped=%v",
						i, s.From.Format(dateLayout), s.To.Format(dateLayout), s.Days, s.RateBP, s.Amount, s.Capped, s.Uncapped,
						w.from.Format(dateLayout), w.to.Format(dateLayout), w.days, w.rate, w.amount, w.capped, w.uncapped)
				}
				if s.Uncapped != (s.CapBP == 0) {
					t.Errorf("segment %d: CapBP %d with Uncapped %v", i, s.CapBP, s.Uncapped)
				}
			}
			if sum != got {
				t.Errorf("segments add up to %d, total %d", sum, got)
			}
		})
	}
}

func TestLateInterestNeverAboveCap(t *testing.T) {
	caps := exampleCaps2025
	from, to := day(2025, 7, 31), day(2025, 12, 31)
	high, _ := LateInterest(100_000_000, from, to, 9999, caps)
	atCap := int64(0)
	for _, p := range caps {
		a, _ := LateInterest(100_000_000, p.From.AddDate(0, 0, -1), p.To, p.AnnualEffectiveBP, CapTable{p})
		atCap += a
	}
	if high != atCap {
		t.Errorf("a 99.99%% policy charged %d, the caps allow %d", high, atCap)
	}
}

func TestLateInterestSaturates(t *testing.T) {
	got, segs := LateInterest(math.MaxInt64, day(2000, 1, 1), day(2100, 1, 1), 3000, nil)
	if got != math.MaxInt64 || segs[0].Amount != math.MaxInt64 {
		t.Errorf("got %d, want saturation at MaxInt64", got)
	}
}

func TestLateInterestSegmentsKeepLocation(t *testing.T) {
	loc := bogota(t)
	_, segs := LateInterest(1000, time.Date(2025, 8, 30, 0, 0, 0, 0, loc), time.Date(2025, 9, 2, 0, 0, 0, 0, loc), 3000, exampleCaps2025)
	if len(segs) != 2 || segs[0].From.Location() != loc || !segs[1].From.Equal(time.Date(2025, 9, 1, 0, 0, 0, 0, loc)) {
		t.Errorf("segments %+v", segs)
	}
}

// exampleCaps2025 is a fixed table for the interest tests (the figures the
// first cap table shipped with, August to December 2025), so the expected
// amounts do not move when the shipped table is corrected.
var exampleCaps2025 = func() CapTable {
	m := func(mo time.Month, bp int64) RatePeriod {
		f := time.Date(2025, mo, 1, 0, 0, 0, 0, time.UTC)
		return RatePeriod{From: f, To: AddMonths(f, 1).AddDate(0, 0, -1), AnnualEffectiveBP: bp}
	}
	return CapTable{m(time.August, 2517), m(time.September, 2501), m(time.October, 2436), m(time.November, 2499), m(time.December, 2502)}
}()
