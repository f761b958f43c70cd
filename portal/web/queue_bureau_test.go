package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
)

// The credit-bureau workflow: a prior notice per account through the
// outbox, the 20 days counted from it, accounts with an open dispute or a
// current plan blocked with the reason, and the export for the client.
func TestBureauNoticeWorkflow(t *testing.T) {
	w := newWorkEnv(t) // debtor 900100200 owes F-1 (1.000.000) and F-2 (250.000); Tuesday 2026-03-10
	w.setQueueClock(w.clock)
	// F-3 belongs to a debtor whose name a spreadsheet would run as a formula.
	if m := w.Import("acme", w.client, "f.csv", []byte(csvHeader+"800200300;=HYPERLINK(\"http://x\");F-3;2026-01-15;900.000;f3@ejemplo.co;\n")); num(m, "inserted") != 1 {
		t.Fatalf("import: %v", m)
	}
	for _, doc := range []string{"900100200", "800200300"} {
		if r := w.Do("POST", "/api/tenants/acme/debtors/"+doc+"/contacts", w.manager, map[string]any{"kind": "address", "value": "Calle 10 # 20-30", "city": "Medellín"}); r.Status != 201 {
			t.Fatalf("address: %d %s", r.Status, r.Body)
		}
	}
	notice := func(token, account, channel string) (int, map[string]any) {
		r := w.Do("POST", "/api/tenants/acme/accounts/"+account+"/bureau-notices", token, map[string]any{"channel": channel})
		return r.Status, r.JSON()
	}
	// An e-mail notice counts once the outbox has sent it.
	st, it := notice(w.manager, "F-1", "email")
	if st != 201 || it["status"] != "notice_missing" || !strings.Contains(it["reason"].(string), "bandeja de salida") {
		t.Fatalf("email notice: %d %v", st, it)
	}
	if st, it := notice(w.manager, "F-1", "letter"); st != 422 || it["code"] != "notice_same_day" {
		t.Fatalf("second notice the same day: %d %v", st, it)
	}
	// A letter counts from the day it is generated (it is dated that day).
	if st, it := notice(w.manager, "F-2", "letter"); st != 201 || it["status"] != "waiting" || it["reportFrom"] != "2026-03-31" {
		t.Fatalf("letter notice: %d %v", st, it)
	}
	if st, it := notice(w.manager, "F-3", "letter"); st != 201 || it["status"] != "waiting" {
		t.Fatalf("F-3 notice: %d %v", st, it)
	}
	for _, c := range []struct {
		name, token, account, channel string
		status                        int
	}{
		{"collectors do not send notices", w.collector, "F-1", "letter", 403},
		{"nor clients", w.client, "F-1", "letter", 403},
		{"unknown channel", w.manager, "F-1", "sms", 400},
		{"unknown account", w.manager, "F-9", "letter", 404},
	} {
		if st, body := notice(c.token, c.account, c.channel); st != c.status {
			t.Errorf("%s: %d %v", c.name, st, body)
		}
	}
	// F-2 gets disputed by the debtor; F-3 enters an installment plan.
	code := w.Do("POST", "/api/tenants/acme/debtors/900100200/access-code", w.manager, nil).JSON()["code"]
	r := w.Do("POST", "/api/debtor/login", "", map[string]any{"tenant": "acme", "document": "900100200", "code": code})
	if r.Status != 200 {
		t.Fatalf("debtor login: %d %s", r.Status, r.Body)
	}
	debtor := r.JSON()["token"].(string)
	if r := w.Do("POST", "/api/debtor/disputes", debtor, map[string]any{"accountIds": []string{"F-2"}, "reason": "wrong_amount", "description": "El valor es otro"}); r.Status != 201 {
		t.Fatalf("dispute: %d %s", r.Status, r.Body)
	}
	// (The plan is set on the account as the plans service records it.)
	sc := w.App.DB.Tenant("acme")
	if err := sc.C("accounts").Update(context.Background(), sc.ID("F-3"), bson.D{{Key: "$set", Value: bson.D{{Key: "planId", Value: "acme:plan-1"}}}}); err != nil {
		t.Fatal(err)
	}
	// 22 days later the letter's period is over; the e-mail was never sent.
	w.setQueueClock(at("2026-04-01 09:00"))
	list := func(token, q string) []map[string]any {
		r := w.Do("GET", "/api/tenants/acme/bureau"+q, token, nil)
		if r.Status != 200 {
			t.Fatalf("list %s: %d %s", q, r.Status, r.Body)
		}
		var out struct{ Items []map[string]any }
		r.Decode(t, &out)
		return out.Items
	}
	all := list(w.manager, "")
	byID := map[string]map[string]any{}
	for _, it := range all {
		byID[it["accountId"].(string)] = it
	}
	if len(all) != 3 || byID["F-1"]["status"] != "notice_missing" || byID["F-2"]["status"] != "blocked" || byID["F-2"]["code"] != "dispute_open" ||
		byID["F-3"]["status"] != "blocked" || byID["F-3"]["code"] != "plan_active" || !strings.Contains(byID["F-3"]["reason"].(string), "acuerdo de pago") {
		t.Fatalf("list: %v", all)
	}
	// A second F-1 notice by letter, today: waiting from today.
	if st, it := notice(w.manager, "F-1", "letter"); st != 201 || it["status"] != "waiting" || it["reportFrom"] != "2026-04-22" {
		t.Fatalf("F-1 letter: %d %v", st, it)
	}
	w.setQueueClock(at("2026-04-22 08:00"))
	if rep := list(w.client, "?status=reportable"); len(rep) != 1 || rep[0]["accountId"] != "F-1" {
		t.Fatalf("reportable: %v", rep)
	}
	if r := w.Do("GET", "/api/tenants/acme/bureau", w.collector, nil); r.Status != 403 {
		t.Fatalf("collector list: %d", r.Status)
	}
	if r := w.Do("GET", "/api/tenants/acme/bureau?status=x", w.manager, nil); r.Status != 400 {
		t.Fatalf("bad status: %d", r.Status)
	}
	// The export: BOM, semicolons, every listed account with its status,
	// and no cell a spreadsheet would run.
	r = w.Do("GET", "/api/tenants/acme/bureau/export.csv", w.client, nil)
	if r.Status != 200 || !bytes.HasPrefix(r.Body, []byte("\ufeff")) {
		t.Fatalf("export: %d %q", r.Status, r.Body)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff"))))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "factura" {
		t.Fatalf("export rows: %v %v", rows, err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Fatalf("formula cell %q in %v", cell, row)
			}
		}
		if row[0] == "F-1" && (row[1] != "900100200" || row[10] != "reportable" || row[5] != "1.000.000,00") {
			t.Fatalf("F-1 row: %v", row)
		}
	}
}
