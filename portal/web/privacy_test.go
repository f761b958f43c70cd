package web_test

import (
	"strings"
	"testing"
	"time"

	"cartera/portal/apptest"
	"cartera/portal/privacy"
)

// A debtor sees the personal data held about them and files data requests
// (Ley 1581 de 2012) that carry their legal deadline; the client company
// lists them closest deadline first, sees what is overdue, extends once with
// reasons and answers; the debtor reads the answer. Every step is audited
// once and nobody else sees the requests.
func TestDebtorPrivacyRequests(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	_, mgr := e.User("acme", "manager")
	_, client := e.User("acme", "client")
	_, collector := e.User("acme", "collector")
	_, otherClient := e.User("globex", "client")
	e.Import("acme", mgr, "p.csv", []byte("documento,nombre,factura,vencimiento,valor,correo,direccion\n"+
		"80123456,José Núñez,A1,2026-01-01,1000,jose@correo.co,Calle 1\n80999999,Ana Gómez,B1,2026-01-01,500,,\n"))
	login := func(doc string) string {
		code := e.Do("POST", "/api/tenants/acme/debtors/"+doc+"/access-code", mgr, nil).JSON()["code"].(string)
		r := e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": doc, "code": code})
		if r.Status != 200 {
			t.Fatalf("login %s: %d", doc, r.Status)
		}
		return r.JSON()["token"].(string)
	}
	jose, ana := login("80123456"), login("80999999")
	audits := func(action string) int {
		l, _ := e.App.Audit.List(e.Ctx(), "acme", action, 100)
		return len(l)
	}

	// What is held.
	r := e.Do("GET", "/api/debtor/privacy", jose, nil)
	if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("data: %d %s", r.Status, r.Body)
	}
	var held struct {
		Controller, Name, Document string
		Contacts                   []struct{ Kind, Value string }
		Accounts                   []struct {
			Invoice string
			Balance int64
		}
		Purposes, Records []string
	}
	r.Decode(t, &held)
	body := string(r.Body)
	if held.Controller != "Empresa acme" || held.Name != "José Núñez" || held.Document != "80123456" ||
		len(held.Accounts) != 1 || held.Accounts[0].Invoice != "A1" || held.Accounts[0].Balance != 100000 ||
		!strings.Contains(body, "jose@correo.co") || !strings.Contains(body, "Calle 1") || len(held.Purposes) == 0 || len(held.Records) == 0 {
		t.Fatalf("held data: %s", body)
	}
	if strings.Contains(body, "Ana") || strings.Contains(body, "accessCode") {
		t.Fatalf("held data shows another debtor or a secret: %s", body)
	}
	if n := audits("privacy.data.viewed"); n != 1 {
		t.Fatalf("%d privacy.data.viewed records, want 1", n)
	}

	// Filing: a consulta (10 business days) and a reclamo (15).
	svc := privacy.New(nil, nil, nil)
	bog, _ := time.LoadLocation("America/Bogota")
	today := time.Now().In(bog)
	for _, c := range []struct {
		body   any
		status int
		kind   string
		days   int
	}{
		{map[string]string{"type": "access"}, 201, "consulta", 10},
		{map[string]string{"type": "access"}, 409, "", 0}, // one open request of a type at a time
		{map[string]string{"type": "delete", "message": "Borren mi correo: ya no lo uso."}, 201, "reclamo", 15},
		{map[string]string{"type": "update"}, 400, "", 0}, // a reclamo says what to change
		{map[string]string{"type": "forget-me"}, 400, "", 0},
		{`{"type":{"$ne":""}}`, 400, "", 0},
		{map[string]string{"type": "rectify", "message": strings.Repeat("x", 2001)}, 400, "", 0},
		{`{"type":"revoke","message":"x","status":"answered"}`, 400, "", 0}, // no mass assignment
	} {
		r := e.Do("POST", "/api/debtor/privacy/requests", jose, c.body)
		if r.Status != c.status {
			t.Fatalf("file %v: %d %s", c.body, r.Status, r.Body)
		}
		if c.status != 201 {
			continue
		}
		m := r.JSON()
		if want := svc.AddBusinessDays("CO", today, c.days).Format(time.DateOnly); m["due"] != want || m["kind"] != c.kind || m["status"] != "open" || m["overdue"] != false {
			t.Fatalf("filed %v: %s, want due %s", c.body, r.Body, want)
		}
	}
	if n := audits("privacy.request.filed"); n != 2 {
		t.Fatalf("%d privacy.request.filed records, want 2", n)
	}

	// An old request left unanswered is overdue.
	if err := e.App.DB.Tenant("acme").C("privacy_requests").Insert(e.Ctx(), privacy.Request{
		ID: "acme:old", TenantID: "acme", DebtorID: "acme:80999999", DebtorName: "Ana Gómez", Type: "access", Kind: "consulta",
		Status: privacy.StatusOpen, FiledAt: time.Now().AddDate(0, -1, 0), Due: time.Now().AddDate(0, 0, -10).Format(time.DateOnly),
		Basis: "Ley 1581 de 2012, art. 14", History: []privacy.Event{}}); err != nil {
		t.Fatal(err)
	}

	// The controller's list: closest deadline first, overdue flagged.
	var list struct {
		Items []struct {
			ID, Type, Status, Due string
			Overdue               bool
			Debtor                map[string]any
		}
	}
	r = e.Do("GET", "/api/tenants/acme/privacy/requests?status=open", client, nil)
	if r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	r.Decode(t, &list)
	if len(list.Items) != 3 || list.Items[0].ID != "old" || !list.Items[0].Overdue || list.Items[1].Type != "access" ||
		list.Items[2].Type != "delete" || list.Items[1].Overdue || list.Items[2].Debtor["document"] != "80123456" {
		t.Fatalf("controller's list: %s", r.Body)
	}
	deleteID, due := list.Items[2].ID, list.Items[2].Due
	for who, tok := range map[string]string{"collector": collector, "debtor": jose} {
		if r := e.Do("GET", "/api/tenants/acme/privacy/requests", tok, nil); r.Status != 403 {
			t.Errorf("%s lists requests: %d", who, r.Status)
		}
	}
	if r := e.Do("GET", "/api/tenants/acme/privacy/requests", otherClient, nil); r.Status != 404 {
		t.Errorf("another tenant's client: %d", r.Status)
	}
	if r := e.Do("POST", "/api/tenants/globex/privacy/requests/"+deleteID+"/answer", e.Admin, map[string]string{"decision": "answered", "response": "x"}); r.Status != 404 {
		t.Errorf("answered through another tenant: %d", r.Status)
	}
	if r := e.Do("GET", "/api/debtor/privacy/requests", ana, nil); r.Status != 200 || strings.Contains(string(r.Body), "Borren") {
		t.Errorf("another debtor sees the request: %d %s", r.Status, r.Body)
	}

	// Extend once with reasons (8 more business days), then answer.
	answer := func(body map[string]string, status int) map[string]any {
		t.Helper()
		r := e.Do("POST", "/api/tenants/acme/privacy/requests/"+deleteID+"/answer", client, body)
		if r.Status != status {
			t.Fatalf("answer %v: %d %s", body, r.Status, r.Body)
		}
		return r.JSON()
	}
	answer(map[string]string{"decision": "extend"}, 400) // reasons are required
	dueDay, _ := time.ParseInLocation(time.DateOnly, due, bog)
	m := answer(map[string]string{"decision": "extend", "response": "Verificamos con el área de facturación."}, 200)
	if want := svc.AddBusinessDays("CO", dueDay, 8).Format(time.DateOnly); m["status"] != "extended" || m["due"] != want {
		t.Fatalf("extended: %v, want due %s", m, want)
	}
	answer(map[string]string{"decision": "extend", "response": "otra vez"}, 422)
	answer(map[string]string{"decision": "answered", "response": "Eliminamos su correo de nuestros registros."}, 200)
	answer(map[string]string{"decision": "rejected", "response": "tarde"}, 409)

	// The debtor reads the answer and the history.
	r = e.Do("GET", "/api/debtor/privacy/requests", jose, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "Eliminamos su correo") || !strings.Contains(string(r.Body), "Verificamos con el área") ||
		strings.Contains(string(r.Body), `"document"`) {
		t.Fatalf("debtor's list: %s", r.Body)
	}
	if f, x, a := audits("privacy.request.filed"), audits("privacy.request.extended"), audits("privacy.request.answered"); f != 2 || x != 1 || a != 1 {
		t.Fatalf("audit: %d filed, %d extended, %d answered; want 2, 1, 1", f, x, a)
	}
}
