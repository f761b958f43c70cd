package queue

import (
	"fmt"
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
	// lists caches decoded worklists by their token (cache.go).
	lists *listCache
	// checked remembers the queue rows' account checks (nil: read each
	// time; cache.go).
	checked *checkMemo
	// paused holds the tenants whose worklist projection waits (Suspend).
	paused sync.Map
}

// New wires the service.
func New(db *store.DB, t *tenants.Service, p *strategy.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: db, tenants: t, policy: p, log: log, Now: time.Now, lists: newListCache(64)}
	if db.Embedded() {
		s.checked = newCheckMemo(200_000)
		// One watcher per service: two app instances on one store each
		// keep their own memo current.
		db.Watch(fmt.Sprintf("queue.checks.%p", s), "accounts", nil, s.checked.forget)
	}
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

func worklistID(sc *store.Scope, collector string) string { return sc.ID(collector) }
