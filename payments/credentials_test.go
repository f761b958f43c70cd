package payments_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/actor"
	"cartera/portal/app"
	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/store/storetest"
	"cartera/tenants"
)

// Keys are sealed with AES-GCM bound to their tenant: the store holds no
// secret in clear (nor does the audit), a sealed blob moved to another
// tenant does not open, and another sealing key opens nothing.
func TestGatewayCredentialsSealed(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	ctx := e.Ctx()
	creds := e.App.Payments.Creds()
	keys := payments.WompiKeys{PublicKey: "pub_test_AAAA1111", PrivateKey: "prv_test_SECRETprivate", EventsSecret: "test_events_SECRETevents", IntegritySecret: "test_integrity_SECRETintegrity"}
	if err := creds.Put(ctx, "acme", payments.GatewayConfig{Provider: "wompi", Wompi: keys}); err != nil {
		t.Fatal(err)
	}
	g, err := creds.Gateway(ctx, "acme")
	if err != nil || g == nil || g.Name() != "wompi" {
		t.Fatalf("acme's gateway %v %v", g, err)
	}
	if s, err := creds.WompiEventsSecret(ctx, "acme"); err != nil || s != keys.EventsSecret {
		t.Fatalf("events secret %q %v", s, err)
	}
	for _, coll := range []string{"gateways", "audit"} {
		var docs []bson.Raw
		if err := e.App.DB.C(coll).Find(ctx, bson.D{}, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if bytes.Contains(d, []byte("SECRET")) {
				t.Fatalf("%s holds a secret in clear: %s", coll, d)
			}
		}
	}
	// The sealed blob copied to another tenant's document does not open.
	var doc bson.M
	if err := e.App.DB.C("gateways").Get(ctx, "acme:gateway", &doc); err != nil {
		t.Fatal(err)
	}
	doc["_id"], doc["tenantId"] = "globex:gateway", "globex"
	if err := e.App.DB.C("gateways").Insert(ctx, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := creds.Gateway(ctx, "globex"); err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("acme's sealed keys opened as globex's: %v", err)
	}
	// Another key opens nothing.
	other, err := payments.NewCredentials(e.App.DB, e.App.Audit, e.App.Tenants, bytes.Repeat([]byte{7}, 32), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Gateway(ctx, "acme"); err == nil {
		t.Fatal("another sealing key opened acme's keys")
	}
	// A tenant without a gateway uses the global one (nil here).
	if err := creds.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if g, err := creds.Gateway(ctx, "acme"); err != nil || g != nil {
		t.Fatalf("after delete: %v %v", g, err)
	}
	// Only the tenant's own staff and client may configure it.
	debtor := actor.With(ctx, actor.Actor{UserID: "acme:1", Role: "debtor", Tenants: []string{"acme"}})
	if err := creds.Put(debtor, "acme", payments.GatewayConfig{Provider: "wompi", Wompi: keys}); err == nil {
		t.Fatal("a debtor configured the gateway")
	}
}

// The sealing key: PORTAL_SECRET_KEY as 64 hex digits or a passphrase of
// 32+ characters, refused when shorter; with it, keys saved under one
// session secret still open after that secret is rotated.
func TestSealingKeyFromConfig(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	for _, c := range []struct {
		key string
		ok  bool
	}{{"", true}, {hexKey, true}, {"a passphrase of at least thirty-two characters", true}, {"too short", false}} {
		cfg := config.Config{DataDir: t.TempDir(), PublicURL: "http://127.0.0.1", SessionTTL: 30 * time.Minute, JWTSecret: strings.Repeat("k", 40), SecretKey: c.key}
		_, err := app.New(context.Background(), cfg, nil, storetest.New(t), app.Hooks{})
		if (err == nil) != c.ok {
			t.Errorf("PORTAL_SECRET_KEY %q: err %v", c.key, err)
		}
	}
	db := storetest.New(t)
	cfg := config.Config{DataDir: t.TempDir(), PublicURL: "http://127.0.0.1", SessionTTL: 30 * time.Minute, JWTSecret: strings.Repeat("k", 40), SecretKey: hexKey}
	a, err := app.New(context.Background(), cfg, nil, db, app.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := actor.With(context.Background(), actor.Actor{UserID: "test", Role: "admin"})
	if _, err := a.Tenants.CreateTenant(ctx, tenants.NewTenant{Slug: "acme", Name: "Acme", Country: "CO"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Payments.Creds().Put(ctx, "acme", payments.GatewayConfig{Provider: "stripe", Stripe: payments.StripeKeys{SecretKey: "sk_test_Key1", WebhookSecret: "whsec_Key2"}}); err != nil {
		t.Fatal(err)
	}
	cfg.JWTSecret = strings.Repeat("r", 40) // rotated
	b, err := app.New(context.Background(), cfg, nil, db, app.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := b.Payments.Creds().StripeWebhookSecret(ctx, "acme"); err != nil || s != "whsec_Key2" {
		t.Fatalf("after rotating the session secret: %q %v", s, err)
	}
}
