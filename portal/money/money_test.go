package money

import (
	"errors"
	"math"
	"testing"
)

var testLocales = []string{"es-CO", "es-MX", "es-PE", "en-US"}

func TestExponent(t *testing.T) {
	tests := []struct {
		cur     string
		want    int
		wantErr bool
	}{
		{"COP", 2, false}, {"MXN", 2, false}, {"PEN", 2, false}, {"USD", 2, false},
		{"EUR", 0, true}, {"", 0, true}, {"cop", 0, true}, {"US$", 0, true},
	}
	for _, tt := range tests {
		got, err := Exponent(tt.cur)
		if tt.wantErr {
			if !errors.Is(err, ErrUnknownCurrency) {
				t.Errorf("Exponent(%q) err = %v, want ErrUnknownCurrency", tt.cur, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Exponent(%q) = %d, %v; want %d", tt.cur, got, err, tt.want)
		}
	}
}

func TestLocaleCurrency(t *testing.T) {
	want := map[string]string{"es-CO": "COP", "es-MX": "MXN", "es-PE": "PEN", "en-US": "USD"}
	for loc, cur := range want {
		if got, err := LocaleCurrency(loc); err != nil || got != cur {
			t.Errorf("LocaleCurrency(%q) = %q, %v", loc, got, err)
		}
	}
	if _, err := LocaleCurrency("es-ES"); !errors.Is(err, ErrUnknownLocale) {
		t.Errorf("LocaleCurrency(es-ES) err = %v", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		locale string
		in     string
		want   int64
		err    error
	}{
		// es-CO: dot thousands, comma decimals.
		{"es-CO", "$ 1.234.567,89", 123456789, nil},
		{"es-CO", "1.234.567,89", 123456789, nil},
		{"es-CO", "$1.234.567", 123456700, nil},
		{"es-CO", "1.234", 123400, nil},
		{"es-CO", "12.345", 1234500, nil},
		{"es-CO", "123.456", 12345600, nil},
		{"es-CO", "1234", 123400, nil},
		{"es-CO", "1234567", 123456700, nil},
		{"es-CO", "007", 700, nil},
		{"es-CO", "1234.56", 123456, nil}, // Excel raw value: 2 digits after a dot is a decimal
		{"es-CO", "1234567.5", 123456750, nil},
		{"es-CO", "1234567,5", 123456750, nil},
		{"es-CO", "1.5", 150, nil},
		{"es-CO", "1,5", 150, nil},
		{"es-CO", "0,01", 1, nil},
		{"es-CO", "0.5", 50, nil},
		{"es-CO", "COP 1.234,50", 123450, nil},
		{"es-CO", "1.234,50 COP", 123450, nil},
		{"es-CO", "$ 1.234,50 COP", 123450, nil},
		{"es-CO", "cop 5", 500, nil},
		{"es-CO", "5$", 500, nil},
		{"es-CO", "\u00a0$\u00a01.234\u00a0", 123400, nil},
		{"es-CO", "\t$ 1.234 \r\n", 123400, nil},
		{"es-CO", "$\u202f1.234", 123400, nil},
		{"es-CO", "1'234.567,89", 123456789, nil},
		{"es-CO", "1'234,56", 123456, nil},
		{"es-CO", "1,234.56", 123456, nil}, // en-US writing: unambiguous
		{"es-CO", "1,234,567", 123456700, nil},
		{"es-CO", "1234.5600", 123456, nil},
		{"es-CO", "1.234,5000", 123450, nil},
		{"es-CO", "92233720368547758,07", math.MaxInt64, nil},
		{"es-CO", "92.233.720.368.547.758,07", math.MaxInt64, nil},
		{"es-CO", "S/ 5", 500, nil},
		{"es-CO", "US$ 1.234,56", 123456, nil},
		{"es-CO", "1,234", 0, ErrTooManyDecimals}, // comma is the decimal here
		{"es-CO", "1.234,567", 0, ErrTooManyDecimals},
		{"es-CO", "1.2345", 0, ErrTooManyDecimals},
		{"es-CO", "1234.5601", 0, ErrTooManyDecimals},
		{"es-CO", "1234,500", 0, ErrTooManyDecimals},
		{"es-CO", "1.23.4", 0, ErrSyntax},
		{"es-CO", "1.234.56", 0, ErrSyntax},
		{"es-CO", "12.34.567", 0, ErrSyntax},
		{"es-CO", "1234.567", 0, ErrSyntax}, // not a thousands group, not 2 decimals
		{"es-CO", "0.123", 0, ErrSyntax},
		{"es-CO", "1,2,3", 0, ErrSyntax},
		{"es-CO", "1.234.567.89", 0, ErrSyntax},
		{"es-CO", "1,234'567", 0, ErrSyntax},
		{"es-CO", "1'23", 0, ErrSyntax},
		{"es-CO", "", 0, ErrEmpty},
		{"es-CO", "  \u00a0 ", 0, ErrEmpty},
		{"es-CO", "abc", 0, ErrSyntax},
		{"es-CO", "12a", 0, ErrSyntax},
		{"es-CO", "1 234", 0, ErrSyntax},
		{"es-CO", "+5", 0, ErrSyntax},
		{"es-CO", ".5", 0, ErrSyntax},
		{"es-CO", "5.", 0, ErrSyntax},
		{"es-CO", "5,", 0, ErrSyntax},
		{"es-CO", "1.,5", 0, ErrSyntax},
		{"es-CO", "$", 0, ErrSyntax},
		{"es-CO", "USD", 0, ErrSyntax},
		{"es-CO", "$ 5 PEN", 0, ErrSyntax},
		{"es-CO", "USD 5 COP", 0, ErrSyntax},
		{"es-CO", "$5$", 0, ErrSyntax},
		{"es-CO", "EUR 5", 0, ErrSyntax},
		{"es-CO", "--5", 0, ErrSyntax},
		{"es-CO", "-abc", 0, ErrSyntax},
		{"es-CO", "-$-5", 0, ErrSyntax},
		{"es-CO", "5e3", 0, ErrSyntax},
		{"es-CO", "-5", 0, ErrNotPositive},
		{"es-CO", "(5)", 0, ErrNotPositive},
		{"es-CO", "$ (1.234,56)", 0, ErrNotPositive},
		{"es-CO", "($ 1.234,56)", 0, ErrNotPositive},
		{"es-CO", "$ -5", 0, ErrNotPositive},
		{"es-CO", "-$ 5", 0, ErrNotPositive},
		{"es-CO", "1.234,56-", 0, ErrNotPositive},
		{"es-CO", "\u22125", 0, ErrNotPositive},
		{"es-CO", "$ -", 0, ErrNotPositive},
		{"es-CO", "0", 0, ErrNotPositive},
		{"es-CO", "0,00", 0, ErrNotPositive},
		{"es-CO", "-0", 0, ErrNotPositive},
		{"es-CO", "92233720368547758,08", 0, ErrOverflow},
		{"es-CO", "92233720368547759", 0, ErrOverflow},
		{"es-CO", "99999999999999999999999", 0, ErrOverflow},
		{"es-CO", "18446744073709551616", 0, ErrOverflow},

		// Comma thousands, dot decimals.
		{"en-US", "$1,234,567.89", 123456789, nil},
		{"en-US", "1,234,567.89", 123456789, nil},
		{"en-US", "1,234", 123400, nil},
		{"en-US", "1234.5", 123450, nil},
		{"en-US", "1234,5", 123450, nil},
		{"en-US", "1234,56", 123456, nil},
		{"en-US", "1.234,56", 123456, nil},
		{"en-US", "1.234.567", 123456700, nil},
		{"en-US", "USD 10", 1000, nil},
		{"en-US", "10 usd", 1000, nil},
		{"en-US", "1.234", 0, ErrTooManyDecimals},
		{"en-US", "1234,567", 0, ErrSyntax},
		{"en-US", "1'234.56", 0, ErrSyntax}, // apostrophe only in es-CO
		{"en-US", "(1,234.56)", 0, ErrNotPositive},
		{"es-MX", "$1,234.56", 123456, nil},
		{"es-MX", "MXN 1,234.56", 123456, nil},
		{"es-MX", "1,234.56 MXN", 123456, nil},
		{"es-MX", "1.5", 150, nil},
		{"es-MX", "1,23,456", 0, ErrSyntax},
		{"es-PE", "S/ 1,234.56", 123456, nil},
		{"es-PE", "S/. 1,234.56", 123456, nil},
		{"es-PE", "S/1,234.56", 123456, nil},
		{"es-PE", "s/ 1,234.56", 123456, nil},
		{"es-PE", "1,234.56 PEN", 123456, nil},
		{"es-PE", "S/ 1,234.56 PEN", 123456, nil},
		{"es-PE", "1,234.567", 0, ErrTooManyDecimals},

		{"fr-FR", "1", 0, ErrUnknownLocale},
		{"", "1", 0, ErrUnknownLocale},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.locale)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Parse(%q, %s) = %d, %v; want error %v", tt.in, tt.locale, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q, %s) = %d, %v; want %d", tt.in, tt.locale, got, err, tt.want)
		}
	}
}

func TestParseCurrency(t *testing.T) {
	tests := []struct {
		locale, in, cur string
	}{
		{"es-CO", "$ 5", ""},
		{"es-CO", "5", ""},
		{"es-CO", "US$ 5", "USD"},
		{"es-CO", "5 usd", "USD"},
		{"es-CO", "COP 5", "COP"},
		{"es-CO", "$ 5 COP", "COP"},
		{"es-CO", "$ 5 USD", "USD"},
		{"es-PE", "S/. 5", "PEN"},
		{"es-PE", "S/ 5", "PEN"},
		{"es-MX", "MXN 5", "MXN"},
		{"en-US", "US$5 USD", "USD"},
	}
	for _, tt := range tests {
		_, cur, err := ParseCurrency(tt.in, tt.locale)
		if err != nil || cur != tt.cur {
			t.Errorf("ParseCurrency(%q, %s) currency = %q, %v; want %q", tt.in, tt.locale, cur, err, tt.cur)
		}
	}
}

func TestParseNoAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Parse("$ 1.234.567,89", "es-CO"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Parse allocates %v times per call, want 0", allocs)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		amount   int64
		cur, loc string
		want     string
	}{
		{123456789, "COP", "es-CO", "$ 1.234.567,89"},
		{123456789, "USD", "en-US", "$1,234,567.89"},
		{123456, "PEN", "es-PE", "S/ 1,234.56"},
		{123456, "MXN", "es-MX", "$1,234.56"},
		{0, "COP", "es-CO", "$ 0,00"},
		{1, "COP", "es-CO", "$ 0,01"},
		{99, "USD", "en-US", "$0.99"},
		{100, "USD", "en-US", "$1.00"},
		{100000, "COP", "es-CO", "$ 1.000,00"},
		{12345678, "COP", "es-CO", "$ 123.456,78"},
		{-123456, "COP", "es-CO", "-$ 1.234,56"},
		{-5, "USD", "en-US", "-$0.05"},
		{123456, "USD", "es-CO", "US$ 1.234,56"},
		{123456, "USD", "es-MX", "US$1,234.56"},
		{123456, "COP", "en-US", "COP 1,234.56"},
		{123456, "EUR", "es-CO", "EUR 1.234,56"},
		{123456, "", "es-CO", "$ 1.234,56"},
		{123456, "USD", "xx-XX", "$1,234.56"},
		{math.MaxInt64, "COP", "es-CO", "$ 92.233.720.368.547.758,07"},
		{math.MinInt64, "COP", "es-CO", "-$ 92.233.720.368.547.758,08"},
		{math.MinInt64, "USD", "en-US", "-$92,233,720,368,547,758.08"},
	}
	for _, tt := range tests {
		if got := Format(tt.amount, tt.cur, tt.loc); got != tt.want {
			t.Errorf("Format(%d, %s, %s) = %q, want %q", tt.amount, tt.cur, tt.loc, got, tt.want)
		}
	}
}

// checkRoundTrip asserts Parse(Format(x)) == x and that the currency named
// by the text is the one formatted.
func checkRoundTrip(t *testing.T, x int64, cur, loc string) {
	t.Helper()
	s := Format(x, cur, loc)
	got, gotCur, err := ParseCurrency(s, loc)
	if err != nil || got != x {
		t.Fatalf("Parse(Format(%d, %s, %s) = %q) = %d, %v", x, cur, loc, s, got, err)
	}
	home, _ := LocaleCurrency(loc)
	if cur != home && gotCur != cur {
		t.Fatalf("currency of %q = %q, want %q", s, gotCur, cur)
	}
}

func TestRoundTrip(t *testing.T) {
	values := []int64{1, 9, 10, 99, 100, 101, 999, 1000, 99999, 100000, 123456, 1000000,
		123456789, 100000000000, 999999999999999, math.MaxInt64, math.MaxInt64 - 1}
	for _, loc := range testLocales {
		for _, cur := range Currencies() {
			for _, x := range values {
				checkRoundTrip(t, x, cur, loc)
			}
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(123456789), uint8(0), uint8(0))
	f.Add(int64(1), uint8(1), uint8(3))
	f.Add(int64(math.MaxInt64), uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, x int64, loc, cur uint8) {
		if x <= 0 {
			return
		}
		checkRoundTrip(t, x, Currencies()[int(cur)%4], testLocales[int(loc)%4])
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"$ 1.234.567,89", "1,234.56", "1.234", "(5)", "S/. 1,234.56", "1'234.567", "US$ 5 USD"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, loc uint8) {
		locale := testLocales[int(loc)%4]
		v, cur, err := ParseCurrency(s, locale)
		if err != nil {
			for _, want := range []error{ErrEmpty, ErrSyntax, ErrNotPositive, ErrTooManyDecimals, ErrOverflow} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("ParseCurrency(%q) error %v is not a sentinel", s, err)
		}
		if v <= 0 {
			t.Fatalf("ParseCurrency(%q) = %d, want > 0", s, v)
		}
		if cur != "" {
			if _, err := Exponent(cur); err != nil {
				t.Fatalf("ParseCurrency(%q) currency %q: %v", s, cur, err)
			}
		}
		if cur == "" {
			cur, _ = LocaleCurrency(locale)
		}
		checkRoundTrip(t, v, cur, locale)
	})
}
