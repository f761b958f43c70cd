package ingest

import (
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in   string
		xlsx bool
		want time.Time
		err  error
	}{
		{"2025-01-31", false, d(2025, 1, 31), nil},
		{"2025/01/31", false, d(2025, 1, 31), nil},
		{"2025-1-5", false, d(2025, 1, 5), nil},
		{"31/01/2025", false, d(2025, 1, 31), nil},
		{"31-01-2025", false, d(2025, 1, 31), nil},
		{"5/1/2025", false, d(2025, 1, 5), nil}, // day first: 5 January
		{"12/11/2025", false, d(2025, 11, 12), nil},
		{" 31/01/2025 ", false, d(2025, 1, 31), nil},
		{"29/02/2024", false, d(2024, 2, 29), nil},
		{"29/02/2000", false, d(2000, 2, 29), nil},
		{"2025-01-31 00:00:00", false, d(2025, 1, 31), nil},
		{"2025-01-31T00:00:00", false, d(2025, 1, 31), nil},
		{"2025-01-31T23:59:59Z", false, d(2025, 1, 31), nil},
		{"2025-01-31T23:59:59-05:00", false, d(2025, 1, 31), nil},
		{"31/01/2025 0:00", false, d(2025, 1, 31), nil},
		{"31/01/2025 12:00 a. m.", false, d(2025, 1, 31), nil},
		{"31/01/2025 00:00:00.000", false, d(2025, 1, 31), nil},
		{"1900-01-01", false, d(1900, 1, 1), nil},
		{"2200-12-31", false, d(2200, 12, 31), nil},

		{"31/02/2025", false, time.Time{}, ErrDateImpossible},
		{"29/02/2025", false, time.Time{}, ErrDateImpossible},
		{"29/02/1900", false, time.Time{}, ErrDateImpossible},
		{"2025-13-01", false, time.Time{}, ErrDateImpossible},
		{"2025-00-10", false, time.Time{}, ErrDateImpossible},
		{"00/01/2025", false, time.Time{}, ErrDateImpossible},
		{"31/04/2025", false, time.Time{}, ErrDateImpossible},
		{"1899-12-31", false, time.Time{}, ErrDateRange},
		{"01/01/2201", false, time.Time{}, ErrDateRange},
		{"0000-01-01", false, time.Time{}, ErrDateRange},

		{"", false, time.Time{}, ErrDateSyntax},
		{"hoy", false, time.Time{}, ErrDateSyntax},
		{"08-08-25", false, time.Time{}, ErrDateSyntax}, // two-digit year: ambiguous
		{"2025-01", false, time.Time{}, ErrDateSyntax},
		{"2025-01-01-01", false, time.Time{}, ErrDateSyntax},
		{"31/01-2025", false, time.Time{}, ErrDateSyntax},
		{"31.01.2025", false, time.Time{}, ErrDateSyntax},
		{"2025-001-01", false, time.Time{}, ErrDateSyntax},
		{"2025-01-001", false, time.Time{}, ErrDateSyntax},
		{"123/01/2025", false, time.Time{}, ErrDateSyntax},
		{"/01/2025", false, time.Time{}, ErrDateSyntax},
		{"2025--01", false, time.Time{}, ErrDateSyntax},
		{"31/01/2025 mañana", false, time.Time{}, ErrDateSyntax},
		{"20250131", false, time.Time{}, ErrDateSyntax},
		{"45678", false, time.Time{}, ErrDateSyntax}, // serials only from XLSX
		{"2025-01-31T", false, time.Time{}, ErrDateSyntax},

		// Excel serials (1900 system).
		{"1", true, d(1900, 1, 1), nil},
		{"59", true, d(1900, 2, 28), nil},
		{"61", true, d(1900, 3, 1), nil},
		{"45658", true, d(2025, 1, 1), nil},
		{"45688", true, d(2025, 1, 31), nil},
		{"45688.75", true, d(2025, 1, 31), nil},
		{"2958465", true, time.Time{}, ErrDateRange}, // 9999-12-31
		{"109939", true, d(2200, 12, 31), nil},
		{"109940", true, time.Time{}, ErrDateRange},
		{"109574", true, d(2199, 12, 31), nil},
		{"60", true, time.Time{}, ErrDateImpossible}, // Lotus 1-2-3's 1900-02-29
		{"0", true, time.Time{}, ErrDateRange},
		{"99999999999", true, time.Time{}, ErrDateRange},
		{"-1", true, time.Time{}, ErrDateSyntax},
		{"45688.", true, time.Time{}, ErrDateSyntax},
		{"31/01/2025", true, d(2025, 1, 31), nil}, // a text cell in a workbook
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in, tt.xlsx)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseDate(%q, %v) = %v, %v; want %v", tt.in, tt.xlsx, got, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseDate(%q, %v) = %v, %v; want %v", tt.in, tt.xlsx, got, err, tt.want)
		}
	}
}

func TestParseDate1904(t *testing.T) {
	got, _, err := parseDate("0", true, true, DayFirst)
	if err != nil || !got.Equal(time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("serial 0 in 1904 system = %v, %v", got, err)
	}
	got, _, err = parseDate("44226", true, true, DayFirst) // 45688 - 1462
	if err != nil || !got.Equal(time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("serial 44226 in 1904 system = %v, %v", got, err)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2025-01-31", "31/02/2025", "5/1/2025", "45688.5", "2025-01-31T00:00:00Z", "60"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, xlsx bool) {
		got, err := ParseDate(s, xlsx)
		if err != nil {
			if !errors.Is(err, ErrDateSyntax) && !errors.Is(err, ErrDateImpossible) && !errors.Is(err, ErrDateRange) {
				t.Fatalf("ParseDate(%q) error %v is not a sentinel", s, err)
			}
			return
		}
		if got.Location() != time.UTC || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("ParseDate(%q) = %v, not a civil date at 00:00 UTC", s, got)
		}
		if got.Year() < minYear || got.Year() > maxYear {
			t.Fatalf("ParseDate(%q) = %v, year out of range", s, got)
		}
		for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
			again, err := ParseDate(got.Format(layout), false)
			if err != nil || !again.Equal(got) {
				t.Fatalf("ParseDate(%q) = %v, but its %s form reads as %v, %v", s, got, layout, again, err)
			}
		}
	})
}
