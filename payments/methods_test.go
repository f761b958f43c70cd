package payments_test

import (
	"strings"
	"testing"

	"cartera/payments"
)

// Which methods a debtor is offered, by gateway, currency and whose
// account it is.
func TestMethodsOf(t *testing.T) {
	stripe := payments.NewStripe("sk_test_x", "http://127.0.0.1:1")
	wompi := payments.NewWompi(payments.WompiKeys{PublicKey: "pub_test_x"}, "", "")
	for _, c := range []struct {
		name     string
		g        payments.Gateway
		currency string
		own      bool
		want     string
	}{
		{"off", payments.Off{}, "COP", false, ""},
		{"sandbox", &payments.Sandbox{}, "MXN", false, "card"},
		{"the portal's Stripe, Mexico: card only (CONDUSEF: not the agency's account)", stripe, "MXN", false, "card"},
		{"the client's Stripe, Mexico", stripe, "MXN", true, "card,oxxo,spei"},
		{"the client's Stripe, Colombia", stripe, "COP", true, "card"},
		{"the client's Wompi", wompi, "COP", true, "pse,nequi,bancolombia,card"},
	} {
		if got := strings.Join(payments.MethodsOf(c.g, c.currency, c.own), ","); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
