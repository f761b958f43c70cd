package strategy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cartera/payments/calc"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/store"
	"cartera/tenants"
)

// Service reads and saves tenants' policies.
type Service struct {
	db      *store.DB
	tenants *tenants.Service
	audit   *audit.Log
	caps    CapReader
	cache   sync.Map // tenant → cachedPolicy
}

// policyTTL bounds how long a policy read stays cached. The ladder, the
// queue and the money engine ask for it on every step (a tenant document
// is one of the largest the store decodes); a save here drops the entry at
// once, a save on another replica is seen within the TTL.
const policyTTL = 5 * time.Second

type cachedPolicy struct {
	raw bson.Raw // the stored fields, decoded afresh on each read (no shared slices)
	at  time.Time
}

// CapReader gives the legal caps on late interest in force for a country
// (portal/caps).
type CapReader interface {
	Table(ctx context.Context, country string) (calc.CapTable, error)
}

// NewService wires the service.
func NewService(db *store.DB, t *tenants.Service, a *audit.Log, caps CapReader) *Service {
	return &Service{db: db, tenants: t, audit: a, caps: caps}
}

// Rules are a tenant's money rules: its policy's late interest terms and
// discounts under its country's caps, as the money engine applies them.
// Through the policy cache, like the statement, so that what a debtor is
// shown and what their payment is imputed with come from the same policy.
func (s *Service) Rules(ctx context.Context, tenant string) (calc.Rules, error) {
	doc, err := s.read(ctx, tenant)
	if err != nil {
		return calc.Rules{}, fmt.Errorf("rules of %q: %w", tenant, err)
	}
	return s.RulesOf(ctx, doc.Country, OfTenant(doc.Policy, doc.Country))
}

// Forget drops a tenant's cached policy: for a tenant document written
// outside this service (a migration, a test fixture).
func (s *Service) Forget(tenant string) { s.cache.Delete(tenant) }

// RulesOf builds the rules of a policy already read, under the country's caps.
func (s *Service) RulesOf(ctx context.Context, country string, p Policy) (calc.Rules, error) {
	var table calc.CapTable
	if s.caps != nil {
		var err error
		if table, err = s.caps.Table(ctx, country); err != nil {
			return calc.Rules{}, err
		}
	} else {
		table = calc.DefaultCapTable(country)
	}
	return p.Rules(table), nil
}

// Get returns the policy of a tenant the caller belongs to (the default when
// the tenant has none).
func (s *Service) Get(ctx context.Context, tenant string) (Policy, error) {
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil {
		return Policy{}, err
	}
	return s.For(ctx, tenant)
}

// For returns a tenant's policy without a membership check (domain code and
// background work that already checked).
func (s *Service) For(ctx context.Context, tenant string) (Policy, error) {
	doc, err := s.read(ctx, tenant)
	if err != nil {
		return Policy{}, err
	}
	return OfTenant(doc.Policy, doc.Country), nil
}

// OfTenant is the policy in force for a tenant given its stored policy (nil
// or empty: none saved) and country: the saved one, or the house policy for
// the country (DefaultFor).
func OfTenant(saved *Policy, country string) Policy {
	if saved == nil || len(saved.Steps) == 0 {
		return DefaultFor(country)
	}
	p := *saved
	if p.LadderStart == "" {
		p.LadderStart = StartDue // policies saved before the option existed
	}
	return p
}

// Put validates and saves a tenant's policy (managers and admins).
func (s *Service) Put(ctx context.Context, tenant string, p Policy) (Policy, error) {
	a := actor.From(ctx)
	if a.Role != tenants.RoleAdmin && a.Role != tenants.RoleManager {
		return Policy{}, fmt.Errorf("put policy: %w", apperr.ErrForbidden)
	}
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil {
		return Policy{}, err
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return Policy{}, err
	}
	if s.caps != nil {
		table, err := s.caps.Table(ctx, t.Country)
		if err != nil {
			return Policy{}, err
		}
		if err := p.WithinCaps(table, time.Now().In(t.Location())); err != nil {
			return Policy{}, err
		}
	}
	now := time.Now().UTC()
	p.UpdatedAt, p.UpdatedBy, p.Default = &now, a.UserID, false
	err = s.db.C("tenants").Update(ctx, bson.D{{Key: "_id", Value: tenant}}, bson.D{{Key: "$set", Value: bson.D{{Key: "policy", Value: p}}}})
	s.cache.Delete(tenant)
	if errors.Is(err, apperr.ErrNotFound) {
		return Policy{}, fmt.Errorf("policy of %q: %w", tenant, err)
	} else if err != nil {
		return Policy{}, fmt.Errorf("save policy: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "policy.update", tenant, map[string]any{"steps": len(p.Steps)})
	return p, nil
}
