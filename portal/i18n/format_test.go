package i18n_test

import (
	"testing"
	"time"

	"cartera/portal/i18n"
)

// The one formatter writes each figure as each locale reads it.
func TestFiguresPerLocale(t *testing.T) {
	day := time.Date(2026, 3, 5, 15, 4, 0, 0, time.UTC)
	for _, c := range []struct {
		locale, money, count, pct, plain, date, decimal string
	}{
		{"es-CO", "$ 1.234.567,89", "12.345", "12,50 %", "1234567,89", "05/03/2026", "3,5"},
		{"es-MX", "$1,234,567.89", "12,345", "12.50 %", "1234567.89", "05/03/2026", "3.5"},
		{"es-PE", "S/ 1,234,567.89", "12,345", "12.50 %", "1234567.89", "05/03/2026", "3.5"},
		{"en-US", "$1,234,567.89", "12,345", "12.50%", "1234567.89", "03/05/2026", "3.5"},
	} {
		got := []string{i18n.Money(123456789, "", c.locale), i18n.Int(12345, c.locale), i18n.Percent(1250, c.locale),
			i18n.Plain(123456789, c.locale), i18n.DateIn(day, c.locale), i18n.Decimal(3.5, 1, c.locale)}
		want := []string{c.money, c.count, c.pct, c.plain, c.date, c.decimal}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: %q, want %q", c.locale, got[i], want[i])
			}
		}
	}
	if got := i18n.Int(-1234567, "es-CO"); got != "-1.234.567" {
		t.Errorf("negative count: %q", got)
	}
	if got := i18n.Plain(-5, "en-US"); got != "-0.05" {
		t.Errorf("negative plain: %q", got)
	}
	if got := i18n.Percent(-75, "es-CO"); got != "-0,75 %" {
		t.Errorf("negative percent: %q", got)
	}
	if i18n.Clock(day, "en") != "3:04 PM" || i18n.Clock(day, "es") != "15:04" {
		t.Error("clock")
	}
	if i18n.For("", "en-US") != "en" || i18n.For("es", "en-US") != "es" || i18n.For("", "es-MX") != "es" || i18n.For("en", "es-CO") != "en" {
		t.Error("For: the person's choice, else the company's language")
	}
}
