package tenants

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/crypto/bcrypt"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/ratelimit"
	"cartera/portal/store"
)

// Service manages tenants, users and sessions.
type Service struct {
	db      *store.DB
	audit   *audit.Log
	tokens  *Tokens
	byAcct  *ratelimit.Limiter
	byAddr  *ratelimit.Limiter
	hashPwd func(string) (string, error)
	// known caches tenants by slug. A tenant's own fields never change
	// after creation (policy and assignment live beside them in the same
	// document but are read by their owners), so an entry cannot go stale,
	// on this replica or another; it saves decoding the whole tenant
	// document, policy included, on every request.
	known sync.Map // slug → Tenant
	// collectors caches each tenant's collectors (Collectors) on the
	// embedded server, where this process is the only writer and every
	// write that changes who they are or their names goes through
	// CreateUser or UpdateUser, which move usersGen when done. MongoDB proper
	// gets no cache: other replicas write there.
	collectors sync.Map // tenant → collectorList
	usersGen   atomic.Uint64
}

// collectorList is a tenant's collectors as read while usersGen was gen.
type collectorList struct {
	gen   uint64
	users []User
}

// NewService wires the service.
func NewService(db *store.DB, a *audit.Log, t *Tokens) *Service {
	return &Service{
		db: db, audit: a, tokens: t,
		byAcct:  ratelimit.New(5, 15*time.Minute, 15*time.Minute),
		byAddr:  ratelimit.New(20, 15*time.Minute, 15*time.Minute),
		hashPwd: HashPassword,
	}
}

// SetHashCost changes the bcrypt cost of new hashes (tests use the minimum
// to stay fast; checks always use the cost stored in the hash).
func (s *Service) SetHashCost(cost int) {
	s.hashPwd = func(pw string) (string, error) {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
		return string(h), err
	}
}

// Limiters exposes the login limiters (tests move their clocks).
func (s *Service) Limiters() (byAccount, byAddress *ratelimit.Limiter) { return s.byAcct, s.byAddr }

// Tokens is the token issuer.
func (s *Service) Tokens() *Tokens { return s.tokens }

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// NewTenant is the input of CreateTenant.
type NewTenant struct {
	Slug, Name, Country, Currency, Timezone, Locale string
	CommissionRate                                  float64 // fraction, 0.15 = 15 %
}

// CreateTenant adds a client company (admins only).
func (s *Service) CreateTenant(ctx context.Context, in NewTenant) (Tenant, error) {
	if actor.From(ctx).Role != RoleAdmin {
		return Tenant{}, apperr.ErrForbidden
	}
	f := apperr.Fields{}
	in.Slug = strings.TrimSpace(in.Slug)
	if !slugRE.MatchString(in.Slug) {
		f.Add("slug", "use 2 a 40 letras minúsculas, dígitos o guiones")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 120 {
		f.Add("name", "el nombre es obligatorio (máximo 120 caracteres)")
	}
	def, ok := countries[strings.ToUpper(in.Country)]
	if !ok {
		f.Add("country", "país no soportado: use CO, MX, PE o US")
	}
	in.Country = strings.ToUpper(in.Country)
	if in.Currency == "" {
		in.Currency = def.currency
	}
	in.Currency = strings.ToUpper(in.Currency)
	if ok && in.Currency != def.currency && in.Currency != "USD" {
		f.Add("currency", "moneda no válida para el país")
	}
	if in.Timezone == "" {
		in.Timezone = def.timezone
	}
	if _, err := time.LoadLocation(in.Timezone); err != nil || !strings.Contains(in.Timezone, "/") {
		f.Add("timezone", "zona horaria desconocida (ej. America/Bogota)")
	}
	if in.Locale == "" {
		in.Locale = def.locale
	}
	if in.CommissionRate < 0 || in.CommissionRate > 1 || math.IsNaN(in.CommissionRate) {
		f.Add("commissionRate", "la comisión es una fracción entre 0 y 1 (0.15 = 15 %)")
	}
	if err := f.Err(); err != nil {
		return Tenant{}, err
	}
	t := Tenant{
		ID: in.Slug, Name: in.Name, Country: in.Country, Currency: in.Currency,
		Timezone: in.Timezone, Locale: in.Locale,
		CommissionBP: int64(math.Round(in.CommissionRate * 10000)),
		CreatedAt:    time.Now().UTC(),
	}
	if err := s.db.C("tenants").Insert(ctx, t); err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return Tenant{}, &apperr.Invalid{Msg: "ese identificador ya existe", Fields: map[string]string{"slug": "ya está en uso"}}
		}
		return Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	_ = s.audit.Record(ctx, t.ID, "tenant.create", t.ID, nil)
	return t, nil
}

// Tenant returns a tenant the caller belongs to; ErrNotFound otherwise.
func (s *Service) Tenant(ctx context.Context, slug string) (Tenant, error) {
	if !actor.From(ctx).Member(slug) {
		return Tenant{}, fmt.Errorf("tenant %q: %w", slug, apperr.ErrNotFound)
	}
	return s.TenantByID(ctx, slug)
}

// TenantByID loads a tenant without a membership check (background work).
func (s *Service) TenantByID(ctx context.Context, slug string) (Tenant, error) {
	if t, ok := s.known.Load(slug); ok {
		return t.(Tenant), nil
	}
	var t Tenant
	if err := s.db.C("tenants").Get(ctx, slug, &t); err != nil {
		return Tenant{}, fmt.Errorf("tenant %q: %w", slug, err)
	}
	s.known.Store(slug, t)
	return t, nil
}

// Tenants lists the tenants the caller may see.
func (s *Service) Tenants(ctx context.Context) ([]Tenant, error) {
	a := actor.From(ctx)
	out := []Tenant{}
	if a.Role == RoleAdmin {
		err := s.db.C("tenants").Find(ctx, bson.D{}, &out, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		return out, err
	}
	for _, slug := range a.Tenants {
		t, err := s.TenantByID(ctx, slug)
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// IDs lists every tenant's slug (the periodic jobs' loop; system use,
// no caller check), reading only the _id of each tenant document.
func (s *Service) IDs(ctx context.Context) ([]string, error) {
	var docs []struct {
		ID string `bson:"_id"`
	}
	opts := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetSort(bson.D{{Key: "_id", Value: 1}})
	if err := s.db.C("tenants").Find(ctx, bson.D{}, &docs, opts); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Email, Name, Role, Password string
	Capacity                    int
	MaxAccounts                 int // collectors: open accounts at most (0: no limit)
}

// NormalizeEmail trims and lower-cases an address and checks its shape.
func NormalizeEmail(e string) (string, bool) {
	e = strings.ToLower(strings.TrimSpace(e))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		return e, false
	}
	return e, true
}

// CreateUser adds a user to tenant (managers of that tenant and admins).
func (s *Service) CreateUser(ctx context.Context, tenant string, in NewUser) (User, error) {
	a := actor.From(ctx)
	if !a.Member(tenant) {
		return User{}, fmt.Errorf("tenant %q: %w", tenant, apperr.ErrNotFound)
	}
	if a.Role != RoleAdmin && a.Role != RoleManager {
		return User{}, apperr.ErrForbidden
	}
	if _, err := s.TenantByID(ctx, tenant); err != nil {
		return User{}, err
	}
	f := apperr.Fields{}
	email, ok := NormalizeEmail(in.Email)
	if !ok {
		f.Add("email", "correo electrónico no válido")
	}
	switch in.Role {
	case RoleClient, RoleCollector, RoleManager:
	default:
		f.Add("role", "rol no válido: client, collector o manager")
	}
	if why := ValidPassword(in.Password); why != "" {
		f.Add("password", why)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 120 {
		f.Add("name", "el nombre es obligatorio (máximo 120 caracteres)")
	}
	if in.Capacity < 0 || in.Capacity > 100000 {
		f.Add("capacity", "capacidad fuera de rango")
	}
	if in.MaxAccounts < 0 || in.MaxAccounts > 1000000 {
		f.Add("maxAccounts", "máximo de cuentas fuera de rango (0 = sin límite)")
	}
	if err := f.Err(); err != nil {
		return User{}, err
	}
	hash, err := s.hashPwd(in.Password)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	u := User{
		ID: primitive.NewObjectID().Hex(), Email: email, Name: name, Role: in.Role,
		Tenants: []string{tenant}, PasswordHash: hash, Capacity: in.Capacity, MaxAccounts: in.MaxAccounts, CreatedAt: time.Now().UTC(),
	}
	if u.Role == RoleCollector && u.Capacity == 0 {
		u.Capacity = 1
	}
	err = s.db.C("users").Insert(ctx, u)
	s.usersChanged()
	if err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return User{}, fmt.Errorf("email taken: %w", apperr.ErrConflict)
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "user.create", u.ID, map[string]any{"role": u.Role})
	return u, nil
}

// Users lists a tenant's users, optionally of one role.
func (s *Service) Users(ctx context.Context, tenant, role string) ([]User, error) {
	if !actor.From(ctx).Member(tenant) {
		return nil, fmt.Errorf("tenant %q: %w", tenant, apperr.ErrNotFound)
	}
	f := bson.D{{Key: "tenants", Value: tenant}}
	if role != "" {
		f = append(f, bson.E{Key: "role", Value: role})
	}
	out := []User{}
	err := s.db.C("users").Find(ctx, f, &out, options.Find().SetSort(bson.D{{Key: "email", Value: 1}}))
	return out, err
}

// Collectors lists a tenant's collector users (disabled ones too: a report
// still names who did the work), with their id, name and email only. The
// dashboard reads it on every request, so on the embedded server it comes
// from memory until a user is created or changed.
func (s *Service) Collectors(ctx context.Context, tenant string) ([]User, error) {
	gen := s.usersGen.Load()
	if v, ok := s.collectors.Load(tenant); ok && v.(collectorList).gen == gen {
		return slices.Clone(v.(collectorList).users), nil
	}
	out, err := FindCollectors(ctx, s.db, tenant)
	if err != nil {
		return nil, err
	}
	// Kept only if no change to users finished meanwhile: then what was
	// read is no older than the last one that did.
	if s.db.Embedded() && s.usersGen.Load() == gen {
		s.collectors.Store(tenant, collectorList{gen: gen, users: slices.Clone(out)})
	}
	return out, nil
}

// FindCollectors is Collectors read from the database every time.
func FindCollectors(ctx context.Context, db *store.DB, tenant string) ([]User, error) {
	var out []User
	err := db.C("users").Find(ctx, bson.D{{Key: "tenants", Value: tenant}, {Key: "role", Value: RoleCollector}}, &out,
		options.Find().SetProjection(bson.D{{Key: "name", Value: 1}, {Key: "email", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("collectors of %s: %w", tenant, err)
	}
	return out, nil
}

// usersChanged is called after every write that may change a tenant's
// collectors (whether it succeeded or not).
func (s *Service) usersChanged() { s.usersGen.Add(1) }

// User loads a user by id.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	var u User
	if err := s.db.C("users").Get(ctx, id, &u); err != nil {
		return User{}, fmt.Errorf("user: %w", err)
	}
	return u, nil
}

// UserChange is what a manager may change on a user: nothing else.
type UserChange struct {
	Role        *string
	Disabled    *bool
	Name        *string
	Capacity    *int
	MaxAccounts *int
}

// UpdateUser changes a user of tenant; a role change or disabling revokes
// the user's sessions.
func (s *Service) UpdateUser(ctx context.Context, tenant, id string, ch UserChange) (User, error) {
	a := actor.From(ctx)
	if !a.Member(tenant) {
		return User{}, fmt.Errorf("tenant %q: %w", tenant, apperr.ErrNotFound)
	}
	if a.Role != RoleAdmin && a.Role != RoleManager {
		return User{}, apperr.ErrForbidden
	}
	var u User
	defer s.usersChanged()
	err := s.db.C("users").Mutate(ctx, id, &u, func() (bson.D, error) {
		if !contains(u.Tenants, tenant) || u.Role == RoleAdmin {
			return nil, fmt.Errorf("user: %w", apperr.ErrNotFound)
		}
		set := bson.D{}
		revoke := false
		if ch.Role != nil && *ch.Role != u.Role {
			switch *ch.Role {
			case RoleClient, RoleCollector, RoleManager:
			default:
				return nil, apperr.Field("role", "rol no válido: client, collector o manager")
			}
			set = append(set, bson.E{Key: "role", Value: *ch.Role})
			revoke = true
		}
		if ch.Disabled != nil && *ch.Disabled != u.Disabled {
			set = append(set, bson.E{Key: "disabled", Value: *ch.Disabled})
			revoke = revoke || *ch.Disabled
		}
		if ch.Name != nil {
			n := strings.TrimSpace(*ch.Name)
			if n == "" || len(n) > 120 {
				return nil, apperr.Field("name", "el nombre es obligatorio (máximo 120 caracteres)")
			}
			set = append(set, bson.E{Key: "name", Value: n})
		}
		if ch.Capacity != nil {
			if *ch.Capacity < 0 || *ch.Capacity > 100000 {
				return nil, apperr.Field("capacity", "capacidad fuera de rango")
			}
			set = append(set, bson.E{Key: "capacity", Value: *ch.Capacity})
		}
		if ch.MaxAccounts != nil {
			if *ch.MaxAccounts < 0 || *ch.MaxAccounts > 1000000 {
				return nil, apperr.Field("maxAccounts", "máximo de cuentas fuera de rango (0 = sin límite)")
			}
			set = append(set, bson.E{Key: "maxAccounts", Value: *ch.MaxAccounts})
		}
		if len(set) == 0 {
			return nil, nil
		}
		upd := bson.D{{Key: "$set", Value: set}}
		if revoke {
			upd = append(upd, bson.E{Key: "$inc", Value: bson.D{{Key: "tokenVersion", Value: int64(1)}}})
		}
		return upd, nil
	})
	if err != nil {
		return User{}, err
	}
	_ = s.audit.Record(ctx, tenant, "user.update", id, nil)
	return s.User(ctx, id)
}

// Session is a successful login.
type Session struct {
	Token   string
	Expires time.Time
	User    User
}

// Login checks e-mail and password. Unknown e-mail and wrong password give
// the same error after the same bcrypt work; repeated failures per account
// and per address are throttled.
func (s *Service) Login(ctx context.Context, email, password string) (Session, error) {
	a := actor.From(ctx)
	email = strings.ToLower(strings.TrimSpace(email))
	acctKey, addrKey := "acct:"+email, "addr:"+a.IP
	if wait := max(s.byAcct.Check(acctKey), s.byAddr.Check(addrKey)); wait > 0 {
		return Session{}, &apperr.Throttled{RetryAfterSeconds: int(math.Ceil(wait.Seconds()))}
	}
	var u User
	err := s.db.C("users").FindOne(ctx, bson.D{{Key: "email", Value: email}}, &u)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	ok := CheckPassword(u.PasswordHash, password) && !u.Disabled
	if !ok {
		lockedAcct := s.byAcct.Fail(acctKey)
		lockedAddr := s.byAddr.Fail(addrKey)
		_ = s.audit.Record(ctx, firstTenant(u.Tenants), "login.failed", u.ID, map[string]any{"locked": lockedAcct || lockedAddr})
		return Session{}, fmt.Errorf("login: %w", apperr.ErrUnauthorized)
	}
	s.byAcct.Reset(acctKey)
	tok, exp, err := s.tokens.Issue(u.ID, AudienceStaff, u.Role, u.Tenants, u.TokenVersion)
	if err != nil {
		return Session{}, err
	}
	_ = s.audit.Record(actor.With(ctx, Actor(u, a)), firstTenant(u.Tenants), "login", u.ID, nil)
	return Session{Token: tok, Expires: exp, User: u}, nil
}

// Actor builds the request principal of u, keeping the request's address.
func Actor(u User, req actor.Actor) actor.Actor {
	req.UserID, req.Email, req.Role, req.Tenants = u.ID, u.Email, u.Role, u.Tenants
	return req
}

// Authenticate resolves a staff token to its user, refusing revoked tokens.
func (s *Service) Authenticate(ctx context.Context, token string) (User, *Claims, error) {
	c, err := s.tokens.Parse(token, AudienceStaff)
	if err != nil {
		return User{}, nil, fmt.Errorf("%w: %v", apperr.ErrUnauthorized, err)
	}
	u, err := s.User(ctx, c.Subject)
	if err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return User{}, nil, apperr.ErrUnauthorized
		}
		return User{}, nil, err
	}
	if u.Disabled || u.TokenVersion != c.Version {
		return User{}, nil, fmt.Errorf("%w: token revoked", apperr.ErrUnauthorized)
	}
	return u, c, nil
}

// Refresh issues a fresh token for an authenticated user (sliding session).
func (s *Service) Refresh(u User) (string, time.Time, error) {
	return s.tokens.Issue(u.ID, AudienceStaff, u.Role, u.Tenants, u.TokenVersion)
}

// Logout revokes every token of the user.
func (s *Service) Logout(ctx context.Context, userID string) error {
	err := s.db.C("users").Update(ctx, bson.D{{Key: "_id", Value: userID}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "tokenVersion", Value: int64(1)}}}})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	_ = s.audit.Record(ctx, firstTenant(actor.From(ctx).Tenants), "logout", userID, nil)
	return nil
}

// ChangePassword sets a new password after checking the current one, and
// revokes every other session.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next string) error {
	if why := ValidPassword(next); why != "" {
		return apperr.Field("newPassword", why)
	}
	hash, err := s.hashPwd(next)
	if err != nil {
		return err
	}
	var u User
	err = s.db.C("users").Mutate(ctx, userID, &u, func() (bson.D, error) {
		if !CheckPassword(u.PasswordHash, current) {
			return nil, apperr.Field("currentPassword", "la contraseña actual no coincide")
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "passwordHash", Value: hash}}},
			{Key: "$inc", Value: bson.D{{Key: "tokenVersion", Value: int64(1)}}}}, nil
	})
	if err != nil {
		return err
	}
	_ = s.audit.Record(ctx, firstTenant(u.Tenants), "user.password", userID, nil)
	return nil
}

// EnsureAdmin creates the first admin when none exists. With an empty
// password it generates one and returns it (to print once).
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (created bool, pw string, err error) {
	n, err := s.db.C("users").Count(ctx, bson.D{{Key: "role", Value: RoleAdmin}})
	if err != nil || n > 0 {
		return false, "", err
	}
	if email == "" {
		email = "admin@cartera.local"
	}
	email, ok := NormalizeEmail(email)
	if !ok {
		return false, "", fmt.Errorf("admin e-mail %q is not valid", email)
	}
	if password == "" {
		password = RandomSecret(15)
	} else if why := ValidPassword(password); why != "" {
		return false, "", fmt.Errorf("PORTAL_ADMIN_PASSWORD: %s", why)
	}
	hash, err := s.hashPwd(password)
	if err != nil {
		return false, "", err
	}
	u := User{ID: primitive.NewObjectID().Hex(), Email: email, Name: "Administrador", Role: RoleAdmin,
		Tenants: []string{}, PasswordHash: hash, CreatedAt: time.Now().UTC()}
	if err := s.db.C("users").Insert(ctx, u); errors.Is(err, apperr.ErrConflict) {
		// Another replica starting on the same empty database made it first.
		return false, "", nil
	} else if err != nil {
		return false, "", fmt.Errorf("create admin: %w", err)
	}
	_ = s.audit.Record(actor.System(ctx, "bootstrap"), "", "user.create", u.ID, map[string]any{"role": RoleAdmin})
	return true, password, nil
}

// RandomSecret returns n random bytes, base64url-encoded.
func RandomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux; if it does nothing is safe
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func firstTenant(ts []string) string {
	if len(ts) == 1 {
		return ts[0]
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
