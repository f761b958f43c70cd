package ladder_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
	"cartera/portal/ladder"
	"cartera/portal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var bogota = time.FixedZone("COT", -5*3600)

// env is a tenant whose policy sends e-mails at D+1 and WhatsApp at D+15,
// asks for a call at D+5 and a visit at D+40, with n accounts (due on
// 2026-02-01, e-mail, phone and WhatsApp on file) assigned to one collector,
// and the clock on Tuesday 2026-03-10 10:00 in Bogotá.
type env struct {
	*apptest.Env
	collectorID, collector string
	manager                string
	clock                  atomic.Pointer[time.Time]
}

func newEnv(t *testing.T, n int) *env {
	t.Helper()
	e := &env{Env: apptest.New(t)}
	e.Tenant("acme")
	e.collectorID, e.collector = e.User("acme", "collector")
	_, e.manager = e.User("acme", "manager")
	e.setClock(time.Date(2026, 3, 10, 10, 0, 0, 0, bogota))
	pol := map[string]any{"steps": []map[string]any{
		{"day": 1, "channel": "email", "template": "overdue_notice", "automatic": true},
		{"day": 5, "channel": "call", "template": "follow_up_call", "label": "Llamada de seguimiento"},
		{"day": 15, "channel": "whatsapp", "template": "whatsapp_reminder", "automatic": true},
		{"day": 40, "channel": "visit", "template": "visit", "label": "Visita"},
	}, "lateInterestBP": 2400, "plans": map[string]any{"maxInstallments": 6, "minDownPaymentBP": 1000, "monthlyRateBP": 100, "maxTermDays": 200},
		"promises": map[string]any{"maxDaysAhead": 30, "graceDays": 2}}
	if r := e.Do("PUT", "/api/tenants/acme/policy", e.manager, pol); r.Status != 200 {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	var sb strings.Builder
	sb.WriteString("Documento;Nombre;Factura;Fecha Vencimiento;Valor;Correo;Celular;WhatsApp\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "9001%05d;Cliente %d;F-%d;2026-02-01;%d;c%d@ejemplo.co;30012%05d;30012%05d\n", i, i, i, 100000+i*1000, i, i, i)
	}
	if m := e.Import("acme", e.manager, "p.csv", []byte(sb.String())); m["inserted"] != float64(n) {
		t.Fatalf("import: %v", m)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("F-%d", i)
	}
	if r := e.Do("POST", "/api/tenants/acme/assignments", e.manager, map[string]any{"accountIds": ids, "collectorId": e.collectorID}); r.Status != 200 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	return e
}

func (e *env) setClock(t time.Time) {
	e.clock.Store(&t)
	now := func() time.Time { return *e.clock.Load() }
	e.App.Ladder.Now, e.App.Queue.Now, e.App.Web.Work.Now, e.App.Outbox.Now = now, now, now, now
}

func (e *env) outbox(status string) []map[string]any {
	e.T.Helper()
	r := e.Do("GET", "/api/tenants/acme/outbox?limit=500&status="+status, e.manager, nil)
	if r.Status != 200 {
		e.T.Fatalf("outbox: %d %s", r.Status, r.Body)
	}
	var out struct{ Items []map[string]any }
	r.Decode(e.T, &out)
	return out.Items
}

// Two ladder runners at once on the same database queue every due step
// exactly once, and a later pass queues nothing more.
func TestLadderTwoRunnersEachStepOnce(t *testing.T) {
	e := newEnv(t, 20)
	ctx := e.Ctx()
	var wg sync.WaitGroup
	stats := make([]ladder.Stats, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stats[i], errs[i] = e.App.Ladder.Run(ctx, "acme")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// At D+37 the ladder's latest arrived step is the WhatsApp of D+15 (the
	// D+1 e-mail is passed over): 20 messages, each queued by exactly one
	// runner.
	if got := stats[0].Queued + stats[1].Queued; got != 20 || stats[0].Already+stats[1].Already > 20 {
		t.Fatalf("queued %d+%d, want 20 in all: %+v", stats[0].Queued, stats[1].Queued, stats)
	}
	var ids []struct {
		ID string `bson:"_id"`
	}
	if err := e.App.DB.Tenant("acme").C("outbox").Find(context.Background(), bson.D{}, &ids); err != nil || len(ids) != 20 {
		t.Fatalf("outbox holds %d messages (%v), want 20", len(ids), err)
	}
	seen := map[string]bool{}
	for _, m := range ids {
		if seen[m.ID] {
			t.Fatalf("duplicate %s", m.ID)
		}
		seen[m.ID] = true
	}
	if !seen["acme:F-3:15:whatsapp"] || seen["acme:F-3:1:email"] {
		t.Fatalf("message keys: %v", seen)
	}
	again, err := e.App.Ladder.Run(ctx, "acme")
	if err != nil || again.Queued != 0 || again.Written != 0 {
		t.Fatalf("second pass: %+v %v", again, err)
	}
	// Without a sender configured the messages are held, visible, with the reason.
	if _, err := e.App.Outbox.Deliver(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	held := e.outbox("held")
	if len(held) != 20 || !strings.Contains(held[0]["reason"].(string), "SMTP_URL") {
		t.Fatalf("held: %d %v", len(held), held)
	}
}

// A tenant whose WhatsApp sender may carry collection messages gets its
// WhatsApp steps sent by WhatsApp.
func TestWhatsAppWhereAllowed(t *testing.T) {
	e := newEnv(t, 1)
	pol := e.Do("GET", "/api/tenants/acme/policy", e.manager, nil).JSON()
	pol["whatsAppAllowed"] = true
	for _, k := range []string{"default", "updatedAt", "updatedBy"} {
		delete(pol, k)
	}
	if r := e.Do("PUT", "/api/tenants/acme/policy", e.manager, pol); r.Status != 200 {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	e.setClock(time.Date(2026, 2, 17, 10, 0, 0, 0, bogota)) // a Tuesday, D+16
	if _, err := e.App.Ladder.Run(e.Ctx(), "acme"); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range e.outbox("queued") {
		if m["step"] == "D+15:whatsapp" {
			found = m["channel"] == "whatsapp"
		}
	}
	if !found {
		t.Fatalf("no WhatsApp message: %v", e.outbox("queued"))
	}
}
