// Package paylinks holds payment links: the link an e-mail, SMS or letter
// carries so the debtor lands on the pay sheet of that message's invoices
// without typing a code.
//
// A link is an opaque random token (128 bits, 22 characters) in the URL
// fragment of the tenant's debtor page (/pay/<slug>#l=<token>): short enough
// for an SMS, free of the debtor's document number, and never sent to a
// server log or a Referer (browsers keep fragments to themselves). Only the
// token's SHA-256 is stored, so a copy of the database opens no link. A link
// expires (TTL) and opens a restricted session: the statement and paying
// only (portal/debtors); disputes, plans and personal data need the access
// code.
package paylinks

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"cartera/portal/apperr"
	"cartera/portal/store"
)

// TTL is how long a link opens the pay sheet: long enough for a letter to
// be delivered and read, short enough that an old letter found later does
// not open the account.
const TTL = 45 * 24 * time.Hour

// Link is what a token opens.
type Link struct {
	ID        string    `bson:"_id"` // <tenant>:<sha256 of the token, hex>
	TenantID  string    `bson:"tenantId"`
	DebtorID  string    `bson:"debtorId"`
	Accounts  []string  `bson:"accounts"` // the offer: the invoices the message was about
	Source    string    `bson:"source"`   // the outbox message or letter that carried it
	ExpiresAt time.Time `bson:"expiresAt"`
	CreatedAt time.Time `bson:"createdAt"`
}

// Service issues and resolves links.
type Service struct {
	db *store.DB
	// Now is the clock (tests and the demo move it).
	Now func() time.Time
}

// New returns the service.
func New(db *store.DB) *Service { return &Service{db: db, Now: time.Now} }

// Mint makes a new link for the debtor's accounts, not yet stored: a batch
// of messages stores its links in one write (Store) before the messages.
func Mint(now time.Time, tenant, debtorID string, accounts []string, source string) (string, Link, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Link{}, fmt.Errorf("pay link: random: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now = now.UTC()
	return token, Link{ID: tenant + ":" + hash(token), TenantID: tenant, DebtorID: debtorID, Accounts: accounts, Source: source,
		ExpiresAt: now.Add(TTL), CreatedAt: now}, nil
}

// Store saves minted links of one tenant.
func (s *Service) Store(ctx context.Context, tenant string, links []Link) error {
	if len(links) == 0 {
		return nil
	}
	docs := make([]any, len(links))
	for i, l := range links {
		if l.TenantID != tenant {
			return fmt.Errorf("pay link: %s is not of tenant %s", l.ID, tenant)
		}
		docs[i] = l
	}
	if _, err := s.db.Tenant(tenant).C("paylinks").InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("pay link: store: %w", err)
	}
	return nil
}

// Issue stores a new link for the debtor's accounts and returns its token.
func (s *Service) Issue(ctx context.Context, tenant, debtorID string, accounts []string, source string) (string, error) {
	token, l, err := Mint(s.Now(), tenant, debtorID, accounts, source)
	if err != nil {
		return "", err
	}
	return token, s.Store(ctx, tenant, []Link{l})
}

// Resolve returns the link a token names. Unknown, malformed, another
// tenant's and expired tokens all give ErrUnauthorized.
func (s *Service) Resolve(ctx context.Context, tenant, token string) (Link, error) {
	token = strings.TrimSpace(token)
	if len(token) != 22 {
		return Link{}, fmt.Errorf("pay link: %w", apperr.ErrUnauthorized)
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return Link{}, fmt.Errorf("pay link: %w", apperr.ErrUnauthorized)
	}
	sc := s.db.Tenant(tenant)
	var l Link
	switch err := sc.C("paylinks").Get(ctx, sc.ID(hash(token)), &l); {
	case errors.Is(err, apperr.ErrNotFound):
		return Link{}, fmt.Errorf("pay link: %w", apperr.ErrUnauthorized)
	case err != nil:
		return Link{}, fmt.Errorf("pay link: %w", err)
	}
	if !s.Now().Before(l.ExpiresAt) {
		return Link{}, fmt.Errorf("pay link expired: %w", apperr.ErrUnauthorized)
	}
	return l, nil
}

// URL is the link under the tenant's debtor page (tenants.DebtorURL).
func URL(debtorURL, token string) string { return debtorURL + "#l=" + token }

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
