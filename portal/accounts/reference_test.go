package accounts

import (
	"strings"
	"testing"
)

// The check digit is Luhn's (hand-computed cases), the reference is stable,
// tenant-scoped and does not contain the document.
func TestPaymentReference(t *testing.T) {
	// 7992739871 is Luhn's textbook number: check digit 3. 80123456 from the
	// right, every second digit doubled: 6→12→3, 5, 4→8, 3, 2→4, 1, 0, 8:
	// 3+5+8+3+4+1+0+8 = 32 → check digit 8.
	for s, want := range map[string]int{"7992739871": 3, "80123456": 8} {
		if got := luhn(s); got != want {
			t.Errorf("luhn(%s) = %d, want %d", s, got, want)
		}
	}
	ref := PaymentReference("acme", "80.123.456")
	if len(ref) != ReferenceDigits+1 || ref != PaymentReference("acme", "80123456") || strings.Contains(ref, "80123456") {
		t.Fatalf("reference %q", ref)
	}
	if PaymentReference("globex", "80123456") == ref {
		t.Error("the same reference in two tenants")
	}
	if got, ok := ValidReference(ref[:5] + " " + ref[5:10] + "-" + ref[10:]); !ok || got != ref {
		t.Errorf("typed with spaces: %q %v", got, ok)
	}
	wrong := []byte(ref)
	wrong[3] = '0' + (wrong[3]-'0'+1)%10
	swapped := []byte(ref)
	if swapped[0] != swapped[1] {
		swapped[0], swapped[1] = swapped[1], swapped[0]
	}
	for _, bad := range []string{string(wrong), "123", ""} {
		if _, ok := ValidReference(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if string(swapped) != ref {
		if _, ok := ValidReference(string(swapped)); ok && !(ref[0] == '0' && ref[1] == '9' || ref[0] == '9' && ref[1] == '0') {
			t.Errorf("swapped neighbours accepted: %q", swapped)
		}
	}
	if PaymentReference("acme", " - ") != "" {
		t.Error("a reference without a document")
	}
}
