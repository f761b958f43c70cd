// Package app is the one place that builds the object graph: store, domain
// services, background workers and the HTTP face.
package app

import (
	"cartera/payments"
	"cartera/payments/reconciliation"
	"cartera/portal/jobs"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/accounts"
	"cartera/portal/admission"
	"cartera/portal/apikeys"
	"cartera/portal/audit"
	"cartera/portal/bureau"
	"cartera/portal/caps"
	"cartera/portal/config"
	"cartera/portal/debtors"
	"cartera/portal/i18n"
	"cartera/portal/ladder"
	"cartera/portal/letters"
	"cartera/portal/outbox"
	"cartera/portal/paylinks"
	"cartera/portal/queue"
	"cartera/portal/readside"
	"cartera/portal/readside/tally"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/portal/web"
	"cartera/portal/webhooks"
	"cartera/portal/work"
	"cartera/portal/worker"
	"cartera/reports"
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
	Caps     *caps.Service // legal interest caps per country
	Payments *payments.Service
	HTTP     *fiber.App
	Web      *web.Server
	Pool     *worker.Pool
	Jobs     *jobs.Scheduler
	ownDB    bool

	// DebtorsSvc is the debtor self-service (sessions, statement, disputes).
	DebtorsSvc *debtors.Service
	Tally      *tally.Tally     // report counters (a store projection)
	Read       *readside.Models // account lists and statement rows

	// The services the jobs run (the HTTP server holds them too).
	Work    *work.Service
	Reports *reports.Service
	Queue   *queue.Service  // collectors' worklists and next actions
	Ladder  *ladder.Service // the policy ladder's automatic steps
	Outbox  *outbox.Service // delivery of the messages the portal sends
	Bureau  *bureau.Service // credit-bureau prior notices
	Plans   *payments.Plans

	Keys     *apikeys.Service  // API keys of machine clients
	Webhooks *webhooks.Service // outbound webhooks and their deliveries
}

// Open opens the database named by cfg and builds the app on it.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	var dbLog *slog.Logger
	if cfg.DBLog {
		dbLog = log.With("component", "ferretdb")
	}
	db, err := store.Open(ctx, store.Config{URI: cfg.MongoURI, DataDir: cfg.DataDir, Logger: log, EmbeddedLogger: dbLog, SyncFull: cfg.SyncFull})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a, err := New(ctx, cfg, log, db, Hooks{})
	if err != nil {
		db.Close(ctx)
		return nil, err
	}
	a.ownDB = true
	return a, nil
}

// New builds the app on an open database (tests pass their own).
func New(ctx context.Context, cfg config.Config, log *slog.Logger, db *store.DB, hooks Hooks) (*App, error) {
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
	phrases, err := i18n.LoadPhrases(static.FS, "en")
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db, Audit: audit.New(db), Pool: worker.NewPool(2, 64, log)}
	a.Tenants = tenants.NewService(db, a.Audit, tokens)
	a.Caps = caps.New(db, a.Audit)
	policies := strategy.NewService(db, a.Tenants, a.Audit, a.Caps)
	// The projections: registered before anything reads them (Drain below).
	a.Read = readside.New(db, log) // projections embedded, indexed queries on MongoDB proper
	a.Tally = tally.New(db, a.Tenants, log)
	a.Tally.Watch()
	a.Keys = apikeys.New(db, a.Audit, cfg.APIKeyRate)
	a.Webhooks = webhooks.New(db, a.Audit, log, webhooks.Options{AllowLoopbackHTTP: cfg.WebhookLoopbackHTTP})
	a.Webhooks.Watch() // events from committed writes, journaled like the other projections

	// wiring: queue and ladder (lines below)
	// The queue and the outbox come before the accounts, which tell the
	// queue about moves and send access codes through the outbox; neither
	// needs the accounts service, so there is no cycle to break.
	a.Queue = queue.New(db, readside.NewWorklists(db), a.Tenants, policies, log)
	email, messenger, err := senders(cfg)
	if err != nil {
		return nil, err
	}
	a.Outbox = outbox.New(outbox.Options{DB: db, Tenants: a.Tenants, Log: log, Email: email, Messenger: messenger,
		PublicURL: cfg.PublicURL, Translate: cat.T})
	a.Accounts = accounts.NewService(accounts.Options{DB: db, Audit: a.Audit, Tenants: a.Tenants, Pool: a.Pool, Log: log,
		CodeKey: derive(secret, "access-code"), Arms: policies, // new accounts get their strategy-test arm
		Worklist: a.Queue, Index: a.Read.Lists,
		Courier: a.Outbox}) // access codes sent to the debtor, never shown to a client
	links := paylinks.New(db) // the payment links messages and letters carry
	a.Ladder = ladder.New(ladder.Options{DB: db, Tenants: a.Tenants, Policies: policies, Accounts: a.Accounts, Queue: a.Queue,
		Links: links, Log: log, PublicURL: cfg.PublicURL, Translate: cat.T})
	a.Bureau = bureau.New(bureau.Options{DB: db, Tenants: a.Tenants, Accounts: a.Accounts, Log: log, PublicURL: cfg.PublicURL, Translate: cat.T})
	letterSvc := letters.New(db, a.Tenants, policies, a.Accounts, letters.Options{Links: links, PublicURL: cfg.PublicURL, Translate: cat.T})
	// wiring: collector work (lines below)
	a.Work = work.NewService(db, a.Tenants, a.Accounts, policies, a.Audit, a.Queue)
	// wiring: debtor self-service (lines below)
	a.DebtorsSvc = debtors.New(db, a.Audit, a.Tenants, a.Accounts, debtors.Options{Views: a.Read.Rows, Rules: policies, Links: links,
		Translate: cat.T, PublicURL: cfg.PublicURL, // dispute notices
		Mail: loginMail(email, hooks)})
	// wiring: reports (lines below)
	a.Reports = reports.New(db, a.Tally, a.Tenants, a.Audit, log, policies, reports.Texts{Translate: cat.T, Phrase: phrases.T})
	// Every projection is registered (the queue's worklists too): apply
	// what a previous run left in the journal, then rebuild what is missing.
	if err := db.Drain(ctx); err != nil {
		return nil, err
	}
	if err := a.Read.Backfill(ctx); err != nil {
		return nil, err
	}
	if err := a.Tally.Backfill(ctx); err != nil {
		return nil, err
	}
	// wiring: plans (lines below)
	a.Plans = payments.NewPlans(db, a.Tenants, policies, a.Audit, cfg.PublicURL, cat.T)
	// wiring: payments (lines below)
	sealKey, err := sealingKey(cfg, secret)
	if err != nil {
		return nil, err
	}
	// Tenants' own gateways (their Stripe account, their Wompi keys): the
	// money settles into the client company's account.
	creds, err := payments.NewCredentials(db, a.Audit, a.Tenants, sealKey, cfg.StripeAPIBase, cfg.WompiCheckoutURL, cfg.WompiAPIBase)
	if err != nil {
		return nil, err
	}
	a.Payments = payments.NewService(db, a.Audit, a.Tenants, gateway(cfg, log), cfg.PublicURL, log, payments.Options{
		Prices:    a.DebtorsSvc, // checkout prices as the statement does
		Rules:     policies,     // completion imputes with the tenant's money rules
		Translate: cat.T,        // the checkout description, in the tenant's language
		// The statement's clock, read when a payment completes (tests move it).
		Now:   func() time.Time { return a.DebtorsSvc.Now() },
		Creds: creds,
	})
	// wiring: bank-file reconciliation (lines below)
	bankFiles := reconciliation.New(db, a.Tenants, policies, a.Work, a.Audit, log)

	a.HTTP, a.Web, err = web.New(web.Deps{
		DB: db, Tenants: a.Tenants, Accounts: a.Accounts, Audit: a.Audit, Static: static.FS, Catalog: cat, Phrases: phrases, Log: log,
		Keys: a.Keys, Webhooks: a.Webhooks,
		Work: a.Work, Policy: policies, Caps: a.Caps,
		DebtorPortal: a.DebtorsSvc,
		Reports:      a.Reports,
		Queue:        a.Queue, Ladder: a.Ladder, Outbox: a.Outbox, Bureau: a.Bureau, Letters: letterSvc,
		Plans:    a.Plans,
		Payments: a.Payments, BankFiles: bankFiles, StripeWebhookSecret: cfg.StripeWebhookKey,
		PublicURL: cfg.PublicURL, TrustedProxies: cfg.TrustedProxies, ImportMaxBytes: cfg.ImportMaxBytes,
		SecureCookies: !cfg.InsecureCookies, CSRFSecret: derive(secret, "csrf"),
		Gate: gate(cfg),
	})
	if err != nil {
		return nil, err
	}
	a.Jobs = jobs.New(db, jobHolder(), log)
	return a, nil
}

// Hooks stand in for what the environment would configure, for tests and
// programs that embed the portal; the zero value is production.
type Hooks struct {
	// LoginMail sends the debtors' one-time login codes in place of the
	// SMTP sender (tests read the codes from it).
	LoginMail debtors.SendMail
}

// senders are the outbox's e-mail sender (SMTP_URL) and WhatsApp/SMS
// provider (MESSAGING_URL); nil where not configured: those messages stay
// held, visible in the outbox.
func senders(cfg config.Config) (email, messenger outbox.Sender, err error) {
	if cfg.SMTPURL != "" {
		mail, err := outbox.NewSMTP(cfg.SMTPURL)
		if err != nil {
			return nil, nil, err
		}
		email = mail
	}
	if cfg.MessagingURL != "" { // WhatsApp/SMS provider (HTTP)
		messenger = &outbox.HTTPMessenger{URL: cfg.MessagingURL, Token: cfg.MessagingToken}
	}
	return email, messenger, nil
}

// loginMail sends one-time login codes by e-mail through the outbox's
// e-mail sender, directly (never stored: the message holds the code); nil
// without one.
func loginMail(email outbox.Sender, h Hooks) debtors.SendMail {
	if h.LoginMail != nil {
		return h.LoginMail
	}
	if email == nil {
		return nil
	}
	return func(ctx context.Context, to, subject, body string) error {
		return email.Send(ctx, outbox.Message{ID: fmt.Sprintf("login-code:%d", time.Now().UnixNano()), Channel: "email",
			Template: "login_code", To: to, Subject: subject, Body: body, Status: "sending", CreatedAt: time.Now().UTC()})
	}
}

// gateway is the global payments gateway. The sandbox only when asked for:
// a deployment that forgets its Stripe key has online payment off, never a
// test button that clears debts.
func gateway(cfg config.Config, log *slog.Logger) payments.Gateway {
	var gw payments.Gateway = payments.Off{}
	switch {
	case cfg.StripeSecretKey != "":
		gw = payments.NewStripe(cfg.StripeSecretKey, cfg.StripeAPIBase)
		if cfg.Sandbox {
			log.Warn("PORTAL_SANDBOX ignored: Stripe is configured")
		}
	case cfg.Sandbox:
		gw = &payments.Sandbox{PublicURL: cfg.PublicURL}
	}
	switch gw.Name() {
	case "off":
		log.Warn("payments gateway: off (online payment disabled; set STRIPE_SECRET_KEY, or PORTAL_SANDBOX=1 / -demo for the test gateway)", "gateway", gw.Name())
	case "sandbox":
		log.Warn("payments gateway: sandbox (TEST MODE: payments are simulated, no money moves)", "gateway", gw.Name())
	default:
		log.Info("payments gateway: "+gw.Name(), "gateway", gw.Name())
	}
	return gw
}

// jobHolder names this process as a holder of job leases.
func jobHolder() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// Close stops the parts in reverse order of start: HTTP is shut down by the
// caller first; then background work; then the database.
func (a *App) Close(ctx context.Context) {
	if a.ownDB {
		a.DB.Close(ctx)
	}
}

// gate bounds the API requests at work (nil when the config sets no bound).
func gate(cfg config.Config) *admission.Gate {
	if cfg.MaxInFlight <= 0 {
		return nil
	}
	wait := cfg.InFlightWait
	if wait <= 0 {
		wait = 15 * time.Second
	}
	return admission.New(cfg.MaxInFlight, cfg.MoneyInFlight, wait)
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
// sealingKey is the 32-byte key that seals tenants' gateway credentials:
// PORTAL_SECRET_KEY (64 hex digits, or a passphrase of 32+ characters
// hashed with SHA-256), else derived from the session secret (rotating
// that secret then means saving the gateways' keys again).
func sealingKey(cfg config.Config, secret []byte) ([]byte, error) {
	k := cfg.SecretKey
	if k == "" {
		return derive(secret, "gateway-credentials"), nil
	}
	if b, err := hex.DecodeString(k); err == nil && len(b) == 32 {
		return b, nil
	}
	if len(k) < 32 {
		return nil, errors.New("PORTAL_SECRET_KEY must be 64 hex digits or at least 32 characters")
	}
	sum := sha256.Sum256([]byte(k))
	return sum[:], nil
}

func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// StartBackground starts the worker pool and periodic jobs.
func (a *App) StartBackground(ctx context.Context) error {
	a.Pool.Start()
	list := a.jobList()
	a.Pool.Every("scheduler", time.Minute, func(ctx context.Context) { a.Jobs.Tick(ctx, list) })
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

// forEachTenant runs fn for every tenant. A tenant that fails does not
// stop the others: their errors are joined, each named by its tenant.
func (a *App) forEachTenant(fn func(ctx context.Context, tenant string) error) func(context.Context) error {
	return func(ctx context.Context) error {
		ids, err := a.Tenants.IDs(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return errors.Join(append(errs, err)...)
			}
			if err := fn(ctx, id); err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
			}
		}
		return errors.Join(errs...)
	}
}

// every5 names five-minute windows: frequent, idempotent catch-up work.
func every5(now time.Time) string { return now.UTC().Truncate(5 * time.Minute).Format(time.RFC3339) }

// jobList is the periodic work of the portal; each job is idempotent and
// runs once per period across replicas.
func (a *App) jobList() []jobs.Job {
	return []jobs.Job{
		{Name: "payments.reprocess", Period: every5, Lease: 5 * time.Minute, Run: func(ctx context.Context) error {
			_, err := a.Payments.ReprocessPending(ctx)
			return err
		}},
		{Name: "promises.check", Period: jobs.Hourly, Lease: 10 * time.Minute, Run: a.forEachTenant(func(ctx context.Context, tenant string) error {
			if _, _, err := a.Work.CheckPromises(ctx, tenant, time.Now()); err != nil {
				return fmt.Errorf("promises: %w", err)
			}
			return nil
		})},
		// jobs: reports (entries below)
		{Name: "reports.counters", Period: jobs.Daily, Lease: 30 * time.Minute, Run: func(ctx context.Context) error {
			return a.Tally.RepairAll(ctx)
		}},
		{Name: "reports.monthly", Period: jobs.Hourly, Lease: 30 * time.Minute, Run: func(ctx context.Context) error {
			_, err := a.Reports.RunMonthly(ctx, time.Now())
			return err
		}},
		// jobs: queue and ladder (entries below)
		{Name: "queue.ladder", Period: every5, Lease: 10 * time.Minute, Run: a.forEachTenant(func(ctx context.Context, tenant string) error {
			if _, err := a.Ladder.Run(ctx, tenant); err != nil {
				return fmt.Errorf("ladder: %w", err)
			}
			return nil
		})},
		{Name: "queue.deliver", Period: func(now time.Time) string { return now.UTC().Truncate(time.Minute).Format(time.RFC3339) }, Lease: 5 * time.Minute, Run: a.forEachTenant(func(ctx context.Context, tenant string) error {
			if _, err := a.Outbox.Deliver(ctx, tenant); err != nil {
				return fmt.Errorf("outbox: %w", err)
			}
			return nil
		})},
		{Name: "queue.rebuild", Period: jobs.Daily, Lease: 30 * time.Minute, Run: a.forEachTenant(func(ctx context.Context, tenant string) error {
			if _, err := a.Queue.RebuildWorklists(ctx, tenant); err != nil {
				return fmt.Errorf("worklists: %w", err)
			}
			return nil
		})},
		{Name: "webhooks.deliver", Period: func(now time.Time) string { return now.UTC().Truncate(time.Minute).Format(time.RFC3339) }, Lease: 5 * time.Minute, Run: func(ctx context.Context) error {
			_, err := a.Webhooks.Deliver(ctx)
			return err
		}},
		// jobs: plans (entries below)
		{Name: "payments.reconcile", Period: every5, Lease: 10 * time.Minute, Run: func(ctx context.Context) error {
			res, err := a.Payments.Reconcile(ctx, time.Now())
			if res.Filled > 0 {
				a.Log.Warn("stripe events missed by the webhook were recorded", "count", res.Filled)
			}
			if err != nil {
				return err
			}
			// Tenants' own Stripe accounts, each with its key and checkpoint.
			res, err = a.Payments.ReconcileTenants(ctx, time.Now())
			if res.Filled > 0 {
				a.Log.Warn("tenants' stripe events missed by their webhooks were recorded", "count", res.Filled)
			}
			return err
		}},
		{Name: "payments.wompi", Period: every5, Lease: 10 * time.Minute, Run: func(ctx context.Context) error {
			_, err := a.Payments.ReconcileWompi(ctx)
			return err
		}},
		{Name: "plans.check", Period: jobs.Daily, Lease: 30 * time.Minute, Run: a.forEachTenant(func(ctx context.Context, tenant string) error {
			if _, err := a.Plans.Check(ctx, tenant, time.Now()); err != nil {
				return fmt.Errorf("plans: %w", err)
			}
			return nil
		})},
		{Name: "accounts.index", Period: jobs.Daily, Lease: 30 * time.Minute, Run: a.forEachTenant(a.Read.Check)},
		{Name: "ledger.reconcile", Period: jobs.Daily, Lease: 30 * time.Minute, Run: a.forEachTenant(func(ctx context.Context, tenant string) error {
			drift, err := accounts.Reconcile(ctx, a.DB.Tenant(tenant))
			if err != nil {
				return fmt.Errorf("reconcile: %w", err)
			}
			if len(drift) > 0 {
				a.Log.Warn("ledger drift repaired", "tenant", tenant, "accounts", len(drift))
			}
			return nil
		})},
	}
}
