package calc

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestCapTableValidate(t *testing.T) {
	p := func(from, to time.Time, bp int64) RatePeriod {
		return RatePeriod{From: from, To: to, AnnualEffectiveBP: bp}
	}
	tests := []struct {
		name  string
		table CapTable
		ok    bool
	}{
		{"empty", nil, true},
		{"contiguous months", CapTable{p(day(2025, 1, 1), day(2025, 1, 31), 2849), p(day(2025, 2, 1), day(2025, 2, 28), 2844)}, true},
		{"gap allowed", CapTable{p(day(2025, 1, 1), day(2025, 1, 31), 2849), p(day(2025, 3, 1), time.Time{}, 2800)}, true},
		{"single day", CapTable{p(day(2025, 1, 1), day(2025, 1, 1), 2849)}, true},
		{"overlap by a day", CapTable{p(day(2025, 1, 1), day(2025, 2, 1), 2849), p(day(2025, 2, 1), day(2025, 2, 28), 2844)}, false},
		{"open period not last", CapTable{p(day(2025, 1, 1), time.Time{}, 2849), p(day(2025, 2, 1), day(2025, 2, 28), 2844)}, false},
		{"unsorted", CapTable{p(day(2025, 2, 1), day(2025, 2, 28), 2844), p(day(2025, 1, 1), day(2025, 1, 31), 2849)}, false},
		{"same start", CapTable{p(day(2025, 1, 1), day(2025, 1, 1), 2849), p(day(2025, 1, 1), day(2025, 1, 31), 2844)}, false},
		{"to before from", CapTable{p(day(2025, 1, 31), day(2025, 1, 1), 2849)}, false},
		{"zero rate", CapTable{p(day(2025, 1, 1), day(2025, 1, 31), 0)}, false},
		{"missing from", CapTable{p(time.Time{}, day(2025, 1, 31), 2849)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.table.Validate()
			if tt.ok && err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate() = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestParseCapTable(t *testing.T) {
	got, err := ParseCapTable([]byte(`[
		{"from":"2025-02-01","to":"2025-02-28","annualEffectivePct":28.44},
		{"from":"2025-01-01","to":"2025-01-31","annualEffectivePct":"28.49"},
		{"from":"2025-03-01","annualEffectivePct":"28.1"}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := CapTable{
		{From: day(2025, 1, 1), To: day(2025, 1, 31), AnnualEffectiveBP: 2849},
		{From: day(2025, 2, 1), To: day(2025, 2, 28), AnnualEffectiveBP: 2844},
		{From: day(2025, 3, 1), AnnualEffectiveBP: 2810},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d periods, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) || got[i].AnnualEffectiveBP != want[i].AnnualEffectiveBP {
			t.Errorf("period %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// Round trip through MarshalJSON and UnmarshalJSON.
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); s != `[{"from":"2025-01-01","to":"2025-01-31","annualEffectivePct":"28.49"},{"from":"2025-02-01","to":"2025-02-28","annualEffectivePct":"28.44"},{"from":"2025-03-01","annualEffectivePct":"28.10"}]` {
		t.Errorf("marshalled %s", s)
	}
	var back struct{ Caps CapTable }
	if err := json.Unmarshal([]byte(`{"Caps":`+string(data)+`}`), &back); err != nil || len(back.Caps) != 3 || back.Caps[2].AnnualEffectiveBP != 2810 {
		t.Errorf("round trip: %v %+v", err, back.Caps)
	}
}

func TestParseCapTableRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not json":         `{`,
		"not a list":       `{"from":"2025-01-01"}`,
		"bad date":         `[{"from":"2025-13-01","annualEffectivePct":"28"}]`,
		"date with time":   `[{"from":"2025-01-01T00:00:00Z","annualEffectivePct":"28"}]`,
		"three decimals":   `[{"from":"2025-01-01","annualEffectivePct":"28.495"}]`,
		"missing pct":      `[{"from":"2025-01-01"}]`,
		"negative pct":     `[{"from":"2025-01-01","annualEffectivePct":-1}]`,
		"zero pct":         `[{"from":"2025-01-01","annualEffectivePct":"0"}]`,
		"unknown field":    `[{"from":"2025-01-01","annualEffectivePct":"28","country":"CO"}]`,
		"overlap":          `[{"from":"2025-01-01","to":"2025-01-31","annualEffectivePct":"28"},{"from":"2025-01-31","annualEffectivePct":"27"}]`,
		"two open periods": `[{"from":"2025-01-01","annualEffectivePct":"28"},{"from":"2025-02-01","annualEffectivePct":"27"}]`,
	} {
		if _, err := ParseCapTable([]byte(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestCapTableAt(t *testing.T) {
	caps := exampleCaps2025
	tests := []struct {
		day time.Time
		bp  int64
		ok  bool
	}{
		{day(2025, 7, 31), 0, false},
		{day(2025, 8, 1), 2517, true},
		{time.Date(2025, 8, 31, 23, 59, 0, 0, time.UTC), 2517, true},
		{day(2025, 9, 1), 2501, true},
		{day(2025, 12, 31), 2502, true},
		{day(2026, 1, 1), 0, false},
	}
	for _, tt := range tests {
		bp, ok := caps.At(tt.day)
		if bp != tt.bp || ok != tt.ok {
			t.Errorf("At(%s) = %d, %v; want %d, %v", tt.day.Format(dateLayout), bp, ok, tt.bp, tt.ok)
		}
	}
	// An unvalidated overlap resolves to the lower cap.
	overlap := CapTable{{From: day(2025, 1, 1), AnnualEffectiveBP: 3000}, {From: day(2025, 1, 10), To: day(2025, 1, 20), AnnualEffectiveBP: 2500}}
	if bp, _ := overlap.At(day(2025, 1, 15)); bp != 2500 {
		t.Errorf("overlap: got %d, want the lower 2500", bp)
	}
}

func TestDefaultCapTable(t *testing.T) {
	co := DefaultCapTable("co")
	if len(co) == 0 {
		t.Fatal("no Colombian example caps")
	}
	if err := co.Validate(); err != nil {
		t.Fatal(err)
	}
	if co[len(co)-1].To.IsZero() {
		t.Error("the shipped table must end closed so days after it show up as provisional")
	}
	for i, p := range co {
		if p.Source == "" {
			t.Errorf("period %d has no source", i)
		}
	}
	// The resolution the issue cites: March 2026, 25.52 % EA (Res. 0405/2026).
	if bp, ok := co.At(day(2026, 3, 15)); !ok || bp != 2552 {
		t.Errorf("March 2026 cap %d %v, want 2552", bp, ok)
	}
	co[0].AnnualEffectiveBP = 1
	if DefaultCapTable("CO")[0].AnnualEffectiveBP == 1 {
		t.Error("DefaultCapTable returns shared state")
	}
	for _, c := range []string{"MX", "PE", "US", ""} {
		if DefaultCapTable(c) != nil {
			t.Errorf("DefaultCapTable(%q) should be nil until configured", c)
		}
	}
}
