package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/compliance"
	"cartera/portal/store"
	"cartera/tenants"
)

// Options is what the outbox is built with.
type Options struct {
	DB      *store.DB
	Tenants *tenants.Service
	Log     *slog.Logger // nil: slog.Default()
	// Email sends e-mail (nil: e-mails stay held in the outbox).
	Email Sender
	// Messenger sends WhatsApp and SMS (nil: they stay held).
	Messenger Sender
	// MaxAttempts bounds delivery retries before a message is failed
	// (0: 5).
	MaxAttempts int
	// PublicURL is where debtors log in (access-code messages carry the
	// tenant's link under it).
	PublicURL string
	// Translate is the catalogue (access-code messages are written in the
	// tenant's language); nil shows the keys.
	Translate func(lang, key string) string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Service delivers the outbox and lists it.
type Service struct {
	db          *store.DB
	tenants     *tenants.Service
	log         *slog.Logger
	email       Sender
	messenger   Sender
	maxAttempts int
	publicURL   string
	translate   func(lang, key string) string
	checker     compliance.Checker
	// Now is the clock, from Options.Now; tests and the demo's replayed
	// year move it.
	Now func() time.Time
}

// New builds the outbox.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: o.DB, tenants: o.Tenants, log: o.Log, email: o.Email, messenger: o.Messenger, maxAttempts: o.MaxAttempts,
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

// List lists a tenant's messages, newest first (managers and admins). It
// scans the tenant's outbox: a page for people, not a hot path.
func (s *Service) List(ctx context.Context, tenant, status string, limit int) ([]Message, error) {
	a := actor.From(ctx)
	if a.Role != tenants.RoleAdmin && a.Role != tenants.RoleManager {
		return nil, fmt.Errorf("outbox: %w", apperr.ErrForbidden)
	}
	if !a.Member(tenant) {
		return nil, fmt.Errorf("tenant: %w", apperr.ErrNotFound)
	}
	f := bson.D{}
	switch status {
	case "":
	case StatusQueued, StatusDeferred, StatusSending, StatusHeld, StatusSent, StatusFailed:
		f = append(f, bson.E{Key: "status", Value: status})
	default:
		return nil, apperr.Field("status", "use queued, deferred, sending, held, sent o failed")
	}
	if limit <= 0 {
		limit = 50
	}
	out := []Message{}
	err := s.db.Tenant(tenant).C("outbox").Find(ctx, f, &out, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}}).SetLimit(int64(min(limit, 500))))
	return out, err
}
