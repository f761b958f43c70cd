package accounts

import "testing"

// Hand-computed: 7992739871 is Luhn's textbook number, check digit 3.
func TestPaymentReference(t *testing.T) {
	for _, tc := range []struct{ doc, ref string }{
		{"7992739871", "79927398713"},
		{"79.927.398-71", "79927398713"},
		// 80123456 from the right, every second digit doubled: 6→12→3, 5, 4→8, 3, 2→4, 1, 0, 8:
		// 3+5+8+3+4+1+0+8 = 32 → check digit 8.
		{"80123456", "801234568"},
		{"", ""},
	} {
		if got := PaymentReference(tc.doc); got != tc.ref {
			t.Errorf("PaymentReference(%q) = %q, want %q", tc.doc, got, tc.ref)
		}
	}
	if doc, ok := ParsePaymentReference("7992 7398 713"); !ok || doc != "7992739871" {
		t.Errorf("parse: %q %v", doc, ok)
	}
	for _, bad := range []string{"79927398714", "79927398731", "x", ""} { // wrong digit, swapped neighbours
		if _, ok := ParsePaymentReference(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	// Letters (a Mexican RFC) round-trip.
	ref := PaymentReference("GODE561231GR8")
	if doc, ok := ParsePaymentReference(ref); !ok || doc != "GODE561231GR8" {
		t.Errorf("RFC: %q → %q %v", ref, doc, ok)
	}
}
