package payments_test

import (
	"strings"
	"testing"

	"cartera/payments"
	"cartera/payments/wompifake"
)

// The integrity signature rule of Wompi's Web Checkout (docs.wompi.co,
// "Widget & Checkout Web", Paso 3): SHA-256 hex of reference +
// amount-in-cents + currency [+ expiration-time] + integrity secret. The
// first row is the documentation's own example; the second adds its
// expiration time (hash computed by hand with sha256sum).
func TestWompiIntegritySignature(t *testing.T) {
	for _, c := range []struct {
		ref      string
		amount   int64
		cur, exp string
		secret   string
		want     string
	}{
		{"sk8-438k4-xmxm392-sn2m", 2490000, "COP", "", "prod_integrity_Z5mMke9x0k8gpErbDqwrJXMqsI6SFli6",
			"37c8407747e595535433ef8f6a811d853cd943046624a0ec04662b17bbf33bf5"},
		{"sk8-438k4-xmxm392-sn2m", 2490000, "COP", "2023-06-09T20:28:50.000Z", "prod_integrity_Z5mMke9x0k8gpErbDqwrJXMqsI6SFli6",
			"e972f58e7de36b283fbb93d9318d39a54ffdff4e8e917b534f30d63c9d7bb89c"},
	} {
		if got := payments.IntegritySignature(c.ref, c.amount, c.cur, c.exp, c.secret); got != c.want {
			t.Errorf("%s %d %s %q: %s, want %s", c.ref, c.amount, c.cur, c.exp, got, c.want)
		}
	}
}

// The event checksum rule (docs.wompi.co, "Eventos"): SHA-256 hex of the
// values of signature.properties, in order, + timestamp + events secret.
// The figure is sha256sum of
// "1234-1610641025-49201APPROVED44900001530291411prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z".
func TestWompiEventChecksum(t *testing.T) {
	body := []byte(`{"event":"transaction.updated","data":{"transaction":{"id":"1234-1610641025-49201","amount_in_cents":4490000,"reference":"acme:x","currency":"COP","payment_method_type":"NEQUI","status":"APPROVED"}},"environment":"prod","signature":{"properties":["transaction.id","transaction.status","transaction.amount_in_cents"],"checksum":"5A18EC5E8FDB7DF463E9F94774CBA8F583BA21BD04A09CEFF2EA68A4BC0AEFBE"},"timestamp":1530291411,"sent_at":"2018-07-20T16:45:05.000Z"}`)
	const secret = "prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z"
	sum, err := payments.EventChecksum(body, []string{"transaction.id", "transaction.status", "transaction.amount_in_cents"}, 1530291411, secret)
	if err != nil || sum != "5a18ec5e8fdb7df463e9f94774cba8f583ba21bd04a09ceff2ea68a4bc0aefbe" {
		t.Fatalf("checksum %s %v", sum, err)
	}
	cases := []struct {
		name   string
		body   string
		header string
		secret string
		ok     bool
	}{
		{"upper-case checksum, no header", string(body), "", secret, true},
		{"lower-case header agrees", string(body), sum, secret, true},
		{"wrong secret", string(body), "", "prod_events_other", false},
		{"header disagrees", string(body), strings.Repeat("0", 64), secret, false},
		{"status changed", strings.Replace(string(body), `"status":"APPROVED"`, `"status":"DECLINED"`, 1), "", secret, false},
		{"amount not signed", strings.Replace(string(body), `,"transaction.amount_in_cents"]`, `]`, 1), "", secret, false},
		{"no secret configured", string(body), "", "", false},
		{"not JSON", "{", "", secret, false},
	}
	for _, c := range cases {
		_, err := payments.VerifyWompiEvent([]byte(c.body), c.header, c.secret)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.name, err, c.ok)
		}
	}
	// The fake signs by the same rule.
	f := wompifake.New(wompifake.Keys{Events: secret})
	evt, hdr := f.Event(wompifake.Transaction{ID: "1-2-3", Reference: "acme:p", AmountInCents: 100, Currency: "COP", Status: "PENDING"})
	if _, err := payments.VerifyWompiEvent(evt, hdr, secret); err != nil {
		t.Fatalf("the fake's event: %v", err)
	}
}
