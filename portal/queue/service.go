package queue

import (
	"cartera/portal/paylinks"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/compliance"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Service runs worklists, the ladder, the outbox and letters.
type Service struct {
	db       *store.DB
	tenants  *tenants.Service
	policy   *strategy.Service
	accounts *accounts.Service
	checker  compliance.Checker
	log      *slog.Logger
	// Email sends e-mail (nil: e-mails stay held in the outbox).
	Email Sender
	// Messenger sends WhatsApp and SMS (nil: they stay held).
	Messenger Sender
	// Links stores the payment links messages and letters carry (nil:
	// they carry the tenant's debtor page).
	Links *paylinks.Service
	// PublicURL is where debtors log in (letters and messages carry the
	// tenant's link under it).
	PublicURL string
	// Translate is the catalogue (letters and messages are written in the
	// tenant's language); nil shows the keys.
	Translate func(lang, key string) string
	// MaxAttempts bounds delivery retries before a message is failed.
	MaxAttempts int
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

// tr is Translate, or the key itself when no catalogue is wired.
func (s *Service) tr(lang, key string) string {
	if s.Translate == nil {
		return key
	}
	return s.Translate(lang, key)
}

// New wires the service.
func New(db *store.DB, t *tenants.Service, p *strategy.Service, acc *accounts.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: db, tenants: t, policy: p, accounts: acc, log: log,
		checker: compliance.Checker{Calendar: compliance.NewCalendar()}, MaxAttempts: 5, Now: time.Now, lists: newListCache(64)}
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
