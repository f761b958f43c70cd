// Package bureau runs the credit-bureau workflow of Colombian law: the
// prior notice before a negative report, the list of accounts that may be
// reported (and why the others may not yet), and the file the client takes
// to its bureau.
package bureau

import (
	"context"
	"log/slog"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/compliance"
	"cartera/portal/i18n"
	"cartera/portal/store"
	"cartera/tenants"
)

// Accounts is how the workflow checks the caller may act on an account
// (membership and the collector rule: accounts.Service).
type Accounts interface {
	Get(ctx context.Context, tenant, key string) (accounts.Detail, error)
}

// Options is what the service is built with.
type Options struct {
	DB       *store.DB
	Tenants  *tenants.Service
	Accounts Accounts
	Log      *slog.Logger // nil: slog.Default()
	// PublicURL is where debtors log in (the notice points there).
	PublicURL string
	// Translate is the catalogue (the notice quotes the level-3 letter's
	// paragraphs); nil shows the keys.
	Translate func(lang, key string) string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Service sends prior notices and lists the accounts that have one.
type Service struct {
	db        *store.DB
	tenants   *tenants.Service
	accounts  Accounts
	log       *slog.Logger
	publicURL string
	translate func(lang, key string) string
	checker   compliance.Checker
	// Now is the clock, from Options.Now; tests and the demo's replayed
	// year move it.
	Now func() time.Time
}

// New builds the service.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: o.DB, tenants: o.Tenants, accounts: o.Accounts, log: o.Log, publicURL: o.PublicURL, translate: o.Translate,
		checker: compliance.Checker{Calendar: compliance.NewCalendar()}, Now: o.Now}
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) tr(lang, key string) string {
	if s.translate == nil {
		return key
	}
	return s.translate(lang, key)
}

// tenantCtx is a tenant with what the workflow needs, loaded once per call.
type tenantCtx struct {
	t     tenants.Tenant
	sc    *store.Scope
	loc   *time.Location
	today time.Time
}

func (s *Service) load(ctx context.Context, tenant string) (*tenantCtx, error) {
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	loc := t.Location()
	return &tenantCtx{t: t, sc: s.db.Tenant(tenant), loc: loc, today: civilToday(s.now(), loc)}, nil
}

// account is the part of an account the workflow reads.
type account struct {
	ID         string    `bson:"_id"`
	Invoice    string    `bson:"invoice"`
	DebtorID   string    `bson:"debtorId"`
	Document   string    `bson:"document"`
	DebtorName string    `bson:"debtorName"`
	DueDate    time.Time `bson:"dueDate"`
	Balance    int64     `bson:"balance"`
	Currency   string    `bson:"currency"`
	Status     string    `bson:"status"`
	Disputed   bool      `bson:"disputed"`
	PlanID     string    `bson:"planId"` // set while an installment plan is current
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

// spanishDate writes "5 de marzo de 2026" (the notice exists only under
// Colombian law).
func spanishDate(t time.Time) string { return i18n.LongDate(t, "es") }
