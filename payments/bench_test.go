package payments_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"cartera/payments"
	"cartera/portal/actor"
	"cartera/portal/apptest"
	"cartera/portal/config"
)

// BenchmarkWebhookRecording measures how many signed checkout.session.completed
// webhooks a second the portal verifies, stores and applies (ledger entry,
// balance, payment state, audit) through POST /api/webhooks/stripe, one
// sender and eight at once, against a baseline taken in the same run: raw
// inserts of a document of the same size into a scratch collection.
//
//	go test -run '^$' -bench WebhookRecording -benchtime 1x ./payments/
func BenchmarkWebhookRecording(b *testing.B) {
	const n = 300
	e := apptest.New(b, apptest.Sandbox, func(c *config.Config) { c.StripeWebhookKey = whsec })
	e.Tenant("acme")
	// One invoice per debtor, as payments arrive from many debtors.
	var csv strings.Builder
	csv.WriteString("documento,nombre,factura,vencimiento,valor\n")
	for k := 0; k < 2*n; k++ {
		fmt.Fprintf(&csv, "%d,Deudor %d,F%d,2026-01-01,100000\n", 7000+k, k, k)
	}
	if m := e.Import("acme", e.Admin, "p.csv", []byte(csv.String())); m["inserted"].(float64) != 2*n {
		b.Fatalf("import %v", m)
	}
	svc := e.App.Payments
	for i := 0; i < b.N; i++ {
		var bodies [][]byte
		for k := 0; k < 2*n; k++ {
			ctx := actor.With(context.Background(), actor.Actor{UserID: fmt.Sprintf("acme:%d", 7000+k), Role: "debtor", Tenants: []string{"acme"}})
			p, _, err := svc.Checkout(ctx, payments.CheckoutInput{Amount: 100000})
			if err != nil {
				b.Fatal(err)
			}
			bodies = append(bodies, event(fmt.Sprintf("evt_b%d_%d", i, k), "checkout.session.completed", session(p.ID, p.Amount, fmt.Sprintf("pi_b%d_%d", i, k))))
		}
		send := func(body []byte) error {
			sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: whsec, Timestamp: time.Now()})
			req, _ := http.NewRequest("POST", "/api/webhooks/stripe", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Stripe-Signature", sp.Header)
			res, err := e.App.HTTP.Test(req, 60_000)
			if err != nil {
				return err
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				return fmt.Errorf("webhook: %d", res.StatusCode)
			}
			return nil
		}
		// One sender.
		lat := make([]time.Duration, 0, n)
		t0 := time.Now()
		for _, body := range bodies[:n] {
			s := time.Now()
			if err := send(body); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(s))
		}
		seq := time.Since(t0)
		// Eight senders at once.
		var next atomic.Int64
		var wg sync.WaitGroup
		t1 := time.Now()
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := next.Add(1) - 1; k < n; k = next.Add(1) - 1 {
					if err := send(bodies[n+int(k)]); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		par := time.Since(t1)
		// Baseline: raw inserts of a payload-sized document.
		raw := e.App.DB.C(fmt.Sprintf("bench_raw_%d", i))
		t2 := time.Now()
		for k := 0; k < n; k++ {
			if err := raw.Insert(context.Background(), map[string]any{"_id": fmt.Sprintf("r%d", k), "payload": bodies[k], "at": time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
		base := time.Since(t2)
		sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
		b.ReportMetric(float64(n)/seq.Seconds(), "events/s-1sender")
		b.ReportMetric(float64(n)/par.Seconds(), "events/s-8senders")
		b.ReportMetric(float64(n)/base.Seconds(), "raw-inserts/s")
		b.ReportMetric(seq.Seconds()/base.Seconds(), "1sender/raw")
		b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[n*95/100].Microseconds())/1000, "p95-ms")
	}
	var a struct {
		Balance int64 `bson:"balance"`
	}
	for _, inv := range []string{"F0", fmt.Sprint("F", 2*n-1)} {
		if err := e.App.DB.Tenant("acme").C("accounts").Get(context.Background(), "acme:"+inv, &a); err != nil || a.Balance != 10000000-int64(b.N)*100000 {
			b.Fatalf("%s balance %d (%v)", inv, a.Balance, err)
		}
	}
}
