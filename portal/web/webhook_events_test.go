package web_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"cartera/portal/apptest"
	"cartera/portal/config"
)

// The events a client's system subscribes to come from the real flows,
// not only from hand-made changes: a debtor's dispute and its resolution,
// a promise made and broken, a plan accepted, an online payment that pays
// an invoice off — each arrives once, signed, with the tenant and the
// invoice in its data.
func TestWebhookEventsFromRealFlows(t *testing.T) {
	env := apptest.New(t, apptest.Sandbox, func(c *config.Config) { c.WebhookLoopbackHTTP = true })
	env.Tenant("acme")
	_, client := env.User("acme", "client")
	_, manager := env.User("acme", "manager")
	if m := env.Import("acme", client, "cartera.csv", []byte(debtorPortfolio)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	env.App.DebtorsSvc.Now = func() time.Time { return statementDay }
	env.App.Web.Plans.Now = func() time.Time { return statementDay }
	env.App.Web.Work.Now = func() time.Time { return statementDay }
	e := debtorEnv{Env: env, client: client, manager: manager}

	rc := &receiver{t: t}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	all := []string{"dispute.opened", "dispute.resolved", "promise.made", "promise.broken", "plan.accepted", "payment.succeeded", "account.paid"}
	r := e.Do("POST", "/api/tenants/acme/webhooks", manager, map[string]any{"url": srv.URL + "/hook", "events": all})
	if r.Status != 201 {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	rc.secret = r.JSON()["secret"].(string)
	deliver := func() {
		t.Helper()
		if err := e.App.DB.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Webhooks.Deliver(e.Ctx()); err != nil {
			t.Fatal(err)
		}
	}

	jose := e.session("acme", "80123456")
	maria := e.session("acme", "900123456")
	// José disputes A2; the client rejects it.
	d := e.openDispute(jose, []string{"A2"}, "wrong_amount", "El valor no coincide con la orden de compra.", "", nil)
	if d.Status != 201 {
		t.Fatalf("dispute: %d %s", d.Status, d.Body)
	}
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+d.JSON()["id"].(string)+"/resolve", client, map[string]any{"decision": "reject", "note": "La orden de compra dice lo mismo."}); r.Status != 200 {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	// José promises part of A1 for 10 November and does not pay.
	if r := e.Do("POST", "/api/debtor/promises", jose, map[string]any{"amount": 5000000, "date": "2025-11-10"}); r.Status != 201 {
		t.Fatalf("promise: %d %s", r.Status, r.Body)
	}
	// María accepts a plan.
	e.accept(maria, 3)
	deliver()
	// The promise is broken after its grace.
	if _, broken, err := e.App.Work.CheckPromises(e.Ctx(), "acme", time.Date(2025, 11, 14, 15, 0, 0, 0, time.UTC)); err != nil || broken != 1 {
		t.Fatalf("check promises: %d broken, %v", broken, err)
	}
	// José pays A2 off online.
	paid := e.pay(jose, map[string]any{"accountIds": []string{"A2"}})
	deliver()

	for _, typ := range all {
		evs := rc.events(typ)
		if len(evs) != 1 {
			t.Errorf("%s: %d events, want 1: %+v", typ, len(evs), evs)
			continue
		}
		for _, ev := range evs {
			if ev.Tenant != "acme" || ev.ID == "" || ev.Data == nil {
				t.Errorf("%s: %+v", typ, ev)
			}
		}
	}
	// What the client's system reads in them.
	one := func(typ string) map[string]any {
		if evs := rc.events(typ); len(evs) > 0 {
			return evs[0].Data
		}
		return map[string]any{}
	}
	if d := one("dispute.resolved"); d["status"] != "rejected" || d["reason"] != "wrong_amount" {
		t.Errorf("dispute.resolved: %v", d)
	}
	if d := one("promise.broken"); d["accountId"] != "A1" || d["amount"] != float64(5000000) || d["date"] != "2025-11-10" {
		t.Errorf("promise.broken: %v", d)
	}
	if d := one("payment.succeeded"); d["accountId"] != "A2" || d["amount"] != float64(paid) || d["channel"] != "online" {
		t.Errorf("payment.succeeded: %v (paid %d)", d, paid)
	}
	if d := one("account.paid"); d["invoice"] != "A2" || d["balance"] != float64(0) {
		t.Errorf("account.paid: %v", d)
	}
	if rc.bad != 0 {
		t.Fatalf("%d deliveries failed verification", rc.bad)
	}
	// Delivering again sends nothing new.
	before := len(rc.got)
	deliver()
	if len(rc.got) != before {
		t.Fatalf("a second run delivered %d more", len(rc.got)-before)
	}
}
