package work

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/store"
)

// promises reads promises by _id, skipping ids that no longer resolve.
func (s *Service) promises(ctx context.Context, sc *store.Scope, ids []string) ([]Promise, error) {
	out := []Promise{}
	for _, id := range ids {
		var p Promise
		if err := sc.C("promises").Get(ctx, id, &p); errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// paidToward sums the payments on the account's history that count toward
// a promise: made on or after the day it was given and no later than its
// date plus grace (civil dates in loc).
func paidToward(p Promise, history []accounts.Movement, loc *time.Location) int64 {
	from := civilOf(p.CreatedAt, loc)
	until := p.Date.AddDate(0, 0, p.GraceDays)
	var sum int64
	for _, m := range history {
		got := accounts.Collected(m.Kind, m.Amount) // all money: interest paid counts toward a promise too
		if got == 0 {
			continue
		}
		d := civilOf(m.At, loc)
		if d.Before(from) || d.After(until) {
			continue
		}
		sum += got
	}
	return sum
}

// settle marks a live promise kept or broken once (guarded by its status).
// It reports whether this call changed it.
func (s *Service) settle(ctx context.Context, sc *store.Scope, id, status string, paid int64, at time.Time) (bool, error) {
	var p Promise
	changed := false
	err := sc.C("promises").Mutate(ctx, id, &p, func() (bson.D, error) {
		if p.Status != PromiseLive {
			return nil, nil
		}
		changed = true
		return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: status}, {Key: "paid", Value: paid}, {Key: "settledAt", Value: at}}}}, nil
	})
	return changed, err
}

// keepCovered marks kept every live promise of the account that its payments
// now cover. Called after a payment is recorded.
func (s *Service) keepCovered(ctx context.Context, tg target, promiseIDs []string) error {
	var acc accounts.Account
	if err := tg.sc.C("accounts").Get(ctx, tg.acc.ID, &acc); err != nil {
		return err
	}
	list, err := s.promises(ctx, tg.sc, promiseIDs)
	if err != nil {
		return err
	}
	loc := tg.tenant.Location()
	for _, p := range list {
		if p.Status != PromiseLive {
			continue
		}
		paid := paidToward(p, acc.History, loc)
		if paid < p.Amount && acc.Balance > 0 {
			continue
		}
		changed, err := s.settle(ctx, tg.sc, p.ID, PromiseKept, paid, s.now())
		if err != nil {
			return err
		}
		if changed {
			_ = s.audit.Record(ctx, tg.tenant.ID, "promise.kept", p.ID, map[string]any{"account": p.AccountID, "paid": paid})
		}
	}
	return nil
}

// CheckPromises settles the tenant's live promises whose date plus grace has
// passed as of now: kept when the payments since cover the amount, broken
// otherwise (the account's brokenPromises counter goes up, for the queue's
// priority). It scans the tenant's promises: run it from the scheduler.
func (s *Service) CheckPromises(ctx context.Context, tenant string, now time.Time) (kept, broken int, err error) {
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return 0, 0, err
	}
	sc, loc := s.db.Tenant(tenant), t.Location()
	today := civilToday(now, loc)
	var live []Promise
	if err := sc.C("promises").Find(ctx, bson.D{{Key: "status", Value: PromiseLive}}, &live); err != nil {
		return 0, 0, fmt.Errorf("check promises: %w", err)
	}
	for _, p := range live {
		if !today.After(p.Date.AddDate(0, 0, p.GraceDays)) {
			continue
		}
		var acc accounts.Account
		if err := sc.C("accounts").Get(ctx, p.AccountID, &acc); err != nil {
			return kept, broken, err
		}
		paid := paidToward(p, acc.History, loc)
		status := PromiseBroken
		if paid >= p.Amount || acc.Balance <= 0 {
			status = PromiseKept
		}
		changed, err := s.settle(ctx, sc, p.ID, status, paid, now.UTC())
		if err != nil {
			return kept, broken, err
		}
		if !changed {
			continue
		}
		if status == PromiseKept {
			kept++
		} else {
			broken++
			if err := accounts.CountBrokenPromise(ctx, sc, p.AccountID); err != nil {
				return kept, broken, err
			}
		}
		_ = s.audit.Record(ctx, tenant, "promise."+status, p.ID, map[string]any{"account": p.AccountID, "paid": paid})
		if s.hooks != nil {
			if status == PromiseBroken {
				s.hooks.PromiseBroken(ctx, tenant, p.AccountID)
			} else {
				s.hooks.AccountChanged(ctx, tenant, p.AccountID)
			}
		}
	}
	return kept, broken, nil
}
