package payments_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/accounts"
	"cartera/portal/apptest"
	"cartera/portal/config"
)

// fakeEvents is a gateway's event list: it returns what it holds and
// remembers the window it was asked for.
type fakeEvents struct {
	mu     sync.Mutex
	events []stripe.Event
	since  []time.Time
	types  []string
}

func (f *fakeEvents) ListEvents(_ context.Context, since time.Time, types []string) ([]stripe.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.since, f.types = append(f.since, since), types
	return append([]stripe.Event(nil), f.events...), nil
}

func stripeEvent(t *testing.T, payload []byte) stripe.Event {
	t.Helper()
	var evt stripe.Event
	if err := json.Unmarshal(payload, &evt); err != nil {
		t.Fatal(err)
	}
	return evt
}

func storedEvents(t *testing.T, svcDB interface {
	Count(context.Context, any) (int64, error)
}, id string) int64 {
	t.Helper()
	n, err := svcDB.Count(context.Background(), bson.D{{Key: "_id", Value: "stripe:" + id}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReconcileFillsMissedWebhooksOnce(t *testing.T) {
	e, ctx := env(t)
	svc := e.App.Payments
	fake := &fakeEvents{}
	svc.Events = fake
	hooks := e.App.DB.C("webhooks")

	// A payment whose webhook never arrived, and an event type we ignore.
	p, _, err := svc.Checkout(ctx, payments.CheckoutInput{AccountIDs: []string{"A1"}})
	if err != nil {
		t.Fatal(err)
	}
	missed := event("evt_missed", "checkout.session.completed", session(p.ID, p.Amount, "pi_missed"))
	fake.events = []stripe.Event{stripeEvent(t, missed), stripeEvent(t, event("evt_other", "customer.created", `{"id":"cus_1","object":"customer"}`))}

	now := time.Now()
	res, err := svc.Reconcile(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Listed != 2 || res.Filled != 1 || res.Skipped != 1 {
		t.Fatalf("first run %+v", res)
	}
	if b := balance(t, e, "A1"); b != 0 {
		t.Fatalf("A1 after reconcile: %d", b)
	}
	if len(fake.types) != len(payments.HandledEvents) || now.Sub(fake.since[0]) < 71*time.Hour {
		t.Fatalf("first run asked for %v since %v", fake.types, fake.since[0])
	}
	if storedEvents(t, hooks, "evt_other") != 0 {
		t.Fatal("an unhandled event type was stored")
	}

	// Run again, then the late webhook: nothing applied twice.
	if res, err := svc.Reconcile(ctx, now.Add(5*time.Minute)); err != nil || res.Filled != 0 {
		t.Fatalf("second run %+v %v", res, err)
	}
	if r := deliver(e, missed, time.Now(), whsec); r.Status != 200 {
		t.Fatalf("late webhook: %d %s", r.Status, r.Body)
	}
	if b := balance(t, e, "A1"); b != 0 {
		t.Fatalf("A1 after the late webhook: %d", b)
	}
	// The checkpoint moved to the newest event listed (less the overlap).
	if got := fake.since[1]; got.Unix() < stripeEvent(t, missed).Created-int64(11*time.Minute/time.Second) {
		t.Fatalf("second run since %v", got)
	}

	// A webhook and reconciliation runs at once, for the same new event.
	q, _, err := svc.Checkout(ctx, payments.CheckoutInput{AccountIDs: []string{"A2"}})
	if err != nil {
		t.Fatal(err)
	}
	both := event("evt_both", "checkout.session.completed", session(q.ID, q.Amount, "pi_both"))
	fake.mu.Lock()
	fake.events = append(fake.events, stripeEvent(t, both))
	fake.mu.Unlock()
	var wg sync.WaitGroup
	var mu sync.Mutex
	filled := 0
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%2 == 0 {
				if r := deliver(e, both, time.Now(), whsec); r.Status != 200 {
					t.Errorf("webhook: %d", r.Status)
				}
				return
			}
			res, err := svc.Reconcile(ctx, time.Now())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			filled += res.Filled
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if b := balance(t, e, "A2"); b != 0 {
		t.Fatalf("A2: %d", b)
	}
	if filled > 1 || storedEvents(t, hooks, "evt_both") != 1 {
		t.Fatalf("filled %d times, stored %d", filled, storedEvents(t, hooks, "evt_both"))
	}
	var ledger []accounts.LedgerEntry
	if err := e.App.DB.Tenant("acme").C("ledger").Find(ctx, bson.D{{Key: "accountId", Value: "acme:A2"}, {Key: "kind", Value: accounts.KindPayment}}, &ledger); err != nil || len(ledger) != 1 {
		t.Fatalf("A2 payments in the ledger: %d %v", len(ledger), err)
	}
	if drift, err := accounts.Reconcile(ctx, e.App.DB.Tenant("acme")); err != nil || len(drift) != 0 {
		t.Fatalf("drift %+v %v", drift, err)
	}
}

// stripe-mock validates the list request against Stripe's OpenAPI spec and
// answers with fixture events (not ours, and not filtered by type), so what
// it proves is: the request the job makes is one Stripe accepts, the job
// pages through the answer, stores nothing it does not handle, and a second
// run stores nothing again. The gap filling itself is proven above.
func TestReconcileAgainstStripeMock(t *testing.T) {
	base := stripeMock(t)
	gw := payments.NewStripe("sk_test_123", base)
	list, err := gw.ListEvents(context.Background(), time.Now().Add(-time.Hour), payments.HandledEvents)
	if err != nil {
		t.Fatalf("list events against stripe-mock: %v", err)
	}
	if len(list) == 0 || list[0].ID == "" {
		t.Fatalf("stripe-mock listed %d events", len(list))
	}
	e, ctx := env(t)
	svc := e.App.Payments
	svc.Events = gw
	first, err := svc.Reconcile(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := e.App.DB.C("webhooks").Count(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^stripe:evt"}}}})
	if first.Listed != len(list) || int64(first.Filled) != n || first.Filled+first.Skipped != first.Listed {
		t.Fatalf("run %+v, %d stored", first, n)
	}
	t.Logf("stripe-mock listed %d event(s), first of type %q: filled %d, skipped %d", len(list), list[0].Type, first.Filled, first.Skipped)
	second, err := svc.Reconcile(ctx, time.Now())
	if err != nil || second.Filled != 0 {
		t.Fatalf("second run %+v %v", second, err)
	}
	var cp struct {
		Since int64 `bson:"since"`
	}
	if err := e.App.DB.C("webhooks").Get(ctx, "stripe:checkpoint", &cp); err != nil || cp.Since == 0 {
		t.Fatalf("checkpoint %+v %v", cp, err)
	}
}

// A tenant's own Stripe account is listed with its own key: what is
// stored goes under the tenant's keys ("stripe:<tenant>:<event>", its own
// checkpoint), and a second run stores nothing again.
func TestReconcileTenantsOwnStripeAgainstStripeMock(t *testing.T) {
	base := stripeMock(t)
	e := apptest.New(t, apptest.Sandbox, func(c *config.Config) { c.StripeAPIBase = base })
	e.Tenant("acme")
	ctx := e.Ctx()
	svc := e.App.Payments
	if err := svc.Creds().Put(ctx, "acme", payments.GatewayConfig{Provider: "stripe", Stripe: payments.StripeKeys{SecretKey: "sk_test_Acme00001", WebhookSecret: "whsec_acme"}}); err != nil {
		t.Fatal(err)
	}
	first, err := svc.ReconcileTenants(ctx, time.Now())
	if err != nil || first.Listed == 0 {
		t.Fatalf("first run %+v %v", first, err)
	}
	own, _ := e.App.DB.C("webhooks").Count(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^stripe:acme:evt"}}}})
	global, _ := e.App.DB.C("webhooks").Count(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^stripe:evt"}}}})
	if int64(first.Filled) != own || global != 0 || first.Filled+first.Skipped != first.Listed {
		t.Fatalf("run %+v: %d stored as acme's, %d as the global account's", first, own, global)
	}
	second, err := svc.ReconcileTenants(ctx, time.Now())
	if err != nil || second.Filled != 0 {
		t.Fatalf("second run %+v %v", second, err)
	}
	var cp struct {
		Since int64 `bson:"since"`
	}
	if err := e.App.DB.C("webhooks").Get(ctx, "stripe:acme:checkpoint", &cp); err != nil || cp.Since == 0 {
		t.Fatalf("acme's checkpoint %+v %v", cp, err)
	}
}
