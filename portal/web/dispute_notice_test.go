package web_test

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/debtors"
	"cartera/portal/outbox"
)

// Every decision on a dispute tells the debtor through the outbox, in the
// debtor's language (Spanish unless another was recorded), without the
// document number, once per decision; a partial credit says so.
func TestDisputeNotice(t *testing.T) {
	e := newDebtorEnv(t)
	ctx := e.Ctx()
	sc := e.App.DB.Tenant("acme")
	if r := e.Do("POST", "/api/tenants/acme/debtors/80123456/contacts", e.manager, map[string]any{"kind": "email", "value": "jose@nunez.co"}); r.Status != 201 {
		t.Fatalf("contact: %d %s", r.Status, r.Body)
	}
	jose := e.session("acme", "80123456")
	maria := e.session("acme", "900123456")
	open := func(token string, ids ...string) string {
		t.Helper()
		r := e.openDispute(token, ids, "wrong_amount", "El valor no corresponde al pedido", "", nil)
		if r.Status != 201 {
			t.Fatalf("open dispute: %d %s", r.Status, r.Body)
		}
		return r.JSON()["id"].(string)
	}
	notice := func(disputeKey, status string) outbox.Message {
		t.Helper()
		var m outbox.Message
		if err := sc.C("outbox").Get(ctx, debtors.NoticeID(sc, sc.ID(disputeKey), status), &m); err != nil {
			t.Fatalf("notice of %s %s: %v", disputeKey, status, err)
		}
		return m
	}

	// José: a partial credit of 300.000,00 over A1 and A2 (1.200.000,00 disputed).
	d1 := open(jose, "A1", "A2")
	r := e.Do("POST", "/api/tenants/acme/disputes/"+d1+"/resolve", e.client, map[string]any{"decision": "accept", "creditAmount": 30000000, "note": "Abonamos el flete cobrado de más."})
	if r.Status != 200 || r.JSON()["creditAmount"].(float64) != 30000000 {
		t.Fatalf("accept partial: %d %s", r.Status, r.Body)
	}
	m := notice(d1, "accepted")
	if m.Channel != "email" || m.To != "jose@nunez.co" || m.Status != outbox.StatusQueued || m.Template != "dispute_partial" || m.DebtorID != "acme:80123456" {
		t.Errorf("partial notice: %+v", m)
	}
	for _, want := range []string{"José Núñez", "A1, A2", "aceptó en parte", "$ 300.000,00", "Abonamos el flete", "http://127.0.0.1/pay/acme"} {
		if !strings.Contains(m.Subject+m.Body, want) {
			t.Errorf("partial notice lacks %q:\n%s\n%s", want, m.Subject, m.Body)
		}
	}
	// Resolving again is a conflict and writes nothing more.
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+d1+"/resolve", e.client, map[string]any{"decision": "reject", "note": "otra vez"}); r.Status != 409 {
		t.Errorf("second resolution: %d", r.Status)
	}
	if n, _ := sc.C("outbox").Count(ctx, bson.D{{Key: "debtorId", Value: "acme:80123456"}}); n != 1 {
		t.Errorf("José has %d messages, want 1", n)
	}

	// María has no contact on file: the notice is held, and the note that
	// quoted her document number reaches her masked.
	d2 := open(maria, "B1")
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+d2+"/resolve", e.manager, map[string]any{"decision": "reject", "note": "El pago con cédula 900123456 se aplicó a otra factura."}); r.Status != 200 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	m = notice(d2, "rejected")
	if m.Status != outbox.StatusHeld || m.Code != "no_contact" || m.Template != "dispute_rejected" {
		t.Errorf("held notice: %+v", m)
	}
	if strings.Contains(m.Subject+m.Body, "900123456") || !strings.Contains(m.Body, "Motivo: El pago con cédula •••••3456") {
		t.Errorf("rejection notice:\n%s", m.Body)
	}

	// A debtor who chose English reads English; a full credit is "accepted".
	if err := sc.C("debtors").Update(ctx, "acme:80123456", bson.D{{Key: "$set", Value: bson.D{{Key: "lang", Value: "en"}}}}); err != nil {
		t.Fatal(err)
	}
	d3 := open(jose, "A2")
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+d3+"/resolve", e.client, map[string]any{"decision": "accept"}); r.Status != 200 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	m = notice(d3, "accepted")
	if m.Template != "dispute_accepted" || !strings.Contains(m.Subject, "your dispute was accepted") || !strings.Contains(m.Body, "Dear José Núñez") || strings.Contains(m.Body, "80123456") {
		t.Errorf("English notice: %s\n%s", m.Subject, m.Body)
	}
	// The list filters by status.
	r = e.Do("GET", "/api/tenants/acme/disputes?status=accepted", e.client, nil)
	if items := r.JSON()["items"].([]any); r.Status != 200 || len(items) != 2 {
		t.Errorf("accepted disputes: %d %s", r.Status, r.Body)
	}
	// The audit says a notice went with each decision.
	if l, _ := e.App.Audit.List(ctx, "acme", "dispute.notice", 10); len(l) != 3 {
		t.Errorf("dispute.notice audit entries: %d", len(l))
	}
}
