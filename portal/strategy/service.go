package strategy

import (
	"context"
	"errors"
	"fmt"
	"time"

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
}

// NewService wires the service.
func NewService(db *store.DB, t *tenants.Service, a *audit.Log) *Service {
	return &Service{db: db, tenants: t, audit: a}
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
	var doc struct {
		Policy *Policy `bson:"policy"`
	}
	if err := s.db.C("tenants").Get(ctx, tenant, &doc); err != nil {
		return Policy{}, fmt.Errorf("policy of %q: %w", tenant, err)
	}
	if doc.Policy == nil || len(doc.Policy.Steps) == 0 {
		return Default(), nil
	}
	return *doc.Policy, nil
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
	now := time.Now().UTC()
	p.UpdatedAt, p.UpdatedBy, p.Default = &now, a.UserID, false
	err := s.db.C("tenants").Update(ctx, bson.D{{Key: "_id", Value: tenant}}, bson.D{{Key: "$set", Value: bson.D{{Key: "policy", Value: p}}}})
	if errors.Is(err, apperr.ErrNotFound) {
		return Policy{}, fmt.Errorf("policy of %q: %w", tenant, err)
	} else if err != nil {
		return Policy{}, fmt.Errorf("save policy: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "policy.update", tenant, map[string]any{"steps": len(p.Steps)})
	return p, nil
}
