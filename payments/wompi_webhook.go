package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
)

// HandleWompi verifies a Wompi event (POST /api/webhooks/wompi) with the
// events secret of the tenant its reference names, stores it, then applies
// it. Wompi events carry no event id: the key is the transaction and its
// status ("wompi:<tx id>:<STATUS>"), so a repeated delivery, or a retry
// Wompi sends 30 min, 3 h and 24 h later, applies nothing twice. An event
// that does not verify is refused (401) and nothing is stored.
func (s *Service) HandleWompi(ctx context.Context, payload []byte, checksumHeader string) error {
	var probe WompiEvent
	if err := json.Unmarshal(payload, &probe); err != nil {
		return fmt.Errorf("%w: %w", apperr.ErrUnauthorized, ErrWompiChecksum)
	}
	tenant, _, ok := paymentOfReference(probe.Data.Transaction.Reference)
	if !ok || s.creds == nil {
		return fmt.Errorf("%w: %w: unknown reference", apperr.ErrUnauthorized, ErrWompiChecksum)
	}
	secret, err := s.creds.WompiEventsSecret(ctx, tenant)
	if err != nil {
		return err
	}
	evt, err := VerifyWompiEvent(payload, checksumHeader, secret)
	if err != nil {
		return fmt.Errorf("%w: %w", apperr.ErrUnauthorized, err)
	}
	tx := evt.Data.Transaction
	if evt.Event != "transaction.updated" || tx.ID == "" {
		return nil // verified, not one the portal acts on
	}
	ctx = actor.System(ctx, "wompi-webhook")
	ctx = context.WithValue(ctx, onlyKey{}, tenant)
	return s.storeAndApplyWompi(ctx, tenant, tx, evt.Event, evt.Timestamp, payload)
}

// storeAndApplyWompi stores a Wompi transaction's state once, under
// wompi:<tx>:<STATUS> (Wompi events carry no id; the webhook and the poll
// share the key, so between them it applies once), then applies it unless
// an earlier copy already was.
func (s *Service) storeAndApplyWompi(ctx context.Context, tenant string, tx WompiTransaction, typ string, created int64, payload []byte) error {
	se := storedEvent{ID: "wompi:" + tx.ID + ":" + tx.Status, Type: typ, Created: created, Payload: payload,
		ReceivedAt: time.Now().UTC(), Tenant: tenant}
	if err := s.db.C("webhooks").Insert(ctx, se); errors.Is(err, apperr.ErrConflict) {
		var prev storedEvent
		if err := s.db.C("webhooks").Get(ctx, se.ID, &prev); err == nil && prev.Processed {
			return nil
		}
	} else if err != nil {
		return fmt.Errorf("store wompi event %s: %w", se.ID, err)
	}
	_, err := s.processWompi(ctx, se.ID, payload)
	return err
}

// processWompi applies a stored Wompi event and marks it processed; done
// is false when it waits for another event (a void before its approval).
func (s *Service) processWompi(ctx context.Context, storedID string, payload []byte) (bool, error) {
	var evt WompiEvent
	if err := json.Unmarshal(payload, &evt); err != nil {
		return false, fmt.Errorf("decode wompi event %s: %w", storedID, err)
	}
	result, err := s.applyWompi(ctx, evt.Data.Transaction)
	if err != nil || result == "waiting" {
		return false, err
	}
	return true, s.db.C("webhooks").Update(ctx, bson.D{{Key: "_id", Value: storedID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "processed", Value: true}, {Key: "result", Value: result}}}})
}

// wompiMethods names Wompi's payment_method_type in the portal's words.
var wompiMethods = map[string]string{"PSE": MethodPSE, "NEQUI": MethodNequi, "BANCOLOMBIA_TRANSFER": MethodBancolombia, "CARD": MethodCard}

// applyWompi moves our payment by the transaction's status: PENDING waits
// (awaiting), APPROVED is the one recording path (Complete), DECLINED and
// ERROR fail a payment not yet recorded, VOIDED (a card annulled) reverses
// a recorded one.
func (s *Service) applyWompi(ctx context.Context, tx WompiTransaction) (string, error) {
	tenant, paymentID, ok := paymentOfReference(tx.Reference)
	if !ok {
		return "unknown-payment", nil
	}
	if only := onlyTenant(ctx); only != "" && only != tenant {
		return "other-tenant", nil
	}
	var p Payment
	if err := s.db.Tenant(tenant).C("payments").Get(ctx, paymentID, &p); errors.Is(err, apperr.ErrNotFound) {
		return "unknown-payment", nil
	} else if err != nil {
		return "", err
	}
	if p.Gateway != ProviderWompi {
		return "unknown-payment", nil
	}
	var err error
	switch tx.Status {
	case "PENDING":
		p, err = s.MarkAwaiting(ctx, tenant, p.ID, tx.ID, wompiMethods[tx.PaymentMethodType])
	case "APPROVED":
		p, err = s.Complete(ctx, tenant, p.ID, tx.ID, tx.AmountInCents, tx.Currency)
	case "DECLINED", "ERROR":
		p, err = s.Fail(ctx, tenant, p.ID, tx.ID, "Wompi: "+tx.Status+" "+tx.StatusMessage)
	case "VOIDED":
		if p.Status == StatusPending || p.Status == StatusFailed {
			if p.GatewayRef == "" || p.GatewayRef == tx.ID {
				return "waiting", nil // its approval has not arrived yet
			}
			return "ignored", nil
		}
		p, err = s.Reverse(ctx, tenant, p.ID, "void:"+tx.ID, p.Amount, "anulación Wompi")
		var ref *apperr.Refusal
		if errors.As(err, &ref) {
			return "waiting", nil
		}
	default:
		return "ignored", nil
	}
	if errors.Is(err, apperr.ErrNotFound) {
		return "unknown-payment", nil
	}
	if err != nil {
		return "", err
	}
	return p.Status, nil
}
