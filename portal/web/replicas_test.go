package web_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"cartera/payments"
	"cartera/portal/actor"
	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/jobs"
)

// Two complete portal instances on one store, as two replicas behind a
// proxy: a session and a CSRF token from one work on the other, a webhook
// delivered to both at once applies once, and a job claimed by both runs once.
func TestTwoReplicasShareOneStore(t *testing.T) {
	a := apptest.New(t, apptest.Sandbox, func(c *config.Config) { c.StripeWebhookKey = "whsec_replicas" })
	b := a.Replica()
	a.Tenant("acme")
	_, mgr := a.User("acme", "manager")
	if r := b.Do("GET", "/api/tenants/acme", mgr, nil); r.Status != 200 {
		t.Fatalf("token from replica A on replica B: %d", r.Status)
	}
	// Logout on B revokes the session on A too.
	_, tok := a.User("acme", "client")
	if r := b.Do("POST", "/api/auth/logout", tok, nil); r.Status != 204 {
		t.Fatal(r.Status)
	}
	if r := a.Do("GET", "/api/me", tok, nil); r.Status != 401 {
		t.Fatalf("revoked on B, still valid on A: %d", r.Status)
	}
	// A CSRF token handed out by A is accepted by B.
	session, csrf := cookieSession(t, a, apptest.AdminEmail)
	req, _ := http.NewRequest("POST", "/api/tenants", strings.NewReader(`{"slug":"rep","name":"Rep","country":"CO"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	req.AddCookie(&http.Cookie{Name: "session", Value: session})
	req.AddCookie(&http.Cookie{Name: "csrf_", Value: csrf})
	if r := b.Request(req); r.Status != 201 {
		t.Fatalf("CSRF token of A on B: %d %s", r.Status, r.Body)
	}

	// One payment, its webhook delivered to both replicas concurrently.
	a.Import("acme", mgr, "p.csv", []byte("documento,nombre,factura,vencimiento,valor\n777,Uno,A1,2026-01-01,1000\n"))
	ctx := actor.With(context.Background(), actor.Actor{UserID: "acme:777", Role: "debtor", Tenants: []string{"acme"}})
	p, _, err := a.App.Payments.Checkout(ctx, payments.CheckoutInput{})
	if err != nil {
		t.Fatal(err)
	}
	evt := []byte(`{"id":"evt_rep","object":"event","api_version":"2023-10-16","created":` + strconv.FormatInt(time.Now().Unix(), 10) + `,"type":"checkout.session.completed","data":{"object":{"id":"cs_rep","object":"checkout.session","payment_status":"paid","amount_total":` + strconv.FormatInt(p.Amount, 10) + `,"currency":"cop","payment_intent":"pi_rep","metadata":{"tenant":"acme","payment":"` + p.ID + `"}}}}`)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		for _, env := range []*apptest.Env{a, b} {
			wg.Add(1)
			go func(env *apptest.Env) {
				defer wg.Done()
				sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: evt, Secret: "whsec_replicas"})
				req, _ := http.NewRequest("POST", "/api/webhooks/stripe", strings.NewReader(string(evt)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Stripe-Signature", sp.Header)
				if r := env.Request(req); r.Status != 200 {
					t.Errorf("webhook: %d %s", r.Status, r.Body)
				}
			}(env)
		}
	}
	wg.Wait()
	acc := a.Do("GET", "/api/tenants/acme/accounts/A1", mgr, nil).JSON()
	// Paying everything also charges and settles the late interest: one
	// payment entry whatever the deliveries.
	paid := 0
	for _, m := range acc["ledger"].([]any) {
		if m.(map[string]any)["kind"] == "payment" {
			paid++
		}
	}
	if acc["balance"].(float64) != 0 || paid != 1 {
		t.Fatalf("after 20 deliveries to two replicas: %v", acc)
	}

	// The same job claimed by both replicas' schedulers runs once per period.
	runs := 0
	var mu sync.Mutex
	job := jobs.Job{Name: "replica.test", Period: jobs.Daily, Lease: time.Minute, Run: func(context.Context) error { mu.Lock(); runs++; mu.Unlock(); return nil }}
	for i := 0; i < 10; i++ {
		for _, env := range []*apptest.Env{a, b} {
			wg.Add(1)
			go func(s *jobs.Scheduler) {
				defer wg.Done()
				if err := s.RunOnce(context.Background(), job); err != nil && !errors.Is(err, jobs.ErrNotClaimed) {
					t.Error(err)
				}
			}(env.App.Jobs)
		}
	}
	wg.Wait()
	if runs != 1 {
		t.Fatalf("job ran %d times across two replicas", runs)
	}
}
