package web_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"cartera/portal/apptest"
)

// bogota is the tenants' zone in these tests (apptest tenants are Colombian).
var bogota = time.FixedZone("COT", -5*3600)

// at is a wall-clock moment in Bogotá.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, bogota)
	if err != nil {
		panic(err)
	}
	return t
}

// workEnv is a tenant with one debtor (e-mail and phone on file) owing two
// invoices assigned to a collector, and the clock set to a weekday morning.
type workEnv struct {
	*apptest.Env
	collector, collectorID, manager, client string
	clock                                   time.Time
}

func newWorkEnv(t *testing.T) *workEnv {
	t.Helper()
	e := apptest.New(t)
	e.Tenant("acme")
	w := &workEnv{Env: e}
	w.collectorID, w.collector = e.User("acme", "collector")
	_, w.manager = e.User("acme", "manager")
	_, w.client = e.User("acme", "client")
	m := e.Import("acme", w.client, "c.csv", []byte(csvHeader+
		"900100200;Ferretería Núñez;F-1;2026-02-01;1.000.000;pagos@nunez.co;3001234567\n"+
		"900100200;Ferretería Núñez;F-2;2026-02-15;250.000;;\n"))
	if num(m, "inserted") != 2 {
		t.Fatalf("import: %v", m)
	}
	if r := e.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{"F-1", "F-2"}, "collectorId": w.collectorID}); r.Status != 200 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	w.setClock(at("2026-03-10 10:00")) // a Tuesday, not a holiday
	return w
}

func (w *workEnv) setClock(t time.Time) {
	w.clock = t
	w.App.Web.Work.Now = func() time.Time { return w.clock }
}

func (w *workEnv) contact(token, account string, body map[string]any) apptest.Resp {
	return w.Do("POST", "/api/tenants/acme/accounts/"+account+"/activities", token, body)
}

func (w *workEnv) timeline(token, account string) map[string]any {
	w.T.Helper()
	r := w.Do("GET", "/api/tenants/acme/accounts/"+account+"/timeline", token, nil)
	if r.Status != 200 {
		w.T.Fatalf("timeline: %d %s", r.Status, r.Body)
	}
	return r.JSON()
}

func (w *workEnv) balance(account string) int64 {
	w.T.Helper()
	r := w.Do("GET", "/api/tenants/acme/accounts/"+account, w.manager, nil)
	if r.Status != 200 {
		w.T.Fatalf("account: %d %s", r.Status, r.Body)
	}
	return int64(r.JSON()["balance"].(float64))
}

func TestContactsPassComplianceFirst(t *testing.T) {
	w := newWorkEnv(t)
	call := map[string]any{"channel": "call", "outcome": "contacted", "note": "  Dice que paga la próxima semana  "}
	steps := []struct {
		name   string
		when   string
		body   map[string]any
		status int
		code   string // decision code: refusal code on 422, activity decision on 201
	}{
		{"weekday morning call", "2026-03-10 10:00", call, 201, "ok"},
		{"second contact the same day", "2026-03-10 11:00", call, 422, "daily_cap"},
		{"the debtor calls us back: inbound is always allowed", "2026-03-10 11:05", map[string]any{"channel": "call", "direction": "inbound", "outcome": "contacted"}, 201, "inbound"},
		{"another channel the same week", "2026-03-11 10:00", map[string]any{"channel": "email", "outcome": "left_message"}, 422, "weekly_channel"},
		{"Sunday", "2026-03-15 10:00", call, 422, "sunday"},
		{"inbound on Sunday", "2026-03-15 10:00", map[string]any{"channel": "whatsapp", "direction": "inbound", "outcome": "contacted"}, 201, "inbound"},
		{"Monday night", "2026-03-16 21:00", call, 422, "outside_hours"},
		{"holiday (San José)", "2026-03-23 10:00", call, 422, "holiday"},
		{"channel the debtor has no contact for", "2026-03-17 10:00", map[string]any{"channel": "whatsapp", "outcome": "no_answer"}, 422, "channel_not_authorized"},
		{"Tuesday morning email", "2026-03-17 10:00", map[string]any{"channel": "email", "outcome": "left_message"}, 201, "ok"},
	}
	for _, s := range steps {
		w.setClock(at(s.when))
		r := w.contact(w.collector, "F-1", s.body)
		m := r.JSON()
		if r.Status != s.status {
			t.Fatalf("%s: %d %s, want %d", s.name, r.Status, r.Body, s.status)
		}
		if s.status == 422 && (m["code"] != s.code || m["error"] == "" || !strings.Contains(m["error"].(string), "Próximo momento permitido") && s.code != "channel_not_authorized") {
			t.Fatalf("%s: refusal %s, want code %s with a reason and the next allowed moment", s.name, r.Body, s.code)
		}
		if s.status == 201 && m["decision"] != s.code {
			t.Fatalf("%s: activity %s, want decision %s", s.name, r.Body, s.code)
		}
	}
	// The debtor opts out of calls: a call is refused whatever the hour.
	r := w.Do("PUT", "/api/tenants/acme/debtors/900100200/consent", w.collector, map[string]any{
		"channels": map[string]any{"call": map[string]any{"optedOut": true}}, "how": "llamada grabada 2026-03-17"})
	if r.Status != 200 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	if eff := r.JSON()["effective"].([]any); len(eff) != 2 { // email and sms stay, call goes
		t.Fatalf("effective channels after opt-out: %v", eff)
	}
	w.setClock(at("2026-03-24 10:00"))
	r = w.contact(w.collector, "F-1", call)
	if r.Status != 422 || r.JSON()["code"] != "opted_out" {
		t.Fatalf("call after opt-out: %d %s", r.Status, r.Body)
	}
	// Refused contacts were never recorded; the note was trimmed; newest first.
	tl := w.timeline(w.collector, "F-1")
	acts := tl["activities"].([]any)
	if len(acts) != 4 {
		t.Fatalf("activities: %d, want 4: %v", len(acts), acts)
	}
	first, last := acts[0].(map[string]any), acts[3].(map[string]any)
	if first["channel"] != "email" || last["note"] != "Dice que paga la próxima semana" || last["by"] != w.collectorID {
		t.Fatalf("timeline order or content: %v", acts)
	}
	// The list route says the same.
	r = w.Do("GET", "/api/tenants/acme/accounts/F-1/activities", w.manager, nil)
	if r.Status != 200 || len(r.JSON()["items"].([]any)) != 4 {
		t.Fatalf("activities list: %d %s", r.Status, r.Body)
	}
	// Bad input is 400 with the field.
	for _, bad := range []map[string]any{
		{"channel": "fax", "outcome": "contacted"},
		{"channel": "call", "outcome": "maybe"},
		{"channel": "call", "direction": "sideways", "outcome": "contacted"},
		{"channel": "call", "outcome": "contacted", "note": strings.Repeat("x", 2001)},
		{"channel": "call", "outcome": "contacted", "promise": map[string]any{"amount": 1, "date": "2026-03-30"}},
	} {
		if r := w.contact(w.collector, "F-1", bad); r.Status != 400 || len(r.JSON()["fields"].(map[string]any)) == 0 {
			t.Fatalf("bad %v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "contacted", "extra": 1}); r.Status != 400 {
		t.Fatalf("unknown field: %d", r.Status)
	}
}

func TestPromiseValidation(t *testing.T) {
	w := newWorkEnv(t)
	promise := func(amount int64, date string) map[string]any {
		return map[string]any{"channel": "call", "outcome": "promise", "promise": map[string]any{"amount": amount, "date": date}}
	}
	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"no promise with outcome promise", map[string]any{"channel": "call", "outcome": "promise"}, 400, "promise"},
		{"date in the past", promise(50000, "2026-03-09"), 400, "promise.date"},
		{"date not a date", promise(50000, "10/03/2026"), 400, "promise.date"},
		{"beyond the policy's 30 days", promise(50000, "2026-04-10"), 400, "promise.date"},
		{"amount over the balance", promise(100000001, "2026-03-20"), 400, "promise.amount"},
		{"zero amount", promise(0, "2026-03-20"), 400, "promise.amount"},
		{"valid", promise(40000000, "2026-03-20"), 201, ""},
		{"a second live promise", promise(10000000, "2026-03-25"), 422, ""},
	}
	for _, c := range cases {
		r := w.contact(w.collector, "F-1", c.body)
		if r.Status != c.status {
			t.Fatalf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.status)
		}
		if c.field != "" {
			if _, ok := r.JSON()["fields"].(map[string]any)[c.field]; !ok {
				t.Fatalf("%s: %s, want field %s", c.name, r.Body, c.field)
			}
		}
		if c.name == "valid" {
			p, _ := r.JSON()["promise"].(map[string]any)
			if p == nil || p["status"] != "live" || p["date"] != "2026-03-20" || p["amount"].(float64) != 40000000 {
				t.Fatalf("promise: %s", r.Body)
			}
		}
		if c.name == "a second live promise" && r.JSON()["code"] != "promise_live" {
			t.Fatalf("second promise: %s", r.Body)
		}
	}
	tl := w.timeline(w.collector, "F-1")
	if n := len(tl["promises"].([]any)); n != 1 {
		t.Fatalf("promises: %d", n)
	}
	if next := tl["nextStep"].(map[string]any); next["stop"] != "promise" {
		t.Fatalf("a live promise pauses the ladder: %v", next)
	}
	// The policy decides the horizon: with 5 days, a promise 8 days ahead is refused.
	pol := w.Do("GET", "/api/tenants/acme/policy", w.manager, nil).JSON()
	pol["promises"].(map[string]any)["maxDaysAhead"] = 5
	delete(pol, "default")
	if r := w.Do("PUT", "/api/tenants/acme/policy", w.manager, pol); r.Status != 200 {
		t.Fatalf("put policy: %d %s", r.Status, r.Body)
	}
	if r := w.contact(w.collector, "F-2", promise(100, "2026-03-18")); r.Status != 400 || !strings.Contains(string(r.Body), "5 días") {
		t.Fatalf("policy horizon: %d %s", r.Status, r.Body)
	}
}

func TestManualPayments(t *testing.T) {
	w := newWorkEnv(t)
	pay := func(token, account string, amount int64, method, ref string) apptest.Resp {
		return w.Do("POST", "/api/tenants/acme/accounts/"+account+"/payments", token, map[string]any{"amount": amount, "method": method, "reference": ref, "paidAt": "2026-03-09"})
	}
	r := pay(w.collector, "F-1", 30000000, "transfer", "trf 0001")
	m := r.JSON()
	// Interest first (CO Código Civil art. 1653): of 30,000,000, the late
	// interest owed on 9 March goes to interest, the rest to principal, and
	// what is owed falls by exactly 30,000,000.
	if r.Status != 201 || m["amount"].(float64) != -30000000 || m["kind"] != "payment" || m["channel"] != "manual" || m["reference"] != "TRF0001" ||
		m["interest"].(float64)+m["principal"].(float64) != 30000000 || m["balance"].(float64) != 100000000-m["principal"].(float64) {
		t.Fatalf("payment: %d %s", r.Status, r.Body)
	}
	// The same reference, however it is typed, is the same payment.
	if r := pay(w.collector, "F-1", 30000000, "transfer", "TRF0001"); r.Status != 409 {
		t.Fatalf("same reference: %d %s", r.Status, r.Body)
	}
	if r := pay(w.manager, "F-1", 30000000, "transfer", " trf0001 "); r.Status != 409 {
		t.Fatalf("same reference, other spelling: %d %s", r.Status, r.Body)
	}
	if b := w.balance("F-1"); b != int64(m["balance"].(float64)) {
		t.Fatalf("balance after repeats: %d", b)
	}
	for _, c := range []struct {
		name   string
		amount int64
		method string
		ref    string
	}{
		{"zero", 0, "cash", "R-3"},
		{"negative", -5, "cash", "R-4"},
		{"unknown method", 100, "bitcoin", "R-5"},
		{"no reference", 100, "cash", "  "},
	} {
		if r := pay(w.collector, "F-1", c.amount, c.method, c.ref); r.Status != 400 {
			t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// More than is owed: refused by the rule, with the figure owed.
	if r := pay(w.collector, "F-1", 90000000, "cash", "R-2"); r.Status != 422 || r.JSON()["code"] != "over_owed" || r.JSON()["fields"].(map[string]any)["owed"] == nil {
		t.Fatalf("over what is owed: %d %s", r.Status, r.Body)
	}
	if r := w.Do("POST", "/api/tenants/acme/accounts/F-1/payments", w.collector, map[string]any{"amount": 100, "method": "cash", "reference": "R-9", "paidAt": "2026-04-01"}); r.Status != 400 {
		t.Fatalf("future paidAt: %d %s", r.Status, r.Body)
	}
	// Fifty people press "record" with the same new reference at once.
	var wg sync.WaitGroup
	statuses := make(chan int, 50)
	before := w.balance("F-1")
	var won apptest.Resp
	var wonMu sync.Mutex
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := pay(w.collector, "F-1", 1000000, "cash", "RC-777")
			if r.Status == 201 {
				wonMu.Lock()
				won = r
				wonMu.Unlock()
			}
			statuses <- r.Status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != 49 {
		t.Fatalf("concurrent same reference: %v", count)
	}
	if b := w.balance("F-1"); b != before-int64(won.JSON()["principal"].(float64)) {
		t.Fatalf("balance after the race: %d, want %d less the principal paid (%s)", b, before, won.Body)
	}
	// The client reports a payment it received itself.
	if r := pay(w.client, "F-2", 5000000, "client_reported", "CLI-1"); r.Status != 201 || r.JSON()["channel"] != "client_reported" {
		t.Fatalf("client reported: %d %s", r.Status, r.Body)
	}
	if r := pay(w.client, "F-2", 5000000, "cash", "CLI-2"); r.Status != 400 {
		t.Fatalf("client with cash: %d %s", r.Status, r.Body)
	}
	ledger := w.Do("GET", "/api/tenants/acme/accounts/F-1", w.manager, nil).JSON()["ledger"].([]any)
	payments := 0 // placement and two payments, each split into interest and principal
	for _, le := range ledger {
		if k := le.(map[string]any)["kind"]; k == "payment" {
			payments++
		}
	}
	if payments != 2 {
		t.Fatalf("ledger: %v", ledger)
	}
}

func TestWorkIsolation(t *testing.T) {
	w := newWorkEnv(t)
	_, other := w.User("acme", "collector")
	w.Tenant("globex")
	_, foreign := w.User("globex", "manager")
	call := map[string]any{"channel": "call", "outcome": "contacted"}
	payment := map[string]any{"amount": 100, "method": "cash", "reference": "X-1"}
	cases := []struct {
		name, method, path, token string
		body                      any
		want                      int
	}{
		{"other collector logs a contact", "POST", "/api/tenants/acme/accounts/F-1/activities", other, call, 404},
		{"other collector reads activities", "GET", "/api/tenants/acme/accounts/F-1/activities", other, nil, 404},
		{"other collector reads the timeline", "GET", "/api/tenants/acme/accounts/F-1/timeline", other, nil, 404},
		{"other collector records a payment", "POST", "/api/tenants/acme/accounts/F-1/payments", other, payment, 404},
		{"other collector sets consent", "PUT", "/api/tenants/acme/debtors/900100200/consent", other, map[string]any{"how": "x"}, 404},
		{"other collector adds a contact", "POST", "/api/tenants/acme/debtors/900100200/contacts", other, map[string]any{"kind": "email", "value": "a@b.co"}, 404},
		{"other tenant logs a contact", "POST", "/api/tenants/acme/accounts/F-1/activities", foreign, call, 404},
		{"other tenant through its own slug", "POST", "/api/tenants/globex/accounts/F-1/activities", foreign, call, 404},
		{"other tenant records a payment", "POST", "/api/tenants/acme/accounts/F-1/payments", foreign, payment, 404},
		{"other tenant reads the policy", "GET", "/api/tenants/acme/policy", foreign, nil, 404},
		{"client may not log contacts", "POST", "/api/tenants/acme/accounts/F-1/activities", w.client, call, 403},
		{"collector may not change the policy", "PUT", "/api/tenants/acme/policy", w.collector, map[string]any{}, 403},
		{"anonymous", "GET", "/api/tenants/acme/accounts/F-1/timeline", "", nil, 401},
		{"unknown account", "GET", "/api/tenants/acme/accounts/NOPE/timeline", w.collector, nil, 404},
	}
	for _, c := range cases {
		r := w.Do(c.method, c.path, c.token, c.body)
		if r.Status != c.want {
			t.Fatalf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.want)
		}
		if strings.Contains(string(r.Body), "Núñez") {
			t.Fatalf("%s leaks the debtor: %s", c.name, r.Body)
		}
	}
	// Nothing was recorded by those attempts.
	if tl := w.timeline(w.collector, "F-1"); len(tl["activities"].([]any)) != 0 || w.balance("F-1") != 100000000 {
		t.Fatalf("isolation attempts left traces: %v", tl)
	}
}

func TestPromiseKeptByPayments(t *testing.T) {
	w := newWorkEnv(t)
	r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "promise", "note": "paga en dos partes",
		"promise": map[string]any{"amount": 50000000, "date": "2026-03-20"}})
	if r.Status != 201 {
		t.Fatalf("promise: %d %s", r.Status, r.Body)
	}
	pay := func(amount int64, ref, paidAt string) {
		t.Helper()
		r := w.Do("POST", "/api/tenants/acme/accounts/F-1/payments", w.collector, map[string]any{"amount": amount, "method": "transfer", "reference": ref, "paidAt": paidAt})
		if r.Status != 201 {
			t.Fatalf("pay %s: %d %s", ref, r.Status, r.Body)
		}
	}
	// A payment dated before the promise does not count toward it.
	pay(10000000, "OLD-1", "2026-03-05")
	w.setClock(at("2026-03-12 09:00"))
	pay(30000000, "P-1", "")
	status := func() string {
		return w.timeline(w.collector, "F-1")["promises"].([]any)[0].(map[string]any)["status"].(string)
	}
	if s := status(); s != "live" {
		t.Fatalf("after a partial payment: %s", s)
	}
	w.setClock(at("2026-03-19 16:00"))
	pay(20000000, "P-2", "")
	tl := w.timeline(w.collector, "F-1")
	p := tl["promises"].([]any)[0].(map[string]any)
	if p["status"] != "kept" || p["paid"].(float64) != 50000000 {
		t.Fatalf("promise after covering it: %v", p)
	}
	// CheckPromises later leaves a kept promise alone.
	kept, broken, err := w.App.Web.Work.CheckPromises(w.Ctx(), "acme", at("2026-04-30 08:00"))
	if err != nil || kept != 0 || broken != 0 {
		t.Fatalf("check after kept: %d %d %v", kept, broken, err)
	}
}

func TestCheckPromisesBreaksUncovered(t *testing.T) {
	w := newWorkEnv(t)
	r := w.contact(w.collector, "F-2", map[string]any{"channel": "call", "outcome": "promise",
		"promise": map[string]any{"amount": 20000000, "date": "2026-03-13"}})
	if r.Status != 201 {
		t.Fatalf("promise: %d %s", r.Status, r.Body)
	}
	w.setClock(at("2026-03-13 10:00"))
	if r := w.Do("POST", "/api/tenants/acme/accounts/F-2/payments", w.collector, map[string]any{"amount": 5000000, "method": "cash", "reference": "PARTIAL"}); r.Status != 201 {
		t.Fatalf("partial payment: %d %s", r.Status, r.Body)
	}
	// Within the grace days (2 by default) nothing happens.
	kept, broken, err := w.App.Web.Work.CheckPromises(w.Ctx(), "acme", at("2026-03-15 23:00"))
	if err != nil || kept+broken != 0 {
		t.Fatalf("within grace: %d %d %v", kept, broken, err)
	}
	kept, broken, err = w.App.Web.Work.CheckPromises(w.Ctx(), "acme", at("2026-03-16 06:00"))
	if err != nil || kept != 0 || broken != 1 {
		t.Fatalf("after grace: kept %d broken %d %v", kept, broken, err)
	}
	// Run again: already settled, counted once.
	if _, broken, _ := w.App.Web.Work.CheckPromises(w.Ctx(), "acme", at("2026-03-17 06:00")); broken != 0 {
		t.Fatalf("second run broke it again")
	}
	tl := w.timeline(w.collector, "F-2")
	p := tl["promises"].([]any)[0].(map[string]any)
	if p["status"] != "broken" || p["paid"].(float64) != 5000000 || p["settledAt"] == nil {
		t.Fatalf("broken promise in the timeline: %v", p)
	}
	if next := tl["nextStep"].(map[string]any); next["stop"] == "promise" {
		t.Fatalf("a broken promise no longer pauses the ladder: %v", next)
	}
	// A new promise may now be made.
	w.setClock(at("2026-03-17 10:00"))
	if r := w.contact(w.collector, "F-2", map[string]any{"channel": "call", "outcome": "promise",
		"promise": map[string]any{"amount": 1000000, "date": "2026-03-20"}}); r.Status != 201 {
		t.Fatalf("new promise after a broken one: %d %s", r.Status, r.Body)
	}
}

func TestPolicyRoutes(t *testing.T) {
	w := newWorkEnv(t)
	r := w.Do("GET", "/api/tenants/acme/policy", w.collector, nil)
	m := r.JSON()
	if r.Status != 200 || m["default"] != true || len(m["steps"].([]any)) != 11 {
		t.Fatalf("default policy: %d %s", r.Status, r.Body)
	}
	step0 := m["steps"].([]any)[0].(map[string]any)
	if step0["day"].(float64) != -10 || step0["channel"] != "call" || step0["automatic"] != false {
		t.Fatalf("first step: %v", step0)
	}
	// A manager's mistakes come back by field.
	delete(m, "default")
	steps := m["steps"].([]any)
	steps[3].(map[string]any)["channel"] = "fax"
	m["lateInterestBP"] = 240000
	r = w.Do("PUT", "/api/tenants/acme/policy", w.manager, m)
	f, _ := r.JSON()["fields"].(map[string]any)
	if r.Status != 400 || f["steps[3].channel"] == nil || f["lateInterestBP"] == nil {
		t.Fatalf("invalid policy: %d %s", r.Status, r.Body)
	}
	steps[3].(map[string]any)["channel"] = "call"
	m["lateInterestBP"] = 2000
	m["steps"] = steps[:5]
	r = w.Do("PUT", "/api/tenants/acme/policy", w.manager, m)
	if r.Status != 200 || r.JSON()["default"] != false || r.JSON()["lateInterestBP"].(float64) != 2000 {
		t.Fatalf("save policy: %d %s", r.Status, r.Body)
	}
	got := w.Do("GET", "/api/tenants/acme/policy", w.client, nil).JSON()
	if got["default"] != false || len(got["steps"].([]any)) != 5 || got["updatedBy"] == "" {
		t.Fatalf("saved policy read back: %v", got)
	}
	if r := w.Do("PUT", "/api/tenants/acme/policy", w.manager, `{"steps":{"$ne":1}}`); r.Status != 400 {
		t.Fatalf("operator object: %d", r.Status)
	}
}

func TestContactsAndConsent(t *testing.T) {
	w := newWorkEnv(t)
	add := func(kind, value string) apptest.Resp {
		return w.Do("POST", "/api/tenants/acme/debtors/900100200/contacts", w.collector, map[string]any{"kind": kind, "value": value})
	}
	// No WhatsApp on file: not authorized by default.
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "whatsapp", "outcome": "no_answer"}); r.Status != 422 {
		t.Fatalf("whatsapp without contact: %d %s", r.Status, r.Body)
	}
	r := add("whatsapp", "+57 300 765 4321")
	if r.Status != 201 {
		t.Fatalf("add contact: %d %s", r.Status, r.Body)
	}
	contacts := r.JSON()["contacts"].([]any)
	lastC := contacts[len(contacts)-1].(map[string]any)
	if lastC["value"] != "+573007654321" || lastC["source"] != "collector" {
		t.Fatalf("contact stored as %v", lastC)
	}
	if r := add("whatsapp", "+573007654321"); r.Status != 409 {
		t.Fatalf("same contact again: %d %s", r.Status, r.Body)
	}
	for _, bad := range [][2]string{{"email", "not-an-email"}, {"phone", "12"}, {"pigeon", "x"}, {"phone", "300abc4567"}} {
		if r := add(bad[0], bad[1]); r.Status != 400 {
			t.Fatalf("bad contact %v: %d %s", bad, r.Status, r.Body)
		}
	}
	// Now WhatsApp is a channel the debtor gave us: allowed.
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "whatsapp", "outcome": "left_message"}); r.Status != 201 {
		t.Fatalf("whatsapp with contact: %d %s", r.Status, r.Body)
	}
	// The debtor account page shows it.
	d := w.Do("GET", "/api/tenants/acme/accounts/F-1", w.collector, nil).JSON()["debtor"].(map[string]any)
	if len(d["contacts"].([]any)) != 3 {
		t.Fatalf("contacts on the account: %v", d)
	}
	// Consent: extended hours and a preferred window are honoured (CO).
	r = w.Do("PUT", "/api/tenants/acme/debtors/900100200/consent", w.manager, map[string]any{
		"extendedHours": true, "preferredWindow": map[string]any{"from": "19:00", "to": "21:00"}, "how": "autorización escrita"})
	if r.Status != 200 || r.JSON()["extendedHours"] != true {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	w.setClock(at("2026-03-11 20:00")) // Wednesday evening, outside legal hours but inside the debtor's window
	if r := w.contact(w.collector, "F-2", map[string]any{"channel": "whatsapp", "outcome": "contacted"}); r.Status != 201 {
		t.Fatalf("contact in the debtor's window: %d %s", r.Status, r.Body)
	}
	c := w.Do("GET", "/api/tenants/acme/debtors/900100200/consent", w.collector, nil)
	if c.Status != 200 || c.JSON()["preferredWindow"].(map[string]any)["from"] != "19:00" {
		t.Fatalf("read consent: %d %s", c.Status, c.Body)
	}
	if r := w.Do("PUT", "/api/tenants/acme/debtors/900100200/consent", w.manager, map[string]any{"how": "x", "channels": map[string]any{"fax": map[string]any{"authorized": true}}}); r.Status != 400 {
		t.Fatalf("unknown channel in consent: %d %s", r.Status, r.Body)
	}
	if r := w.Do("PUT", "/api/tenants/acme/debtors/900100200/consent", w.manager, map[string]any{"preferredWindow": map[string]any{"from": "25:00", "to": "x"}, "how": "x"}); r.Status != 400 {
		t.Fatalf("bad window: %d %s", r.Status, r.Body)
	}
}

func TestEveryWorkWriteIsAudited(t *testing.T) {
	w := newWorkEnv(t)
	w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "contacted"})
	w.Do("POST", "/api/tenants/acme/accounts/F-1/payments", w.collector, map[string]any{"amount": 100, "method": "cash", "reference": "A-1"})
	w.Do("POST", "/api/tenants/acme/debtors/900100200/contacts", w.collector, map[string]any{"kind": "email", "value": "otro@nunez.co"})
	w.Do("PUT", "/api/tenants/acme/debtors/900100200/consent", w.collector, map[string]any{"how": "formulario", "extendedHours": false})
	for _, action := range []string{"activity.create", "payment.manual", "debtor.contact.add", "debtor.consent"} {
		list, err := w.App.Audit.List(w.Ctx(), "acme", action, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("audit %s: %d entries, %v", action, len(list), err)
		}
	}
}
