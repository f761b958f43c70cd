package calc

import (
	"testing"
	"time"
	_ "time/tzdata" // America/Bogota without relying on the host's zoneinfo
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func bogota(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Bogota")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestAddMonths(t *testing.T) {
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"jan31 to feb, common year", day(2025, 1, 31), 1, day(2025, 2, 28)},
		{"jan31 to feb, leap year", day(2024, 1, 31), 1, day(2024, 2, 29)},
		{"jan31 plus two keeps the 31st", day(2025, 1, 31), 2, day(2025, 3, 31)},
		{"aug31 to sep30", day(2025, 8, 31), 1, day(2025, 9, 30)},
		{"mar31 back to feb", day(2025, 3, 31), -1, day(2025, 2, 28)},
		{"across the year", day(2025, 12, 15), 1, day(2026, 1, 15)},
		{"feb29 plus a year", day(2024, 2, 29), 12, day(2025, 2, 28)},
		{"zero drops the time of day", time.Date(2025, 5, 7, 15, 4, 5, 0, time.UTC), 0, day(2025, 5, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AddMonths(tt.from, tt.n); !got.Equal(tt.want) {
				t.Errorf("AddMonths(%s, %d) = %s, want %s", tt.from.Format(dateLayout), tt.n, got.Format(dateLayout), tt.want.Format(dateLayout))
			}
		})
	}
}

func TestAddMonthsKeepsLocation(t *testing.T) {
	loc := bogota(t)
	got := AddMonths(time.Date(2025, 1, 31, 22, 0, 0, 0, loc), 1)
	if want := time.Date(2025, 2, 28, 0, 0, 0, 0, loc); !got.Equal(want) || got.Location() != loc {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDaysPastDue(t *testing.T) {
	bog := bogota(t)
	due := day(2025, 3, 10)
	tests := []struct {
		name string
		due  time.Time
		now  time.Time
		loc  *time.Location
		want int
	}{
		{"before due", due, time.Date(2025, 3, 9, 12, 0, 0, 0, bog), bog, 0},
		{"due date is day 0", due, time.Date(2025, 3, 10, 23, 59, 59, 0, bog), bog, 0},
		{"first minute after", due, time.Date(2025, 3, 11, 0, 0, 0, 0, bog), bog, 1},
		{"22:00 in Bogota is still the due date", due, time.Date(2025, 3, 11, 3, 0, 0, 0, time.UTC), bog, 0},
		{"same instant in UTC is a day late", due, time.Date(2025, 3, 11, 3, 0, 0, 0, time.UTC), time.UTC, 1},
		{"last second of the day in Bogota", due, time.Date(2025, 3, 11, 4, 59, 59, 0, time.UTC), bog, 0},
		{"Bogota midnight", due, time.Date(2025, 3, 11, 5, 0, 0, 0, time.UTC), bog, 1},
		{"due written in Bogota", time.Date(2025, 3, 10, 0, 0, 0, 0, bog), time.Date(2025, 4, 9, 12, 0, 0, 0, bog), bog, 30},
		{"nil location is UTC", due, time.Date(2025, 3, 11, 3, 0, 0, 0, time.UTC), nil, 1},
		{"across a leap day", day(2024, 2, 28), day(2024, 3, 1), time.UTC, 2},
		{"a year late", due, time.Date(2026, 3, 10, 8, 0, 0, 0, bog), bog, 365},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DaysPastDue(tt.due, tt.now, tt.loc); got != tt.want {
				t.Errorf("DaysPastDue = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestBucket(t *testing.T) {
	tests := []struct {
		dpd  int
		want string
	}{
		{-3, "current"}, {0, "current"},
		{1, "1-30"}, {30, "1-30"},
		{31, "31-60"}, {60, "31-60"},
		{61, "61-90"}, {90, "61-90"},
		{91, "91-180"}, {180, "91-180"},
		{181, "181-360"}, {360, "181-360"},
		{361, "360+"}, {5000, "360+"},
	}
	for _, tt := range tests {
		if got := Bucket(tt.dpd); got != tt.want {
			t.Errorf("Bucket(%d) = %q, want %q", tt.dpd, got, tt.want)
		}
	}
	seen := map[string]bool{}
	for _, b := range Buckets() {
		seen[b] = true
	}
	for _, tt := range tests {
		if !seen[tt.want] {
			t.Errorf("Buckets() misses %q", tt.want)
		}
	}
}
