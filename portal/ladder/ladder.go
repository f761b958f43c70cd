// Package ladder runs a tenant's collection policy over its accounts: the
// automatic steps that are due (e-mail, WhatsApp, SMS, letters) go to the
// outbox once per account and step, composed in the tenant's language and
// checked against the contact rules; the manual ones are the collector's
// next action in the queue, and a person marks them done here. The
// ladder's state on each account (the steps done, the next action) is
// kept by the queue, which shows it: a pass goes through a queue.Pass.
package ladder

import (
	"context"
	"log/slog"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/compliance"
	"cartera/portal/paylinks"
	"cartera/portal/queue"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Queue is the collector's queue as the ladder needs it (queue.Service):
// a pass over a tenant's open accounts, and a manual step recorded.
type Queue interface {
	StartPass(ctx context.Context, tenant string, now time.Time) (*queue.Pass, error)
	RecordStep(ctx context.Context, tenant, accountID, step string) (*queue.NextAction, error)
}

// Accounts checks the caller may act on an account (membership and the
// collector rule: accounts.Service).
type Accounts interface {
	Get(ctx context.Context, tenant, key string) (accounts.Detail, error)
}

// Policies gives the policies an account may follow: the tenant's and a
// running strategy test's (strategy.Service).
type Policies interface {
	Arms(ctx context.Context, tenant string) (strategy.Arms, error)
}

// Options is what the ladder is built with.
type Options struct {
	DB       *store.DB
	Tenants  *tenants.Service
	Policies Policies
	Accounts Accounts
	Queue    Queue
	// Links stores the payment links messages carry (nil: they carry the
	// tenant's debtor page).
	Links *paylinks.Service
	Log   *slog.Logger // nil: slog.Default()
	// PublicURL is where debtors log in (messages carry the tenant's link
	// under it).
	PublicURL string
	// Translate is the catalogue (messages are written in the tenant's
	// language); nil shows the keys.
	Translate func(lang, key string) string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Service runs the ladder.
type Service struct {
	db        *store.DB
	tenants   *tenants.Service
	policies  Policies
	accounts  Accounts
	queue     Queue
	links     *paylinks.Service
	log       *slog.Logger
	publicURL string
	translate func(lang, key string) string
	checker   compliance.Checker
	// Now is the clock, from Options.Now; tests and the demo's replayed
	// year move it.
	Now func() time.Time
}

// New builds the ladder.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: o.DB, tenants: o.Tenants, policies: o.Policies, accounts: o.Accounts, queue: o.Queue, links: o.Links, log: o.Log,
		publicURL: o.PublicURL, translate: o.Translate, checker: compliance.Checker{Calendar: compliance.NewCalendar()}, Now: o.Now}
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// tr is the catalogue, or the key itself when none is wired.
func (s *Service) tr(lang, key string) string {
	if s.translate == nil {
		return key
	}
	return s.translate(lang, key)
}

// civilToday is today's calendar date in loc at UTC midnight (how due dates
// are stored).
func civilToday(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
