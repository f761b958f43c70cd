package work

import (
	"context"
	"fmt"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/compliance"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Service is the collectors' domain service.
type Service struct {
	db       *store.DB
	tenants  *tenants.Service
	accounts *accounts.Service
	policy   *strategy.Service
	audit    *audit.Log
	checker  compliance.Checker
	// hooks hears about changes to accounts (the collectors' worklists); nil: nobody.
	hooks Hooks
	// Now is the clock; tests set it to put a contact on a Sunday or at night.
	Now func() time.Time
}

// Hooks are told what happened on an account so read models stay current.
// They handle their own errors: the work is done whatever they say.
type Hooks interface {
	ActivityLogged(ctx context.Context, tenant, accountID, channel, direction string, at time.Time)
	AccountChanged(ctx context.Context, tenant, accountID string)
	PromiseBroken(ctx context.Context, tenant, accountID string)
}

// NewService wires the service; hooks may be nil (nobody keeps read
// models from what happens).
func NewService(db *store.DB, t *tenants.Service, acc *accounts.Service, p *strategy.Service, a *audit.Log, hooks Hooks) *Service {
	return &Service{db: db, tenants: t, accounts: acc, policy: p, audit: a, hooks: hooks,
		checker: compliance.Checker{Calendar: compliance.NewCalendar()}, Now: time.Now}
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// target is an account being worked, with what every action needs.
type target struct {
	sc     *store.Scope
	tenant tenants.Tenant
	acc    accounts.Detail
}

// open loads an account the caller may work: a collector only their own,
// another tenant's or another collector's is not found.
func (s *Service) open(ctx context.Context, tenant, key string) (target, error) {
	d, err := s.accounts.Get(ctx, tenant, key)
	if err != nil {
		return target{}, err
	}
	t, err := s.tenants.Tenant(ctx, tenant)
	if err != nil {
		return target{}, err
	}
	return target{sc: s.db.Tenant(tenant), tenant: t, acc: d}, nil
}

// debtor loads a debtor the caller may work on: collectors only debtors
// with an account assigned to them.
func (s *Service) debtor(ctx context.Context, tenant, document string) (*store.Scope, debtorWork, error) {
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil {
		return nil, debtorWork{}, err
	}
	sc := s.db.Tenant(tenant)
	var d debtorWork
	if err := sc.C("debtors").Get(ctx, sc.ID(document), &d); err != nil {
		return nil, debtorWork{}, err
	}
	a := actor.From(ctx)
	switch a.Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient:
		return sc, d, nil
	case tenants.RoleCollector:
		for _, id := range d.AccountIDs {
			var acc struct {
				CollectorID string `bson:"collectorId"`
			}
			if err := sc.C("accounts").Get(ctx, id, &acc); err == nil && acc.CollectorID == a.UserID {
				return sc, d, nil
			}
		}
	}
	return nil, debtorWork{}, fmt.Errorf("debtor: %w", apperr.ErrNotFound)
}

// civilToday is today's calendar date in loc, at UTC midnight (how due and
// promise dates are stored).
func civilToday(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func civilOf(t time.Time, loc *time.Location) time.Time { return civilToday(t, loc) }
