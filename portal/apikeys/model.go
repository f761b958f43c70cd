// Package apikeys holds the API keys a client company's machines (its ERP)
// use instead of a person's session: per tenant, shown once, stored hashed,
// narrowed by scopes, expiring, revocable and rate limited.
package apikeys

import (
	"slices"
	"time"
)

// Scopes a key may hold. A key acts as the tenant's client company, and
// only on the routes its scopes open (portal/web declares each route's).
const (
	ScopeAccountsRead    = "accounts:read"    // accounts, their ledger and status, debtors, imports
	ScopeReportsRead     = "reports:read"     // report figures and exports
	ScopePlacementsWrite = "placements:write" // place and update invoices, recall accounts
	ScopePaymentsWrite   = "payments:write"   // report payments the client received directly
	ScopeWebhooksManage  = "webhooks:manage"  // webhook endpoints and their delivery log
)

// Scopes lists every scope, in the order the documentation gives them.
var Scopes = []string{ScopeAccountsRead, ScopeReportsRead, ScopePlacementsWrite, ScopePaymentsWrite, ScopeWebhooksManage}

// Prefix starts every key, so the portal tells a key from a session token
// at a glance (and so do secret scanners).
const Prefix = "ck_live_"

// Key is a stored API key. The secret is never stored: only its SHA-256.
type Key struct {
	ID         string     `bson:"_id"` // tenant:kid
	TenantID   string     `bson:"tenantId"`
	KeyID      string     `bson:"keyId"` // kid, the public part embedded in the key
	Name       string     `bson:"name"`
	Scopes     []string   `bson:"scopes"`
	Hash       string     `bson:"hash"` // hex SHA-256 of the secret part
	CreatedBy  string     `bson:"createdBy"`
	CreatedAt  time.Time  `bson:"createdAt"`
	ExpiresAt  *time.Time `bson:"expiresAt,omitempty"`
	LastUsedAt *time.Time `bson:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `bson:"revokedAt,omitempty"`
	Rev        int64      `bson:"rev"`
}

// Has reports whether the key holds scope.
func (k Key) Has(scope string) bool { return slices.Contains(k.Scopes, scope) }

// Prefix is the part of the key that may be shown again: enough for a
// person to tell keys apart, nothing that authenticates.
func (k Key) Prefix() string { return Prefix + k.TenantID + "_" + k.KeyID }

// ActorID is how a key appears as the actor of its requests (audit, logs).
func ActorID(kid string) string { return "apikey:" + kid }
