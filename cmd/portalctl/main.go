// Command portalctl is the operator's CLI: it opens the same database as the
// portal (stop the portal first when it runs embedded: the data directory is
// locked) and runs one administrative task.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"cartera/portal/actor"
	"cartera/portal/app"
	"cartera/portal/config"
	"cartera/portal/demo"
	"cartera/tenants"
)

const usage = `usage: portalctl <command> [flags]

commands:
  demo                                  load the demo tenant, users and portfolio
  create-tenant -slug S -name N -country CO|MX|PE|US [-commission 0.15]
  create-user   -tenant S -email E -name N -role client|collector|manager -password P
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "portalctl:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	ctx = actor.With(ctx, actor.Actor{UserID: "system:portalctl", Role: tenants.RoleAdmin})

	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	switch cmd {
	case "demo":
		out, err := demo.Load(ctx, a)
		if err != nil {
			return err
		}
		fmt.Print(out)
	case "create-tenant":
		slug := fs.String("slug", "", "tenant slug")
		name := fs.String("name", "", "company name")
		country := fs.String("country", "CO", "CO, MX, PE or US")
		commission := fs.Float64("commission", 0.15, "commission rate as a fraction")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		t, err := a.Tenants.CreateTenant(ctx, tenants.NewTenant{Slug: *slug, Name: *name, Country: *country, CommissionRate: *commission})
		if err != nil {
			return err
		}
		fmt.Printf("tenant %s created (%s, %s)\n", t.ID, t.Country, t.Currency)
	case "create-user":
		tenant := fs.String("tenant", "", "tenant slug")
		email := fs.String("email", "", "e-mail")
		name := fs.String("name", "", "full name")
		role := fs.String("role", "", "client, collector or manager")
		password := fs.String("password", "", "initial password (10+ characters)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		u, err := a.Tenants.CreateUser(ctx, *tenant, tenants.NewUser{Email: *email, Name: *name, Role: *role, Password: *password})
		if err != nil {
			return err
		}
		fmt.Printf("user %s created (%s in %s)\n", u.Email, u.Role, *tenant)
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	return nil
}
