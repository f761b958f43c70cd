package web_test

import (
	"testing"
)

// The timeline says who acted, by name, and keeps the attempts the rules
// refused with their reason; consent keeps its history and asks for evidence
// before a channel the debtor refused is authorized again; contacts carry the
// person, the role and the kind of address.
func TestTimelineNamesAndBlockedAttempts(t *testing.T) {
	w := newWorkEnv(t)
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "contacted"}); r.Status != 201 {
		t.Fatalf("weekday call: %d %s", r.Status, r.Body)
	}
	w.setClock(at("2026-03-15 10:00")) // Sunday
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "no_answer"}); r.Status != 422 {
		t.Fatalf("Sunday call: %d %s", r.Status, r.Body)
	}
	tl := w.timeline(w.manager, "F-1")
	acts := tl["activities"].([]any)
	if len(acts) != 1 {
		t.Fatalf("refused call recorded as a contact: %v", acts)
	}
	a := acts[0].(map[string]any)
	if a["byName"] != "U collector" || a["byRole"] != "collector" {
		t.Fatalf("activity without the person's name: %v", a)
	}
	blocked := tl["blocked"].([]any)
	if len(blocked) != 1 {
		t.Fatalf("blocked attempts: %v", tl["blocked"])
	}
	b := blocked[0].(map[string]any)
	if b["code"] != "sunday" || b["channel"] != "call" || b["byName"] != "U collector" || b["reason"] == "" || b["next"] == nil {
		t.Fatalf("blocked attempt: %v", b)
	}
	// Another account of the same debtor has no blocked attempts of its own.
	if got := w.timeline(w.manager, "F-2")["blocked"].([]any); len(got) != 0 {
		t.Fatalf("F-2 blocked: %v", got)
	}
	// The refusal is in the audit trail too.
	list, err := w.App.Audit.List(w.Ctx(), "acme", "activity.blocked", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("audit activity.blocked: %d %v", len(list), err)
	}
}

func TestConsentHistoryAndEvidence(t *testing.T) {
	w := newWorkEnv(t)
	put := func(token string, body map[string]any) map[string]any {
		t.Helper()
		r := w.Do("PUT", "/api/tenants/acme/debtors/900100200/consent", token, body)
		if r.Status != 200 {
			t.Fatalf("consent %v: %d %s", body, r.Status, r.Body)
		}
		return r.JSON()
	}
	put(w.collector, map[string]any{"channels": map[string]any{"call": map[string]any{"optedOut": true}}, "how": "llamada grabada"})
	w.setClock(at("2026-03-11 10:00"))
	// Authorizing again a channel the debtor refused needs the proof.
	r := w.Do("PUT", "/api/tenants/acme/debtors/900100200/consent", w.collector, map[string]any{
		"channels": map[string]any{"call": map[string]any{"authorized": true}}, "how": "correo del deudor"})
	if r.Status != 400 || r.JSON()["fields"].(map[string]any)["evidence"] == nil {
		t.Fatalf("re-authorize without evidence: %d %s", r.Status, r.Body)
	}
	v := put(w.manager, map[string]any{"channels": map[string]any{"call": map[string]any{"authorized": true}},
		"how": "correo del deudor", "evidence": "mensaje 2026-03-11 09:12 de pagos@nunez.co"})
	hist := v["history"].([]any)
	// Newest first: call authorized (manager), call opted out (collector),
	// then the defaults carried from the file (call, email, sms) by "import".
	if len(hist) != 5 {
		t.Fatalf("history: %v", hist)
	}
	first, second := hist[0].(map[string]any), hist[1].(map[string]any)
	if first["channel"] != "call" || first["change"] != "authorized" || first["byName"] != "U manager" ||
		first["evidence"] != "mensaje 2026-03-11 09:12 de pagos@nunez.co" || first["how"] != "correo del deudor" {
		t.Fatalf("latest change: %v", first)
	}
	if second["change"] != "opted_out" || second["byName"] != "U collector" || second["byRole"] != "collector" {
		t.Fatalf("opt-out change: %v", second)
	}
	for _, e := range hist[2:] {
		if m := e.(map[string]any); m["by"] != "import" || m["change"] != "authorized" {
			t.Fatalf("carried default: %v", m)
		}
	}
	// Saving the same choice again adds nothing; the window does.
	v = put(w.collector, map[string]any{"channels": map[string]any{"call": map[string]any{"authorized": true}}, "how": "confirmado",
		"preferredWindow": map[string]any{"from": "08:00", "to": "12:00"}})
	hist = v["history"].([]any)
	if len(hist) != 6 || hist[0].(map[string]any)["change"] != "window_set" || hist[0].(map[string]any)["window"] != "08:00-12:00" {
		t.Fatalf("history after window: %v", hist)
	}
	// The call is allowed again.
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "contacted"}); r.Status != 201 {
		t.Fatalf("call after re-authorization: %d %s", r.Status, r.Body)
	}
	// The same history reads back.
	if got := w.Do("GET", "/api/tenants/acme/debtors/900100200/consent", w.collector, nil).JSON()["history"].([]any); len(got) != 6 {
		t.Fatalf("read history: %v", got)
	}
}

func TestContactPersonRoleAndLabel(t *testing.T) {
	w := newWorkEnv(t)
	r := w.Do("POST", "/api/tenants/acme/debtors/900100200/contacts", w.collector, map[string]any{
		"kind": "address", "value": "Cra 7 # 71-21 Of. 502", "city": "Bogotá", "label": "billing", "person": " Marta Ruiz ", "role": "Tesorería"})
	if r.Status != 201 {
		t.Fatalf("add address: %d %s", r.Status, r.Body)
	}
	r = w.Do("POST", "/api/tenants/acme/debtors/900100200/contacts", w.collector, map[string]any{
		"kind": "address", "value": "Calle 13 # 40-10 Bodega 3", "city": "Bogotá", "label": "delivery"})
	if r.Status != 201 {
		t.Fatalf("add second address: %d %s", r.Status, r.Body)
	}
	if r := w.Do("POST", "/api/tenants/acme/debtors/900100200/contacts", w.collector, map[string]any{
		"kind": "phone", "value": "3109876543", "label": "garage"}); r.Status != 400 || r.JSON()["fields"].(map[string]any)["label"] == nil {
		t.Fatalf("unknown label: %d %s", r.Status, r.Body)
	}
	d := w.Do("GET", "/api/tenants/acme/accounts/F-1", w.collector, nil).JSON()["debtor"].(map[string]any)
	var billing, delivery map[string]any
	for _, c := range d["contacts"].([]any) {
		m := c.(map[string]any)
		switch m["label"] {
		case "billing":
			billing = m
		case "delivery":
			delivery = m
		}
	}
	if billing == nil || billing["person"] != "Marta Ruiz" || billing["role"] != "Tesorería" || billing["city"] != "Bogotá" {
		t.Fatalf("billing address: %v", d["contacts"])
	}
	if delivery == nil || delivery["person"] != nil {
		t.Fatalf("delivery address: %v", d["contacts"])
	}
}
