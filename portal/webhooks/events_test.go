package webhooks

import (
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/store"
)

func raw(t *testing.T, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEventsOfDomainChanges: each event comes from the one write that
// records it, once, with an id stable across a replayed change.
func TestEventsOfDomainChanges(t *testing.T) {
	open := bson.D{{Key: "status", Value: "open"}, {Key: "accountIds", Value: bson.A{"acme:F-1"}}, {Key: "reason", Value: "quality"}}
	accepted := bson.D{{Key: "status", Value: "accepted"}, {Key: "accountIds", Value: bson.A{"acme:F-1"}}, {Key: "creditTotal", Value: int64(500)}}
	cases := []struct {
		name string
		ch   store.Change
		want []string
	}{
		{"dispute opened", store.Change{Coll: "disputes", Tenant: "acme", ID: "acme:d1", After: raw(t, open)}, []string{DisputeOpened}},
		{"dispute resolved", store.Change{Coll: "disputes", Tenant: "acme", ID: "acme:d1", Before: raw(t, open), After: raw(t, accepted)}, []string{DisputeResolved}},
		{"dispute touched again", store.Change{Coll: "disputes", Tenant: "acme", ID: "acme:d1", Before: raw(t, accepted), After: raw(t, accepted)}, nil},
		{"promise made", store.Change{Coll: "promises", Tenant: "acme", ID: "acme:p1", After: raw(t, bson.D{{Key: "status", Value: "live"}, {Key: "accountId", Value: "acme:F-1"}})}, []string{PromiseMade}},
		{"promise broken", store.Change{Coll: "promises", Tenant: "acme", ID: "acme:p1", Before: raw(t, bson.D{{Key: "status", Value: "live"}}), After: raw(t, bson.D{{Key: "status", Value: "broken"}, {Key: "accountId", Value: "acme:F-1"}})}, []string{PromiseBroken}},
		{"payment part", store.Change{Coll: "ledger", Tenant: "acme", ID: "acme:pay:manual:R1:i", After: raw(t, bson.D{{Key: "kind", Value: "interest_paid"}, {Key: "amount", Value: int64(-10)}})}, []string{PaymentSucceeded}},
		{"placement is no event", store.Change{Coll: "ledger", Tenant: "acme", ID: "acme:x", After: raw(t, bson.D{{Key: "kind", Value: "placement"}})}, nil},
		{"plan accepted", store.Change{Coll: "plans", Tenant: "acme", ID: "acme:pl", After: raw(t, bson.D{{Key: "status", Value: "active"}})}, []string{PlanAccepted}},
		{"plan defaulted", store.Change{Coll: "plans", Tenant: "acme", ID: "acme:pl", Before: raw(t, bson.D{{Key: "status", Value: "active"}}), After: raw(t, bson.D{{Key: "status", Value: "defaulted"}})}, []string{PlanDefaulted}},
		{"account recalled", store.Change{Coll: "accounts", Tenant: "acme", ID: "acme:F-1", Before: raw(t, bson.D{{Key: "status", Value: "open"}}), After: raw(t, bson.D{{Key: "status", Value: "recalled"}})}, []string{AccountRecalled}},
		{"import finished", store.Change{Coll: "imports", Tenant: "acme", ID: "acme:i1", Before: raw(t, bson.D{{Key: "status", Value: "queued"}}), After: raw(t, bson.D{{Key: "status", Value: "done"}})}, []string{ImportFinished}},
	}
	for _, c := range cases {
		got := eventsOf(c.ch)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d events, want %v", c.name, len(got), c.want)
			continue
		}
		for i, ev := range got {
			if ev.Type != c.want[i] || eventsOf(c.ch)[i].ID != ev.ID {
				t.Errorf("%s: %s (id %s), want %s with a stable id", c.name, ev.Type, ev.ID, c.want[i])
			}
		}
	}
	// The parts of one payment are one event.
	a := eventsOf(store.Change{Coll: "ledger", Tenant: "acme", ID: "acme:pay:manual:R1", After: raw(t, bson.D{{Key: "kind", Value: "payment"}})})
	b := eventsOf(store.Change{Coll: "ledger", Tenant: "acme", ID: "acme:pay:manual:R1:i", After: raw(t, bson.D{{Key: "kind", Value: "interest_paid"}})})
	if a[0].ID != b[0].ID {
		t.Fatal("a payment's parts made two events")
	}
}

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"evt_1"}`)
	now := time.Now()
	h := Sign("whsec_x", now, body)
	if err := Verify("whsec_x", h, body, now, 300e9); err != nil {
		t.Fatal(err)
	}
	if Verify("whsec_y", h, body, now, 300e9) == nil || Verify("whsec_x", h, []byte(`{}`), now, 300e9) == nil {
		t.Fatal("a wrong secret or body verified")
	}
}
