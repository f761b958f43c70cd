package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
)

// storedEvent is a verified webhook event, kept before it is acknowledged
// so that nothing acknowledged is ever lost. _id is "stripe:<event id>".
type storedEvent struct {
	ID         string    `bson:"_id"`
	Type       string    `bson:"type"`
	Created    int64     `bson:"created"`
	Payload    []byte    `bson:"payload"`
	Processed  bool      `bson:"processed"`
	Result     string    `bson:"result,omitempty"`
	ReceivedAt time.Time `bson:"receivedAt"`
	// Tenant is set when the event came through a tenant's own endpoint
	// (its own Stripe account, or Wompi): it may touch that tenant only.
	Tenant string `bson:"tenant,omitempty"`
}

type onlyKey struct{}

// piKey is where a payment intent's link to our payment is kept; a
// tenant's own account keeps its links apart, so its events cannot
// redirect another tenant's refunds.
func piKey(ctx context.Context, pi string) string {
	if only := onlyTenant(ctx); only != "" {
		return "pi:" + only + ":" + pi
	}
	return "pi:" + pi
}

// onlyTenant restricts what an event may touch to one tenant ("" none).
func onlyTenant(ctx context.Context) string {
	t, _ := ctx.Value(onlyKey{}).(string)
	return t
}

// piLink finds our payment from a Stripe payment intent (refund and
// dispute events carry only the charge and its payment intent).
type piLink struct {
	ID       string `bson:"_id"` // "pi:<payment intent id>"
	TenantID string `bson:"tenant"`
	Payment  string `bson:"payment"`
}

// ErrBadSignature means the webhook could not be verified: nothing recorded.
var ErrBadSignature = errors.New("webhook signature")

// HandleStripe verifies a Stripe webhook on its raw body (signature and the
// 300 s tolerance), stores the event, then applies it. A repeated or
// concurrent delivery of the same event applies nothing twice; an unknown
// event type is stored and ignored.
func (s *Service) HandleStripe(ctx context.Context, payload []byte, sigHeader, secret string) error {
	if secret == "" {
		return fmt.Errorf("%w: no webhook secret configured", apperr.ErrNotFound)
	}
	// stripe-go refuses only timestamps older than the tolerance; one from
	// the future is refused here (a captured signature cannot be kept for
	// later use by signing ahead).
	if err := notFromTheFuture(sigHeader, time.Now()); err != nil {
		return &apperr.Invalid{Msg: "firma de webhook no válida", Fields: map[string]string{"Stripe-Signature": ErrBadSignature.Error() + ": " + err.Error()}}
	}
	evt, err := webhook.ConstructEventWithOptions(payload, sigHeader, secret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return &apperr.Invalid{Msg: "firma de webhook no válida", Fields: map[string]string{"Stripe-Signature": ErrBadSignature.Error() + ": " + err.Error()}}
	}
	ctx = actor.System(ctx, "stripe-webhook")
	_, err = s.record(ctx, evt, payload)
	return err
}

// HandleStripeFor is HandleStripe for a tenant's own Stripe account
// (POST /api/webhooks/stripe/{tenant}): verified with that tenant's webhook
// secret, stored apart from the global account's events, and allowed to
// touch that tenant's payments only (a client's account cannot sign events
// for another client's payments).
func (s *Service) HandleStripeFor(ctx context.Context, tenant string, payload []byte, sigHeader string) error {
	secret := ""
	if s.creds != nil {
		var err error
		if secret, err = s.creds.StripeWebhookSecret(ctx, tenant); err != nil {
			return err
		}
	}
	if secret == "" {
		return apperr.ErrNotFound
	}
	return s.HandleStripe(context.WithValue(ctx, onlyKey{}, tenant), payload, sigHeader, secret)
}

// notFromTheFuture refuses a Stripe-Signature whose t= is more than the
// tolerance ahead of now (the past is checked by stripe-go).
func notFromTheFuture(sigHeader string, now time.Time) error {
	for _, part := range strings.Split(sigHeader, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k != "t" {
			continue
		}
		ts, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("bad timestamp")
		}
		if time.Unix(ts, 0).Sub(now) > webhook.DefaultTolerance {
			return errors.New("timestamp in the future")
		}
		return nil
	}
	return nil // no timestamp: stripe-go refuses the header
}

// process applies one stored event and marks it processed.
func (s *Service) process(ctx context.Context, storedID string, evt stripe.Event) error {
	result, err := s.apply(ctx, evt)
	if err != nil {
		return err // not marked: the sender retries, the reconciler re-runs it
	}
	if result == "waiting" {
		return nil
	}
	return s.db.C("webhooks").Update(ctx, bson.D{{Key: "_id", Value: storedID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "processed", Value: true}, {Key: "result", Value: result}}}})
}

func (s *Service) apply(ctx context.Context, evt stripe.Event) (string, error) {
	switch evt.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed":
		var cs stripe.CheckoutSession
		if err := json.Unmarshal(evt.Data.Raw, &cs); err != nil {
			return "", fmt.Errorf("decode session: %w", err)
		}
		tenant, payment := cs.Metadata["tenant"], cs.Metadata["payment"]
		if tenant == "" || !strings.HasPrefix(payment, tenant+":") {
			return "unknown-payment", nil
		}
		if only := onlyTenant(ctx); only != "" && only != tenant {
			return "other-tenant", nil
		}
		ref := cs.ID
		if cs.PaymentIntent != nil && cs.PaymentIntent.ID != "" {
			ref = cs.PaymentIntent.ID
		}
		if evt.Type == "checkout.session.async_payment_failed" {
			// The voucher expired or the transfer never came: the pending
			// payment is cancelled, nothing was applied.
			p, err := s.Fail(ctx, tenant, payment, ref, "el pago no llegó: la ficha venció o la transferencia no se recibió")
			if errors.Is(err, apperr.ErrNotFound) {
				return "unknown-payment", nil
			}
			if err != nil {
				return "", err
			}
			return p.Status, nil
		}
		if cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid {
			// OXXO or SPEI: the debtor has the voucher or the CLABE; the
			// money arrives with async_payment_succeeded.
			p, err := s.MarkAwaiting(ctx, tenant, payment, ref, stripeMethodOf(cs))
			if errors.Is(err, apperr.ErrNotFound) {
				return "unknown-payment", nil
			}
			if err != nil {
				return "", err
			}
			return "awaiting:" + p.Status, nil
		}
		if cs.PaymentIntent != nil && cs.PaymentIntent.ID != "" {
			ref = cs.PaymentIntent.ID
			_, err := s.db.C("webhooks").Upsert(ctx, bson.D{{Key: "_id", Value: piKey(ctx, ref)}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "tenant", Value: tenant}, {Key: "payment", Value: payment}}}})
			if err != nil {
				return "", err
			}
		}
		p, err := s.Complete(ctx, tenant, payment, ref, cs.AmountTotal, string(cs.Currency))
		if errors.Is(err, apperr.ErrNotFound) {
			return "unknown-payment", nil
		}
		if err != nil {
			return "", err
		}
		return p.Status, nil
	case "charge.refunded":
		var ch stripe.Charge
		if err := json.Unmarshal(evt.Data.Raw, &ch); err != nil {
			return "", fmt.Errorf("decode charge: %w", err)
		}
		// amount_refunded is cumulative: each level is its own key and
		// refunds the difference from what is already refunded, so a second
		// partial refund adds, a repeated event adds nothing, and an older
		// event arriving late (a lower level) adds nothing either.
		return s.refundByIntent(ctx, ch.PaymentIntent, ch.ID, ch.AmountRefunded)
	case "charge.dispute.created":
		var d stripe.Dispute
		if err := json.Unmarshal(evt.Data.Raw, &d); err != nil {
			return "", fmt.Errorf("decode dispute: %w", err)
		}
		return s.reverseByIntent(ctx, d.PaymentIntent, "chargeback:"+d.ID, d.Amount, "contracargo")
	case "charge.dispute.closed":
		var d stripe.Dispute
		if err := json.Unmarshal(evt.Data.Raw, &d); err != nil {
			return "", fmt.Errorf("decode dispute: %w", err)
		}
		if d.Status != stripe.DisputeStatusWon {
			return "dispute-" + string(d.Status), nil // lost: the chargeback stands
		}
		link, res, err := s.link(ctx, d.PaymentIntent)
		if link == nil {
			return res, err
		}
		p, err := s.Reinstate(ctx, link.TenantID, link.Payment, "chargeback:"+d.ID)
		if err != nil {
			return "", err
		}
		return p.Status, nil
	}
	return "ignored", nil
}

// link finds our payment from a payment intent; nil with a result when
// there is nothing to do yet.
func (s *Service) link(ctx context.Context, pi *stripe.PaymentIntent) (*piLink, string, error) {
	if pi == nil || pi.ID == "" {
		return nil, "unknown-payment", nil
	}
	var link piLink
	if err := s.db.C("webhooks").Get(ctx, piKey(ctx, pi.ID), &link); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			// The completion has not arrived yet (events out of order): keep
			// the event unprocessed; the reconciler applies it after.
			return nil, "waiting", nil
		}
		return nil, "", err
	}
	if only := onlyTenant(ctx); only != "" && only != link.TenantID {
		return nil, "other-tenant", nil
	}
	return &link, "", nil
}

// refundByIntent records a refund level of a charge (amount_refunded is
// cumulative): the payment refunds the rise over what it already had.
func (s *Service) refundByIntent(ctx context.Context, pi *stripe.PaymentIntent, charge string, cumulative int64) (string, error) {
	link, res, err := s.link(ctx, pi)
	if link == nil {
		return res, err
	}
	p, err := s.RefundTo(ctx, link.TenantID, link.Payment, fmt.Sprintf("refund:%s:%d", charge, cumulative), cumulative, "reembolso")
	var ref *apperr.Refusal
	if errors.As(err, &ref) {
		return "waiting", nil
	}
	if err != nil {
		return "", err
	}
	return p.Status, nil
}

func (s *Service) reverseByIntent(ctx context.Context, pi *stripe.PaymentIntent, key string, amount int64, note string) (string, error) {
	link, res, err := s.link(ctx, pi)
	if link == nil {
		return res, err
	}
	p, err := s.Reverse(ctx, link.TenantID, link.Payment, key, amount, note)
	var ref *apperr.Refusal
	if errors.As(err, &ref) {
		return "waiting", nil
	}
	if err != nil {
		return "", err
	}
	return p.Status, nil
}

// ReprocessPending re-applies stored events not yet processed (a refund
// that arrived before its payment, a crash between storing and applying).
// The scheduler runs it; it is safe to run at any time.
func (s *Service) ReprocessPending(ctx context.Context) (int, error) {
	var list []storedEvent
	if err := s.db.C("webhooks").Find(ctx, bson.D{{Key: "processed", Value: false}}, &list); err != nil {
		return 0, err
	}
	n := 0
	for _, se := range list {
		ctx := ctx
		if se.Tenant != "" {
			ctx = context.WithValue(ctx, onlyKey{}, se.Tenant)
		}
		if strings.HasPrefix(se.ID, "wompi:") {
			done, err := s.processWompi(ctx, se.ID, se.Payload)
			if err != nil {
				return n, err
			}
			if done {
				n++
			}
			continue
		}
		var evt stripe.Event
		if err := json.Unmarshal(se.Payload, &evt); err != nil {
			continue
		}
		before := n
		if err := s.process(ctx, se.ID, evt); err != nil {
			return n, err
		}
		var after storedEvent
		if err := s.db.C("webhooks").Get(ctx, se.ID, &after); err == nil && after.Processed {
			n = before + 1
		}
	}
	return n, nil
}
