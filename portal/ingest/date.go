package ingest

import (
	"errors"
	"strings"
	"time"
)

// Date errors returned by ParseDate.
var (
	ErrDateSyntax     = errors.New("ingest: unrecognised date")
	ErrDateImpossible = errors.New("ingest: impossible date")
	ErrDateRange      = errors.New("ingest: year outside 1900..2200")
)

const (
	minYear = 1900
	maxYear = 2200
)

// DateOrder is how a file writes the day and month of a slashed date
// whose year comes last.
type DateOrder string

// Date orders: day first in Colombia, Mexico and Peru; month first in the US.
const (
	DayFirst   DateOrder = "DMY"
	MonthFirst DateOrder = "MDY"
)

// OrderOf is the date order of a locale.
func OrderOf(locale string) DateOrder {
	if strings.HasPrefix(locale, "en-US") {
		return MonthFirst
	}
	return DayFirst
}

// dateShape says what a parsed date tells about the file's date order.
type dateShape int

const (
	shapeNeutral        dateShape = iota // ISO, a serial, or day equal to month
	shapeAmbiguous                       // both readings are dates: 01/11/2026
	shapeDayFirstOnly                    // only day first is a date: 13/01/2026
	shapeMonthFirstOnly                  // only month first is a date: 01/13/2026
)

// ParseDate reads a civil date and returns it at 00:00 UTC.
//
// Accepted: YYYY-MM-DD, YYYY/MM/DD, DD/MM/YYYY, DD-MM-YYYY, with 1- or
// 2-digit day and month; day first whenever the year is last (the order
// used in Colombia, Mexico and Peru). A trailing time ("2025-01-31
// 00:00:00", "2025-01-31T00:00:00Z", "31/01/2025 0:00") is ignored, offset
// included: the date written is the date meant. Two-digit years are
// rejected as ambiguous. With fromXLSX, a number is an Excel serial date in
// the 1900 date system (serial 1 is 1900-01-01; serial 60 is Excel's
// nonexistent 1900-02-29 and is rejected); a fraction (time of day) is
// dropped. Serials are not accepted from CSV, where "45678" is more likely
// a typo than a date.
func ParseDate(s string, fromXLSX bool) (time.Time, error) {
	t, _, err := parseDate(s, fromXLSX, false, DayFirst)
	return t, err
}

// ParseDateOrder is ParseDate with the order of a year-last date given:
// MonthFirst reads 01/11/2026 as January 11 (US files).
func ParseDateOrder(s string, fromXLSX bool, order DateOrder) (time.Time, error) {
	t, _, err := parseDate(s, fromXLSX, false, order)
	return t, err
}

func parseDate(s string, fromXLSX, date1904 bool, order DateOrder) (time.Time, dateShape, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, shapeNeutral, ErrDateSyntax
	}
	if fromXLSX && isSerial(s) {
		t, err := fromSerial(s, date1904)
		return t, shapeNeutral, err
	}
	// Cut a time part off at the first space or 'T' after the date.
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == 'T' {
			if !isTime(strings.TrimSpace(s[i+1:])) {
				return time.Time{}, shapeNeutral, ErrDateSyntax
			}
			s = s[:i]
			break
		}
	}
	var parts [3]string
	var sep byte
	n, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isDigit(s[i]) {
			continue
		}
		if i < len(s) {
			if (s[i] != '-' && s[i] != '/') || (sep != 0 && s[i] != sep) {
				return time.Time{}, shapeNeutral, ErrDateSyntax
			}
			sep = s[i]
		}
		if n == 3 {
			return time.Time{}, shapeNeutral, ErrDateSyntax
		}
		parts[n], start, n = s[start:i], i+1, n+1
	}
	if n != 3 {
		return time.Time{}, shapeNeutral, ErrDateSyntax
	}
	var ys, ms, ds string
	shape := shapeNeutral
	switch {
	case len(parts[0]) == 4 && len(parts[2]) <= 2:
		ys, ms, ds = parts[0], parts[1], parts[2]
	case len(parts[2]) == 4 && len(parts[0]) <= 2:
		ds, ms, ys = parts[0], parts[1], parts[2]
		if order == MonthFirst {
			ds, ms = ms, ds
		}
		if len(parts[0]) > 0 && len(parts[1]) > 0 && len(parts[1]) <= 2 {
			a, b := atoi(parts[0]), atoi(parts[1])
			switch {
			case a > 12 && b <= 12:
				shape = shapeDayFirstOnly
			case b > 12 && a <= 12:
				shape = shapeMonthFirstOnly
			case a != b && a >= 1 && b >= 1 && a <= 12 && b <= 12:
				shape = shapeAmbiguous
			}
		}
	default:
		return time.Time{}, shapeNeutral, ErrDateSyntax
	}
	if len(ms) == 0 || len(ms) > 2 || len(ds) == 0 || len(ds) > 2 {
		return time.Time{}, shapeNeutral, ErrDateSyntax
	}
	t, err := civil(atoi(ys), atoi(ms), atoi(ds))
	return t, shape, err
}

// civil validates a calendar date; the range is checked first so that
// "1800-02-30" reports the year, the likelier mistake.
func civil(y, m, d int) (time.Time, error) {
	if y < minYear || y > maxYear {
		return time.Time{}, ErrDateRange
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, ErrDateImpossible
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// isSerial reports whether s is digits with an optional fraction.
func isSerial(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
		case s[i] == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}

func fromSerial(s string, date1904 bool) (time.Time, error) {
	whole := s
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			whole = s[:i]
			break
		}
	}
	if len(whole) > 7 { // far past 2200, and atoi cannot overflow
		return time.Time{}, ErrDateRange
	}
	n := atoi(whole)
	var t time.Time
	switch {
	case date1904:
		t = time.Date(1904, 1, 1+n, 0, 0, 0, 0, time.UTC)
	case n == 60:
		// Excel keeps Lotus 1-2-3's 1900-02-29, a day that never was.
		return time.Time{}, ErrDateImpossible
	case n < 60:
		t = time.Date(1899, 12, 31+n, 0, 0, 0, 0, time.UTC)
	default:
		t = time.Date(1899, 12, 30+n, 0, 0, 0, 0, time.UTC)
	}
	if n < 1 && !date1904 || t.Year() < minYear || t.Year() > maxYear {
		return time.Time{}, ErrDateRange
	}
	return t, nil
}

// isTime loosely accepts what spreadsheets and ERPs append to a date:
// "0:00", "00:00:00", "00:00:00.000", "12:00 a. m.", "00:00:00Z",
// "00:00:00-05:00".
func isTime(s string) bool {
	if len(s) < 4 || !isDigit(s[0]) {
		return false
	}
	colon := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c), c == '.', c == '+', c == '-', c == ' ':
		case c == ':':
			colon = true
		case c == 'Z', c == 'a', c == 'A', c == 'p', c == 'P', c == 'm', c == 'M':
		default:
			return false
		}
	}
	return colon
}

// atoi converts a short run of ASCII digits; callers bound the length.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
