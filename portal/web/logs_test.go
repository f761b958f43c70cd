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
	e := apptest.NewLogged(t, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
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
