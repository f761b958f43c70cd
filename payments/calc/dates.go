package calc

import "time"

const secondsPerDay = 24 * 60 * 60

// dayNum is the civil date of t, read in t's own location, as a day count
// from 1970-01-01; differences of day numbers are differences in calendar days
// whatever the time zone or daylight saving.
func dayNum(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
}

// civilDate is day number n at midnight in loc.
func civilDate(n int64, loc *time.Location) time.Time {
	y, m, d := time.Unix(n*secondsPerDay, 0).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// AddMonths moves a civil date n months (n may be negative), keeping the day of
// the month and clamping it to the month's last day: 31 January + 1 month is
// 28 February (29 in a leap year). Always count from the same anchor date:
// AddMonths(jan31, 2) is 31 March, not the 28th.
func AddMonths(d time.Time, n int) time.Time {
	y, m, day := d.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, d.Location())
	if last := daysInMonth(first.Year(), first.Month()); day > last {
		day = last
	}
	return time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, d.Location())
}

func daysInMonth(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// DaysPastDue counts calendar days from the civil due date to the civil date of
// now in loc (the tenant's zone, so a payment at 23:00 in Bogotá is still on
// time while UTC has moved on). The due date itself is day 0; before it, 0.
// A nil loc means UTC.
func DaysPastDue(due, now time.Time, loc *time.Location) int {
	if loc == nil {
		loc = time.UTC
	}
	n := dayNum(now.In(loc)) - dayNum(due)
	if n < 0 {
		return 0
	}
	return int(n)
}

// Aging buckets, in order. "360+" means more than 360 days: day 360 is still
// in "181-360".
const (
	BucketCurrent  = "current"
	Bucket1to30    = "1-30"
	Bucket31to60   = "31-60"
	Bucket61to90   = "61-90"
	Bucket91to180  = "91-180"
	Bucket181to360 = "181-360"
	BucketOver360  = "360+"
)

// Buckets lists the aging buckets from youngest to oldest, for reports that
// must show empty buckets too.
func Buckets() []string {
	return []string{BucketCurrent, Bucket1to30, Bucket31to60, Bucket61to90, Bucket91to180, Bucket181to360, BucketOver360}
}

// Bucket names the aging bucket of a days-past-due count; 0 or less is current.
func Bucket(dpd int) string {
	switch {
	case dpd <= 0:
		return BucketCurrent
	case dpd <= 30:
		return Bucket1to30
	case dpd <= 60:
		return Bucket31to60
	case dpd <= 90:
		return Bucket61to90
	case dpd <= 180:
		return Bucket91to180
	case dpd <= 360:
		return Bucket181to360
	default:
		return BucketOver360
	}
}
