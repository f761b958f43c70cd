package web_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"cartera/portal/apptest"
)

// lockedBuffer collects log output from concurrent goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A run through the main paths leaves no session token, access code, full
// document number, e-mail of a debtor or password in the log, and user input
// with CR/LF cannot forge a log line.
func TestLogsHoldNoSecretsOrPersonalData(t *testing.T) {
	var buf lockedBuffer
	e := apptest.NewLogged(t, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), apptest.Sandbox)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	m := e.Import("acme", mgr, "p.csv", []byte("documento,nombre,factura,vencimiento,valor,correo\n80123456,José Núñez,A1,2026-01-01,1000,jose@correo.co\n"))
	if num(m, "inserted") != 1 {
		t.Fatalf("import %v", m)
	}
	code := e.Do("POST", "/api/tenants/acme/debtors/80123456/access-code", mgr, nil).JSON()["code"].(string)
	r := e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": "80123456", "code": code})
	if r.Status != 200 {
		t.Fatalf("debtor login %d %s", r.Status, r.Body)
	}
	debtorTok := r.JSON()["token"].(string)
	e.Do("GET", "/api/debtor/statement", debtorTok, nil)
	e.Do("GET", "/api/debtor/privacy", debtorTok, nil)
	e.Do("POST", "/api/debtor/privacy/requests", debtorTok, map[string]string{"type": "rectify", "message": "Mi correo es jose@correo.co y mi cédula 80123456"})
	e.Do("GET", "/api/tenants/acme/debtors/80123456", mgr, nil)
	e.Do("GET", "/api/tenants/acme/accounts?q=80123456", mgr, nil)
	e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": "80123456", "code": "WRONG-CODE-00"})
	e.Do("POST", "/api/auth/login", "", map[string]string{"email": "x@y.co\nlevel=ERROR msg=forged", "password": "wrong-password-1"})
	e.Do("GET", "/api/tenants/acme/accounts/A1%0Alevel=ERROR%20msg=forged", mgr, nil)
	log := buf.String()
	if !strings.Contains(log, "msg=http") {
		t.Fatalf("the run logged no requests:\n%s", log)
	}
	for name, secret := range map[string]string{
		"admin token": e.Admin, "manager token": mgr, "debtor token": debtorTok, "access code": code,
		"document": "80123456", "debtor e-mail": "jose@correo.co", "password": apptest.Password,
	} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.HasPrefix(line, "level=ERROR msg=forged") {
			t.Errorf("forged log line: %q", line)
		}
	}
}

// Each login, failed login, failed authorization, disclosure or export of
// personal data, payment, dispute step and plan change leaves exactly one
// audit record, and a repeated or refused request adds none.
func TestKeyActionsAuditedOnce(t *testing.T) {
	e := planEnv(t)
	_, collector := e.User("acme", "collector")
	jose := e.session("acme", "80123456")
	count := func(action string) int {
		t.Helper()
		l, err := e.App.Audit.List(e.Ctx(), "", action, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	var disputeID, paymentID string
	steps := []struct {
		name, action string
		do           func() int // returns the status
		status       int
		again        int // status of the same request repeated (0: not repeated)
	}{
		{"staff login", "login", func() int {
			return e.Do("POST", "/api/auth/login", "", map[string]string{"email": apptest.AdminEmail, "password": apptest.Password}).Status
		}, 200, 0},
		{"failed login", "login.failed", func() int {
			return e.Do("POST", "/api/auth/login", "", map[string]string{"email": apptest.AdminEmail, "password": "wrong-password-1"}).Status
		}, 401, 0},
		{"debtor login", "debtor.login", func() int {
			return e.login("acme", "900123456", e.code("acme", "900123456")).Status
		}, 200, 0},
		{"failed authorization", "authz.denied", func() int {
			return e.Do("GET", "/api/tenants/acme/reports/summary", collector, nil).Status
		}, 403, 0},
		{"staff reads a debtor", "debtor.read", func() int {
			return e.Do("GET", "/api/tenants/acme/debtors/80123456", e.manager, nil).Status
		}, 200, 0},
		{"export of accounts", "export.accounts", func() int {
			return e.Do("GET", "/api/tenants/acme/reports/accounts.csv", e.client, nil).Status
		}, 200, 0},
		{"debtor sees the data held", "privacy.data.viewed", func() int {
			return e.Do("GET", "/api/debtor/privacy", jose, nil).Status
		}, 200, 0},
		{"manual payment", "payment.manual", func() int {
			return e.Do("POST", "/api/tenants/acme/accounts/A1/payments", e.manager,
				map[string]any{"amount": 1000000, "method": "transfer", "reference": "trf-audit-1", "paidAt": "2025-10-30"}).Status
		}, 201, 409},
		{"checkout", "payment.checkout", func() int {
			r := e.Do("POST", "/api/debtor/checkout", jose, map[string]any{"amount": 500000})
			paymentID, _ = r.JSON()["paymentId"].(string)
			return r.Status
		}, 200, 0},
		// Repeated completions: TestRepeatedPaymentCompletionAuditedOnce.
		{"online payment", "payment.succeeded", func() int {
			return e.Do("POST", "/api/payments/sandbox/"+paymentID+"/complete", jose, nil).Status
		}, 200, 0},
		{"dispute opened", "dispute.open", func() int {
			r := e.Do("POST", "/api/debtor/disputes", jose, map[string]any{"accountIds": []string{"A2"}, "reason": "already_paid", "description": "Pagado"})
			disputeID, _ = r.JSON()["id"].(string)
			return r.Status
		}, 201, 0},
		{"dispute rejected", "dispute.rejected", func() int {
			return e.Do("POST", "/api/tenants/acme/disputes/"+disputeID+"/resolve", e.client, map[string]any{"decision": "reject", "note": "Sin soporte"}).Status
		}, 200, 409},
		{"plan accepted", "plan.accept", func() int {
			maria := e.session("acme", "900123456") // the login step above gave her a new code
			offers := e.offers(maria)
			if len(offers) == 0 {
				t.Fatal("no plan offers for María")
			}
			st := e.Do("POST", "/api/debtor/plans", maria, map[string]any{"offerId": offers[0].ID, "accept": true}).Status
			if again := e.Do("POST", "/api/debtor/plans", maria, map[string]any{"offerId": offers[0].ID, "accept": true}).Status; again != 409 {
				t.Errorf("plan accepted twice: %d", again)
			}
			return st
		}, 201, 0},
	}
	for _, s := range steps {
		before := count(s.action)
		if got := s.do(); got != s.status {
			t.Fatalf("%s: status %d, want %d", s.name, got, s.status)
		}
		if s.again != 0 {
			if got := s.do(); got != s.again {
				t.Fatalf("%s repeated: status %d, want %d", s.name, got, s.again)
			}
		}
		if n := count(s.action) - before; n != 1 {
			t.Errorf("%s left %d %q audit records, want 1", s.name, n, s.action)
		}
	}
}

// A payment completed again (the sandbox page submitted twice, a Stripe
// event delivered again) is applied once and must be audited once.
// (It found payments.Service.Complete auditing every repeat; fixed there.)
func TestRepeatedPaymentCompletionAuditedOnce(t *testing.T) {
	e := planEnv(t)
	jose := e.session("acme", "80123456")
	balances := func() int64 { // what is owed, principal and interest
		return int64(e.Do("GET", "/api/debtor/statement", jose, nil).JSON()["owed"].(float64))
	}
	before := balances()
	r := e.Do("POST", "/api/debtor/checkout", jose, map[string]any{"amount": 500000})
	if r.Status != 200 {
		t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	id := r.JSON()["paymentId"].(string)
	for i := 0; i < 3; i++ {
		if r := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", jose, nil); r.Status != 200 {
			t.Fatalf("complete %d: %d %s", i, r.Status, r.Body)
		}
	}
	if after := balances(); after != before-500000 {
		t.Fatalf("balances %d -> %d: the payment was not applied exactly once", before, after)
	}
	l, _ := e.App.Audit.List(e.Ctx(), "acme", "payment.succeeded", 100)
	if len(l) != 1 {
		t.Fatalf("three completions of one payment left %d payment.succeeded audit records, want 1", len(l))
	}
}
