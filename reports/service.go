package reports

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/store"
	"cartera/tenants"
)

// Service is the reports' entry point for the HTTP face: it checks who is
// asking, loads the tenant and calls the one computation of each report.
type Service struct {
	db       *store.DB
	counters Counters
	tenants  *tenants.Service
	audit    *audit.Log
	log      *slog.Logger
	tests    TestSource // strategy tests (nil: none)
	tr       func(lang, key string) string
	phrase   func(lang, msg string) string
	// Now is the clock that picks the default period (tests and the demo
	// set it).
	Now func() time.Time
}

// Texts are how the reports speak outside a request (the monthly job
// renders PDFs and CSVs on its own).
type Texts struct {
	// Translate gives the reports' texts in a language (nil: the keys).
	Translate func(lang, key string) string
	// Phrase words the Spanish the code writes (CSV columns, file names)
	// in a language (static/i18n/phrases; nil: the Spanish).
	Phrase func(lang, msg string) string
}

// New wires the service; c reads the report counters, tests may be nil
// (no strategy tests).
func New(db *store.DB, c Counters, t *tenants.Service, a *audit.Log, log *slog.Logger, tests TestSource, texts Texts) *Service {
	if texts.Translate == nil {
		texts.Translate = func(_, key string) string { return key }
	}
	if texts.Phrase == nil {
		texts.Phrase = func(_, msg string) string { return msg }
	}
	return &Service{db: db, counters: c, tenants: t, audit: a, log: log, tests: tests, Now: time.Now, tr: texts.Translate, phrase: texts.Phrase}
}

// readers may see a tenant's reports: the client company and the BPO's
// managers; a collector sees their queue, not the portfolio's figures.
func canRead(ctx context.Context) bool {
	switch actor.From(ctx).Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient, "system":
		return true
	}
	return false
}

// open checks the caller and loads the tenant and the period.
func (s *Service) open(ctx context.Context, tenant, from, to string) (tenants.Tenant, Period, error) {
	if !canRead(ctx) {
		return tenants.Tenant{}, Period{}, fmt.Errorf("reports: %w", apperr.ErrForbidden)
	}
	var t tenants.Tenant
	var err error
	if actor.From(ctx).Role == "system" {
		t, err = s.tenants.TenantByID(ctx, tenant)
	} else {
		t, err = s.tenants.Tenant(ctx, tenant)
	}
	if err != nil {
		return tenants.Tenant{}, Period{}, err
	}
	p, err := ParsePeriod(from, to, s.Now(), t.Location())
	return t, p, err
}

// Summary computes the KPIs of a tenant for the period from–to
// ("YYYY-MM-DD"; empty: this month up to today), of one portfolio segment
// or ("") of all.
func (s *Service) Summary(ctx context.Context, tenant, from, to, segment string) (KPIs, error) {
	t, p, err := s.open(ctx, tenant, from, to)
	if err != nil {
		return KPIs{}, err
	}
	return summaryAt(ctx, s.counters, t, p, segment, time.Now(), s.tenants.Collectors)
}

// Remittance builds the remittance statement of a tenant for a period.
func (s *Service) Remittance(ctx context.Context, tenant, from, to string) (Remittance, error) {
	t, p, err := s.open(ctx, tenant, from, to)
	if err != nil {
		return Remittance{}, err
	}
	return Remit(ctx, s.db, t, p)
}

// ExportAccounts streams the tenant's accounts to write (one row at a
// time, the header first) and audits the export of personal data.
func (s *Service) ExportAccounts(ctx context.Context, tenant string, write func([]string) error) error {
	t, p, err := s.open(ctx, tenant, "", "")
	if err != nil {
		return err
	}
	n, err := exportAccounts(ctx, s.db, t, p.To, write)
	if err != nil {
		return err
	}
	return s.audit.Record(ctx, tenant, "export.accounts", tenant, map[string]any{"rows": n})
}

// ExportActivities streams the tenant's activities of a period to write
// and audits the export.
func (s *Service) ExportActivities(ctx context.Context, tenant, from, to string, write func([]string) error) error {
	t, p, err := s.open(ctx, tenant, from, to)
	if err != nil {
		return err
	}
	n, err := exportActivities(ctx, s.db, t, p, write)
	if err != nil {
		return err
	}
	return s.audit.Record(ctx, tenant, "export.activities", tenant, map[string]any{"rows": n, "from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly)})
}
