package money

import (
	"fmt"
	"math"
	"strings"
	"unicode"
)

// Parse reads a positive amount as written in locale ("es-CO", "es-MX",
// "es-PE", "en-US") and returns it in minor units.
//
// Accepted: an optional currency sign or code before and/or after the number
// ($, COP, S/, S/., US$, USD, MXN, PEN; codes in any case), spaces and NBSP,
// thousands separators, up to 2 decimals, and raw spreadsheet numbers.
// The number is read with these rules, in order:
//
//   - digits only: whole units ("1234567").
//   - both '.' and ',' present: the last one is the decimal separator and
//     may appear once; the other groups thousands ("1.234,56", "1,234.56"),
//     whatever the locale, because only one reading is possible.
//   - one kind of separator, more than once: thousands grouping ("1.234.567").
//   - one separator once, followed by exactly 3 digits: it is the thousands
//     separator if it is the locale's one ("1.234" is 1234 in es-CO,
//     "1,234" is 1234 in en-US); otherwise it is a decimal point and the
//     amount is rejected with ErrTooManyDecimals ("1,234" in es-CO). This
//     3-digit shape is where a wrong guess costs a factor of 1000, so it
//     never guesses against the locale.
//   - one separator once, followed by 1, 2 or 4+ digits: a decimal point,
//     whatever the locale ("1234.56" is 1234,56 in es-CO), since Excel raw
//     values and ERP exports use a dot and a thousands group has 3 digits.
//
// Thousands groups must be well formed (1–3 digits, no leading zero, then
// groups of 3): "1.23.4" is ErrSyntax. More than 2 decimals is
// ErrTooManyDecimals, except 4 or more decimals whose extra digits are zeros
// ("1234.5600", how SQL money columns export), which are exact.
// In es-CO an apostrophe also groups digits ("1'234.567", a Colombian habit).
// Negative amounts ("-5", "5-", "(5)", "$ -5") and zero, including Excel's
// accounting zero "$ -", are ErrNotPositive.
func Parse(s, locale string) (int64, error) {
	v, _, err := ParseCurrency(s, locale)
	return v, err
}

// ParseCurrency is Parse that also returns the currency the text names: the
// ISO code for COP, MXN, PEN, USD, "US$" (USD) and "S/" (PEN); "" when it
// names none or only "$", which every supported locale uses for its own
// currency.
func ParseCurrency(s, locale string) (int64, string, error) {
	l, err := lookupLocale(locale)
	if err != nil {
		return 0, "", err
	}
	v, cur, err := parse(s, l)
	if err != nil {
		return 0, "", fmt.Errorf("parse amount %q: %w", s, err)
	}
	return v, cur, nil
}

func parse(s string, l *locale) (int64, string, error) {
	s = trimSpace(s)
	if s == "" {
		return 0, "", ErrEmpty
	}
	// The minus sign or parentheses may sit outside or inside the currency
	// sign: "-$ 5", "$ -5", "($5)", "$ (5)".
	s, neg1 := stripNegative(s)
	s, cur, err := stripCurrency(s)
	if err != nil {
		return 0, "", err
	}
	s, neg2 := stripNegative(s)
	if neg1 && neg2 {
		return 0, "", ErrSyntax
	}
	neg := neg1 || neg2
	if s == "" {
		if neg { // "$ -" is how Excel's accounting format shows zero
			return 0, "", ErrNotPositive
		}
		return 0, "", ErrSyntax
	}
	v, err := parseNumber(s, l)
	if err != nil {
		return 0, "", err
	}
	if neg || v == 0 {
		return 0, "", ErrNotPositive
	}
	return v, cur, nil
}

func trimSpace(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

// stripNegative removes one negative marker: parentheses, a leading minus
// (ASCII or U+2212) or a trailing minus (SAP writes "1.234,56-").
func stripNegative(s string) (string, bool) {
	switch {
	case len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')':
		return trimSpace(s[1 : len(s)-1]), true
	case strings.HasPrefix(s, "-"):
		return trimSpace(s[1:]), true
	case strings.HasPrefix(s, "\u2212"):
		return trimSpace(s[len("\u2212"):]), true
	case strings.HasSuffix(s, "-"):
		return trimSpace(s[:len(s)-1]), true
	}
	return s, false
}

type token struct {
	text string
	cur  string // "" for "$": each locale's own currency
}

// tokens is ordered so that a longer token is tried before its prefix.
var tokens = []token{
	{"US$", "USD"}, {"S/.", "PEN"}, {"S/", "PEN"},
	{"COP", "COP"}, {"MXN", "MXN"}, {"PEN", "PEN"}, {"USD", "USD"},
	{"$", ""},
}

func stripCurrency(s string) (string, string, error) {
	var pre, suf *token
	for i := range tokens {
		t := &tokens[i]
		if len(s) >= len(t.text) && strings.EqualFold(s[:len(t.text)], t.text) {
			pre, s = t, trimSpace(s[len(t.text):])
			break
		}
	}
	for i := range tokens {
		t := &tokens[i]
		if len(s) >= len(t.text) && strings.EqualFold(s[len(s)-len(t.text):], t.text) {
			suf, s = t, trimSpace(s[:len(s)-len(t.text)])
			break
		}
	}
	switch {
	case pre == nil && suf == nil:
		return s, "", nil
	case pre == nil:
		return s, suf.cur, nil
	case suf == nil:
		return s, pre.cur, nil
	}
	// Both: a sign and a code ("$ 5 USD") or the same currency twice.
	a, b := pre.cur, suf.cur
	switch {
	case a == "" && b == "":
		return "", "", ErrSyntax
	case a == "" || b == "":
		c := a + b
		if c == "PEN" { // "$" is not a sign for soles
			return "", "", ErrSyntax
		}
		return s, c, nil
	case a != b:
		return "", "", ErrSyntax
	}
	return s, a, nil
}

// parseNumber reads digits and separators (see Parse) into minor units.
func parseNumber(s string, l *locale) (int64, error) {
	// kind maps a separator to '.' or ','; an apostrophe counts as the
	// locale's thousands separator.
	kind := func(c byte) byte {
		if c == '\'' {
			return l.thousands
		}
		return c
	}
	var dots, commas, last int
	last = -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			continue
		case c == '.', c == ',', c == '\'' && l.apostrophe:
		default:
			return 0, ErrSyntax
		}
		if kind(c) == '.' {
			dots++
		} else {
			commas++
		}
		last = i
	}
	if !isDigit(s[0]) || !isDigit(s[len(s)-1]) {
		return 0, ErrSyntax
	}

	dec := -1      // index of the decimal separator
	var t byte = 0 // thousands kind, 0 when none
	if last >= 0 {
		lk := kind(s[last])
		count := dots
		if lk == ',' {
			count = commas
		}
		other := byte('.')
		if lk == '.' {
			other = ','
		}
		switch {
		case dots > 0 && commas > 0:
			if count != 1 || s[last] == '\'' {
				return 0, ErrSyntax
			}
			dec, t = last, other
		case count > 1 || s[last] == '\'':
			t = lk
		case len(s)-last-1 == 3 && lk == l.thousands:
			t = lk
		default:
			dec = last
		}
	}

	intPart, frac := s, ""
	if dec >= 0 {
		intPart, frac = s[:dec], s[dec+1:]
	}
	if t != 0 && !validGroups(intPart, func(c byte) bool { return !isDigit(c) && kind(c) == t }) {
		return 0, ErrSyntax
	}
	if len(frac) > 2 {
		if len(frac) < 4 || strings.Trim(frac[2:], "0") != "" {
			return 0, ErrTooManyDecimals
		}
		frac = frac[:2]
	}

	const limit = uint64(math.MaxInt64)
	var v uint64
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if !isDigit(c) {
			continue
		}
		d := uint64(c - '0')
		if v > (limit-d)/10 {
			return 0, ErrOverflow
		}
		v = v*10 + d
	}
	if v > limit/100 {
		return 0, ErrOverflow
	}
	v *= 100
	var f uint64
	switch len(frac) {
	case 1:
		f = uint64(frac[0]-'0') * 10
	case 2:
		f = uint64(frac[0]-'0')*10 + uint64(frac[1]-'0')
	}
	if v > limit-f {
		return 0, ErrOverflow
	}
	return int64(v + f), nil
}

// validGroups reports whether s is digit groups split by sep: the first of
// 1–3 digits without a leading zero, the rest of exactly 3.
func validGroups(s string, sep func(byte) bool) bool {
	n, first := 0, true
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !sep(s[i]) {
			n++
			continue
		}
		if first {
			if n < 1 || n > 3 || s[0] == '0' {
				return false
			}
			first = false
		} else if n != 3 {
			return false
		}
		n = 0
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
