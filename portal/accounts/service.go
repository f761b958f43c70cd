package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/store"
	"cartera/portal/worker"
	"cartera/tenants"
)

// Service is the portfolio's domain service.
type Service struct {
	db       *store.DB
	audit    *audit.Log
	tenants  *tenants.Service
	pool     *worker.Pool
	log      *slog.Logger
	codeKey  []byte // keys access-code hashes and the one-time codes file
	arms     ArmSource
	worklist WorklistHook
	index    Lister
	courier  CodeCourier
	// BatchSize is how many rows go to the database at once (tests make
	// it small).
	BatchSize int
	// AfterBatch, when set, is called after each batch is written (tests use
	// it to interrupt an import at a known point).
	AfterBatch func(processed int)
	// stageLimit and stageHeld are the import's staging bound (0:
	// stageLimit) and a probe told how many debtors it holds; tests set
	// them (export_test.go).
	stageLimit int
	stageHeld  func(n int)
	// Now is the clock that dates placements, assignments and recalls
	// (Options.Now; the demo replays a year through it; nil: the real time).
	Now func() time.Time
}

// now is the service's clock in UTC.
func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// ArmSource puts newly placed accounts in the arms of a tenant's running
// strategy test (strategy.Service): pick is nil when none runs.
type ArmSource interface {
	ArmPicker(ctx context.Context, tenant string) (pick func(accountID string) (testKey, arm string), err error)
}

// Options is what the service is built with.
type Options struct {
	DB      *store.DB
	Audit   *audit.Log
	Tenants *tenants.Service
	// Pool runs the imports in the background (nil: StartImport refuses).
	Pool *worker.Pool
	Log  *slog.Logger
	// CodeKey keys the access-code hashes; it must be secret and stable.
	CodeKey []byte
	// Arms places new accounts in a running strategy test's arms (nil:
	// no strategy tests).
	Arms ArmSource
	// Worklist is told about accounts that change collector (nil: nobody).
	Worklist WorklistHook
	// Index serves the account lists (nil: they scan).
	Index Lister
	// Courier sends access codes to debtors' verified channels (nil: codes
	// can only be shown to managers, admins and collectors).
	Courier CodeCourier
	// Now is the clock (nil: the real time).
	Now func() time.Time
}

// NewService builds the service.
func NewService(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{db: o.DB, audit: o.Audit, tenants: o.Tenants, pool: o.Pool, log: o.Log, codeKey: o.CodeKey, arms: o.Arms,
		worklist: o.Worklist, index: o.Index, courier: o.Courier, BatchSize: 1000, Now: o.Now}
}

// scope checks the caller belongs to tenant and returns its store handle.
func (s *Service) scope(ctx context.Context, tenant string) (*store.Scope, tenants.Tenant, error) {
	t, err := s.tenants.Tenant(ctx, tenant)
	if err != nil {
		return nil, tenants.Tenant{}, err
	}
	return s.db.Tenant(tenant), t, nil
}

// canManage reports whether the caller may change the portfolio (upload,
// recall, assign): the client company itself, its managers and admins.
func canManage(ctx context.Context) bool {
	switch actor.From(ctx).Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient:
		return true
	}
	return false
}

// codeAlphabet leaves out 0/O, 1/I/L so codes read well on paper.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewAccessCode returns a fresh debtor access code like "K7QM-2XPA-9D"
// (10 symbols of 31: ~49 bits, with login throttling on top).
func NewAccessCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	var sb strings.Builder
	for i, x := range b {
		if i == 4 || i == 8 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[int(x)%len(codeAlphabet)])
	}
	return sb.String()
}

// NormalizeCode drops separators and case, as people type codes.
func NormalizeCode(code string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// HashCode keys a code to its debtor with HMAC-SHA256: fast to check, useless
// without the server's key, and bound to one debtor.
func (s *Service) HashCode(debtorID, code string) string {
	m := hmac.New(sha256.New, s.codeKey)
	m.Write([]byte(debtorID))
	m.Write([]byte{0})
	m.Write([]byte(NormalizeCode(code)))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckCode compares in constant time.
func (s *Service) CheckCode(debtorID, code, hash string) bool {
	if hash == "" {
		return false
	}
	return hmac.Equal([]byte(s.HashCode(debtorID, code)), []byte(hash))
}

func forbidden(op string) error { return fmt.Errorf("%s: %w", op, apperr.ErrForbidden) }
