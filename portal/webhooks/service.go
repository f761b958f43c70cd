package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/tenants"
)

const (
	endpointsColl  = "webhookendpoints"
	deliveriesColl = "webhookdeliveries"
	maxEndpoints   = 10
)

// Auditor records who did what.
type Auditor interface {
	Record(ctx context.Context, tenant, action, target string, details map[string]any) error
}

// Options tune the service.
type Options struct {
	// AllowLoopbackHTTP lets endpoints be plain http on a loopback address
	// (tests, a local ERP bridge); everything else must be https to a
	// public address.
	AllowLoopbackHTTP bool
	// Client sends deliveries; nil: one that refuses private addresses at
	// connect time too (a name that resolves elsewhere later).
	Client *http.Client
}

// Service keeps endpoints and sends deliveries.
type Service struct {
	db     *store.DB
	audit  Auditor
	log    *slog.Logger
	opts   Options
	client *http.Client
	// Now is the clock; tests move it past backoff waits instead of sleeping.
	Now func() time.Time
}

// New returns the webhook service.
func New(db *store.DB, audit Auditor, log *slog.Logger, opts Options) *Service {
	s := &Service{db: db, audit: audit, log: log, opts: opts, Now: time.Now}
	s.client = opts.Client
	if s.client == nil {
		s.client = safeClient(opts.AllowLoopbackHTTP)
	}
	return s
}

func canManage(ctx context.Context, tenant string) error {
	a := actor.From(ctx)
	switch a.Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient:
	default:
		return fmt.Errorf("webhooks: %w", apperr.ErrForbidden)
	}
	if !a.Member(tenant) {
		return fmt.Errorf("tenant: %w", apperr.ErrNotFound)
	}
	return nil
}

// Create adds an endpoint and returns it with its signing secret.
func (s *Service) Create(ctx context.Context, tenant, rawURL string, events []string) (Endpoint, error) {
	if err := canManage(ctx, tenant); err != nil {
		return Endpoint{}, err
	}
	f := apperr.Fields{}
	if err := checkURL(ctx, rawURL, s.opts.AllowLoopbackHTTP); err != nil {
		f.Add("url", err.Error())
	}
	if len(events) == 0 {
		f.Add("events", "indique al menos un evento")
	}
	evs := []string{}
	for _, e := range events {
		if !slices.Contains(Events, e) {
			f.Add("events", "evento desconocido: "+e)
			break
		}
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	if err := f.Err(); err != nil {
		return Endpoint{}, err
	}
	ep := Endpoint{ID: "whk_" + randomHex(8), URL: rawURL, Events: evs, Secret: "whsec_" + randomHex(24),
		CreatedAt: s.Now().UTC(), CreatedBy: actor.From(ctx).UserID}
	sc := s.db.Tenant(tenant)
	var reg Registry
	full := false
	init := bson.D{{Key: "endpoints", Value: bson.A{}}}
	err := sc.C(endpointsColl).MutateOrCreate(ctx, sc.ID("endpoints"), &reg, init, func() (bson.D, error) {
		if len(reg.Endpoints) >= maxEndpoints {
			full = true
			return nil, nil
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "endpoints", Value: append(reg.Endpoints, ep)}}}}, nil
	})
	if err != nil {
		return Endpoint{}, fmt.Errorf("webhook endpoint: %w", err)
	}
	if full {
		return Endpoint{}, apperr.Field("url", "se alcanzó el máximo de 10 destinos de webhooks")
	}
	_ = s.audit.Record(ctx, tenant, "webhook.create", ep.ID, map[string]any{"url": ep.URL, "events": evs})
	return ep, nil
}

func (s *Service) registry(ctx context.Context, tenant string) (Registry, error) {
	sc := s.db.Tenant(tenant)
	var reg Registry
	err := sc.C(endpointsColl).Get(ctx, sc.ID("endpoints"), &reg)
	if errors.Is(err, apperr.ErrNotFound) {
		return Registry{}, nil
	}
	if err != nil {
		return Registry{}, fmt.Errorf("webhook endpoints: %w", err)
	}
	return reg, nil
}

// List returns the tenant's endpoints (without secrets).
func (s *Service) List(ctx context.Context, tenant string) ([]Endpoint, error) {
	if err := canManage(ctx, tenant); err != nil {
		return nil, err
	}
	reg, err := s.registry(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if reg.Endpoints == nil {
		return []Endpoint{}, nil
	}
	return reg.Endpoints, nil
}

func (s *Service) endpoint(ctx context.Context, tenant, id string) (Endpoint, error) {
	reg, err := s.registry(ctx, tenant)
	if err != nil {
		return Endpoint{}, err
	}
	for _, ep := range reg.Endpoints {
		if ep.ID == id {
			return ep, nil
		}
	}
	return Endpoint{}, fmt.Errorf("webhook endpoint: %w", apperr.ErrNotFound)
}

// Delete removes an endpoint; its pending deliveries are dropped when their
// turn comes (the endpoint is gone).
func (s *Service) Delete(ctx context.Context, tenant, id string) error {
	if err := canManage(ctx, tenant); err != nil {
		return err
	}
	if _, err := s.endpoint(ctx, tenant, id); err != nil {
		return err
	}
	sc := s.db.Tenant(tenant)
	var reg Registry
	err := sc.C(endpointsColl).Mutate(ctx, sc.ID("endpoints"), &reg, func() (bson.D, error) {
		kept := slices.DeleteFunc(slices.Clone(reg.Endpoints), func(e Endpoint) bool { return e.ID == id })
		if len(kept) == len(reg.Endpoints) {
			return nil, nil
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "endpoints", Value: kept}}}}, nil
	})
	if err != nil {
		return fmt.Errorf("delete webhook endpoint: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "webhook.delete", id, nil)
	return nil
}

// Page is one page of an endpoint's deliveries, newest first.
type Page struct {
	Items []Delivery
	Next  string
}

// Deliveries lists an endpoint's delivery log. It scans the tenant's
// deliveries of that endpoint: a page a person opens, not a hot path. The
// cursor is the offset of the next page.
func (s *Service) Deliveries(ctx context.Context, tenant, endpointID string, limit int, cursor string) (Page, error) {
	if err := canManage(ctx, tenant); err != nil {
		return Page{}, err
	}
	if _, err := s.endpoint(ctx, tenant, endpointID); err != nil {
		return Page{}, err
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	skip := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return Page{}, apperr.Field("cursor", "cursor no válido")
		}
		skip = n
	}
	out := []Delivery{}
	err := s.db.Tenant(tenant).C(deliveriesColl).Find(ctx, bson.D{{Key: "endpointId", Value: endpointID}}, &out,
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: 1}}).SetSkip(int64(skip)).SetLimit(int64(limit+1)))
	if err != nil {
		return Page{}, fmt.Errorf("webhook deliveries: %w", err)
	}
	p := Page{Items: out}
	if len(out) > limit {
		p.Items, p.Next = out[:limit], strconv.Itoa(skip+limit)
	}
	return p, nil
}

// DeliveryID is a delivery's id as the API shows it (without the tenant).
func DeliveryID(d Delivery) string { return d.EventID + ":" + d.EndpointID }

// Replay sends a delivery again, as it was (same event id and body, newly
// signed), with a fresh day of retries.
func (s *Service) Replay(ctx context.Context, tenant, endpointID, did string) (Delivery, error) {
	if err := canManage(ctx, tenant); err != nil {
		return Delivery{}, err
	}
	sc := s.db.Tenant(tenant)
	var d Delivery
	if err := sc.C(deliveriesColl).Get(ctx, sc.ID(did), &d); err != nil || d.EndpointID != endpointID {
		return Delivery{}, fmt.Errorf("webhook delivery: %w", apperr.ErrNotFound)
	}
	now := s.Now().UTC()
	err := sc.C(deliveriesColl).Mutate(ctx, d.ID, &d, func() (bson.D, error) {
		if d.Status == StatusSending && d.ClaimUntil.After(now) {
			return nil, fmt.Errorf("webhook delivery: being sent: %w", apperr.ErrConflict)
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusPending}, {Key: "nextAttemptAt", Value: now},
			{Key: "retryFrom", Value: now}}}}, nil
	})
	if err != nil {
		return Delivery{}, err
	}
	_ = s.audit.Record(ctx, tenant, "webhook.replay", did, nil)
	d.Status, d.NextAttemptAt = StatusPending, now
	return d, nil
}

// Publish stores one delivery of ev for each endpoint subscribed to its
// type. A repeated event id stores nothing new (at-least-once upstream,
// once here per endpoint).
func (s *Service) Publish(ctx context.Context, ev Event) error {
	reg, err := s.registry(ctx, ev.Tenant)
	if err != nil || len(reg.Endpoints) == 0 {
		return err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("webhook event %s: %w", ev.ID, err)
	}
	sc := s.db.Tenant(ev.Tenant)
	now := s.Now().UTC()
	for _, ep := range reg.Endpoints {
		if !slices.Contains(ep.Events, ev.Type) {
			continue
		}
		d := Delivery{ID: sc.ID(ev.ID + ":" + ep.ID), TenantID: ev.Tenant, EndpointID: ep.ID, EventID: ev.ID, Type: ev.Type,
			Body: string(body), Status: StatusPending, CreatedAt: now, NextAttemptAt: now}
		if err := sc.C(deliveriesColl).Insert(ctx, d); err != nil && !errors.Is(err, apperr.ErrConflict) {
			return fmt.Errorf("webhook delivery %s: %w", ev.ID, err)
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux; nothing is safe if it does
	}
	return hex.EncodeToString(b)
}
