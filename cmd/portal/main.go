// Command portal runs the Cartera portal: on the embedded database by default,
// on MongoDB when MONGODB_URI is set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"cartera/portal/app"
	"cartera/portal/config"
	"cartera/portal/demo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

func run() error {
	withDemo := flag.Bool("demo", false, "load the demo tenant, users and portfolio (idempotent)")
	flag.Parse()
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	cfg.Sandbox = cfg.Sandbox || *withDemo // the demo pays in the sandbox
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	log.Info("starting", "config", cfg.String())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())

	created, pw, err := a.Tenants.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return err
	}
	if created {
		if cfg.AdminPassword == "" {
			fmt.Printf("\nFirst start: admin created.\n  e-mail:   %s\n  password: %s   (shown once; change it after logging in)\n\n", adminEmail(cfg), pw)
		} else {
			fmt.Printf("\nFirst start: admin %s created from PORTAL_ADMIN_EMAIL/PORTAL_ADMIN_PASSWORD.\n\n", adminEmail(cfg))
		}
	}
	if *withDemo {
		creds, err := demo.Load(ctx, a)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		fmt.Print(creds)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- a.HTTP.Listener(ln) }()
	fmt.Printf("Cartera is serving on http://%s\n", ln.Addr())
	if err := a.StartBackground(ctx); err != nil {
		return err
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// In-flight requests finish, then background work stops, then the database.
	if err := a.HTTP.ShutdownWithTimeout(30 * time.Second); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("http shutdown", "err", err)
	}
	a.StopBackground()
	return nil
}

func adminEmail(cfg config.Config) string {
	if cfg.AdminEmail != "" {
		return strings.ToLower(cfg.AdminEmail)
	}
	return "admin@cartera.local"
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
