// Package demo loads two demo tenants — a Colombian distributor and a US
// supplier — with users of every role and a year of history replayed
// through the real services (history.go), so a fresh portal shows what it
// is worth at once. Loading is idempotent: a tenant that exists is left as
// it is.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/app"
	"cartera/portal/apperr"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Tenant is the Colombian demo tenant's slug; TenantUS the US one's.
const (
	Tenant   = "demo"
	TenantUS = "demo-us"
)

// Password is every demo user's password (the demo is for local use only).
const Password = "cartera-demo-2026"

// demoGCPercent is the collector's target while the demo loads (see Load).
const demoGCPercent = 400

type user struct{ Email, Name, Role string }

// notes are what people write in the demo, in the tenant's language.
type notes struct {
	LeftMessage, WrongNumber, Promise, Dispute, Accepted, Rejected, Refund, Recall string
	Contacted                                                                      []string
}

// tenantSpec is one demo tenant and how its year goes.
type tenantSpec struct {
	Slug, Name, Country string
	Users               []user
	Batches             int // placements, one every other month
	CallsPerDay         int // per collector, on CallDays
	CallDays            map[time.Weekday]bool
	LadderEvery         int // weeks between ladder runs
	Disputes, Plans     int // opened and offered every other month
	SelfPayOdds         int // one weekday in this many, a debtor pays everything online unasked
	FilePrefix          string
	Portfolio           func(rng *rand.Rand, batch int, today time.Time) []byte
	Notes               notes
	Seed                uint64
}

// Specs are the demo tenants.
var Specs = []tenantSpec{
	{
		Slug: Tenant, Name: "Distribuidora Andina S.A.S.", Country: "CO", Batches: 6, CallsPerDay: 2, FilePrefix: "cartera", Seed: 2026,
		CallDays: map[time.Weekday]bool{time.Tuesday: true}, LadderEvery: 2, Disputes: 2, Plans: 2, SelfPayOdds: 4,
		Users: []user{
			{"gerente@demo.cartera", "Gloria Gerente", tenants.RoleManager},
			{"gestor1@demo.cartera", "Carlos Gestor", tenants.RoleCollector},
			{"gestor2@demo.cartera", "Camila Gestora", tenants.RoleCollector},
			{"cliente@demo.cartera", "Andrés Cliente", tenants.RoleClient},
		},
		Portfolio: coPortfolio,
		Notes: notes{
			LeftMessage: "Se dejó mensaje con la recepcionista.", WrongNumber: "El número no corresponde al deudor.",
			Promise: "Se compromete a pagar en la fecha acordada.", Dispute: "La mercancía llegó incompleta; adjunto la remisión.",
			Accepted: "Revisada la remisión, se abona la parte no entregada.", Rejected: "El pedido se entregó completo según la guía firmada.",
			Refund: "Pago duplicado: se devuelve la mitad.", Recall: "El cliente acordó el pago directamente.",
			Contacted: []string{"Dice que la factura está en aprobación en tesorería.", "Pide el estado de cuenta por correo.", "Está esperando el pago de un cliente para ponerse al día."},
		},
	},
	{
		Slug: TenantUS, Name: "Acme Supply Co.", Country: "US", Batches: 2, CallsPerDay: 1, FilePrefix: "placements", Seed: 1776,
		CallDays: map[time.Weekday]bool{time.Wednesday: true}, LadderEvery: 4, Disputes: 1, Plans: 1, SelfPayOdds: 20,
		Users: []user{
			{"manager@demo-us.cartera", "Megan Manager", tenants.RoleManager},
			{"collector@demo-us.cartera", "Mike Collector", tenants.RoleCollector},
			{"client@demo-us.cartera", "Chris Client", tenants.RoleClient},
		},
		Portfolio: usPortfolio,
		Notes: notes{
			LeftMessage: "Left a voicemail.", WrongNumber: "Number does not belong to the debtor.",
			Promise: "Agreed to pay on the date given.", Dispute: "Part of the order never arrived; packing slip attached.",
			Accepted: "Packing slip checked: the missing part is credited.", Rejected: "Signed delivery receipt shows the full order.",
			Refund: "Duplicate payment: half refunded.", Recall: "Client settled with the customer directly.",
			Contacted: []string{"Says the invoice is waiting for approval.", "Asked for a statement by e-mail.", "Waiting on a customer's payment to catch up."},
		},
	},
}

// Load creates the demo tenants with their year of history (only the first
// time) and returns how to log in as each role.
func Load(ctx context.Context, a *app.App) (string, error) {
	// The replay allocates fast on a small heap (the embedded server decodes
	// every document it reads): at the default target the collector took a
	// quarter of the load's CPU. A looser one for the load alone costs up to
	// 100 MB more at its peak (about 200 MB in all); an operator's GOGC
	// stands.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(demoGCPercent))
	}
	// The smaller year first: the ladder's and the outbox's scans read every
	// tenant's documents, so it need not read the bigger one's as well.
	order := make([]int, len(Specs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return Specs[x].Batches - Specs[y].Batches })
	replayed := make([]string, len(Specs))
	for _, i := range order {
		spec := Specs[i]
		started := time.Now()
		st, fresh, err := load(ctx, a, spec, time.Now())
		if err != nil {
			return "", fmt.Errorf("demo %s: %w", spec.Slug, err)
		}
		if fresh {
			replayed[i] = fmt.Sprintf("\n%s (%s): a year replayed in %s — %d invoices placed, %d calls (%d refused by the contact rules), %d promises (%d kept), %d manual and %d online payments, %d refunds, %d disputes, %d plans, %d bureau notices, %d messages sent, %d monthly reports.\n",
				spec.Name, spec.Slug, time.Since(started).Round(100*time.Millisecond), st.Invoices, st.Activities, st.Blocked, st.Promises, st.Kept,
				st.ManualPayments, st.OnlinePayments, st.Refunds, st.Disputes, st.Plans, st.Bureau, st.Messages, st.Reports)
		}
	}
	var b strings.Builder
	for i, spec := range Specs {
		b.WriteString(replayed[i])
		if err := logins(ctx, a, spec, &b); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// load creates one tenant and replays its year; fresh is false when the
// tenant was there already.
func load(ctx context.Context, a *app.App, spec tenantSpec, today time.Time) (Stats, bool, error) {
	ctx = actor.With(ctx, actor.Actor{UserID: "system:demo", Role: tenants.RoleAdmin})
	_, err := a.Tenants.CreateTenant(ctx, tenants.NewTenant{Slug: spec.Slug, Name: spec.Name, Country: spec.Country, CommissionRate: 0.15})
	if isTaken(err) {
		return Stats{}, false, nil
	}
	if err != nil {
		return Stats{}, false, fmt.Errorf("tenant: %w", err)
	}
	t, err := a.Tenants.TenantByID(ctx, spec.Slug)
	if err != nil {
		return Stats{}, false, err
	}
	s := &sim{a: a, spec: spec, t: t, rng: rand.New(rand.NewPCG(spec.Seed, 11)), files: rand.New(rand.NewPCG(spec.Seed, 29))}
	for _, u := range spec.Users {
		created, err := a.Tenants.CreateUser(ctx, spec.Slug, tenants.NewUser{Email: u.Email, Name: u.Name, Role: u.Role, Password: Password})
		if err != nil && !errors.Is(err, apperr.ErrConflict) {
			return Stats{}, false, fmt.Errorf("user %s: %w", u.Email, err)
		}
		uctx := actor.With(context.Background(), actor.Actor{UserID: created.ID, Role: u.Role, Tenants: []string{spec.Slug}, Email: u.Email})
		switch u.Role {
		case tenants.RoleManager:
			s.manager = uctx
		case tenants.RoleClient:
			s.client = uctx
		case tenants.RoleCollector:
			s.collectors = append(s.collectors, uctx)
		}
	}
	if err := a.Accounts.SetAssignConfig(ctx, spec.Slug, accounts.AssignConfig{Mode: accounts.AssignRoundRobin}); err != nil {
		return Stats{}, false, fmt.Errorf("assignment rule: %w", err)
	}
	// An old backlog walks the ladder from its first step, not from the
	// legal stage (issue 15).
	pol, err := a.Web.Policy.For(ctx, spec.Slug)
	if err != nil {
		return Stats{}, false, err
	}
	pol.LadderStart = strategy.StartPlacement
	if _, err := a.Web.Policy.Put(ctx, spec.Slug, pol); err != nil {
		return Stats{}, false, fmt.Errorf("policy: %w", err)
	}
	// The report counters, the worklists and the debtor views are rebuilt
	// once at the end instead of being kept through every write of the
	// year; the month-end reports are written after, from the counters.
	// The year's writes are not journaled: a load cut short is a broken
	// demo whatever the journal holds.
	defer a.DB.BulkLoad(spec.Slug)()
	a.Tally.Suspend(spec.Slug)
	a.Queue.Suspend(spec.Slug)
	views := a.Read.Views // nil on MongoDB proper: statements read the accounts there
	if views != nil {
		views.Suspend(spec.Slug)
	}
	if err := s.replay(ctx, today.In(t.Location())); err != nil {
		return s.stats, true, err
	}
	if views != nil {
		if err := views.Resume(ctx, spec.Slug); err != nil {
			return s.stats, true, err
		}
	}
	if err := a.Tally.Resume(ctx, spec.Slug); err != nil {
		return s.stats, true, err
	}
	if err := s.monthlyReports(ctx, today.In(t.Location())); err != nil {
		return s.stats, true, err
	}
	if err := a.Queue.Resume(ctx, spec.Slug); err != nil { // rebuilds the worklists
		return s.stats, true, fmt.Errorf("worklists: %w", err)
	}
	return s.stats, true, nil
}

// logins prints how to log in to a tenant as each role, with a debtor's
// fresh access code.
func logins(ctx context.Context, a *app.App, spec tenantSpec, b *strings.Builder) error {
	ctx = actor.With(ctx, actor.Actor{UserID: "system:demo", Role: tenants.RoleAdmin})
	fmt.Fprintf(b, "\n%s — log in at %s with password %q as:\n", spec.Name, a.Config.PublicURL, Password)
	for _, u := range spec.Users {
		fmt.Fprintf(b, "  %-10s %s\n", u.Role, u.Email)
	}
	page, err := a.Accounts.List(ctx, spec.Slug, accounts.Filter{Status: accounts.StatusOpen, Limit: 1})
	if err != nil {
		return fmt.Errorf("demo debtor: %w", err)
	}
	if len(page.Items) == 1 {
		doc := page.Items[0].Document
		code, err := a.Accounts.NewDebtorCode(ctx, spec.Slug, doc)
		if err != nil {
			return fmt.Errorf("demo debtor: %w", err)
		}
		fmt.Fprintf(b, "  %-10s %s  document %s, access code %s\n", "debtor", tenants.DebtorURL(a.Config.PublicURL, spec.Slug), doc, code)
	}
	return nil
}

func isTaken(err error) bool {
	var inv *apperr.Invalid
	return errors.As(err, &inv) && inv.Fields["slug"] != ""
}
