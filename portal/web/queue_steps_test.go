package web_test

import (
	"strings"
	"testing"
)

// A manual ladder step the outbox cannot send (a credit suspension
// notified to the client) is marked done by the collector: it is recorded
// in the timeline, the account leaves the queue until the next step, and
// marking it again changes nothing.
func TestMarkManualStepDone(t *testing.T) {
	w := newWorkEnv(t) // F-1 due 2026-02-01, today 2026-03-10 (D+37)
	pol := map[string]any{"steps": []map[string]any{
		{"day": 5, "channel": "call", "template": "follow_up_call", "label": "Llamada de seguimiento"},
		{"day": 20, "channel": "credit_suspension", "template": "credit_suspension_notice", "label": "Suspensión de crédito"},
		{"day": 40, "channel": "legal", "template": "legal_stage", "label": "Etapa jurídica"},
	}, "lateInterestBP": 2400, "plans": map[string]any{"maxInstallments": 6, "minDownPaymentBP": 1000, "monthlyRateBP": 100, "maxTermDays": 200},
		"promises": map[string]any{"maxDaysAhead": 30, "graceDays": 2}}
	if r := w.Do("PUT", "/api/tenants/acme/policy", w.manager, pol); r.Status != 200 {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	w.setQueueClock(w.clock)
	if r := w.Do("POST", "/api/tenants/acme/worklists/rebuild", w.manager, nil); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "contacted"}); r.Status != 201 {
		t.Fatalf("call: %d %s", r.Status, r.Body)
	}
	q := w.queue(w.collector, "?type=credit_suspension")
	if len(q) != 2 || q[0].AccountID != "F-1" || q[0].NextAction.Due != "2026-02-21" {
		t.Fatalf("credit suspension task: %+v", q)
	}
	done := func(token, account string, body map[string]any) (int, map[string]any) {
		r := w.Do("POST", "/api/tenants/acme/accounts/"+account+"/steps/done", token, body)
		return r.Status, r.JSON()
	}
	_, other := w.User("acme", "collector")
	for _, c := range []struct {
		name   string
		token  string
		body   map[string]any
		status int
		code   string
	}{
		{"no note", w.collector, map[string]any{"step": "D+20:credit_suspension"}, 400, ""},
		{"unknown step", w.collector, map[string]any{"step": "D+21:credit_suspension", "note": "x"}, 400, ""},
		{"not due yet", w.collector, map[string]any{"step": "D+40:legal", "note": "x"}, 422, "step_not_due"},
		{"another collector's account", other, map[string]any{"step": "D+20:credit_suspension", "note": "x"}, 404, ""},
		{"a client", w.client, map[string]any{"step": "D+20:credit_suspension", "note": "x"}, 403, ""},
	} {
		if st, body := done(c.token, "F-1", c.body); st != c.status || (c.code != "" && body["code"] != c.code) {
			t.Errorf("%s: %d %v", c.name, st, body)
		}
	}
	st, body := done(w.collector, "F-1", map[string]any{"step": "D+20:credit_suspension", "note": "Se notificó al cliente por correo la suspensión del crédito."})
	if st != 200 || body["already"] != false {
		t.Fatalf("mark done: %d %v", st, body)
	}
	next, _ := body["nextAction"].(map[string]any)
	if next["type"] != "legal" || !strings.HasPrefix(next["due"].(string), "2026-03-13") {
		t.Fatalf("next action: %v", body)
	}
	if q := w.queue(w.collector, ""); len(q) != 1 || q[0].AccountID != "F-2" { // F-2's own suspension is left
		t.Fatalf("queue after: %+v", q)
	}
	// Again, by the manager: nothing new.
	if st, body := done(w.manager, "F-1", map[string]any{"step": "D+20:credit_suspension", "note": "otra vez"}); st != 200 || body["already"] != true {
		t.Fatalf("again: %d %v", st, body)
	}
	tl := w.timeline(w.manager, "F-1")
	n := 0
	for _, a := range tl["activities"].([]any) {
		m := a.(map[string]any)
		if m["outcome"] == "done" {
			n++
			if m["channel"] != "credit_suspension" || !strings.Contains(m["note"].(string), "suspensión del crédito") {
				t.Fatalf("activity: %v", m)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d done activities, want 1: %v", n, tl["activities"])
	}
	// The legal stage, once due, is a task too and is marked the same way.
	w.setQueueClock(at("2026-03-13 09:00"))
	if q := w.queue(w.collector, "?type=legal"); len(q) != 1 {
		t.Fatalf("legal task: %+v", q)
	}
	if st, body := done(w.collector, "F-1", map[string]any{"step": "D+40:legal", "note": "Expediente enviado al abogado."}); st != 200 || body["nextAction"] != nil {
		t.Fatalf("legal done: %d %v", st, body)
	}
}

// The queue remembers the account checks of its rows between reads; a
// write to an account that no hook hears (an online payment) still takes
// the account off at the next read, because the store reports every write.
func TestQueueRowChecksForgetWrittenAccounts(t *testing.T) {
	w := newQueueEnv(t)
	if r := w.Do("POST", "/api/tenants/acme/worklists/rebuild", w.manager, nil); r.Status != 200 {
		t.Fatal(r.Status)
	}
	for range 2 { // the second read is served from the remembered checks
		if q := w.queue(w.collector, ""); len(q) != 2 {
			t.Fatalf("queue: %+v", q)
		}
	}
	sc := w.App.DB.Tenant("acme")
	if err := postPayment(w, sc, "F-1", 100000000); err != nil {
		t.Fatal(err)
	}
	if q := w.queue(w.collector, ""); len(q) != 1 || q[0].AccountID != "F-2" {
		t.Fatalf("after the online payment: %+v", q)
	}
}
