// Package demo loads a demo tenant with users of every role and a realistic
// portfolio, so a fresh portal can be explored at once. Loading is
// idempotent: a second run finds what the first left.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/app"
	"cartera/portal/apperr"
	"cartera/tenants"
)

// Tenant is the demo tenant's slug.
const Tenant = "demo"

// Password is every demo user's password (the demo is for local use only).
const Password = "cartera-demo-2026"

// Users are the demo users by role.
var Users = []struct{ Email, Name, Role string }{
	{"gerente@demo.cartera", "Gloria Gerente", tenants.RoleManager},
	{"gestor1@demo.cartera", "Carlos Gestor", tenants.RoleCollector},
	{"gestor2@demo.cartera", "Camila Gestora", tenants.RoleCollector},
	{"cliente@demo.cartera", "Andrés Cliente", tenants.RoleClient},
}

// Load creates the demo data and returns how to log in as each role.
func Load(ctx context.Context, a *app.App) (string, error) {
	ctx = actor.With(ctx, actor.Actor{UserID: "system:demo", Role: tenants.RoleAdmin})
	_, err := a.Tenants.CreateTenant(ctx, tenants.NewTenant{
		Slug: Tenant, Name: "Distribuidora Andina S.A.S.", Country: "CO", CommissionRate: 0.15,
	})
	if err != nil && !isTaken(err) {
		return "", fmt.Errorf("tenant: %w", err)
	}
	for _, u := range Users {
		_, err := a.Tenants.CreateUser(ctx, Tenant, tenants.NewUser{Email: u.Email, Name: u.Name, Role: u.Role, Password: Password})
		if err != nil && !errors.Is(err, apperr.ErrConflict) {
			return "", fmt.Errorf("user %s: %w", u.Email, err)
		}
	}
	if err := a.Accounts.SetAssignConfig(ctx, Tenant, accounts.AssignConfig{Mode: accounts.AssignRoundRobin}); err != nil {
		return "", fmt.Errorf("assignment rule: %w", err)
	}
	csv := portfolio(time.Now().UTC())
	imp, err := a.Accounts.ImportNow(ctx, Tenant, accounts.Upload{Name: "cartera-demo.csv", Size: int64(len(csv)), File: bytes.NewReader(csv)})
	if err != nil {
		return "", fmt.Errorf("portfolio: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nDemo portfolio: %d invoices (%d new, %d unchanged, %d rejected), %d new debtors.\n", imp.Total, imp.Inserted, imp.Unchanged, imp.Rejected, imp.NewDebtors)
	fmt.Fprintf(&b, "\nDemo tenant %q loaded. Log in at %s with password %q as:\n", Tenant, a.Config.PublicURL, Password)
	for _, u := range Users {
		fmt.Fprintf(&b, "  %-10s %s\n", u.Role, u.Email)
	}
	// A debtor to try the debtor face with: a fresh code replaces the old one.
	page, err := a.Accounts.List(ctx, Tenant, accounts.Filter{Status: accounts.StatusOpen, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("demo debtor: %w", err)
	}
	if len(page.Items) == 1 {
		doc := page.Items[0].Document
		code, err := a.Accounts.NewDebtorCode(ctx, Tenant, doc)
		if err != nil {
			return "", fmt.Errorf("demo debtor: %w", err)
		}
		fmt.Fprintf(&b, "  %-10s %s/debtor  company %q, document %s, access code %s\n", "debtor", a.Config.PublicURL, Tenant, doc, code)
	}
	return b.String(), nil
}

func isTaken(err error) bool {
	var inv *apperr.Invalid
	return errors.As(err, &inv) && inv.Fields["slug"] != ""
}
