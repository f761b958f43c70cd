package readside

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/apperr"
	"cartera/portal/queue"
	"cartera/portal/store"
)

// Worklists keeps the collectors' worklists (queue.Worklists, declared by
// the queue, which decides what goes in them): one document per collector
// and tenant in the worklists collection, its entries in one binary field
// (worklists_codec.go), a stamp per worklist, and in memory the worklists
// read and written last and the queue rows' account checks
// (worklists_cache.go).
//
// Memory: at most 64 worklists and 100,000 rows in each of the two list
// LRUs (about 90 MB), and on the embedded server a check memo of at most
// 200,000 accounts (about 45 MB).
type Worklists struct {
	lists *listCache
	// checked remembers the queue rows' account checks (nil on MongoDB
	// proper, where other replicas write: the rows are read each time).
	checked *checkMemo
}

var _ queue.Worklists = (*Worklists)(nil)

// NewWorklists returns the worklist store for db. On the embedded server it
// watches the accounts, so its memo of checks forgets every account written.
func NewWorklists(db *store.DB) *Worklists {
	w := &Worklists{lists: newListCache(64)}
	if db.Embedded() {
		w.checked = newCheckMemo(200_000)
		// One watcher per store value: two app instances on one database
		// each keep their own memo current.
		db.Watch(fmt.Sprintf("queue.checks.%p", w), "accounts", nil, w.checked.forget)
	}
	return w
}

func worklistID(sc *store.Scope, collector string) string { return sc.ID(collector) }

// Rows returns a collector's queue rows as rows computes them, or the
// rows computed for the same day and locale while the worklist has not
// changed (its stamp's token). Rows are shared: callers must not modify
// them. No worklist: no rows.
func (w *Worklists) Rows(ctx context.Context, sc *store.Scope, collector string, day time.Time, locale string, rows queue.RowsOf) ([]queue.Item, error) {
	id := worklistID(sc, collector)
	token, err := readStamp(ctx, sc, collector)
	if err != nil {
		return nil, err
	}
	if items, ok := w.lists.get(id, token, day, locale); ok {
		return items, nil
	}
	var items []queue.Item
	if m, ok := w.lists.entries(id, token); ok {
		// Written by this process since: no document read, no decoding.
		items, err = rows(len(m), func(fn func(queue.Entry)) error {
			for _, e := range m {
				fn(e)
			}
			return nil
		})
	} else {
		var wl Worklist
		if err := sc.C("worklists").Get(ctx, id, &wl); errors.Is(err, apperr.ErrNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("worklist %s: %w", id, err)
		}
		items, err = rows(wl.Count, func(fn func(queue.Entry)) error {
			return wl.each(func(_ string, e queue.Entry) { fn(e) })
		})
		token = wl.Token
	}
	if err != nil {
		return nil, err
	}
	w.lists.put(id, &cachedList{token: token, day: day, locale: locale, items: items})
	return items, nil
}

// Write applies edits, one compare-and-set per collector's worklist. An
// entry never replaces one built from a newer rev of its account (a replay
// of older images changes nothing), and a worklist whose entries come out
// the same is not written.
func (w *Worklists) Write(ctx context.Context, sc *store.Scope, ed *queue.Edits, now time.Time) error {
	cols := map[string]bool{}
	for c := range ed.Set {
		cols[c] = true
	}
	for c := range ed.Unset {
		cols[c] = true
	}
	for c := range cols {
		err := w.edit(ctx, sc, c, now, func(wl *Worklist) (map[string]queue.Entry, bool, error) {
			m, err := wl.Entries()
			if err != nil {
				return nil, false, err
			}
			changed := false
			for _, k := range ed.Unset[c] {
				if _, ok := m[k]; ok {
					delete(m, k)
					changed = true
				}
			}
			for k, e := range ed.Set[c] {
				old, ok := m[k]
				if ok && (old.Rev > e.Rev || reflect.DeepEqual(old, e)) {
					continue // built from an older image of the account, or the same
				}
				m[k] = e
				changed = true
			}
			return m, changed, nil
		})
		if err != nil {
			return fmt.Errorf("worklist %s: %w", c, err)
		}
	}
	return nil
}

// Replace writes a collector's worklist whole, whatever was stored and in
// whichever format; no entries and no worklist: nothing is created.
func (w *Worklists) Replace(ctx context.Context, sc *store.Scope, collector string, entries map[string]queue.Entry, now time.Time) error {
	return w.edit(ctx, sc, collector, now, func(*Worklist) (map[string]queue.Entry, bool, error) {
		return entries, true, nil
	})
}

// Prune deletes every worklist of the tenant whose collector keep refuses,
// or that is not where this release keeps it, and renews its stamp so no
// cached copy matches any more.
func (w *Worklists) Prune(ctx context.Context, sc *store.Scope, keep func(collector string) bool) error {
	var gone []Worklist
	err := sc.C("worklists").Each(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "collectorId", Value: 1}}), func(raw bson.Raw) error {
		var wl Worklist
		if err := bson.Unmarshal(raw, &wl); err != nil {
			return err
		}
		if !keep(wl.CollectorID) || wl.ID != worklistID(sc, wl.CollectorID) {
			gone = append(gone, wl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("prune worklists: %w", err)
	}
	for _, wl := range gone {
		if err := sc.C("worklists").Delete(ctx, wl.ID); err != nil {
			return fmt.Errorf("delete worklist %s: %w", wl.ID, err)
		}
		if err := writeStamp(ctx, sc, wl.CollectorID, newToken()); err != nil {
			return err
		}
	}
	return nil
}

// Each calls fn with every entry of the tenant's worklists and its
// collector (a scan: for the ladder's pass).
func (w *Worklists) Each(ctx context.Context, sc *store.Scope, fn func(collector, key string, e queue.Entry)) error {
	return sc.C("worklists").Each(ctx, bson.D{}, nil, func(raw bson.Raw) error {
		var wl Worklist
		if err := bson.Unmarshal(raw, &wl); err != nil {
			return err
		}
		return wl.each(func(k string, e queue.Entry) { fn(wl.CollectorID, k, e) })
	})
}

// Current checks a queue row against its account: found is false when the
// account is gone, current whether it still has the rev the row was built
// from and belongs to collector. A check that held is remembered until the
// account is written (embedded only), so a repeated read reads nothing.
func (w *Worklists) Current(ctx context.Context, sc *store.Scope, accountID string, rev int64, collector string) (current, found bool, err error) {
	if w.checked != nil && w.checked.ok(accountID, rev, collector) {
		return true, true, nil
	}
	var seq uint64
	if w.checked != nil {
		seq = w.checked.begin()
	}
	var a struct {
		CollectorID string `bson:"collectorId"`
		Rev         int64  `bson:"rev"`
	}
	err = sc.C("accounts").Get(ctx, accountID, &a)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, false, nil
	} else if err != nil {
		return false, false, fmt.Errorf("check account %s: %w", accountID, err)
	}
	if a.Rev != rev || a.CollectorID != collector {
		return false, true, nil
	}
	if w.checked != nil {
		w.checked.put(accountID, a.Rev, collector, seq)
	}
	return true, true, nil
}

// edit writes a collector's entries with a compare-and-set, creating the
// worklist when it does not exist, then stamps the new token and keeps the
// entries in memory. next computes the entries from the worklist as stored
// (empty when there is none), false when there is nothing to write; it
// only computes.
func (w *Worklists) edit(ctx context.Context, sc *store.Scope, collector string, now time.Time, next func(*Worklist) (map[string]queue.Entry, bool, error)) error {
	id := worklistID(sc, collector)
	for range 5 {
		var wl Worklist
		token := newToken()
		var final map[string]queue.Entry
		err := sc.C("worklists").Mutate(ctx, id, &wl, func() (bson.D, error) {
			final = nil // Mutate calls again when it loses a race
			m, ok, err := next(&wl)
			if !ok || err != nil {
				return nil, err
			}
			data, err := EncodeWorklist(m)
			if err != nil {
				return nil, err
			}
			final = m
			return bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: data}, {Key: "count", Value: len(m)}, {Key: "updatedAt", Value: now}, {Key: "token", Value: token}}}}, nil
		})
		if errors.Is(err, apperr.ErrNotFound) {
			final, err = insertWorklist(ctx, sc, collector, now, token, next)
			if errors.Is(err, apperr.ErrConflict) {
				continue // someone else created it: edit it
			}
		}
		if err != nil || final == nil {
			return err // failed, or nothing to write
		}
		w.lists.putEntries(id, token, final)
		return writeStamp(ctx, sc, collector, token)
	}
	return fmt.Errorf("worklist %s: %w", id, apperr.ErrConflict)
}

// insertWorklist creates a collector's worklist with next's entries (none:
// nothing is created) and returns them.
func insertWorklist(ctx context.Context, sc *store.Scope, collector string, now time.Time, token string, next func(*Worklist) (map[string]queue.Entry, bool, error)) (map[string]queue.Entry, error) {
	m, ok, err := next(&Worklist{})
	if !ok || err != nil || len(m) == 0 {
		return nil, err
	}
	data, err := EncodeWorklist(m)
	if err != nil {
		return nil, err
	}
	return m, sc.C("worklists").Insert(ctx, Worklist{ID: worklistID(sc, collector), TenantID: sc.Slug(), CollectorID: collector, Count: len(m), Data: data, UpdatedAt: now, Token: token})
}
