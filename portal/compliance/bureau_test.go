package compliance

import (
	"testing"
	"time"
)

func TestBureauReport(t *testing.T) {
	bog := zone(t, "America/Bogota")
	at := func(s string) time.Time { return lt(bog, s) }
	ns := func(ss ...string) []time.Time {
		out := make([]time.Time, len(ss))
		for i, s := range ss {
			out[i] = at(s)
		}
		return out
	}
	tests := []struct {
		name    string
		notices []time.Time
		now     string
		small   bool
		dispute bool
		want    string
		next    string // "" zero, "=" now
	}{
		{"dispute open blocks even after the period", ns("2025-06-01 10:00:00"), "2025-08-01 10:00:00", false, true, CodeDisputeOpen, ""},
		{"no notice", nil, "2025-06-01 10:00:00", false, false, CodeNoticeMissing, ""},
		{"notice only in the future", ns("2025-06-02 10:00:00"), "2025-06-01 10:00:00", false, false, CodeNoticeMissing, ""},
		{"day 20 after the notice: still waiting", ns("2025-06-01 10:00:00"), "2025-06-21 23:59:59", false, false, CodeNoticePeriod, "2025-06-22 00:00:00"},
		{"day 21 after the notice: allowed", ns("2025-06-01 10:00:00"), "2025-06-22 00:00:00", false, false, CodeOK, "="},
		{"notice sent at 23:59 still counts from its day", ns("2025-06-01 23:59:00"), "2025-06-22 00:00:00", false, false, CodeOK, "="},
		{"normal debt counts from the first notice", ns("2025-06-10 10:00:00", "2025-06-01 10:00:00"), "2025-06-22 09:00:00", false, false, CodeOK, "="},
		{"small debt with one notice", ns("2025-06-01 10:00:00"), "2025-08-01 10:00:00", true, false, CodeNoticeMissing, ""},
		{"small debt with two notices the same day", ns("2025-06-01 09:00:00", "2025-06-01 17:00:00"), "2025-08-01 10:00:00", true, false, CodeNoticeMissing, ""},
		{"small debt counts from the second notice", ns("2025-06-01 10:00:00", "2025-06-05 10:00:00"), "2025-06-22 10:00:00", true, false, CodeNoticePeriod, "2025-06-26 00:00:00"},
		{"small debt allowed after the second's period", ns("2025-06-05 10:00:00", "2025-06-01 10:00:00"), "2025-06-26 00:00:00", true, false, CodeOK, "="},
		{"small debt counts from the last notice", ns("2025-06-01 10:00:00", "2025-06-05 10:00:00", "2025-06-10 10:00:00"), "2025-06-30 10:00:00", true, false, CodeNoticePeriod, "2025-07-01 00:00:00"},
		{"period runs across month and year", ns("2025-12-20 10:00:00"), "2026-01-09 12:00:00", false, false, CodeNoticePeriod, "2026-01-10 00:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := at(tt.now)
			d := BureauReport(tt.notices, now, tt.small, tt.dispute)
			if d.Code != tt.want || d.Allowed != (tt.want == CodeOK) {
				t.Fatalf("got %s (allowed %v): %s", d.Code, d.Allowed, d.Reason)
			}
			var want time.Time
			switch tt.next {
			case "":
			case "=":
				want = now
			default:
				want = at(tt.next)
			}
			if !d.Next.Equal(want) {
				t.Errorf("Next = %v, want %v", d.Next, want)
			}
			if d.Rule == "" || d.Reason == "" {
				t.Errorf("missing rule or reason: %+v", d)
			}
		})
	}
}

func TestIsSmallDebt(t *testing.T) {
	const smmlv2025 = 1_423_500 // COP
	tests := []struct {
		balance int64
		percent int64
		want    bool
	}{
		{213_525, SmallDebtPercent, true}, // exactly 15%
		{213_526, SmallDebtPercent, false},
		{0, SmallDebtPercent, true},
		{284_700, 20, true}, // the threshold is a parameter
		{284_701, 20, false},
	}
	for _, tt := range tests {
		if got := IsSmallDebt(tt.balance, smmlv2025, tt.percent); got != tt.want {
			t.Errorf("IsSmallDebt(%d, %d%%) = %v, want %v", tt.balance, tt.percent, got, tt.want)
		}
	}
}

func TestBureauEligibility(t *testing.T) {
	bog := zone(t, "America/Bogota")
	at := func(s string) time.Time { return lt(bog, s) }
	big := int64(5_000_000_00) // well above 15 % of a minimum wage
	small := int64(150_000_00) // below 15 % of the 2025 SMMLV (213.525)
	notice := []time.Time{at("2025-06-01 10:00:00")}
	two := []time.Time{at("2025-06-01 10:00:00"), at("2025-06-03 10:00:00")}
	now := at("2025-07-01 10:00:00")
	tests := []struct {
		name string
		c    BureauCase
		want string
	}{
		{"reportable", BureauCase{Notices: notice, Balance: big}, CodeOK},
		{"paid", BureauCase{Notices: notice, Balance: 0}, CodePaid},
		{"recalled", BureauCase{Notices: notice, Balance: big, Recalled: true}, CodeRecalled},
		{"open dispute", BureauCase{Notices: notice, Balance: big, DisputeOpen: true}, CodeDisputeOpen},
		{"active plan", BureauCase{Notices: notice, Balance: big, PlanActive: true}, CodePlanActive},
		{"dispute wins over plan", BureauCase{Notices: notice, Balance: big, PlanActive: true, DisputeOpen: true}, CodeDisputeOpen},
		{"no notice", BureauCase{Balance: big}, CodeNoticeMissing},
		{"small debt, one notice", BureauCase{Notices: notice, Balance: small}, CodeNoticeMissing},
		{"small debt, two notices", BureauCase{Notices: two, Balance: small}, CodeOK},
		{"waiting", BureauCase{Notices: []time.Time{at("2025-06-20 10:00:00")}, Balance: big}, CodeNoticePeriod},
	}
	for _, tc := range tests {
		if got := BureauEligibility(tc.c, now); got.Code != tc.want || got.Allowed != (tc.want == CodeOK) {
			t.Errorf("%s: %+v, want %s", tc.name, got, tc.want)
		}
	}
}

func TestMinimumWage(t *testing.T) {
	if w, ok := MinimumWage(2025); !ok || w != 1_423_500_00 {
		t.Fatal(w, ok)
	}
	if w, ok := MinimumWage(2030); ok || w != 1_423_500_00 {
		t.Fatalf("a later year uses the latest known: %d %v", w, ok)
	}
	if w, _ := MinimumWage(2024); w != 1_300_000_00 {
		t.Fatal(w)
	}
}
