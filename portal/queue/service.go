package queue

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Service keeps the collectors' worklists and the ladder's state on the
// accounts, and reads the queue.
type Service struct {
	db      *store.DB
	tenants *tenants.Service
	policy  *strategy.Service
	log     *slog.Logger
	// Now is the clock (tests move it).
	Now func() time.Time
	// lists keeps the worklists (readside.Worklists).
	lists Worklists
	// paused holds the tenants whose worklist projection waits (Suspend).
	paused sync.Map
}

// Worklists is where the collectors' worklists are kept (readside.Worklists):
// the queue decides what entries they hold, the store how they are encoded,
// stamped and cached. Every method works within sc's tenant.
type Worklists interface {
	// Rows returns a collector's queue rows as rows computes them from the
	// stored entries, or the rows computed before for the same day and
	// locale while the worklist has not changed. The rows are shared and
	// read-only. No worklist: no rows.
	Rows(ctx context.Context, sc *store.Scope, collector string, day time.Time, locale string, rows RowsOf) ([]Item, error)
	// Write applies edits, one write per collector's worklist; an entry
	// never replaces one built from a newer rev of its account.
	Write(ctx context.Context, sc *store.Scope, ed *Edits, now time.Time) error
	// Replace writes a collector's worklist whole, whatever was stored.
	Replace(ctx context.Context, sc *store.Scope, collector string, entries map[string]Entry, now time.Time) error
	// Prune deletes the worklists of the collectors keep refuses.
	Prune(ctx context.Context, sc *store.Scope, keep func(collector string) bool) error
	// Each calls fn with every stored entry of the tenant and its collector.
	Each(ctx context.Context, sc *store.Scope, fn func(collector, key string, e Entry)) error
	// Current checks a row against its account: found is false when the
	// account is gone, current whether it still has rev and collector.
	Current(ctx context.Context, sc *store.Scope, accountID string, rev int64, collector string) (current, found bool, err error)
}

// RowsOf computes a collector's rows from n stored entries, which each
// walks (its error: the entries could not be read).
type RowsOf func(n int, each func(fn func(Entry)) error) ([]Item, error)

// ErrStaleWorklist is what Worklists returns (wrapped) for a worklist an
// earlier release wrote: the queue rebuilds the tenant's worklists from the
// accounts.
var ErrStaleWorklist = errors.New("worklist in an earlier format")

// New wires the service; lists keeps the worklists.
func New(db *store.DB, lists Worklists, t *tenants.Service, p *strategy.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: db, tenants: t, policy: p, log: log, Now: time.Now, lists: lists}
	s.project()
	return s
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// civilToday is today's calendar date in loc at UTC midnight (how due dates
// are stored).
func civilToday(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func daysBetween(from, to time.Time) int {
	return int(to.Sub(from).Hours() / 24)
}
