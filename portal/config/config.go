// Package config reads the portal's configuration from the environment once.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the portal (see README, "Configuration").
type Config struct {
	Addr             string
	DataDir          string
	MongoURI         string
	JWTSecret        string
	AdminEmail       string
	AdminPassword    string
	StripeSecretKey  string
	StripeWebhookKey string
	StripeAPIBase    string
	// SecretKey seals tenants' gateway credentials at rest
	// (PORTAL_SECRET_KEY: 64 hex digits or 32+ characters; unset: derived
	// from the session secret).
	SecretKey string
	// WompiCheckoutURL and WompiAPIBase point tenants' Wompi gateways at
	// another server (a local fake); unset: Wompi's own.
	WompiCheckoutURL string
	WompiAPIBase     string
	SMTPURL          string
	MessagingURL     string // WhatsApp/SMS provider endpoint
	MessagingToken   string
	PublicURL        string
	TrustedProxies   []string
	ImportMaxBytes   int64
	SessionTTL       time.Duration
	InsecureCookies  bool // only for plain-HTTP deployments that are not loopback
	LogLevel         string
	DBLog            bool // FerretDB's own log, quiet unless asked
	Sandbox          bool // the test gateway without Stripe (-demo, PORTAL_SANDBOX=1); neither: payments off
	APIKeyRate       int  // requests a minute per API key (PORTAL_API_KEY_RATE, default 600)
	// WebhookLoopbackHTTP lets webhook endpoints be plain http on a
	// loopback address (PORTAL_WEBHOOK_LOOPBACK_HTTP=1; tests, a local bridge).
	WebhookLoopbackHTTP bool
	// MaxInFlight is how many API requests do work at once
	// (PORTAL_MAX_INFLIGHT, default 8 per CPU; portal/admission); the rest
	// wait in line, payments first, for at most InFlightWait.
	MaxInFlight  int
	InFlightWait time.Duration
	// MoneyInFlight caps how many of those slots payments may hold
	// (PORTAL_MONEY_INFLIGHT, default five eighths of them; 0: all). Lower trades
	// payments' latency for everyone else's throughput (README, load test).
	MoneyInFlight int
	// SyncFull makes every commit of the embedded database wait for the
	// disk (PORTAL_EMBEDDED_SYNC=full; default normal: durable across a
	// crash of the portal, not of the machine; store.StartEmbeddedSync).
	SyncFull bool
}

// Load reads the environment.
func Load() (Config, error) {
	c := Config{
		Addr:                env("PORTAL_ADDR", "127.0.0.1:8080"),
		DataDir:             env("PORTAL_DATA", "./data"),
		MongoURI:            os.Getenv("MONGODB_URI"),
		JWTSecret:           os.Getenv("PORTAL_JWT_SECRET"),
		AdminEmail:          os.Getenv("PORTAL_ADMIN_EMAIL"),
		AdminPassword:       os.Getenv("PORTAL_ADMIN_PASSWORD"),
		StripeSecretKey:     os.Getenv("STRIPE_SECRET_KEY"),
		StripeWebhookKey:    os.Getenv("STRIPE_WEBHOOK_SECRET"),
		StripeAPIBase:       os.Getenv("STRIPE_API_BASE"),
		SecretKey:           os.Getenv("PORTAL_SECRET_KEY"),
		WompiCheckoutURL:    os.Getenv("WOMPI_CHECKOUT_URL"),
		WompiAPIBase:        os.Getenv("WOMPI_API_BASE"),
		Sandbox:             os.Getenv("PORTAL_SANDBOX") == "1",
		SMTPURL:             os.Getenv("SMTP_URL"),
		MessagingURL:        os.Getenv("MESSAGING_URL"),
		MessagingToken:      os.Getenv("MESSAGING_TOKEN"),
		PublicURL:           os.Getenv("PORTAL_PUBLIC_URL"),
		LogLevel:            env("PORTAL_LOG_LEVEL", "info"),
		DBLog:               os.Getenv("PORTAL_DB_LOG") == "1",
		InsecureCookies:     os.Getenv("PORTAL_INSECURE_COOKIES") == "1",
		WebhookLoopbackHTTP: os.Getenv("PORTAL_WEBHOOK_LOOPBACK_HTTP") == "1",
	}
	if v := os.Getenv("PORTAL_API_KEY_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("PORTAL_API_KEY_RATE: want a positive number of requests a minute")
		}
		c.APIKeyRate = n
	}
	if v := os.Getenv("PORTAL_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
	}
	all, _ := DefaultInFlight()
	inflight, err := strconv.Atoi(env("PORTAL_MAX_INFLIGHT", strconv.Itoa(all)))
	if err != nil || inflight <= 0 {
		return c, fmt.Errorf("PORTAL_MAX_INFLIGHT: want a positive number of requests")
	}
	c.MaxInFlight, c.InFlightWait = inflight, 15*time.Second
	if c.MoneyInFlight, err = strconv.Atoi(env("PORTAL_MONEY_INFLIGHT", strconv.Itoa(moneyShare(inflight)))); err != nil || c.MoneyInFlight < 0 {
		return c, fmt.Errorf("PORTAL_MONEY_INFLIGHT: want 0 (no cap) or a positive number of requests")
	}
	switch v := env("PORTAL_EMBEDDED_SYNC", "normal"); v {
	case "normal", "full":
		c.SyncFull = v == "full"
	default:
		return c, fmt.Errorf("PORTAL_EMBEDDED_SYNC: want normal or full, got %q", v)
	}
	mb, err := strconv.Atoi(env("PORTAL_IMPORT_MAX_MB", "50"))
	if err != nil || mb <= 0 {
		return c, fmt.Errorf("PORTAL_IMPORT_MAX_MB: want a positive number of megabytes")
	}
	c.ImportMaxBytes = int64(mb) << 20
	ttl, err := time.ParseDuration(env("PORTAL_SESSION_TTL", "30m"))
	if err != nil || ttl < time.Minute {
		return c, fmt.Errorf("PORTAL_SESSION_TTL: want a duration of at least 1m")
	}
	c.SessionTTL = ttl
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.DataDir, err = filepath.Abs(c.DataDir); err != nil {
		return c, fmt.Errorf("PORTAL_DATA: %w", err)
	}
	return c, nil
}

// String prints the configuration with secrets masked.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "****"
	}
	db := "embedded FerretDB in " + c.DataDir
	if c.MongoURI != "" {
		db = "MongoDB " + mask(c.MongoURI)
	} else if c.SyncFull {
		db += " (sync full)"
	}
	return fmt.Sprintf("addr=%s db=%s public=%s stripe=%s webhook=%s sandbox=%t smtp=%s messaging=%s jwt=%s secretkey=%s",
		c.Addr, db, c.PublicURL, mask(c.StripeSecretKey), mask(c.StripeWebhookKey), c.Sandbox, mask(c.SMTPURL), mask(c.MessagingURL), mask(c.JWTSecret), mask(c.SecretKey))
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// DefaultInFlight is the admission gate's default: 8 API requests at work
// per CPU, five eighths of them at most payments. Measured (README, load
// test, 2 CPUs, 100 users, 2026-12-08): 10 of 16 kept the requests a
// second at or above the 10-user figure in every run and completions
// under 500 ms at p95 in every run; 8 of 16 gave more requests a second
// but completions over 500 ms at p95 whenever the machine ran slow; with
// no cap payments took the slots and reads fell to a third.
func DefaultInFlight() (all, money int) {
	all = 8 * runtime.GOMAXPROCS(0)
	return all, moneyShare(all)
}

func moneyShare(all int) int { return max(all*5/8, 1) }
