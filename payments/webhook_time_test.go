package payments_test

import (
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
)

// A webhook signed with a timestamp more than the tolerance (300 s) away is
// refused in either direction, recording nothing; a few seconds of clock
// skew either way is accepted.
func TestStripeWebhookTimestampBothWays(t *testing.T) {
	e, ctx := env(t)
	p, _, err := e.App.Payments.Checkout(ctx, payments.CheckoutInput{})
	if err != nil {
		t.Fatal(err)
	}
	completed := event("evt_future", "checkout.session.completed", session(p.ID, p.Amount, "pi_future"))
	for _, ahead := range []time.Duration{time.Hour, 6 * time.Minute} {
		if r := deliver(e, completed, time.Now().Add(ahead), whsec); r.Status != 400 {
			t.Fatalf("timestamp %v in the future: %d %s", ahead, r.Status, r.Body)
		}
	}
	if r := deliver(e, completed, time.Now().Add(-6*time.Minute), whsec); r.Status != 400 {
		t.Fatalf("timestamp 6 min old: %d", r.Status)
	}
	if n, _ := e.App.DB.C("webhooks").Count(ctx, bson.D{}); n != 0 {
		t.Fatalf("refused deliveries stored %d events", n)
	}
	if balance(t, e, "A1") != 10000000 {
		t.Fatal("a refused webhook moved money")
	}
	if r := deliver(e, completed, time.Now().Add(30*time.Second), whsec); r.Status != 200 {
		t.Fatalf("30 s of clock skew: %d %s", r.Status, r.Body)
	}
	if balance(t, e, "A1") != 0 {
		t.Fatal("the accepted webhook did not record the payment")
	}
}
