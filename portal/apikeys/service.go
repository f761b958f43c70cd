package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/ratelimit"
	"cartera/portal/store"
	"cartera/tenants"
)

const (
	coll = "apikeys"
	// lastUsedEvery bounds the writes a busy key causes: its last-used time
	// moves at most once a minute, not on every request.
	lastUsedEvery = time.Minute
	// maxKeys bounds a tenant's live keys (the list is one page).
	maxKeys = 50
)

// Auditor records who did what.
type Auditor interface {
	Record(ctx context.Context, tenant, action, target string, details map[string]any) error
}

// Service creates, lists, revokes and authenticates keys.
type Service struct {
	db    *store.DB
	audit Auditor
	limit *ratelimit.Limiter
	// Now is the clock (tests move it to expire keys).
	Now func() time.Time
}

// New returns the key service; perMinute is each key's request budget per
// minute (0: 600).
func New(db *store.DB, audit Auditor, perMinute int) *Service {
	if perMinute <= 0 {
		perMinute = 600
	}
	// The limiter counts every request as a "failure": after perMinute of
	// them in a minute the key waits out the rest of a minute.
	return &Service{db: db, audit: audit, limit: ratelimit.New(perMinute, time.Minute, time.Minute), Now: time.Now}
}

// Input is a key to create.
type Input struct {
	Name      string
	Scopes    []string
	ExpiresAt *time.Time // nil: never
}

// Created is a new key with its secret, which is never shown again.
type Created struct {
	Key
	Secret string
}

// canManage: the BPO's managers and the tenant's own client users manage
// the tenant's keys; a key never mints keys (its routes refuse it first).
func canManage(ctx context.Context, tenant string) error {
	a := actor.From(ctx)
	switch a.Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient:
	default:
		return fmt.Errorf("api keys: %w", apperr.ErrForbidden)
	}
	if strings.HasPrefix(a.UserID, "apikey:") {
		return fmt.Errorf("api keys: %w", apperr.ErrForbidden)
	}
	if !a.Member(tenant) {
		return fmt.Errorf("tenant: %w", apperr.ErrNotFound)
	}
	return nil
}

// Create makes a key for tenant and returns it with its secret.
func (s *Service) Create(ctx context.Context, tenant string, in Input) (Created, error) {
	if err := canManage(ctx, tenant); err != nil {
		return Created{}, err
	}
	f := apperr.Fields{}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 80 {
		f.Add("name", "indique un nombre de hasta 80 caracteres")
	}
	if len(in.Scopes) == 0 {
		f.Add("scopes", "indique al menos un permiso")
	}
	scopes := []string{}
	for _, sc := range in.Scopes {
		if !slices.Contains(Scopes, sc) {
			f.Add("scopes", "permiso desconocido: use accounts:read, reports:read, placements:write, payments:write o webhooks:manage")
			break
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	now := s.Now().UTC()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		f.Add("expiresAt", "la fecha de vencimiento debe ser futura")
	}
	if err := f.Err(); err != nil {
		return Created{}, err
	}
	sc := s.db.Tenant(tenant)
	var live []struct {
		RevokedAt *time.Time `bson:"revokedAt"`
	}
	if err := sc.C(coll).Find(ctx, bson.D{}, &live, options.Find().SetProjection(bson.D{{Key: "revokedAt", Value: 1}})); err != nil {
		return Created{}, fmt.Errorf("api keys: %w", err)
	}
	n := 0
	for _, l := range live {
		if l.RevokedAt == nil {
			n++
		}
	}
	if n >= maxKeys {
		return Created{}, apperr.Field("name", "se alcanzó el máximo de 50 llaves activas; revoque alguna")
	}
	kid, secret := randomHex(8), randomHex(32)
	k := Key{ID: sc.ID(kid), TenantID: tenant, KeyID: kid, Name: name, Scopes: scopes, Hash: hash(secret),
		CreatedBy: actor.From(ctx).UserID, CreatedAt: now}
	if in.ExpiresAt != nil {
		e := in.ExpiresAt.UTC()
		k.ExpiresAt = &e
	}
	if err := sc.C(coll).Insert(ctx, k); err != nil {
		return Created{}, fmt.Errorf("api key: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "apikey.create", kid, map[string]any{"name": name, "scopes": scopes})
	return Created{Key: k, Secret: k.Prefix() + "_" + secret}, nil
}

// List returns the tenant's keys, newest first, revoked ones included (so
// a person sees what was revoked and when). A scan of the tenant's keys: a
// page for people, a few dozen documents.
func (s *Service) List(ctx context.Context, tenant string) ([]Key, error) {
	if err := canManage(ctx, tenant); err != nil {
		return nil, err
	}
	out := []Key{}
	err := s.db.Tenant(tenant).C(coll).Find(ctx, bson.D{}, &out, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}}).SetLimit(200))
	if err != nil {
		return nil, fmt.Errorf("api keys: %w", err)
	}
	return out, nil
}

// Revoke stops a key at once; revoking it again changes nothing.
func (s *Service) Revoke(ctx context.Context, tenant, kid string) error {
	if err := canManage(ctx, tenant); err != nil {
		return err
	}
	sc := s.db.Tenant(tenant)
	var k Key
	if err := sc.C(coll).Get(ctx, sc.ID(kid), &k); err != nil {
		return fmt.Errorf("api key: %w", err)
	}
	now := s.Now().UTC()
	changed := false
	err := sc.C(coll).Mutate(ctx, sc.ID(kid), &k, func() (bson.D, error) {
		if k.RevokedAt != nil {
			return nil, nil
		}
		changed = true
		return bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: now}}}}, nil
	})
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	if changed {
		_ = s.audit.Record(ctx, tenant, "apikey.revoke", kid, map[string]any{"name": k.Name})
	}
	return nil
}

// Looks reports whether a bearer token is shaped as a key (not a session).
func Looks(token string) bool { return strings.HasPrefix(token, Prefix) }

// ErrBadKey is a key that is unknown, wrong, revoked or expired; the HTTP
// face answers 401 whatever the reason, so a guess learns nothing.
var ErrBadKey = fmt.Errorf("api key: %w", apperr.ErrUnauthorized)

// parse splits "ck_live_<tenant>_<kid>_<secret>".
func parse(token string) (tenant, kid, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok {
		return "", "", "", false
	}
	parts := strings.Split(rest, "_")
	if len(parts) != 3 || parts[0] == "" || len(parts[1]) != 16 || len(parts[2]) != 64 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// Authenticate resolves a key: one read by _id. A key over its rate is
// *apperr.Throttled; anything else wrong is ErrBadKey. It moves the key's
// last-used time when it is more than a minute old.
func (s *Service) Authenticate(ctx context.Context, token string) (Key, error) {
	tenant, kid, secret, ok := parse(token)
	if !ok {
		return Key{}, ErrBadKey
	}
	sc := s.db.Tenant(tenant)
	var k Key
	if err := sc.C(coll).Get(ctx, sc.ID(kid), &k); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return Key{}, ErrBadKey
		}
		return Key{}, fmt.Errorf("api key: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(hash(secret)), []byte(k.Hash)) != 1 {
		return Key{}, ErrBadKey
	}
	now := s.Now().UTC()
	if k.RevokedAt != nil || (k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)) {
		return Key{}, ErrBadKey
	}
	if d := s.limit.Check(k.ID); d > 0 {
		return Key{}, &apperr.Throttled{RetryAfterSeconds: int(math.Ceil(d.Seconds()))}
	}
	s.limit.Fail(k.ID)
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUsedEvery {
		// Not a compare-and-set: two requests racing write nearly the same
		// time, and a lost update costs nothing.
		if err := sc.C(coll).Update(ctx, k.ID, bson.D{{Key: "$set", Value: bson.D{{Key: "lastUsedAt", Value: now}}}}); err != nil {
			return Key{}, fmt.Errorf("api key last used: %w", err)
		}
		k.LastUsedAt = &now
	}
	return k, nil
}

// Actor is the principal of a key's requests: the tenant's client company,
// named by the key (so the audit shows the key), with the key's scopes.
func Actor(k Key, base actor.Actor) actor.Actor {
	base.UserID = ActorID(k.KeyID)
	base.Role = tenants.RoleClient
	base.Tenants = []string{k.TenantID}
	base.Scopes = slices.Clone(k.Scopes)
	base.KeyID = k.KeyID
	return base
}

func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux; nothing is safe if it does
	}
	return hex.EncodeToString(b)
}
