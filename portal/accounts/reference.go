package accounts

import (
	"strings"
	"unicode"
)

// Payment references.
//
// A debtor's payment reference is their document number (letters and digits
// only, upper case) followed by one check digit (Luhn, mod 10, letters
// counted as 10..35 as in ISO 7064's alphabet). It is stable (it never
// changes while the document does not), printed on statements, letters and
// messages, and typed by the debtor at a bank counter or in a transfer, so
// a bank file can be matched to the debtor; the check digit catches a
// mistyped digit and most swapped neighbours.

// PaymentReference is the reference for a debtor's document ("" when the
// document has no letters or digits).
func PaymentReference(document string) string {
	d := refBody(document)
	if d == "" {
		return ""
	}
	return d + string(rune('0'+luhn(d)))
}

// ParsePaymentReference checks a reference as typed (spaces, dashes and
// case ignored) and returns the document it names.
func ParsePaymentReference(ref string) (document string, ok bool) {
	r := refBody(ref)
	if len(r) < 2 {
		return "", false
	}
	body, check := r[:len(r)-1], r[len(r)-1]
	if check < '0' || check > '9' || int(check-'0') != luhn(body) {
		return "", false
	}
	return body, true
}

func refBody(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		if c < unicode.MaxASCII && (unicode.IsDigit(c) || unicode.IsLetter(c)) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// luhn is the Luhn check digit of s, each letter expanded to its two-digit
// value (A=10 … Z=35) first.
func luhn(s string) int {
	var digits []int
	for _, c := range s {
		if c >= '0' && c <= '9' {
			digits = append(digits, int(c-'0'))
		} else {
			v := int(c-'A') + 10
			digits = append(digits, v/10, v%10)
		}
	}
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := digits[i]
		if (len(digits)-1-i)%2 == 0 { // from the right: every second digit, starting with the last, is doubled
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}
