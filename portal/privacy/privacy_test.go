package privacy

import (
	"testing"
	"time"
)

// Deadlines count business days after the filing day, skipping weekends
// and Colombia's holidays (8 December and Christmas here).
func TestAddBusinessDays(t *testing.T) {
	s := New(nil, nil, nil)
	bog, err := time.LoadLocation("America/Bogota")
	if err != nil {
		t.Fatal(err)
	}
	friday := time.Date(2026, 12, 4, 23, 30, 0, 0, bog)
	for _, c := range []struct {
		n    int
		want string
	}{
		{1, "2026-12-07"},  // Monday
		{2, "2026-12-09"},  // Tuesday 8 is the Immaculate Conception
		{10, "2026-12-21"}, // a consulta (art. 14)
		{15, "2026-12-29"}, // a reclamo (art. 15): Friday 25 is Christmas
		{23, "2027-01-12"}, // a reclamo extended by 8: 1 January and Monday 11 (Epiphany, moved) skipped
	} {
		if got := s.AddBusinessDays("CO", friday, c.n).Format(time.DateOnly); got != c.want {
			t.Errorf("%d business days after %s: %s, want %s", c.n, friday.Format(time.DateOnly), got, c.want)
		}
	}
	// Filed on a Saturday, the count starts on Monday.
	if got := s.AddBusinessDays("CO", time.Date(2026, 12, 5, 10, 0, 0, 0, bog), 1).Format(time.DateOnly); got != "2026-12-07" {
		t.Errorf("from a Saturday: %s", got)
	}
	r := Request{Status: StatusOpen, Due: "2026-12-21"}
	if r.Overdue(time.Date(2026, 12, 22, 4, 0, 0, 0, time.UTC), bog) { // 23:00 on the 21st in Bogotá
		t.Error("overdue while its last day is not over in Bogotá")
	}
	if !r.Overdue(time.Date(2026, 12, 22, 6, 0, 0, 0, time.UTC), bog) {
		t.Error("not overdue on the next day")
	}
	r.Status = StatusAnswered
	if r.Overdue(time.Date(2027, 1, 22, 6, 0, 0, 0, time.UTC), bog) {
		t.Error("an answered request is overdue")
	}
}
