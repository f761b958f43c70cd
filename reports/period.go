package reports

import (
	"strings"
	"time"

	"cartera/portal/apperr"
)

// Period is a span of civil days in the tenant's time zone, both ends
// included: [Start, End) in instants.
type Period struct {
	From, To   time.Time // civil dates at midnight in Loc
	Start, End time.Time // instants: From 00:00 and the day after To 00:00
	Loc        *time.Location
}

// maxPeriodDays bounds a report's span (five years).
const maxPeriodDays = 5 * 366

// NewPeriod builds the period from from to to (civil dates in loc).
func NewPeriod(from, to time.Time, loc *time.Location) Period {
	f := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	t := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc)
	return Period{From: f, To: t, Start: f, End: t.AddDate(0, 0, 1), Loc: loc}
}

// ParsePeriod reads "YYYY-MM-DD" bounds; an empty from is the first day of
// the month of now, an empty to is today (both in loc).
func ParsePeriod(from, to string, now time.Time, loc *time.Location) (Period, error) {
	today := now.In(loc)
	f := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, loc)
	t := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	fields := apperr.Fields{}
	if s := strings.TrimSpace(from); s != "" {
		d, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			fields.Add("from", "fecha AAAA-MM-DD")
		}
		f = d
	}
	if s := strings.TrimSpace(to); s != "" {
		d, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			fields.Add("to", "fecha AAAA-MM-DD")
		}
		t = d
	}
	if err := fields.Err(); err != nil {
		return Period{}, err
	}
	if t.Before(f) {
		return Period{}, apperr.Field("to", "la fecha final es anterior a la inicial")
	}
	if t.Sub(f) > maxPeriodDays*24*time.Hour {
		return Period{}, apperr.Field("from", "el periodo no puede superar cinco años")
	}
	return NewPeriod(f, t, loc), nil
}

// Contains reports whether instant at falls within the period.
func (p Period) Contains(at time.Time) bool { return !at.Before(p.Start) && at.Before(p.End) }

// Days is the number of civil days in the period.
func (p Period) Days() int { return int(p.End.Sub(p.Start).Round(24*time.Hour) / (24 * time.Hour)) }
