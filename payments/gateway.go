// Package payments takes debtors' online payments: a Gateway (Stripe, or a
// local sandbox when no Stripe key is configured) creates the checkout; both
// end in the same recording path, which verifies, records each allocation
// once in the ledger and never moves a payment's state backwards.
package payments

import (
	"context"
	"fmt"

	"cartera/portal/apperr"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// CheckoutRequest is what a gateway needs to open a hosted checkout.
type CheckoutRequest struct {
	PaymentID      string // our payment's _id: metadata and idempotency key
	Tenant, Debtor string
	Amount         int64 // minor units, computed by the server
	Currency       string
	Description    string
	SuccessURL     string
	CancelURL      string
	Method         string // card, oxxo, spei (Stripe); Wompi's page offers all of its own
}

// Session is an opened checkout.
type Session struct {
	ID  string
	URL string
}

// Gateway opens checkouts. Completion arrives by webhook (Stripe) or by the
// sandbox page, and both call Service.Complete.
type Gateway interface {
	Name() string
	Checkout(ctx context.Context, req CheckoutRequest) (Session, error)
}

// Stripe is the Stripe gateway (stripe-go v76, Checkout Sessions in payment
// mode). Card data never touches the portal.
type Stripe struct {
	api *client.API
}

// NewStripe returns a Stripe gateway; base overrides the API URL (stripe-mock
// in tests), empty for Stripe's.
func NewStripe(key, base string) *Stripe {
	var backends *stripe.Backends
	if base != "" {
		cfg := &stripe.BackendConfig{URL: stripe.String(base)}
		backends = &stripe.Backends{
			API:     stripe.GetBackendWithConfig(stripe.APIBackend, cfg),
			Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, cfg),
			Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, cfg),
		}
	}
	return &Stripe{api: client.New(key, backends)}
}

// Name is "stripe".
func (s *Stripe) Name() string { return "stripe" }

// Checkout creates a Checkout Session; the idempotency key is our payment id,
// so a retried request never opens a second session.
func (s *Stripe) Checkout(ctx context.Context, req CheckoutRequest) (Session, error) {
	meta := map[string]string{"tenant": req.Tenant, "debtor": req.Debtor, "payment": req.PaymentID}
	p := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		SuccessURL:        stripe.String(req.SuccessURL),
		CancelURL:         stripe.String(req.CancelURL),
		ClientReferenceID: stripe.String(req.PaymentID),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripe.String(lower(req.Currency)),
				UnitAmount:  stripe.Int64(req.Amount),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String(req.Description)},
			},
		}},
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: meta},
	}
	stripeMethod(p, req.Method)
	p.Metadata = meta
	p.Context = ctx
	p.SetIdempotencyKey("checkout:" + req.PaymentID)
	cs, err := s.api.CheckoutSessions.New(p)
	if err != nil {
		return Session{}, fmt.Errorf("stripe checkout: %w", err)
	}
	return Session{ID: cs.ID, URL: cs.URL}, nil
}

// Sandbox is the local gateway used when no Stripe key is configured: its
// checkout is a page of the portal, clearly marked as a test, whose button
// completes the payment through the same recording path.
type Sandbox struct {
	PublicURL string
}

// Name is "sandbox".
func (s *Sandbox) Name() string { return "sandbox" }

// Checkout returns the sandbox page for the payment, as a path on the
// portal's own origin (whatever address the debtor reached it by).
func (s *Sandbox) Checkout(_ context.Context, req CheckoutRequest) (Session, error) {
	id := "sbx_" + keyOf(req.PaymentID)
	return Session{ID: id, URL: "/api/payments/sandbox/" + keyOf(req.PaymentID)}, nil
}

// Off is the gateway when neither Stripe nor the sandbox is configured:
// online payment is off, and checkout says so (ErrPaymentsOff).
type Off struct{}

// Name is "off".
func (Off) Name() string { return "off" }

// Checkout always refuses.
func (Off) Checkout(context.Context, CheckoutRequest) (Session, error) {
	return Session{}, ErrPaymentsOff
}

// ErrPaymentsOff refuses a checkout when no gateway is configured (503
// payments_off; the catalogue says how else to pay).
var ErrPaymentsOff = &apperr.Unavailable{Code: "payments_off"}

// Online reports whether g takes payments online.
func Online(g Gateway) bool { return g != nil && g.Name() != "off" }

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func keyOf(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return id[i+1:]
		}
	}
	return id
}
