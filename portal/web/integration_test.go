package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/webhooks"
)

// newKey creates an API key as token and returns its secret and id.
func newKey(t *testing.T, e *apptest.Env, tenant, token string, scopes []string, expires *time.Time) (key, id string) {
	t.Helper()
	body := map[string]any{"name": "ERP", "scopes": scopes}
	if expires != nil {
		body["expiresAt"] = expires.Format(time.RFC3339)
	}
	r := e.Do("POST", "/api/tenants/"+tenant+"/api-keys", token, body)
	if r.Status != 201 {
		t.Fatalf("create key: %d %s", r.Status, r.Body)
	}
	m := r.JSON()
	key, _ = m["key"].(string)
	if !strings.HasPrefix(key, "ck_live_"+tenant+"_") {
		t.Fatalf("key %q", key)
	}
	return key, m["id"].(string)
}

func TestKeyScopesTenantRevocationExpiryAndAudit(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("beta")
	_, client := e.User("acme", "client")
	_, collector := e.User("acme", "collector")
	_, betaClient := e.User("beta", "client")
	e.Import("acme", client, "c.csv", []byte(csvHeader+"900123;Ferretería Núñez;F-1;2026-01-15;1000;;\n"))

	key, id := newKey(t, e, "acme", client, []string{"accounts:read"}, nil)
	list := e.Do("GET", "/api/tenants/acme/api-keys", client, nil)
	secret := key[strings.LastIndexByte(key, '_')+1:]
	if list.Status != 200 || strings.Contains(string(list.Body), secret) || !strings.Contains(string(list.Body), `"prefix":"ck_live_acme_`+id+`"`) {
		t.Fatalf("list shows the secret or misses the prefix: %d %s", list.Status, list.Body)
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		want                      int
	}{
		{"key reads its accounts", "GET", "/api/tenants/acme/accounts", key, nil, 200},
		{"key reads one account", "GET", "/api/tenants/acme/accounts/F-1", key, nil, 200},
		{"key on another tenant", "GET", "/api/tenants/beta/accounts", key, nil, 404},
		{"key outside its scopes", "GET", "/api/tenants/acme/reports/summary", key, nil, 403},
		{"key on a route keys never reach", "GET", "/api/me", key, nil, 403},
		{"key does not mint keys", "POST", "/api/tenants/acme/api-keys", key, map[string]any{"name": "x", "scopes": []string{"accounts:read"}}, 403},
		{"a wrong secret", "GET", "/api/tenants/acme/accounts", key[:len(key)-4] + "0000", nil, 401},
		{"collectors do not manage keys", "POST", "/api/tenants/acme/api-keys", collector, map[string]any{"name": "x", "scopes": []string{"accounts:read"}}, 403},
		{"another tenant's client", "GET", "/api/tenants/acme/api-keys", betaClient, nil, 404},
		{"unknown scope", "POST", "/api/tenants/acme/api-keys", client, map[string]any{"name": "x", "scopes": []string{"root"}}, 400},
	}
	for _, c := range cases {
		if r := e.Do(c.method, c.path, c.token, c.body); r.Status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.want)
		}
	}
	// Audited as the key, requests and refusals alike.
	entries, err := e.App.Audit.List(e.Ctx(), "acme", "apikey.request", 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]bool{}
	for _, en := range entries {
		if en.ActorID != "apikey:"+id {
			t.Fatalf("audited as %q", en.ActorID)
		}
		if st, ok := en.Details["status"].(int32); ok {
			seen[float64(st)] = true
		}
		if st, ok := en.Details["status"].(int64); ok {
			seen[float64(st)] = true
		}
	}
	if len(entries) < 6 || !seen[200] || !seen[403] || !seen[404] {
		t.Fatalf("audit of the key's requests: %d entries, statuses %v", len(entries), seen)
	}
	// Last used is set (once a minute at most).
	var got []map[string]any
	_ = json.Unmarshal([]byte(mustField(t, e.Do("GET", "/api/tenants/acme/api-keys", client, nil).Body, "items")), &got)
	if len(got) != 1 || got[0]["lastUsedAt"] == nil {
		t.Fatalf("last used: %v", got)
	}

	if r := e.Do("DELETE", "/api/tenants/acme/api-keys/"+id, client, nil); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/tenants/acme/accounts", key, nil); r.Status != 401 {
		t.Fatalf("revoked key: %d", r.Status)
	}
	if r := e.Do("DELETE", "/api/tenants/beta/api-keys/"+id, betaClient, nil); r.Status != 404 {
		t.Fatalf("revoke another tenant's key: %d", r.Status)
	}

	exp := time.Now().Add(time.Hour)
	soon, _ := newKey(t, e, "acme", client, []string{"accounts:read"}, &exp)
	if r := e.Do("GET", "/api/tenants/acme/accounts", soon, nil); r.Status != 200 {
		t.Fatalf("live key: %d", r.Status)
	}
	e.App.Keys.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if r := e.Do("GET", "/api/tenants/acme/accounts", soon, nil); r.Status != 401 {
		t.Fatalf("expired key: %d", r.Status)
	}
}

func mustField(t *testing.T, body []byte, field string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return string(m[field])
}

func TestKeyRateLimit(t *testing.T) {
	e := apptest.New(t, func(c *config.Config) { c.APIKeyRate = 3 })
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	key, _ := newKey(t, e, "acme", client, []string{"accounts:read"}, nil)
	for i := 0; i < 3; i++ {
		if r := e.Do("GET", "/api/tenants/acme/accounts", key, nil); r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
	}
	r := e.Do("GET", "/api/tenants/acme/accounts", key, nil)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("over the rate: %d %v", r.Status, r.Header)
	}
	// The person's own session is not limited by the key's budget.
	if r := e.Do("GET", "/api/tenants/acme/accounts", client, nil); r.Status != 200 {
		t.Fatalf("session: %d", r.Status)
	}
}

func TestPlacementThroughImportPathAndClientReportedPayment(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	key, _ := newKey(t, e, "acme", client, []string{"placements:write", "payments:write", "accounts:read"}, nil)
	batch := map[string]any{"items": []map[string]any{
		{"document": "900123", "name": "Ferretería Núñez", "invoice": "F-1", "dueDate": "2026-01-15", "amount": 123456},
		{"document": "900124", "name": "Ana Gómez", "invoice": "F-2", "dueDate": "2026-02-31", "amount": 5000},
	}}
	r := e.Do("POST", "/api/tenants/acme/placements", key, batch)
	if r.Status != 202 {
		t.Fatalf("placements: %d %s", r.Status, r.Body)
	}
	m := e.WaitImport("acme", r.JSON()["id"].(string), key)
	errs, _ := m["errors"].([]any)
	if m["status"] != "done" || num(m, "inserted") != 1 || num(m, "rejected") != 1 || len(errs) != 1 {
		t.Fatalf("import result: %v", m)
	}
	if row := errs[0].(map[string]any); num(row, "row") != 3 || row["column"] != "due_date" {
		t.Fatalf("row error: %v", row)
	}
	acc := e.Do("GET", "/api/tenants/acme/accounts/F-1", key, nil).JSON()
	if num(acc, "balance") != 123456 {
		t.Fatalf("balance as placed (minor units): %v", acc["balance"])
	}
	// The same batch again: idempotent by invoice.
	m = e.WaitImport("acme", e.Do("POST", "/api/tenants/acme/placements", key, batch).JSON()["id"].(string), key)
	if num(m, "inserted") != 0 || num(m, "rejected") != 1 {
		t.Fatalf("re-sent batch: %v", m)
	}
	if r := e.Do("POST", "/api/tenants/acme/placements", key, map[string]any{"items": []any{}}); r.Status != 400 {
		t.Fatalf("empty batch: %d", r.Status)
	}

	before := num(e.Do("GET", "/api/tenants/acme/accounts/F-1", key, nil).JSON(), "balance")
	pay := map[string]any{"amount": 23456, "method": "client_reported", "reference": "ERP-77", "paidAt": "2026-03-01"}
	if r := e.Do("POST", "/api/tenants/acme/accounts/F-1/payments", key, pay); r.Status != 201 {
		t.Fatalf("client-reported payment: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/tenants/acme/accounts/F-1/payments", key, pay); r.Status != 409 {
		t.Fatalf("same reference again: %d %s", r.Status, r.Body)
	}
	// Interest first, then principal (the law's order): the balance falls
	// by at most the payment, and once.
	if b := num(e.Do("GET", "/api/tenants/acme/accounts/F-1", key, nil).JSON(), "balance"); b >= before || b < before-23456 {
		t.Fatalf("balance %d after one payment from %d", b, before)
	}
	if r := e.Do("POST", "/api/tenants/acme/accounts/F-1/recall", key, map[string]any{"reason": "pagó directo"}); r.Status != 200 {
		t.Fatalf("recall: %d %s", r.Status, r.Body)
	}
}

// receiver is an ERP's webhook endpoint that verifies every signature.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	fail   bool
	got    []webhooks.Event
	bad    int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := webhooks.Verify(rc.secret, r.Header.Get("Cartera-Signature"), body, time.Now(), time.Hour); err != nil {
		rc.bad++
		w.WriteHeader(400)
		return
	}
	if rc.fail {
		w.WriteHeader(500)
		return
	}
	var ev webhooks.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != r.Header.Get("Cartera-Event-Id") {
		rc.bad++
		w.WriteHeader(400)
		return
	}
	rc.got = append(rc.got, ev)
}

func (rc *receiver) events(typ string) []webhooks.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []webhooks.Event
	for _, ev := range rc.got {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func TestWebhookSignedRetriedReplayedAndDurable(t *testing.T) {
	e := apptest.New(t, func(c *config.Config) { c.WebhookLoopbackHTTP = true })
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	key, _ := newKey(t, e, "acme", client, []string{"placements:write", "payments:write", "webhooks:manage"}, nil)
	rc := &receiver{t: t}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	for _, bad := range []string{"http://example.com/hook", "https://10.0.0.1/hook", "https://169.254.169.254/latest", "ftp://127.0.0.1/x"} {
		if r := e.Do("POST", "/api/tenants/acme/webhooks", key, map[string]any{"url": bad, "events": []string{"payment.succeeded"}}); r.Status != 400 {
			t.Errorf("endpoint %s: %d %s", bad, r.Status, r.Body)
		}
	}
	r := e.Do("POST", "/api/tenants/acme/webhooks", key, map[string]any{"url": srv.URL + "/hook", "events": []string{"payment.succeeded", "import.finished"}})
	if r.Status != 201 {
		t.Fatalf("create webhook: %d %s", r.Status, r.Body)
	}
	hook := r.JSON()
	rc.secret = hook["secret"].(string)
	hid := hook["id"].(string)
	if l := e.Do("GET", "/api/tenants/acme/webhooks", key, nil); strings.Contains(string(l.Body), rc.secret) {
		t.Fatal("the list shows the secret")
	}

	ctx := e.Ctx()
	deliver := func(a *apptest.Env) webhooks.Stats {
		t.Helper()
		if err := a.App.DB.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		st, err := a.App.Webhooks.Deliver(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// import.finished, signed and verified.
	imp := e.Do("POST", "/api/tenants/acme/placements", key, map[string]any{"items": []map[string]any{
		{"document": "900123", "name": "Ferretería Núñez", "invoice": "F-1", "dueDate": "2026-01-15", "amount": 900000}}})
	e.WaitImport("acme", imp.JSON()["id"].(string), key)
	deliver(e)
	if evs := rc.events("import.finished"); len(evs) != 1 || evs[0].Tenant != "acme" || evs[0].Data["inserted"] != float64(1) {
		t.Fatalf("import.finished: %+v (bad signatures %d)", evs, rc.bad)
	}

	// A failing receiver: retried after the backoff, on the service's
	// clock (never a real wait).
	rc.mu.Lock()
	rc.fail = true
	rc.mu.Unlock()
	pay := func(ref string) {
		if r := e.Do("POST", "/api/tenants/acme/accounts/F-1/payments", key, map[string]any{"amount": 1000, "method": "client_reported", "reference": ref}); r.Status != 201 {
			t.Fatalf("payment: %d %s", r.Status, r.Body)
		}
	}
	pay("R-1")
	if st := deliver(e); st.Retried != 1 {
		t.Fatalf("failing receiver: %+v", st)
	}
	if st := deliver(e); st.Retried+st.Delivered != 0 {
		t.Fatalf("retried before its backoff: %+v", st)
	}
	rc.mu.Lock()
	rc.fail = false
	rc.mu.Unlock()
	e.App.Webhooks.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
	if st := deliver(e); st.Delivered != 1 {
		t.Fatalf("retry after backoff: %+v", st)
	}
	paid := rc.events("payment.succeeded")
	if len(paid) != 1 || paid[0].Data["amount"] == nil {
		t.Fatalf("payment.succeeded: %+v", paid)
	}
	e.App.Webhooks.Now = time.Now

	// The delivery log, then replay: the same event id arrives again.
	log := e.Do("GET", "/api/tenants/acme/webhooks/"+hid+"/deliveries", key, nil)
	var page struct {
		Items []struct {
			ID, EventID, Status string
			Attempts            int
		}
	}
	log.Decode(t, &page)
	var did string
	for _, it := range page.Items {
		if it.EventID == paid[0].ID {
			did = it.ID
			if it.Status != "delivered" || it.Attempts < 2 {
				t.Fatalf("log entry: %+v", it)
			}
		}
	}
	if did == "" {
		t.Fatalf("delivery log: %s", log.Body)
	}
	if r := e.Do("POST", "/api/tenants/acme/webhooks/"+hid+"/deliveries/"+did+"/replay", key, nil); r.Status != 200 {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	deliver(e)
	if again := rc.events("payment.succeeded"); len(again) != 2 || again[1].ID != paid[0].ID {
		t.Fatalf("replayed: %+v", again)
	}

	// Stored before sending: a restart (a new app on the same database)
	// delivers what the stopped one had not sent.
	pay("R-2")
	if err := e.App.DB.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	// And the stopped one had claimed it and died mid-send: the claim
	// runs out and the next instance sends it.
	sc := e.App.DB.Tenant("acme")
	var open []webhooks.Delivery
	if err := sc.C("webhookdeliveries").Find(context.Background(), bson.D{{Key: "status", Value: "pending"}}, &open); err != nil || len(open) != 1 {
		t.Fatalf("stored before sending: %v %+v", err, open)
	}
	if err := sc.C("webhookdeliveries").Update(context.Background(), open[0].ID, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: "sending"}, {Key: "claimUntil", Value: time.Now().Add(time.Minute)}}}}); err != nil {
		t.Fatal(err)
	}
	e.App.StopBackground()
	next := e.Replica()
	if st := deliver(next); st.Delivered != 0 {
		t.Fatalf("taken while another run holds it: %+v", st)
	}
	next.App.Webhooks.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
	deliver(next)
	if got := rc.events("payment.succeeded"); len(got) != 3 || got[2].ID == paid[0].ID {
		t.Fatalf("after restart: %+v", got)
	}
	if rc.bad != 0 {
		t.Fatalf("%d deliveries failed verification", rc.bad)
	}
	if r := e.Do("DELETE", "/api/tenants/acme/webhooks/"+hid, key, nil); r.Status != 204 {
		t.Fatalf("delete webhook: %d", r.Status)
	}
}
