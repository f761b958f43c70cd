package payments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Wompi is Bancolombia's gateway for Colombian tenants: PSE, Nequi,
// Bancolombia transfer and cards, through its hosted Web Checkout. The
// checkout is a signed redirect (no server call): the debtor completes it on
// Wompi's page, and the outcome arrives as a signed transaction.updated
// event at POST /api/webhooks/wompi. The money settles into the tenant's
// own Wompi account (its keys).
type Wompi struct {
	keys     WompiKeys
	checkout string // Web Checkout URL
	api      string // REST base, for reference
}

// Wompi's documented endpoints (docs.wompi.co, "Widget & Checkout Web" and
// "Ambientes y llaves").
const (
	wompiCheckoutURL = "https://checkout.wompi.co/p/"
	wompiSandboxAPI  = "https://sandbox.wompi.co/v1"
	wompiProdAPI     = "https://production.wompi.co/v1"
)

// NewWompi returns a Wompi gateway for keys; checkout and api override the
// documented URLs (the local fake in tests and the sandbox), empty for
// Wompi's own.
func NewWompi(keys WompiKeys, checkout, api string) *Wompi {
	if checkout == "" {
		checkout = wompiCheckoutURL
	}
	if api == "" {
		api = wompiProdAPI
		if strings.HasPrefix(keys.PublicKey, "pub_test_") {
			api = wompiSandboxAPI
		}
	}
	return &Wompi{keys: keys, checkout: checkout, api: api}
}

// Name is "wompi".
func (w *Wompi) Name() string { return ProviderWompi }

// Checkout returns the Web Checkout URL for the payment: the reference
// names our payment (tenant first, so the event finds its tenant and its
// events secret), the amount in centavos, and the integrity signature over
// them.
func (w *Wompi) Checkout(_ context.Context, req CheckoutRequest) (Session, error) {
	if !equalFold(req.Currency, "COP") {
		return Session{}, fmt.Errorf("wompi checkout: currency %s: %w", req.Currency, ErrPaymentsOff)
	}
	cur := strings.ToUpper(req.Currency)
	q := url.Values{}
	q.Set("public-key", w.keys.PublicKey)
	q.Set("currency", cur)
	q.Set("amount-in-cents", strconv.FormatInt(req.Amount, 10))
	ref := WompiReference(req.PaymentID)
	q.Set("reference", ref)
	q.Set("signature:integrity", IntegritySignature(ref, req.Amount, cur, "", w.keys.IntegritySecret))
	q.Set("redirect-url", req.SuccessURL)
	return Session{ID: ref, URL: w.checkout + "?" + q.Encode()}, nil
}

// WompiReference is the payment reference sent to Wompi for our payment
// "<tenant>:<id>": "<tenant>_<id>" (letters, digits, '-' and '_' only, as
// in Wompi's examples; slugs have no '_', so the tenant is what precedes
// the first one).
func WompiReference(paymentID string) string { return strings.Replace(paymentID, ":", "_", 1) }

// paymentOfReference is the tenant and our payment id of a Wompi reference.
func paymentOfReference(ref string) (tenant, paymentID string, ok bool) {
	tenant, key, ok := strings.Cut(ref, "_")
	if !ok || tenant == "" || key == "" {
		return "", "", false
	}
	return tenant, tenant + ":" + key, true
}

// IntegritySignature is Wompi's checkout integrity signature: the SHA-256,
// in hex, of reference + amount in cents + currency [+ expiration time] +
// the integrity secret, concatenated with no separator.
func IntegritySignature(reference string, amountInCents int64, currency, expiration, secret string) string {
	sum := sha256.Sum256([]byte(reference + strconv.FormatInt(amountInCents, 10) + currency + expiration + secret))
	return hex.EncodeToString(sum[:])
}

// WompiTransaction is the transaction an event carries (the fields the
// portal reads).
type WompiTransaction struct {
	ID                string `json:"id"`
	Reference         string `json:"reference"`
	AmountInCents     int64  `json:"amount_in_cents"`
	Currency          string `json:"currency"`
	Status            string `json:"status"` // PENDING, APPROVED, DECLINED, VOIDED, ERROR
	StatusMessage     string `json:"status_message"`
	PaymentMethodType string `json:"payment_method_type"` // PSE, NEQUI, BANCOLOMBIA_TRANSFER, CARD, ...
}

// WompiEvent is the documented event body.
type WompiEvent struct {
	Event string `json:"event"`
	Data  struct {
		Transaction WompiTransaction `json:"transaction"`
	} `json:"data"`
	Environment string `json:"environment"`
	Signature   struct {
		Properties []string `json:"properties"`
		Checksum   string   `json:"checksum"`
	} `json:"signature"`
	Timestamp int64  `json:"timestamp"`
	SentAt    string `json:"sent_at"`
}

// ErrWompiChecksum means a Wompi event did not verify: nothing is recorded.
var ErrWompiChecksum = errors.New("wompi event checksum")

// EventChecksum is Wompi's event checksum: the SHA-256, in hex, of the
// values of signature.properties (paths inside data, in the listed order),
// then the timestamp, then the events secret, concatenated. Numbers are
// taken as sent.
func EventChecksum(payload []byte, properties []string, timestamp int64, secret string) (string, error) {
	var env struct {
		Data map[string]any `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		return "", fmt.Errorf("decode event: %w", err)
	}
	var b strings.Builder
	for _, p := range properties {
		var cur any = env.Data
		for _, part := range strings.Split(p, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return "", fmt.Errorf("property %q not in the event", p)
			}
			if cur, ok = m[part]; !ok {
				return "", fmt.Errorf("property %q not in the event", p)
			}
		}
		switch v := cur.(type) {
		case string:
			b.WriteString(v)
		case json.Number:
			b.WriteString(v.String())
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case nil:
		default:
			return "", fmt.Errorf("property %q is not a value", p)
		}
	}
	b.WriteString(strconv.FormatInt(timestamp, 10))
	b.WriteString(secret)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:]), nil
}

// VerifyWompiEvent checks the event's checksum (and the X-Event-Checksum
// header when sent, which must agree) against the events secret. The
// properties must cover the transaction's id, status and amount, so a
// checksum over fewer fields cannot vouch for what the portal acts on.
func VerifyWompiEvent(payload []byte, header, secret string) (WompiEvent, error) {
	var evt WompiEvent
	if secret == "" {
		return evt, fmt.Errorf("%w: no events secret", ErrWompiChecksum)
	}
	if err := json.Unmarshal(payload, &evt); err != nil {
		return evt, fmt.Errorf("%w: %v", ErrWompiChecksum, err)
	}
	need := map[string]bool{"transaction.id": false, "transaction.status": false, "transaction.amount_in_cents": false}
	for _, p := range evt.Signature.Properties {
		if _, ok := need[p]; ok {
			need[p] = true
		}
	}
	for p, ok := range need {
		if !ok {
			return evt, fmt.Errorf("%w: %s not signed", ErrWompiChecksum, p)
		}
	}
	want, err := EventChecksum(payload, evt.Signature.Properties, evt.Timestamp, secret)
	if err != nil {
		return evt, fmt.Errorf("%w: %v", ErrWompiChecksum, err)
	}
	got := strings.ToLower(evt.Signature.Checksum)
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return evt, fmt.Errorf("%w: mismatch", ErrWompiChecksum)
	}
	if header != "" && subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(header))) != 1 {
		return evt, fmt.Errorf("%w: header mismatch", ErrWompiChecksum)
	}
	return evt, nil
}
