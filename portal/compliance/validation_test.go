package compliance

import (
	"testing"
	"time"
)

func TestValidationNoticeDue(t *testing.T) {
	ny := zone(t, "America/New_York")
	at := func(s string) time.Time { return lt(ny, s) }
	tests := []struct {
		name    string
		first   string
		sent    bool
		now     string
		due     string
		overdue bool
	}{
		{"Monday: five weekdays later", "2024-06-03 10:00:00", false, "2024-06-10 23:59:59", "2024-06-10", false},
		{"overdue the day after", "2024-06-03 10:00:00", false, "2024-06-11 00:00:00", "2024-06-10", true},
		{"sent: never overdue", "2024-06-03 10:00:00", true, "2024-07-01 00:00:00", "2024-06-10", false},
		{"Juneteenth skipped", "2024-06-17 10:00:00", false, "2024-06-17 10:00:00", "2024-06-25", false},
		{"Christmas skipped", "2024-12-20 16:00:00", false, "2024-12-20 16:00:00", "2024-12-30", false},
		{"Saturday first contact", "2024-06-01 10:00:00", false, "2024-06-01 10:00:00", "2024-06-07", false},
		{"observed New Year on Dec 31 skipped", "2021-12-28 10:00:00", false, "2021-12-28 10:00:00", "2022-01-05", false},
		{"Thanksgiving skipped", "2024-11-26 10:00:00", false, "2024-12-05 00:00:00", "2024-12-04", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, overdue := ValidationNoticeDue(at(tt.first), tt.sent, at(tt.now))
			if want := at(tt.due + " 00:00:00"); !due.Equal(want) {
				t.Errorf("due = %v, want %v", due, want)
			}
			if overdue != tt.overdue {
				t.Errorf("overdue = %v, want %v", overdue, tt.overdue)
			}
		})
	}
}
