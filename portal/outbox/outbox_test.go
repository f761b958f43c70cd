package outbox_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cartera/portal/apptest"
	"cartera/portal/outbox"
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
	e.App.Ladder.Now, e.App.Queue.Now, e.App.Web.Work.Now, e.App.Outbox.Now = e.now, e.now, e.now, e.now
}

func (e *env) now() time.Time { return *e.clock.Load() }

// deliverer is an outbox on the env's store and clock with the senders
// and limits of o.
func (e *env) deliverer(o outbox.Options) *outbox.Service {
	o.DB, o.Tenants, o.Now = e.App.DB, e.App.Tenants, e.now
	return outbox.New(o)
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
	mail, err := outbox.NewSMTP("smtp://cartera:secreto@" + smtpSrv.addr + "?from=cobranza@acme.test")
	if err != nil {
		t.Fatal(err)
	}
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
	out := e.deliverer(outbox.Options{Email: mail, Messenger: &outbox.HTTPMessenger{URL: provider.URL, Token: "tok"}})
	e.setClock(time.Date(2026, 2, 2, 10, 0, 0, 0, bogota)) // D+1, a Monday: the e-mails
	if _, err := e.App.Ladder.Run(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := out.Deliver(ctx, "acme"); err != nil {
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
	if _, err := e.App.Ladder.Run(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	st, err := out.Deliver(ctx, "acme")
	if err != nil || st.Sent != 2 || st.Retried != 1 {
		t.Fatalf("day 2: %+v %v", st, err)
	}
	st, _ = out.Deliver(ctx, "acme")
	if st.Sent != 0 {
		t.Fatalf("retried before its backoff: %+v", st)
	}
	e.setClock(time.Date(2026, 2, 16, 10, 2, 0, 0, bogota))
	if st, _ = out.Deliver(ctx, "acme"); st.Sent != 1 {
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
	out := e.deliverer(outbox.Options{Messenger: &outbox.HTTPMessenger{URL: provider.URL}, MaxAttempts: 2})
	e.setClock(time.Date(2026, 2, 22, 10, 0, 0, 0, bogota)) // a Sunday, D+21
	if _, err := e.App.Ladder.Run(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	d := e.outbox("deferred")
	if len(d) != 1 || d[0]["code"] != "sunday" || !strings.Contains(d[0]["reason"].(string), "23/02/2026") {
		t.Fatalf("Sunday: %v", d)
	}
	for _, at := range []time.Time{time.Date(2026, 2, 23, 10, 0, 0, 0, bogota), time.Date(2026, 2, 24, 10, 0, 0, 0, bogota), time.Date(2026, 2, 25, 10, 0, 0, 0, bogota)} {
		e.setClock(at)
		if _, err := out.Deliver(ctx, "acme"); err != nil {
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

// A preference recorded after the message was queued is honoured when it
// is delivered.
func TestDeliveryRechecksPreferences(t *testing.T) {
	e := newEnv(t, 1)
	smtpSrv := startSMTP(t)
	mail, err := outbox.NewSMTP("smtp://" + smtpSrv.addr)
	if err != nil {
		t.Fatal(err)
	}
	out := e.deliverer(outbox.Options{Email: mail})
	e.setClock(time.Date(2026, 2, 2, 10, 0, 0, 0, bogota))
	if _, err := e.App.Ladder.Run(e.Ctx(), "acme"); err != nil {
		t.Fatal(err)
	}
	if r := e.Do("PUT", "/api/tenants/acme/debtors/900100000/consent", e.collector, map[string]any{
		"how": "llamada grabada", "preferredWindow": map[string]string{"from": "15:00", "to": "17:00"}}); r.Status != 200 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	st, err := out.Deliver(e.Ctx(), "acme")
	if err != nil || st.Deferred != 1 || smtpSrv.count() != 0 {
		t.Fatalf("deliver at 10:00: %+v %v, sent %d", st, err, smtpSrv.count())
	}
	e.setClock(time.Date(2026, 2, 2, 15, 0, 0, 0, bogota))
	if st, err := out.Deliver(e.Ctx(), "acme"); err != nil || st.Sent != 1 || smtpSrv.count() != 1 {
		t.Fatalf("deliver at 15:00: %+v %v", st, err)
	}
}
