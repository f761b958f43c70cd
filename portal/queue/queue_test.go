package queue_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
	"cartera/portal/queue"
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
	q                      *queue.Service
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
	e.q = e.App.Web.Queue
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
	e.q.Now = now
	e.App.Web.Work.Now = now
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
	stats := make([]queue.LadderStats, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stats[i], errs[i] = e.q.RunLadder(ctx, "acme")
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
	again, err := e.q.RunLadder(ctx, "acme")
	if err != nil || again.Queued != 0 || again.Written != 0 {
		t.Fatalf("second pass: %+v %v", again, err)
	}
	// Without a sender configured the messages are held, visible, with the reason.
	if _, err := e.q.Deliver(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	held := e.outbox("held")
	if len(held) != 20 || !strings.Contains(held[0]["reason"].(string), "SMTP_URL") {
		t.Fatalf("held: %d %v", len(held), held)
	}
}

// fakeSMTP is a tiny SMTP server that counts the messages it accepts.
type fakeSMTP struct {
	addr string
	mu   sync.Mutex
	msgs []string
}

func startSMTP(t *testing.T) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(s string) { fmt.Fprintf(c, "%s\r\n", s) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-fake")
			say("250 AUTH PLAIN")
		case strings.HasPrefix(cmd, "AUTH"):
			say("235 ok")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			f.mu.Lock()
			f.msgs = append(f.msgs, b.String())
			f.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 no")
		}
	}
}

func (f *fakeSMTP) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.msgs) }

// E-mail goes out by SMTP once even with two delivery runs at once; the
// WhatsApp provider fails once and the message is retried after its
// backoff; a provider that keeps failing ends in "failed", listed for
// managers; a Sunday defers the message with the rule and the next time.
func TestOutboxDelivery(t *testing.T) {
	e := newEnv(t, 3)
	ctx := e.Ctx()
	smtpSrv := startSMTP(t)
	mail, err := queue.NewSMTP("smtp://cartera:secreto@" + smtpSrv.addr + "?from=cobranza@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	e.q.Email = mail
	var calls atomic.Int32
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		if calls.Add(1) == 1 {
			w.WriteHeader(503) // the first call fails
			return
		}
		w.WriteHeader(202)
	}))
	defer provider.Close()
	e.q.Messenger = &queue.HTTPMessenger{URL: provider.URL, Token: "tok"}
	e.setClock(time.Date(2026, 2, 2, 10, 0, 0, 0, bogota)) // D+1, a Monday: the e-mails
	if _, err := e.q.RunLadder(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.q.Deliver(ctx, "acme"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := smtpSrv.count(); n != 3 {
		t.Fatalf("SMTP got %d messages, want 3", n)
	}
	body := smtpSrv.msgs[0]
	if !strings.Contains(body, "Subject: Factura F-") || !strings.Contains(body, "/pay/acme") || !strings.Contains(body, "From: cobranza@acme.test") {
		t.Fatalf("e-mail: %s", body)
	}
	// D+15 the WhatsApps go; the provider fails the first.
	e.setClock(time.Date(2026, 2, 16, 10, 0, 0, 0, bogota))
	if _, err := e.q.RunLadder(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	st, err := e.q.Deliver(ctx, "acme")
	if err != nil || st.Sent != 2 || st.Retried != 1 {
		t.Fatalf("day 2: %+v %v", st, err)
	}
	st, _ = e.q.Deliver(ctx, "acme")
	if st.Sent != 0 {
		t.Fatalf("retried before its backoff: %+v", st)
	}
	e.setClock(time.Date(2026, 2, 16, 10, 2, 0, 0, bogota))
	if st, _ = e.q.Deliver(ctx, "acme"); st.Sent != 1 {
		t.Fatalf("retry after backoff: %+v", st)
	}
	if sent := e.outbox("sent"); len(sent) != 6 {
		t.Fatalf("sent: %d", len(sent))
	}
	// Sent contacts show in the account's timeline.
	r := e.Do("GET", "/api/tenants/acme/accounts/F-1/timeline", e.manager, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "Envío automático") {
		t.Fatalf("timeline: %s", r.Body)
	}
	if smtpSrv.count() != 3 || calls.Load() != 4 {
		t.Fatalf("sends: smtp %d, provider %d", smtpSrv.count(), calls.Load())
	}
}

func TestOutboxFailuresAreVisible(t *testing.T) {
	e := newEnv(t, 1)
	ctx := e.Ctx()
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer provider.Close()
	e.q.Messenger = &queue.HTTPMessenger{URL: provider.URL}
	e.q.MaxAttempts = 2
	e.setClock(time.Date(2026, 2, 22, 10, 0, 0, 0, bogota)) // a Sunday, D+21
	if _, err := e.q.RunLadder(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	d := e.outbox("deferred")
	if len(d) != 1 || d[0]["code"] != "sunday" || !strings.Contains(d[0]["reason"].(string), "23/02/2026") {
		t.Fatalf("Sunday: %v", d)
	}
	for _, at := range []time.Time{time.Date(2026, 2, 23, 10, 0, 0, 0, bogota), time.Date(2026, 2, 24, 10, 0, 0, 0, bogota), time.Date(2026, 2, 25, 10, 0, 0, 0, bogota)} {
		e.setClock(at)
		if _, err := e.q.Deliver(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}
	failed := e.outbox("failed")
	// The policy's WhatsApp step goes by SMS: the tenant has not said its
	// sender may carry collection messages.
	if len(failed) != 1 || failed[0]["channel"] != "sms" || failed[0]["attempts"] != float64(2) || failed[0]["lastError"] != "provider answered 500" {
		t.Fatalf("failed: %v", failed)
	}
	// Collectors and clients do not see the outbox.
	if r := e.Do("GET", "/api/tenants/acme/outbox?status=failed", e.collector, nil); r.Status != 403 {
		t.Fatalf("collector outbox: %d", r.Status)
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
	if _, err := e.q.RunLadder(e.Ctx(), "acme"); err != nil {
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
