package payments_test

import (
	"bytes"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/actor"
	"cartera/portal/apptest"
)

// Keys are sealed with AES-GCM bound to their tenant: the store holds no
// secret in clear (nor does the audit), a sealed blob moved to another
// tenant does not open, and another sealing key opens nothing.
func TestGatewayCredentialsSealed(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	ctx := e.Ctx()
	creds := e.App.Payments.Creds
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
