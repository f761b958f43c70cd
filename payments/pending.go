package payments

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stripe/stripe-go/v76"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/store"
)

// Asynchronous methods (OXXO, SPEI, PSE, Nequi) settle after the debtor
// leaves the gateway: the payment waits as pending + awaiting (shown on the
// statement, not recovered) until the gateway says the money arrived
// (Complete) or that it never will (Fail).

// Awaiting is one payment on its way, as the debtor's statement shows it.
type Awaiting struct {
	PaymentID string    `bson:"paymentId" json:"id"`
	Amount    int64     `bson:"amount" json:"amount"`
	Currency  string    `bson:"currency" json:"currency"`
	Method    string    `bson:"method" json:"method"`
	Since     time.Time `bson:"since" json:"since"`
}

// awaitingDoc is a debtor's payments on their way, read by _id with the
// statement. _id is the debtor's id ("<tenant>:<document>").
type awaitingDoc struct {
	ID       string     `bson:"_id"`
	TenantID string     `bson:"tenantId"`
	Items    []Awaiting `bson:"items"`
	Rev      int64      `bson:"rev"`
}

const awaitingColl = "paypending"

// AwaitingOf lists the debtor's payments on their way (oldest first).
func (s *Service) AwaitingOf(ctx context.Context, tenant, debtorID string) ([]Awaiting, error) {
	var d awaitingDoc
	err := s.db.Tenant(tenant).C(awaitingColl).Get(ctx, debtorID, &d)
	if errors.Is(err, apperr.ErrNotFound) {
		return []Awaiting{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pending payments: %w", err)
	}
	if d.Items == nil {
		d.Items = []Awaiting{}
	}
	return d.Items, nil
}

// MarkAwaiting records that the gateway has the order of a pending (or
// failed, retried) payment and the money is on its way; a payment already
// recorded is left as it is (an event arriving late never moves it back).
func (s *Service) MarkAwaiting(ctx context.Context, tenant, paymentID, gatewayRef, method string) (Payment, error) {
	sc := s.db.Tenant(tenant)
	var p Payment
	moved := false
	err := sc.C("payments").Mutate(ctx, paymentID, &p, func() (bson.D, error) {
		moved = false
		if p.Status != StatusPending && p.Status != StatusFailed {
			return nil, nil
		}
		if p.Status == StatusPending && p.Awaiting && p.GatewayRef == gatewayRef {
			return nil, nil
		}
		if p.Status == StatusFailed && p.GatewayRef == gatewayRef {
			return nil, nil // this attempt already ended (its PENDING arrived late); only a new one reopens
		}
		moved = true
		set := bson.D{{Key: "status", Value: StatusPending}, {Key: "awaiting", Value: true}, {Key: "gatewayRef", Value: gatewayRef}}
		if method != "" {
			set = append(set, bson.E{Key: "method", Value: method})
			p.Method = method
		}
		p.Status, p.Awaiting, p.GatewayRef = StatusPending, true, gatewayRef
		return bson.D{{Key: "$set", Value: set}}, nil
	})
	if err != nil {
		return p, err
	}
	if !moved {
		return p, nil
	}
	item := Awaiting{PaymentID: p.ID, Amount: p.Amount, Currency: p.Currency, Method: p.Method, Since: time.Now().UTC()}
	var d awaitingDoc
	err = sc.C(awaitingColl).MutateOrCreate(ctx, p.DebtorID, &d, bson.D{{Key: "items", Value: bson.A{}}}, func() (bson.D, error) {
		if slices.ContainsFunc(d.Items, func(a Awaiting) bool { return a.PaymentID == p.ID }) {
			return nil, nil
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "items", Value: append(d.Items, item)}}}}, nil
	})
	if err != nil {
		return p, fmt.Errorf("pending payment %s: %w", p.ID, err)
	}
	_ = s.audit.Record(ctx, tenant, "payment.awaiting", p.ID, map[string]any{"method": p.Method})
	return p, nil
}

// Fail records that a pending payment's money will not come (declined,
// voucher expired): it leaves the statement's pending list. A payment
// already recorded is left as it is: a decline after an approval undoes
// nothing.
func (s *Service) Fail(ctx context.Context, tenant, paymentID, gatewayRef, reason string) (Payment, error) {
	sc := s.db.Tenant(tenant)
	var p Payment
	moved := false
	err := sc.C("payments").Mutate(ctx, paymentID, &p, func() (bson.D, error) {
		moved = false
		if p.Status != StatusPending {
			return nil, nil
		}
		if gatewayRef != "" && p.GatewayRef != "" && p.GatewayRef != gatewayRef && p.Awaiting {
			return nil, nil // another attempt on this payment is on its way: this one's failure does not end it
		}
		moved = true
		p.Status, p.Awaiting = StatusFailed, false
		set := bson.D{{Key: "status", Value: StatusFailed}, {Key: "awaiting", Value: false}, {Key: "note", Value: reason}}
		if gatewayRef != "" {
			set = append(set, bson.E{Key: "gatewayRef", Value: gatewayRef}) // the attempt that ended
		}
		return bson.D{{Key: "$set", Value: set}}, nil
	})
	if err != nil {
		return p, err
	}
	if err := s.clearAwaiting(ctx, sc, p); err != nil {
		return p, err
	}
	if moved {
		_ = s.audit.Record(ctx, tenant, "payment.failed", p.ID, map[string]any{"reason": reason})
	}
	return p, nil
}

// clearAwaiting takes a payment that is no longer on its way off its
// debtor's pending list.
func (s *Service) clearAwaiting(ctx context.Context, sc *store.Scope, p Payment) error {
	if p.Awaiting && p.Status == StatusPending {
		return nil
	}
	var d awaitingDoc
	err := sc.C(awaitingColl).Mutate(ctx, p.DebtorID, &d, func() (bson.D, error) {
		i := slices.IndexFunc(d.Items, func(a Awaiting) bool { return a.PaymentID == p.ID })
		if i < 0 {
			return nil, nil
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "items", Value: slices.Delete(slices.Clone(d.Items), i, i+1)}}}}, nil
	})
	if errors.Is(err, apperr.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pending payment %s: %w", p.ID, err)
	}
	return nil
}

// stripeMethod sets a Checkout Session's payment method for the debtor's
// choice: OXXO (a voucher paid in cash, expiring in 3 days) or SPEI (a
// bank transfer to a CLABE: Stripe's customer_balance with
// mx_bank_transfer, which needs a Customer). Card, or no choice, leaves
// Stripe's defaults.
func stripeMethod(p *stripe.CheckoutSessionParams, method string) {
	switch method {
	case MethodOXXO:
		p.PaymentMethodTypes = stripe.StringSlice([]string{"oxxo"})
		p.PaymentMethodOptions = &stripe.CheckoutSessionPaymentMethodOptionsParams{
			OXXO: &stripe.CheckoutSessionPaymentMethodOptionsOXXOParams{ExpiresAfterDays: stripe.Int64(3)},
		}
	case MethodSPEI:
		p.PaymentMethodTypes = stripe.StringSlice([]string{"customer_balance"})
		p.CustomerCreation = stripe.String(string(stripe.CheckoutSessionCustomerCreationAlways))
		p.PaymentMethodOptions = &stripe.CheckoutSessionPaymentMethodOptionsParams{
			CustomerBalance: &stripe.CheckoutSessionPaymentMethodOptionsCustomerBalanceParams{
				FundingType: stripe.String("bank_transfer"),
				BankTransfer: &stripe.CheckoutSessionPaymentMethodOptionsCustomerBalanceBankTransferParams{
					Type: stripe.String("mx_bank_transfer"),
				},
			},
		}
	}
}

// stripeMethodOf names the method of a session from its payment method
// types (the first one).
func stripeMethodOf(cs stripe.CheckoutSession) string {
	if len(cs.PaymentMethodTypes) == 0 {
		return ""
	}
	switch cs.PaymentMethodTypes[0] {
	case "oxxo":
		return MethodOXXO
	case "customer_balance":
		return MethodSPEI
	case "card":
		return MethodCard
	}
	return ""
}
