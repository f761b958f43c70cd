package i18n

import (
	"strconv"
	"strings"
	"time"

	"cartera/portal/money"
)

// The one formatter of figures: every document and message writes money,
// counts, percentages and dates through these, by locale (es-CO, es-MX,
// es-PE, en-US), whatever the language of its words.

// Money writes an amount in minor units as locale reads it ("$ 1.234,50"
// in es-CO, "$1,234.50" in en-US).
func Money(amount int64, currency, locale string) string {
	return money.Format(amount, currency, locale)
}

// Plain writes an amount in minor units as a spreadsheet reads it in
// locale: no sign, no grouping, the locale's decimal mark ("1234567,89" in
// es-CO, "1234567.89" in en-US).
func Plain(amount int64, locale string) string {
	_, mark := money.Marks(locale)
	u := uint64(amount)
	neg := ""
	if amount < 0 {
		u, neg = ^u+1, "-"
	}
	return neg + strconv.FormatUint(u/100, 10) + string(mark) + pad2(int64(u%100))
}

// Int writes a count with the locale's grouping: 12.345 (es-CO), 12,345.
func Int(n int64, locale string) string {
	thousands, _ := money.Marks(locale)
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && s[i-1] != '-' && (len(s)-i)%3 == 0 {
			b.WriteByte(thousands)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Decimal writes f with the given decimals and the locale's decimal mark
// (no grouping).
func Decimal(f float64, decimals int, locale string) string {
	_, mark := money.Marks(locale)
	return strings.Replace(strconv.FormatFloat(f, 'f', decimals, 64), ".", string(mark), 1)
}

// Percent writes basis points as a percentage with two decimals: "12,50 %"
// in es-CO, "12.50 %" in es-MX and es-PE, "12.50%" in en-US.
func Percent(bp int64, locale string) string {
	_, mark := money.Marks(locale)
	neg := ""
	if bp < 0 {
		neg, bp = "-", -bp
	}
	sep := " "
	if OfLocale(locale) == "en" {
		sep = ""
	}
	return neg + strconv.FormatInt(bp/100, 10) + string(mark) + pad2(bp%100) + sep + "%"
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// DateIn writes a date in figures as locale reads it (ShortDate of its
// language: 05/03/2026, 03/05/2026 in en-US).
func DateIn(t time.Time, locale string) string { return ShortDate(t, OfLocale(locale)) }

// Clock writes a time of day: 15:04, or 3:04 PM in English.
func Clock(t time.Time, lang string) string {
	if OfLocale(lang) == "en" {
		return t.Format("3:04 PM")
	}
	return t.Format("15:04")
}
