package queue

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/store"
)

// The worklists are a projection of the accounts (store.Projection): a
// payment, a dispute or a recall changes the account, and the consumer
// rewrites the collector's entry off the request path, one write per
// worklist per batch. Reading the queue never writes: a row whose account
// moved on since its entry was built is shown as the account is now
// (freshItem) until the projection catches up.

// worklistFields are the account fields an entry, or whether the account
// has one, depends on.
var worklistFields = []string{"invoice", "debtorId", "debtorName", "dueDate", "balance", "currency", "status", "collectorId", "segment",
	"disputed", "planId", "promiseIds", "brokenPromises", "unansweredCalls", "lastActivityAt", "nextAction", "ladderDone", "createdAt"}

func (s *Service) project() {
	s.db.Project(store.Projection{Name: "queue.worklists", Sources: map[string][]string{"accounts": worklistFields}, Apply: s.applyWorklists})
}

// applyWorklists brings the entries of a batch's accounts up to date. Safe
// to run twice: entries are computed from the after-images and an older
// one never replaces a newer (Entry.Rev).
func (s *Service) applyWorklists(ctx context.Context, b store.Batch) error {
	by := map[string][]store.Change{}
	for _, ch := range b.Changes {
		if ch.Tenant != "" {
			by[ch.Tenant] = append(by[ch.Tenant], ch)
		}
	}
	var errs []error
	for tenant, chs := range by {
		if err := s.refreshEntries(ctx, tenant, chs); err != nil {
			errs = append(errs, fmt.Errorf("worklists %s: %w", tenant, err))
		}
	}
	return errors.Join(errs...)
}

// Suspend stops the projection for a tenant while a bulk load writes it
// (the demo's year: the queue's reads check each row against its account
// meanwhile); Resume lets the queued changes pass, then rebuilds the
// tenant's worklists in one pass.
func (s *Service) Suspend(tenant string) { s.paused.Store(tenant, true) }

// Resume ends Suspend and rebuilds the tenant's worklists.
func (s *Service) Resume(ctx context.Context, tenant string) error {
	if err := s.db.Settle(ctx, store.TenantKey(tenant)); err != nil {
		return err
	}
	s.paused.Delete(tenant)
	_, err := s.RebuildWorklists(ctx, tenant)
	return err
}

func (s *Service) refreshEntries(ctx context.Context, tenant string, chs []store.Change) error {
	if _, off := s.paused.Load(tenant); off {
		return nil
	}
	c, err := s.load(ctx, tenant)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil // the tenant is gone, and its worklists with it
	} else if err != nil {
		return err
	}
	w := newEdits()
	for _, ch := range chs {
		key := c.sc.Key(ch.ID)
		var before accountDoc
		had := ch.Before != nil && bson.Unmarshal(ch.Before, &before) == nil
		if ch.After == nil {
			if had {
				w.remove(before.CollectorID, key)
			}
			continue
		}
		var a accountDoc
		if err := bson.Unmarshal(ch.After, &a); err != nil {
			return fmt.Errorf("account %s: %w", ch.ID, err)
		}
		if had && before.CollectorID != a.CollectorID {
			w.remove(before.CollectorID, key)
		}
		if err := s.stage(ctx, c, w, a); err != nil {
			return err
		}
	}
	return s.write(ctx, c, w, s.now())
}

// freshItem is the queue row of an account as it is now, computed without
// writing; ok is false when it has no row today.
func (s *Service) freshItem(ctx context.Context, tenant, collector, accountID, typ string) (Item, bool, error) {
	c, err := s.load(ctx, tenant) // its own: the queue's rows are checked in parallel
	if err != nil {
		return Item{}, false, err
	}
	var a accountDoc
	err = c.sc.C("accounts").Get(ctx, accountID, &a)
	if errors.Is(err, apperr.ErrNotFound) {
		return Item{}, false, nil
	} else if err != nil {
		return Item{}, false, err
	}
	if a.CollectorID != collector || !inWorklist(a) {
		return Item{}, false, nil
	}
	live, err := c.livePromise(ctx, a)
	if err != nil {
		return Item{}, false, err
	}
	e, err := entryLive(ctx, c, a, live)
	if err != nil {
		return Item{}, false, err
	}
	it, ok := itemOf(c, e, typ)
	if ok {
		_, it.Reasons = e.score(c.t.Locale, c.today)
	}
	return it, ok, nil
}
