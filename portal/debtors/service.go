package debtors

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/ingest"
	"cartera/portal/ratelimit"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Service is the debtor face's domain service.
type Service struct {
	db        *store.DB
	audit     *audit.Log
	tenants   *tenants.Service
	accounts  *accounts.Service
	tokens    *tenants.Tokens
	byDoc     *ratelimit.Limiter
	byAddr    *ratelimit.Limiter
	sendDoc   *ratelimit.Limiter // e-mail code requests
	sendAddr  *ratelimit.Limiter
	mail      SendMail     // one-time login codes (nil: the option is off)
	links     LinkResolver // payment links (nil: links open nothing)
	views     AccountsOf   // a debtor's accounts in one read (nil: one by one)
	ruleSrc   RuleSource   // money rules (nil: the shipped caps)
	tr        func(lang, key string) string
	publicURL string
	// rates and zones hold values that never change for a given key (the
	// daily rate of an annual rate, the location of a zone name), computed
	// once instead of on every statement line and request.
	rates calc.Rates
	zones sync.Map // zone name -> *time.Location
	// Now is the clock (Options.Now; tests move it to dates the cap table
	// covers, the demo through its year).
	Now func() time.Time
}

// Options are the service's optional parts.
type Options struct {
	// Mail sends one-time login codes (nil: the option is off).
	Mail SendMail
	// Links resolves payment links (nil: links open nothing).
	Links LinkResolver
	// Views serves a debtor's accounts in one read (nil: read one by one).
	Views AccountsOf
	// Rules gives a tenant's money rules under its country's caps
	// (strategy.Service; nil: the shipped caps).
	Rules RuleSource
	// Translate words the messages to debtors (the catalogue's T) and
	// PublicURL is where they find the debtor portal.
	Translate func(lang, key string) string
	PublicURL string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// RuleSource gives a tenant's policy and builds its money rules.
type RuleSource interface {
	For(ctx context.Context, tenant string) (strategy.Policy, error)
	RulesOf(ctx context.Context, country string, p strategy.Policy) (calc.Rules, error)
}

// AccountsOf reads a debtor's accounts (ids: the debtor's accountIds, in
// that order; missing ones left out) from a read model (portal/readside).
type AccountsOf interface {
	Accounts(ctx context.Context, sc *store.Scope, debtorID string, ids []string) ([]accounts.Account, error)
}

// New wires the service.
func New(db *store.DB, a *audit.Log, t *tenants.Service, acc *accounts.Service, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{
		db: db, audit: a, tenants: t, accounts: acc, tokens: t.Tokens(),
		byDoc:    ratelimit.New(5, 15*time.Minute, 15*time.Minute),
		byAddr:   ratelimit.New(20, 15*time.Minute, 15*time.Minute),
		sendDoc:  ratelimit.New(3, 15*time.Minute, 15*time.Minute),
		sendAddr: ratelimit.New(10, 15*time.Minute, 15*time.Minute),
		mail:     o.Mail, links: o.Links, views: o.Views, ruleSrc: o.Rules, tr: o.Translate, publicURL: o.PublicURL,
		Now: o.Now,
	}
}

// Limiters exposes the login limiters (tests move their clocks).
func (s *Service) Limiters() (byDocument, byAddress *ratelimit.Limiter) { return s.byDoc, s.byAddr }

// CodeLimiters exposes the e-mail code request limiters (tests move their clocks).
func (s *Service) CodeLimiters() (byDocument, byAddress *ratelimit.Limiter) {
	return s.sendDoc, s.sendAddr
}

// Session is an issued debtor session token.
type Session struct {
	Token   string
	Expires time.Time
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// Login checks a debtor's access code. An unknown tenant or document and a
// wrong code give the same error after the same HMAC work; failures are
// throttled per document (within the tenant) and per address.
func (s *Service) Login(ctx context.Context, tenant, document, code string) (Session, error) {
	a := actor.From(ctx)
	tenant = strings.ToLower(strings.TrimSpace(tenant))
	doc := ingest.NormalizeDocument(document)
	docKey, addrKey := "doc:"+tenant+":"+doc, "addr:"+a.IP
	if wait := max(s.byDoc.Check(docKey), s.byAddr.Check(addrKey)); wait > 0 {
		return Session{}, &apperr.Throttled{RetryAfterSeconds: int(math.Ceil(wait.Seconds()))}
	}
	var d debtorDoc
	id := tenant + ":" + doc
	found := false
	if slugRE.MatchString(tenant) && doc != "" && len(doc) <= 40 {
		sc := s.db.Tenant(tenant)
		id = sc.ID(doc)
		err := sc.C("debtors").Get(ctx, id, &d)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, apperr.ErrNotFound):
			return Session{}, fmt.Errorf("debtor login: %w", err)
		}
	}
	// The HMAC is computed whatever happened above, so timing does not tell
	// an unknown document from a wrong code.
	sum := s.accounts.HashCode(id, code)
	ok := found && d.AccessCodeHash != "" && hmac.Equal([]byte(sum), []byte(d.AccessCodeHash)) && accounts.NormalizeCode(code) != ""
	if !ok {
		s.loginFailed(ctx, found, tenant, d.ID, doc, docKey, addrKey, "access_code")
		return Session{}, fmt.Errorf("debtor login: %w", apperr.ErrUnauthorized)
	}
	s.byDoc.Reset(docKey)
	tok, exp, err := s.tokens.Issue(d.ID, tenants.AudienceDebtor, tenants.RoleDebtor, []string{tenant}, d.TokenVersion)
	if err != nil {
		return Session{}, err
	}
	_ = s.audit.Record(actor.With(ctx, debtorActor(d, a)), tenant, "debtor.login", d.ID, nil)
	return Session{Token: tok, Expires: exp}, nil
}

// tenantOrEmpty keeps audit records of unknown tenants out of real ones.
func tenantOrEmpty(found bool, tenant string) string {
	if found {
		return tenant
	}
	return ""
}

func debtorActor(d debtorDoc, req actor.Actor) actor.Actor {
	req.UserID, req.Role, req.Tenants, req.Email = d.ID, tenants.RoleDebtor, []string{d.TenantID}, ""
	return req
}

// Loaded is the debtor document read while checking the session. The HTTP
// face keeps it in the request's context (WithLoaded) so the handler does
// not read the same document again.
type Loaded struct{ d *debtorDoc }

type loadedKey struct{}

// WithLoaded returns ctx carrying the session's debtor document for the
// rest of one request (never longer: it is a snapshot).
func WithLoaded(ctx context.Context, l Loaded) context.Context {
	if l.d == nil {
		return ctx
	}
	return context.WithValue(ctx, loadedKey{}, l.d)
}

// Authenticate resolves a debtor token to its actor, refusing tokens issued
// before the debtor's current access code (token version). It also returns
// the token's expiry, for sliding sessions, and the debtor document it read.
func (s *Service) Authenticate(ctx context.Context, token string) (actor.Actor, time.Time, Loaded, error) {
	c, err := s.tokens.Parse(token, tenants.AudienceDebtor)
	if err != nil {
		return actor.Actor{}, time.Time{}, Loaded{}, fmt.Errorf("%w: %v", apperr.ErrUnauthorized, err)
	}
	if c.Role != tenants.RoleDebtor || len(c.Tenants) != 1 {
		return actor.Actor{}, time.Time{}, Loaded{}, apperr.ErrUnauthorized
	}
	var d debtorDoc
	if err := s.db.Tenant(c.Tenants[0]).C("debtors").Get(ctx, c.Subject, &d); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return actor.Actor{}, time.Time{}, Loaded{}, apperr.ErrUnauthorized
		}
		return actor.Actor{}, time.Time{}, Loaded{}, err
	}
	// A link session does not need an access code (the link stood for
	// it); both end when the debtor logs out (the version moves).
	pay := c.Scope == tenants.ScopePay
	if d.TokenVersion != c.Version || (d.AccessCodeHash == "" && !pay) || (c.Scope != "" && !pay) {
		return actor.Actor{}, time.Time{}, Loaded{}, fmt.Errorf("%w: token revoked", apperr.ErrUnauthorized)
	}
	a := debtorActor(d, actor.Actor{})
	a.PayLink = pay
	return a, c.ExpiresAt.Time, Loaded{d: &d}, nil
}

// Refresh issues a fresh token for the calling debtor (sliding session).
// A link session does not slide: it ends at its expiry.
func (s *Service) Refresh(ctx context.Context) (Session, error) {
	if actor.From(ctx).PayLink {
		return Session{}, fmt.Errorf("refresh a link session: %w", apperr.ErrForbidden)
	}
	d, _, err := s.me(ctx)
	if err != nil {
		return Session{}, err
	}
	tok, exp, err := s.tokens.Issue(d.ID, tenants.AudienceDebtor, tenants.RoleDebtor, []string{d.TenantID}, d.TokenVersion)
	return Session{Token: tok, Expires: exp}, err
}

// TTL is the session lifetime.
func (s *Service) TTL() time.Duration { return s.tokens.TTL() }

// Logout revokes the debtor's sessions (every device: the token version moves).
func (s *Service) Logout(ctx context.Context) error {
	d, sc, err := s.me(ctx)
	if err != nil {
		return err
	}
	if err := sc.C("debtors").Update(ctx, d.ID, bson.D{{Key: "$inc", Value: bson.D{{Key: "tokenVersion", Value: int64(1)}}}}); err != nil {
		return fmt.Errorf("debtor logout: %w", err)
	}
	_ = s.audit.Record(ctx, d.TenantID, "debtor.logout", d.ID, nil)
	return nil
}

// me loads the calling debtor; anyone else is refused.
func (s *Service) me(ctx context.Context) (debtorDoc, *store.Scope, error) {
	a := actor.From(ctx)
	if a.Role != tenants.RoleDebtor || len(a.Tenants) != 1 {
		return debtorDoc{}, nil, fmt.Errorf("debtor face: %w", apperr.ErrForbidden)
	}
	sc := s.db.Tenant(a.Tenants[0])
	if l, ok := ctx.Value(loadedKey{}).(*debtorDoc); ok && l.ID == a.UserID && l.TenantID == a.Tenants[0] {
		return *l, sc, nil // read by Authenticate in this request
	}
	var d debtorDoc
	if err := sc.C("debtors").Get(ctx, a.UserID, &d); err != nil {
		return debtorDoc{}, nil, err
	}
	return d, sc, nil
}

// zone is the tenant's location, loaded once per zone name.
func (s *Service) zone(t tenants.Tenant) *time.Location {
	if v, ok := s.zones.Load(t.Timezone); ok {
		return v.(*time.Location)
	}
	loc := t.Location()
	s.zones.Store(t.Timezone, loc)
	return loc
}

// Mask shows only the last four characters of a document number.
func Mask(doc string) string {
	r := []rune(doc)
	if len(r) <= 4 {
		return strings.Repeat("•", len(r))
	}
	return strings.Repeat("•", len(r)-4) + string(r[len(r)-4:])
}

// translate is the catalogue (Options.Translate), or the key itself when none is wired.
func (s *Service) translate(lang, key string) string {
	if s.tr == nil {
		return key
	}
	return s.tr(lang, key)
}
