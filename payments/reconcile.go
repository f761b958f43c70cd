package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stripe/stripe-go/v76"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
)

// HandledEvents are the Stripe event types the portal acts on; the
// reconciliation job lists only these.
var HandledEvents = []string{
	"checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed",
	"charge.refunded", "charge.dispute.created", "charge.dispute.closed",
}

// EventLister lists a gateway's events created at or after since, of the
// given types, oldest first. Stripe implements it; the sandbox has no
// events (its page records payments directly).
type EventLister interface {
	ListEvents(ctx context.Context, since time.Time, types []string) ([]stripe.Event, error)
}

// ListEvents lists Stripe events (auto-paginated); Stripe returns newest
// first, so the list is reversed.
func (s *Stripe) ListEvents(ctx context.Context, since time.Time, types []string) ([]stripe.Event, error) {
	p := &stripe.EventListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}}
	for _, t := range types {
		p.Types = append(p.Types, stripe.String(t))
	}
	p.Limit = stripe.Int64(100)
	p.Context = ctx
	var out []stripe.Event
	it := s.api.Events.List(p)
	for it.Next() {
		out = append(out, *it.Event())
		if len(out) >= 10_000 {
			break // one run's worth; the checkpoint moves and the next run goes on
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("stripe list events: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// checkpoint is where the reconciliation got to: events created before
// Since are known to be stored. _id is "stripe:checkpoint" (the global
// account) or "stripe:<tenant>:checkpoint" (a tenant's own).
type checkpoint struct {
	ID      string    `bson:"_id"`
	Since   int64     `bson:"since"` // unix seconds
	RunAt   time.Time `bson:"runAt"`
	Listed  int       `bson:"listed"`
	Filled  int       `bson:"filled"`
	Skipped int       `bson:"skipped"`
}

const checkpointID = "stripe:checkpoint"

// ReconcileResult counts what a reconciliation run did.
type ReconcileResult struct {
	Listed  int // events the gateway listed
	Filled  int // of those, events the webhook had not delivered: stored and applied now
	Skipped int // types the portal does not handle
}

// reconcileLookback is how far back the first run looks, and the overlap
// kept on later runs (an event created in the second of the checkpoint, or
// delivered late to the list, is listed again; storing it is idempotent).
const (
	reconcileLookback = 72 * time.Hour
	reconcileOverlap  = 10 * time.Minute
)

// Reconcile lists the gateway's recent events of the handled types since
// the last checkpoint and records any that the webhook has not stored,
// through the webhook's own path (store by event id, then apply), so an
// event is applied exactly once however the webhook and this job interleave.
// It is a no-op for a gateway without events (the sandbox).
func (s *Service) Reconcile(ctx context.Context, now time.Time) (ReconcileResult, error) {
	if s.Events == nil {
		return ReconcileResult{}, nil
	}
	return s.reconcileWith(actor.System(ctx, "stripe-reconcile"), s.Events, checkpointID, now)
}

// ReconcileTenants is Reconcile for each tenant's own Stripe account: its
// events are listed with its own key, stored under its own keys and may
// touch its own payments only, exactly as its webhook endpoint's.
func (s *Service) ReconcileTenants(ctx context.Context, now time.Time) (ReconcileResult, error) {
	var total ReconcileResult
	if s.creds == nil {
		return total, nil
	}
	var list []gatewayDoc
	if err := s.db.C("gateways").Find(ctx, bson.D{{Key: "provider", Value: ProviderStripe}}, &list); err != nil {
		return total, fmt.Errorf("reconcile tenants: %w", err)
	}
	for _, d := range list {
		g, err := s.creds.Gateway(ctx, d.TenantID)
		if err != nil {
			s.log.Warn("reconcile: a tenant's gateway does not open", "tenant", d.TenantID, "err", err)
			continue
		}
		lister, ok := g.(EventLister)
		if !ok {
			continue
		}
		tctx := context.WithValue(actor.System(ctx, "stripe-reconcile"), onlyKey{}, d.TenantID)
		res, err := s.reconcileWith(tctx, lister, "stripe:"+d.TenantID+":checkpoint", now)
		total.Listed, total.Filled, total.Skipped = total.Listed+res.Listed, total.Filled+res.Filled, total.Skipped+res.Skipped
		if err != nil {
			s.log.Warn("reconcile: a tenant's Stripe events not listed; the next run tries again", "tenant", d.TenantID, "err", err)
		}
	}
	return total, nil
}

func (s *Service) reconcileWith(ctx context.Context, events EventLister, checkpointID string, now time.Time) (ReconcileResult, error) {
	var res ReconcileResult
	var cp checkpoint
	since := now.Add(-reconcileLookback)
	if err := s.db.C("webhooks").Get(ctx, checkpointID, &cp); err == nil {
		since = time.Unix(cp.Since, 0).Add(-reconcileOverlap)
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	list, err := events.ListEvents(ctx, since, HandledEvents)
	if err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	high := since.Unix()
	if cp.Since > high {
		high = cp.Since
	}
	for _, evt := range list {
		res.Listed++
		if !slices.Contains(HandledEvents, string(evt.Type)) {
			res.Skipped++ // a server that ignores the filter must not make us store noise
			continue
		}
		payload, err := json.Marshal(evt)
		if err != nil {
			return res, fmt.Errorf("reconcile: encode %s: %w", evt.ID, err)
		}
		stored, err := s.record(ctx, evt, payload)
		if err != nil {
			s.log.Warn("reconcile: event not applied; it stays pending", "event", evt.ID, "type", evt.Type, "err", err)
		}
		if stored {
			res.Filled++
			s.log.Info("reconcile: filled a missed webhook", "event", evt.ID, "type", evt.Type)
		}
		if evt.Created > high {
			high = evt.Created
		}
	}
	_, err = s.db.C("webhooks").Upsert(ctx, bson.D{{Key: "_id", Value: checkpointID}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "since", Value: high}, {Key: "runAt", Value: now.UTC()}, {Key: "listed", Value: res.Listed},
		{Key: "filled", Value: res.Filled}, {Key: "skipped", Value: res.Skipped},
	}}})
	if err != nil {
		return res, fmt.Errorf("reconcile: checkpoint: %w", err)
	}
	return res, nil
}

// record stores a verified (or listed) event by its id and applies it; it
// reports whether this call stored it (false: the webhook or another run
// already had). An event stored but not yet processed is applied again:
// apply is idempotent.
func (s *Service) record(ctx context.Context, evt stripe.Event, payload []byte) (bool, error) {
	se := storedEvent{ID: "stripe:" + evt.ID, Type: string(evt.Type), Created: evt.Created, Payload: payload, ReceivedAt: time.Now().UTC()}
	if only := onlyTenant(ctx); only != "" {
		// A tenant's own account: its own id space, kept apart.
		se.ID, se.Tenant = "stripe:"+only+":"+evt.ID, only
	}
	stored := true
	if err := s.db.C("webhooks").Insert(ctx, se); errors.Is(err, apperr.ErrConflict) {
		stored = false
		var prev storedEvent
		if err := s.db.C("webhooks").Get(ctx, se.ID, &prev); err == nil && prev.Processed {
			return false, nil
		}
	} else if err != nil {
		return false, fmt.Errorf("store event %s: %w", evt.ID, err)
	}
	return stored, s.process(ctx, se.ID, evt)
}
