package compliance

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the host's zoneinfo
)

// md parses "01-02" dates of one year into civil dates.
func md(year int, days ...string) []time.Time {
	out := make([]time.Time, len(days))
	for i, s := range days {
		var m, d int
		if _, err := fmt.Sscanf(s, "%d-%d", &m, &d); err != nil {
			panic(s)
		}
		out[i] = date(year, time.Month(m), d)
	}
	return out
}

func dates(hs []Holiday) []time.Time {
	out := make([]time.Time, len(hs))
	for i, h := range hs {
		out[i] = h.Date
	}
	return out
}

func fmtDates(ds []time.Time) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.Format("01-02 Mon")
	}
	return strings.Join(s, ", ")
}

// oudinEaster is an independent algorithm (Oudin 1940) to cross-check Easter.
func oudinEaster(y int) time.Time {
	g := y % 19
	c := y / 100
	h := (c - c/4 - (8*c+13)/25 + 19*g + 15) % 30
	i := h - (h/28)*(1-(29/(h+1))*((21-g)/11))
	j := (y + y/4 + i + 2 - c + c/4) % 7
	l := i - j
	m := 3 + (l+40)/44
	return date(y, time.Month(m), l+28-31*(m/4))
}

func TestEaster(t *testing.T) {
	known := map[int]string{
		1818: "03-22", 1970: "03-29", 2000: "04-23", 2008: "03-23", 2011: "04-24",
		2019: "04-21", 2024: "03-31", 2025: "04-20", 2026: "04-05", 2038: "04-25", 2285: "03-22",
	}
	for y, want := range known {
		if got := Easter(y); !got.Equal(md(y, want)[0]) {
			t.Errorf("Easter(%d) = %s, want %s", y, got.Format("2006-01-02"), want)
		}
	}
	for y := 1970; y <= 2200; y++ {
		e := Easter(y)
		if !e.Equal(oudinEaster(y)) || e.Weekday() != time.Sunday {
			t.Errorf("Easter(%d) = %s (%s), Oudin says %s", y, e.Format("2006-01-02"), e.Weekday(), oudinEaster(y).Format("2006-01-02"))
		}
	}
}

func TestHolidaysFullLists(t *testing.T) {
	tests := []struct {
		country string
		year    int
		want    []string
	}{
		{"CO", 2024, []string{"01-01", "01-08", "03-25", "03-28", "03-29", "05-01", "05-13", "06-03", "06-10", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"}},
		{"CO", 2025, []string{"01-01", "01-06", "03-24", "04-17", "04-18", "05-01", "06-02", "06-23", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"}},
		{"CO", 2026, []string{"01-01", "01-12", "03-23", "04-02", "04-03", "05-01", "05-18", "06-08", "06-15", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"}},
		{"MX", 2005, []string{"01-01", "02-05", "03-21", "05-01", "09-16", "11-20", "12-25"}},
		{"MX", 2018, []string{"01-01", "02-05", "03-19", "05-01", "09-16", "11-19", "12-01", "12-25"}},
		{"MX", 2024, []string{"01-01", "02-05", "03-18", "05-01", "09-16", "10-01", "11-18", "12-25"}},
		{"MX", 2025, []string{"01-01", "02-03", "03-17", "05-01", "09-16", "11-17", "12-25"}},
		{"MX", 2030, []string{"01-01", "02-04", "03-18", "05-01", "09-16", "10-01", "11-18", "12-25"}},
		{"PE", 2021, []string{"01-01", "04-01", "04-02", "05-01", "06-29", "07-28", "07-29", "08-30", "10-08", "11-01", "12-08", "12-25"}},
		{"PE", 2022, []string{"01-01", "04-14", "04-15", "05-01", "06-29", "07-28", "07-29", "08-06", "08-30", "10-08", "11-01", "12-08", "12-09", "12-25"}},
		{"PE", 2024, []string{"01-01", "03-28", "03-29", "05-01", "06-07", "06-29", "07-23", "07-28", "07-29", "08-06", "08-30", "10-08", "11-01", "12-08", "12-09", "12-25"}},
		{"US", 1975, []string{"01-01", "02-17", "05-26", "07-04", "09-01", "10-13", "10-27", "11-27", "12-25"}},
		{"US", 2021, []string{"01-01", "01-18", "02-15", "05-31", "06-18", "07-05", "09-06", "10-11", "11-11", "11-25", "12-24", "12-31"}},
		{"US", 2022, []string{"01-17", "02-21", "05-30", "06-20", "07-04", "09-05", "10-10", "11-11", "11-24", "12-26"}},
		{"US", 2024, []string{"01-01", "01-15", "02-19", "05-27", "06-19", "07-04", "09-02", "10-14", "11-11", "11-28", "12-25"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s-%d", tt.country, tt.year), func(t *testing.T) {
			got, want := fmtDates(dates(Holidays(tt.country, tt.year))), fmtDates(md(tt.year, tt.want...))
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestHolidayNames(t *testing.T) {
	tests := []struct {
		country string
		day     time.Time
		want    string
	}{
		{"CO", date(2025, 6, 30), "Sagrado Corazón de Jesús / San Pedro y San Pablo"},
		{"CO", date(2025, 3, 24), "Día de San José"},
		{"MX", date(2024, 10, 1), "Transmisión del Poder Ejecutivo Federal"},
		{"US", date(2021, 12, 31), "New Year's Day (observed)"},
		{"US", date(2021, 6, 18), "Juneteenth National Independence Day (observed)"},
		{"PE", date(2024, 6, 7), "Batalla de Arica y Día de la Bandera"},
	}
	for _, tt := range tests {
		name, ok := holidayOn(Holidays(tt.country, tt.day.Year()), tt.day)
		if !ok || name != tt.want {
			t.Errorf("%s %s: got %q, %v; want %q", tt.country, tt.day.Format("2006-01-02"), name, ok, tt.want)
		}
	}
}

// TestHolidayInvariants checks every year of the supported range.
func TestHolidayInvariants(t *testing.T) {
	emiliani := []string{"Reyes", "San José", "Ascensión", "Corpus", "Sagrado", "San Pedro", "Asunción", "Raza", "Todos los Santos", "Cartagena"}
	for y := 1970; y <= 2200; y++ {
		for _, c := range Countries() {
			hs := Holidays(c, y)
			for i, h := range hs {
				if h.Date.Year() != y || h.Date.Location() != time.UTC || h.Date.Hour() != 0 {
					t.Fatalf("%s %d: bad date %v", c, y, h.Date)
				}
				if i > 0 && !hs[i-1].Date.Before(h.Date) {
					t.Fatalf("%s %d: not strictly sorted at %v", c, y, h.Date)
				}
			}
			n := len(hs)
			switch c {
			case "CO":
				if n < 16 || n > 18 {
					t.Errorf("CO %d: %d holidays", y, n)
				}
				for _, h := range hs {
					for _, e := range emiliani {
						if strings.Contains(h.Name, e) && h.Date.Weekday() != time.Monday {
							t.Errorf("CO %d: %s on %s", y, h.Name, h.Date.Weekday())
						}
					}
				}
			case "MX":
				want := 7
				if (y-2024)%6 == 0 {
					want = 8
				}
				if n != want {
					t.Errorf("MX %d: %d holidays, want %d", y, n, want)
				}
			case "PE":
				want := 12
				if y >= 2024 {
					want = 16
				} else if y >= 2022 {
					want = 14
				}
				if n != want {
					t.Errorf("PE %d: %d holidays, want %d", y, n, want)
				}
			case "US":
				if n < 8 || n > 12 {
					t.Errorf("US %d: %d holidays", y, n)
				}
				for _, h := range hs {
					if wd := h.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
						t.Errorf("US %d: %s observed on %s", y, h.Name, wd)
					}
				}
			}
		}
	}
}

func TestHolidaysUnknownCountryAndCase(t *testing.T) {
	if hs := Holidays("AR", 2025); hs != nil {
		t.Errorf("AR: got %v", hs)
	}
	if a, b := fmtDates(dates(Holidays("co", 2025))), fmtDates(dates(Holidays("CO", 2025))); a != b {
		t.Errorf("lower case differs: %s vs %s", a, b)
	}
}

func TestIsHolidayUsesLocalDate(t *testing.T) {
	bogota, _ := time.LoadLocation("America/Bogota")
	tests := []struct {
		name    string
		country string
		d       time.Time
		want    bool
	}{
		{"CO Reyes Monday, last second of Sunday in Bogotá", "CO", time.Date(2025, 1, 6, 4, 59, 59, 0, time.UTC).In(bogota), false},
		{"CO Reyes Monday, midnight in Bogotá", "CO", time.Date(2025, 1, 6, 5, 0, 0, 0, time.UTC).In(bogota), true},
		{"same instant read in UTC is already Monday", "CO", time.Date(2025, 1, 6, 4, 59, 59, 0, time.UTC), true},
		{"CO Jan 6 2026 is a Tuesday: moved", "CO", time.Date(2026, 1, 6, 12, 0, 0, 0, bogota), false},
		{"CO moved to Jan 12 2026", "CO", time.Date(2026, 1, 12, 12, 0, 0, 0, bogota), true},
		{"US Dec 31 2021 observed New Year", "US", time.Date(2021, 12, 31, 9, 0, 0, 0, time.UTC), true},
		{"US Jan 1 2022 Saturday not observed", "US", time.Date(2022, 1, 1, 9, 0, 0, 0, time.UTC), false},
		{"PE Jun 7 2023 not yet a holiday", "PE", time.Date(2023, 6, 7, 9, 0, 0, 0, time.UTC), false},
		{"unknown country", "XX", time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsHoliday(tt.country, tt.d); got != tt.want {
				t.Errorf("IsHoliday = %v, want %v", got, tt.want)
			}
			var cal Calendar
			if got := cal.IsHoliday(tt.country, tt.d); got != tt.want {
				t.Errorf("Calendar.IsHoliday = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCalendarConcurrentAndCopies(t *testing.T) {
	cal := NewCalendar()
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// More keys than calendarSize, so eviction runs concurrently too.
			for y := 1970; y <= 2200; y++ {
				for _, c := range Countries() {
					if got, want := len(cal.Holidays(c, y)), len(Holidays(c, y)); got != want {
						t.Errorf("%s %d: cached %d, fresh %d", c, y, got, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()

	hs := cal.Holidays("CO", 2025)
	hs[0].Name = "cambiado"
	if cal.Holidays("CO", 2025)[0].Name != "Año Nuevo" {
		t.Error("Calendar.Holidays must return a copy")
	}
}
