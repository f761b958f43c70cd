package web_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cartera/portal/admission"
	"cartera/portal/apptest"
	"cartera/portal/config"
)

// The admission gate through HTTP: with every slot taken, an API request
// waits its turn and, past the wait, is answered 503 busy in the caller's
// language with Retry-After; pages are never held; when a slot frees, a
// debtor's checkout goes before a statement that waited about as long.
func TestAdmissionGateOverHTTP(t *testing.T) {
	e := apptest.New(t, apptest.Sandbox, func(c *config.Config) { c.MaxInFlight, c.InFlightWait = 2, time.Second })
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	_, manager := e.User("acme", "manager")
	if m := e.Import("acme", client, "cartera.csv", []byte(debtorPortfolio)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	e.App.DebtorsSvc.Now = func() time.Time { return statementDay }
	d := debtorEnv{Env: e, client: client, manager: manager}
	jose := d.session("acme", "80123456")
	maria := d.session("acme", "900123456")

	gate := e.App.Web.Gate
	if gate == nil || gate.Capacity() != 2 {
		t.Fatalf("gate %v", gate)
	}
	var held []func()
	for range 2 {
		release, err := gate.Enter(context.Background(), admission.Interactive)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}

	start := time.Now()
	r := e.Do("GET", "/api/debtor/statement?lang=en", jose, nil)
	if r.Status != 503 || r.JSON()["code"] != "busy" || r.Header.Get("Retry-After") != "2" ||
		!strings.Contains(r.JSON()["error"].(string), "busy") {
		t.Fatalf("full gate: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("answered busy after %v, before the wait was over", waited)
	}
	if r := e.Do("GET", "/api/debtor/statement", jose, nil); !strings.Contains(r.JSON()["error"].(string), "solicitudes") {
		t.Fatalf("Spanish busy: %s", r.Body)
	}
	if r := e.Do("GET", "/debtor", "", nil); r.Status != 200 {
		t.Fatalf("a page waited on the gate: %d", r.Status)
	}

	var mu sync.Mutex
	var done []string
	var wg sync.WaitGroup
	send := func(name, method, path, token string, body any) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.Do(method, path, token, body)
			mu.Lock()
			done = append(done, name+":"+itoa(r.Status))
			mu.Unlock()
		}()
	}
	waitLine := func(n int) {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			s := gate.Stats()
			if s.Waiting[admission.Money]+s.Waiting[admission.Interactive]+s.Waiting[admission.Bulk] == n {
				return
			}
		}
		t.Fatalf("%d requests never queued: %+v", n, gate.Stats())
	}
	send("statement", "GET", "/api/debtor/statement", maria, nil)
	waitLine(1)
	send("checkout", "POST", "/api/debtor/checkout", jose, map[string]any{"amount": 100000})
	waitLine(2)
	time.Sleep(100 * time.Millisecond)
	held[0]()
	wg.Wait()
	held[1]()
	// The order they were let in (the order their answers arrive is a race:
	// the slot is free before the checkout's response is written).
	s := gate.Stats()
	slices.Sort(done)
	if strings.Join(done, " ") != "checkout:200 statement:200" || s.LastAdmitted[admission.Money] >= s.LastAdmitted[admission.Interactive] {
		t.Fatalf("served %v, admitted checkout #%d and statement #%d; want the checkout first", done, s.LastAdmitted[admission.Money], s.LastAdmitted[admission.Interactive])
	}
	if s := gate.Stats(); s.Running != 0 {
		t.Fatalf("slots left taken: %+v", s)
	}
}
