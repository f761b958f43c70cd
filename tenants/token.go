package tenants

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const issuer = "cartera"

// Audiences separate staff sessions from debtor sessions: a debtor token is
// never accepted where a staff token is expected, and vice versa.
const (
	AudienceStaff  = "cartera-staff"
	AudienceDebtor = "cartera-debtor"
)

// Claims are what a session token says.
type Claims struct {
	Role    string   `json:"role"`
	Tenants []string `json:"ten,omitempty"`
	Version int64    `json:"ver"`
	// Scope narrows a session (ScopePay: a debtor who came by a payment
	// link); empty is the role's full session.
	Scope string `json:"scp,omitempty"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies HS256 session tokens.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewTokens returns a token issuer; ttl is the session lifetime.
func NewTokens(secret []byte, ttl time.Duration) (*Tokens, error) {
	if len(secret) < 32 {
		return nil, errors.New("tokens: secret must be at least 32 bytes")
	}
	return &Tokens{secret: secret, ttl: ttl, now: time.Now}, nil
}

// TTL is the token lifetime.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// ScopePay is the session a payment link opens: the statement and paying.
const ScopePay = "pay"

// Issue signs a token for subject.
func (t *Tokens) Issue(subject, audience, role string, tenants []string, version int64) (string, time.Time, error) {
	return t.IssueScoped(subject, audience, role, tenants, version, "", t.ttl)
}

// IssueScoped signs a token narrowed to scope that lives ttl.
func (t *Tokens) IssueScoped(subject, audience, role string, tenants []string, version int64, scope string, ttl time.Duration) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(ttl)
	c := Claims{Role: role, Tenants: tenants, Version: version, Scope: scope, RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    issuer,
		Subject:   subject,
		Audience:  jwt.ClaimStrings{audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-30 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(exp),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return s, exp, nil
}

// Parse verifies signature, algorithm, expiry, issuer and audience.
func (t *Tokens) Parse(token, audience string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return nil, fmt.Errorf("parse token: %w", err)
	}
	if c.Subject == "" {
		return nil, errors.New("parse token: no subject")
	}
	return &c, nil
}
