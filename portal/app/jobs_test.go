package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"cartera/portal/actor"
	"cartera/portal/config"
	"cartera/portal/store/storetest"
	"cartera/tenants"
)

// A periodic job runs for every tenant; one tenant that fails does not
// keep the job from the others, and the error names it.
func TestForEachTenantGoesOnPastAFailure(t *testing.T) {
	db := storetest.New(t)
	a, err := New(context.Background(), config.Config{DataDir: t.TempDir(), PublicURL: "http://127.0.0.1", SessionTTL: time.Minute,
		JWTSecret: strings.Repeat("k", 40), ImportMaxBytes: 1 << 20}, nil, db, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := actor.With(context.Background(), actor.Actor{UserID: "admin", Role: tenants.RoleAdmin})
	for _, slug := range []string{"alfa", "beta", "gama"} {
		if _, err := a.Tenants.CreateTenant(ctx, tenants.NewTenant{Slug: slug, Name: "Empresa " + slug, Country: "CO"}); err != nil {
			t.Fatal(err)
		}
	}
	var ran []string
	err = a.forEachTenant(func(_ context.Context, tenant string) error {
		ran = append(ran, tenant)
		if tenant == "beta" {
			return errors.New("boom")
		}
		return nil
	})(ctx)
	if strings.Join(ran, ",") != "alfa,beta,gama" {
		t.Fatalf("ran for %v", ran)
	}
	if err == nil || !strings.Contains(err.Error(), "tenant beta: boom") {
		t.Fatalf("error %v", err)
	}
}
