package compliance

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Holiday is a public holiday. Date is the civil date at 00:00 UTC.
// Holidays sharing a date are merged into one entry, names joined by " / ".
type Holiday struct {
	Date time.Time
	Name string
}

// Holidays returns the public holidays of a country (CO, MX, PE, US) in a
// year, sorted by date; nil for an unknown country. US dates are the observed
// ones. The rules are written for 1970..2200; outside that range the current
// rules are simply extended.
func Holidays(country string, year int) []Holiday {
	var hs []Holiday
	switch strings.ToUpper(country) {
	case "CO":
		hs = colombia(year)
	case "MX":
		hs = mexico(year)
	case "PE":
		hs = peru(year)
	case "US":
		hs = unitedStates(year)
	default:
		return nil
	}
	return merge(hs)
}

// IsHoliday reports whether d's civil date, in d's own location, is a public
// holiday. Pass d in the debtor's time zone.
func IsHoliday(country string, d time.Time) bool {
	_, ok := holidayOn(Holidays(country, d.Year()), d)
	return ok
}

func holidayOn(hs []Holiday, d time.Time) (string, bool) {
	c := civil(d)
	i, ok := slices.BinarySearchFunc(hs, c, func(h Holiday, t time.Time) int { return h.Date.Compare(t) })
	if !ok {
		return "", false
	}
	return hs[i].Name, true
}

// Calendar caches holiday lists per country and year. The zero value is ready
// to use and safe for concurrent use.
type Calendar struct {
	mu    sync.RWMutex
	years map[calendarKey][]Holiday
}

type calendarKey struct {
	country string
	year    int
}

// calendarSize bounds the cache; a full cache is simply dropped, as a year is
// cheap to recompute.
const calendarSize = 256

// NewCalendar returns an empty Calendar.
func NewCalendar() *Calendar { return &Calendar{} }

// Holidays is the cached form of the package function; the result is a copy.
func (c *Calendar) Holidays(country string, year int) []Holiday {
	return slices.Clone(c.year(country, year))
}

// IsHoliday is the cached form of the package function.
func (c *Calendar) IsHoliday(country string, d time.Time) bool {
	_, ok := c.holiday(country, d)
	return ok
}

func (c *Calendar) holiday(country string, d time.Time) (string, bool) {
	return holidayOn(c.year(country, d.Year()), d)
}

func (c *Calendar) year(country string, year int) []Holiday {
	k := calendarKey{strings.ToUpper(country), year}
	c.mu.RLock()
	hs, ok := c.years[k]
	c.mu.RUnlock()
	if ok {
		return hs
	}
	hs = Holidays(k.country, year)
	c.mu.Lock()
	if c.years == nil || len(c.years) >= calendarSize {
		c.years = make(map[calendarKey][]Holiday)
	}
	c.years[k] = hs
	c.mu.Unlock()
	return hs
}

// Easter returns Easter Sunday (Gregorian) at 00:00 UTC, by the anonymous
// Gregorian algorithm (Meeus/Jones/Butcher).
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return date(year, time.Month(month), day)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return date(y, m, d)
}

// nthWeekday returns the n-th weekday of a month; n = -1 is the last.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) time.Time {
	if n < 0 {
		last := date(y, m+1, 0)
		return last.AddDate(0, 0, -((int(last.Weekday()) - int(wd) + 7) % 7))
	}
	first := date(y, m, 1)
	return first.AddDate(0, 0, (int(wd)-int(first.Weekday())+7)%7+7*(n-1))
}

// nextMonday moves a date to the following Monday unless it is one (Ley 51 de 1983).
func nextMonday(d time.Time) time.Time {
	return d.AddDate(0, 0, (8-int(d.Weekday()))%7)
}

func merge(hs []Holiday) []Holiday {
	slices.SortStableFunc(hs, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	out := hs[:0]
	for _, h := range hs {
		if n := len(out); n > 0 && out[n-1].Date.Equal(h.Date) {
			out[n-1].Name += " / " + h.Name
			continue
		}
		out = append(out, h)
	}
	return slices.Clip(out)
}

// colombia: Ley 51 de 1983 (Ley Emiliani). The Emiliani rules are applied to
// every year, including those before 1984 when they took effect.
func colombia(y int) []Holiday {
	e := Easter(y)
	return []Holiday{
		{date(y, 1, 1), "Año Nuevo"},
		{nextMonday(date(y, 1, 6)), "Día de los Reyes Magos"},
		{nextMonday(date(y, 3, 19)), "Día de San José"},
		{e.AddDate(0, 0, -3), "Jueves Santo"},
		{e.AddDate(0, 0, -2), "Viernes Santo"},
		{date(y, 5, 1), "Día del Trabajo"},
		{e.AddDate(0, 0, 43), "Ascensión del Señor"},
		{e.AddDate(0, 0, 64), "Corpus Christi"},
		{e.AddDate(0, 0, 71), "Sagrado Corazón de Jesús"},
		{nextMonday(date(y, 6, 29)), "San Pedro y San Pablo"},
		{date(y, 7, 20), "Día de la Independencia"},
		{date(y, 8, 7), "Batalla de Boyacá"},
		{nextMonday(date(y, 8, 15)), "La Asunción de la Virgen"},
		{nextMonday(date(y, 10, 12)), "Día de la Raza"},
		{nextMonday(date(y, 11, 1)), "Día de Todos los Santos"},
		{nextMonday(date(y, 11, 11)), "Independencia de Cartagena"},
		{date(y, 12, 8), "Día de la Inmaculada Concepción"},
		{date(y, 12, 25), "Navidad"},
	}
}

// mexico: Ley Federal del Trabajo art. 74. The Monday rules date from the
// 2006 reform; before it the days were fixed. The six-yearly transfer of the
// Executive was on December 1 until 2018 and is on October 1 from 2024.
func mexico(y int) []Holiday {
	hs := []Holiday{
		{date(y, 1, 1), "Año Nuevo"},
		{date(y, 5, 1), "Día del Trabajo"},
		{date(y, 9, 16), "Día de la Independencia"},
		{date(y, 12, 25), "Navidad"},
	}
	if y >= 2006 {
		hs = append(hs,
			Holiday{nthWeekday(y, 2, time.Monday, 1), "Día de la Constitución"},
			Holiday{nthWeekday(y, 3, time.Monday, 3), "Natalicio de Benito Juárez"},
			Holiday{nthWeekday(y, 11, time.Monday, 3), "Día de la Revolución"})
	} else {
		hs = append(hs,
			Holiday{date(y, 2, 5), "Día de la Constitución"},
			Holiday{date(y, 3, 21), "Natalicio de Benito Juárez"},
			Holiday{date(y, 11, 20), "Día de la Revolución"})
	}
	if (y-2024)%6 == 0 {
		d := date(y, 10, 1)
		if y < 2024 {
			d = date(y, 12, 1)
		}
		hs = append(hs, Holiday{d, "Transmisión del Poder Ejecutivo Federal"})
	}
	return hs
}

// peru: Decreto Legislativo 713 art. 6 and the laws that added days to it.
func peru(y int) []Holiday {
	e := Easter(y)
	hs := []Holiday{
		{date(y, 1, 1), "Año Nuevo"},
		{e.AddDate(0, 0, -3), "Jueves Santo"},
		{e.AddDate(0, 0, -2), "Viernes Santo"},
		{date(y, 5, 1), "Día del Trabajo"},
		{date(y, 6, 29), "San Pedro y San Pablo"},
		{date(y, 7, 28), "Fiestas Patrias"},
		{date(y, 7, 29), "Fiestas Patrias"},
		{date(y, 8, 30), "Santa Rosa de Lima"},
		{date(y, 10, 8), "Combate de Angamos"},
		{date(y, 11, 1), "Día de Todos los Santos"},
		{date(y, 12, 8), "Inmaculada Concepción"},
		{date(y, 12, 25), "Navidad"},
	}
	if y >= 2022 {
		hs = append(hs,
			Holiday{date(y, 8, 6), "Batalla de Junín"},     // Ley 31530
			Holiday{date(y, 12, 9), "Batalla de Ayacucho"}) // Ley 31381
	}
	if y >= 2024 {
		hs = append(hs,
			Holiday{date(y, 6, 7), "Batalla de Arica y Día de la Bandera"}, // Ley 31788
			Holiday{date(y, 7, 23), "Día de la Fuerza Aérea del Perú"})     // Ley 31822
	}
	return hs
}

// unitedStates: 5 U.S.C. 6103, observed dates (Saturday -> Friday, Sunday ->
// Monday, Executive Order 11582). A Saturday New Year's Day is observed on
// December 31 of the year before, so it belongs to that year's list.
func unitedStates(y int) []Holiday {
	var hs []Holiday
	add := func(d time.Time, name string) {
		switch d.Weekday() {
		case time.Saturday:
			d, name = d.AddDate(0, 0, -1), name+" (observed)"
		case time.Sunday:
			d, name = d.AddDate(0, 0, 1), name+" (observed)"
		}
		if d.Year() == y {
			hs = append(hs, Holiday{d, name})
		}
	}
	add(date(y, 1, 1), "New Year's Day")
	add(date(y+1, 1, 1), "New Year's Day")
	if y >= 1986 {
		add(nthWeekday(y, 1, time.Monday, 3), "Birthday of Martin Luther King, Jr.")
	}
	// Uniform Monday Holiday Act, in force from 1971.
	if y >= 1971 {
		add(nthWeekday(y, 2, time.Monday, 3), "Washington's Birthday")
		add(nthWeekday(y, 5, time.Monday, -1), "Memorial Day")
		add(nthWeekday(y, 10, time.Monday, 2), "Columbus Day")
	} else {
		add(date(y, 2, 22), "Washington's Birthday")
		add(date(y, 5, 30), "Memorial Day")
		add(date(y, 10, 12), "Columbus Day")
	}
	if y >= 2021 {
		add(date(y, 6, 19), "Juneteenth National Independence Day")
	}
	add(date(y, 7, 4), "Independence Day")
	add(nthWeekday(y, 9, time.Monday, 1), "Labor Day")
	if y >= 1971 && y <= 1977 {
		add(nthWeekday(y, 10, time.Monday, 4), "Veterans Day")
	} else {
		add(date(y, 11, 11), "Veterans Day")
	}
	add(nthWeekday(y, 11, time.Thursday, 4), "Thanksgiving Day")
	add(date(y, 12, 25), "Christmas Day")
	return hs
}
