// Package app is the one place that builds the object graph: store, domain
// services, background workers and the HTTP face.
package app

import (
	"cartera/payments"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/accounts"
	"cartera/portal/audit"
	"cartera/portal/config"
	"cartera/portal/debtors"
	"cartera/portal/i18n"
	"cartera/portal/store"
	"cartera/portal/web"
	"cartera/portal/worker"
	"cartera/static"
	"cartera/tenants"
)

// App is a running portal's parts.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *store.DB
	Audit    *audit.Log
	Tenants  *tenants.Service
	Accounts *accounts.Service
	Payments *payments.Service
	// DebtorsSvc is the debtor self-service (sessions, statement, disputes).
	DebtorsSvc *debtors.Service
	HTTP     *fiber.App
	Web      *web.Server
	Pool     *worker.Pool
	ownDB    bool
}

// Open opens the database named by cfg and builds the app on it.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	var dbLog *slog.Logger
	if cfg.DBLog {
		dbLog = log.With("component", "ferretdb")
	}
	db, err := store.Open(ctx, store.Config{URI: cfg.MongoURI, DataDir: cfg.DataDir, Logger: log, EmbeddedLogger: dbLog})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a, err := New(ctx, cfg, log, db)
	if err != nil {
		db.Close(ctx)
		return nil, err
	}
	a.ownDB = true
	return a, nil
}

// New builds the app on an open database (tests pass their own).
func New(ctx context.Context, cfg config.Config, log *slog.Logger, db *store.DB) (*App, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	secret, err := jwtSecret(cfg)
	if err != nil {
		return nil, err
	}
	tokens, err := tenants.NewTokens(secret, cfg.SessionTTL)
	if err != nil {
		return nil, err
	}
	cat, err := i18n.Load(static.FS, "es", "en")
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db, Audit: audit.New(db)}
	a.Tenants = tenants.NewService(db, a.Audit, tokens)
	a.Accounts = accounts.NewService(db, a.Audit, a.Tenants, nil, log, derive(secret, "access-code"))
	app, srv, err := web.New(web.Deps{
		DB: db, Tenants: a.Tenants, Accounts: a.Accounts, Audit: a.Audit, Static: static.FS, Catalog: cat, Log: log,
		PublicURL: cfg.PublicURL, TrustedProxies: cfg.TrustedProxies, ImportMaxBytes: cfg.ImportMaxBytes,
		SecureCookies: !cfg.InsecureCookies, CSRFSecret: derive(secret, "csrf"),
	})
	if err != nil {
		return nil, err
	}
	a.HTTP, a.Web = app, srv
	// wiring: collector work (lines below)
	// wiring: debtor self-service (lines below)
	a.DebtorsSvc = debtors.New(db, a.Audit, a.Tenants, a.Accounts)
	a.Web.DebtorPortal = a.DebtorsSvc
	a.Web.Debtors = a.Web.DebtorSessions()
	// wiring: payments (lines below)
	var gw payments.Gateway = &payments.Sandbox{PublicURL: cfg.PublicURL}
	if cfg.StripeSecretKey != "" {
		gw = payments.NewStripe(cfg.StripeSecretKey, cfg.StripeAPIBase)
	}
	a.Payments = payments.NewService(db, a.Audit, a.Tenants, gw, cfg.PublicURL, log)
	a.Web.Payments, a.Web.StripeWebhookSecret = a.Payments, cfg.StripeWebhookKey
	return a, nil
}

// Close stops the parts in reverse order of start: HTTP is shut down by the
// caller first; then background work; then the database.
func (a *App) Close(ctx context.Context) {
	if a.ownDB {
		a.DB.Close(ctx)
	}
}

// jwtSecret is PORTAL_JWT_SECRET, or a secret generated once and kept in the
// data directory so sessions survive restarts.
func jwtSecret(cfg config.Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		if len(cfg.JWTSecret) < 32 {
			return nil, errors.New("PORTAL_JWT_SECRET must be at least 32 characters")
		}
		return []byte(cfg.JWTSecret), nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	path := filepath.Join(cfg.DataDir, "jwt.secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	s := tenants.RandomSecret(48)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	return []byte(s), nil
}

// derive gives each purpose its own key from the one secret.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// StartBackground starts the worker pool and periodic jobs.
func (a *App) StartBackground(ctx context.Context) error {
	if a.Pool == nil {
		a.Pool = worker.NewPool(2, 64, a.Log)
	}
	a.Accounts.SetPool(a.Pool)
	if n, err := a.Accounts.ResumeImports(ctx); err != nil {
		return err
	} else if n > 0 {
		a.Log.Info("resumed unfinished imports", "count", n)
	}
	return nil
}

// StopBackground stops periodic jobs and waits for running ones.
func (a *App) StopBackground() {
	if a.Pool != nil {
		a.Pool.Stop()
	}
}
