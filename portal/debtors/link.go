package debtors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/paylinks"
	"cartera/tenants"
)

// LinkTTL is how long a session opened by a payment link lasts; it does
// not slide, so a phone left open does not keep the account open.
const LinkTTL = 30 * time.Minute

// LinkSession is a session opened by a payment link, with the invoices the
// link offered (the pay sheet starts with them picked).
type LinkSession struct {
	Session
	Accounts []string
}

// LinkResolver finds what a payment link's token opens (paylinks.Service).
type LinkResolver interface {
	Resolve(ctx context.Context, tenant, token string) (paylinks.Link, error)
}

// LoginByLink opens a pay-only session from a payment link's token.
// Unknown, expired and other tenants' tokens give the same ErrUnauthorized,
// and failures are throttled per address like code logins.
func (s *Service) LoginByLink(ctx context.Context, tenant, token string) (LinkSession, error) {
	a := actor.From(ctx)
	tenant = strings.ToLower(strings.TrimSpace(tenant))
	addrKey := "addr:" + a.IP
	if wait := s.byAddr.Check(addrKey); wait > 0 {
		return LinkSession{}, &apperr.Throttled{RetryAfterSeconds: int(math.Ceil(wait.Seconds()))}
	}
	if s.links == nil || !slugRE.MatchString(tenant) {
		s.byAddr.Fail(addrKey)
		return LinkSession{}, fmt.Errorf("link login: %w", apperr.ErrUnauthorized)
	}
	l, err := s.links.Resolve(ctx, tenant, token)
	if err != nil {
		if errors.Is(err, apperr.ErrUnauthorized) {
			s.byAddr.Fail(addrKey)
			_ = s.audit.Record(ctx, "", "debtor.link_failed", "", map[string]any{"tenant": tenant})
		}
		return LinkSession{}, err
	}
	var d debtorDoc
	if err := s.db.Tenant(tenant).C("debtors").Get(ctx, l.DebtorID, &d); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return LinkSession{}, fmt.Errorf("link login: debtor gone: %w", apperr.ErrUnauthorized)
		}
		return LinkSession{}, fmt.Errorf("link login: %w", err)
	}
	tok, exp, err := s.tokens.IssueScoped(d.ID, tenants.AudienceDebtor, tenants.RoleDebtor, []string{tenant}, d.TokenVersion, tenants.ScopePay, LinkTTL)
	if err != nil {
		return LinkSession{}, err
	}
	_ = s.audit.Record(actor.With(ctx, debtorActor(d, a)), tenant, "debtor.link_login", d.ID, map[string]any{"source": l.Source})
	sc := s.db.Tenant(tenant)
	keys := make([]string, 0, len(l.Accounts)) // as the statement names them
	for _, id := range l.Accounts {
		keys = append(keys, sc.Key(id))
	}
	return LinkSession{Session: Session{Token: tok, Expires: exp}, Accounts: keys}, nil
}
