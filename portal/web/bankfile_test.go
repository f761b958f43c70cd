package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"cartera/payments/bankfile"
	"cartera/portal/accounts"
	"cartera/portal/apptest"
)

// bankEnv is the money test's tenant (debtor 555 owes M1, overdue 300 days)
// plus 777 (S1, 500.000,00, not due), and 888 with O1 (100.000,00, due on
// the same day as M1, so it owes late interest) and O2 (300.000,00, not due).
func newBankEnv(t *testing.T) moneyEnv {
	return newMoneyEnv(t, 1_000_000_000, "2026-02-09",
		"777,Deudor Siete,S1,2026-12-31,500000.00",
		"888,Deudor Ocho,O1,2026-02-09,100000.00",
		"888,Deudor Ocho,O2,2026-12-31,300000.00")
}

func (e moneyEnv) statementOf(session string) moneyStatement {
	e.T.Helper()
	r := e.Do("GET", "/api/debtor/statement", session, nil)
	if r.Status != 200 {
		e.T.Fatalf("statement %d %s", r.Status, r.Body)
	}
	var st moneyStatement
	r.Decode(e.T, &st)
	return st
}

// ledgerOf is an account's balance and number of ledger movements.
func (e moneyEnv) ledgerOf(id string) (int64, int) {
	e.T.Helper()
	r := e.Do("GET", "/api/tenants/acme/accounts/"+id, e.manager, nil)
	if r.Status != 200 {
		e.T.Fatalf("account %s: %d %s", id, r.Status, r.Body)
	}
	var a struct {
		Balance int64             `json:"balance"`
		Ledger  []json.RawMessage `json:"ledger"`
	}
	r.Decode(e.T, &a)
	return a.Balance, len(a.Ledger)
}

type bankMovement struct {
	ID         string   `json:"id"`
	Line       int      `json:"line"`
	Amount     int64    `json:"amount"`
	Status     string   `json:"status"`
	Confidence string   `json:"confidence"`
	Reason     string   `json:"reason"`
	Debtor     string   `json:"debtor"`
	AccountIDs []string `json:"accountIds"`
	Postings   []struct {
		AccountID string `json:"accountId"`
		Amount    int64  `json:"amount"`
	} `json:"postings"`
}

func (e moneyEnv) movements(file, status string) []bankMovement {
	e.T.Helper()
	r := e.Do("GET", "/api/tenants/acme/bank-files/"+file+"/movements?status="+status, e.client, nil)
	if r.Status != 200 {
		e.T.Fatalf("movements: %d %s", r.Status, r.Body)
	}
	var out struct{ Items []bankMovement }
	r.Decode(e.T, &out)
	return out.Items
}

// One Asobancaria file, figures by hand: 777 pays 200.000,00 with its
// reference (posted at once); 888 pays 300.000,00 quoting its document,
// exactly O2's balance (a suggestion); 12.345,00 with an unknown number and
// 50.000,00 with 555's reference mistyped in its check digit (both
// unmatched). Totals: matched 1 / 20.000.000, suggested 1 / 30.000.000,
// unmatched 2 / 6.234.500.
func TestBankFileAsobancariaReconciliation(t *testing.T) {
	e := newBankEnv(t)
	ref777, ref555 := accounts.PaymentReference("acme", "777"), accounts.PaymentReference("acme", "555")
	bad555 := ref555[:len(ref555)-1] + string(rune('0'+(ref555[len(ref555)-1]-'0'+1)%10))
	if _, ok := accounts.ValidReference(bad555); ok {
		t.Fatal("the mistyped reference passes its check digit")
	}
	file := bankfile.BuildAsobancaria("900123456", "007", moneyDay, []bankfile.Collection{
		{Reference: ref777, Amount: 20_000_000}, {Reference: "888", Amount: 30_000_000},
		{Reference: "99999", Amount: 1_234_500}, {Reference: bad555, Amount: 5_000_000}})
	s1Before, s1Moves := e.ledgerOf("S1")

	r := e.UploadForm("/api/tenants/acme/bank-files", e.client, "recaudo.txt", file, map[string]string{"format": "asobancaria"})
	if r.Status != 202 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	f := r.JSON()
	id := f["id"].(string)
	for k, want := range map[string]int{"movements": 4, "matched": 1, "suggested": 1, "unmatched": 2, "matchedAmount": 20_000_000, "suggestedAmount": 30_000_000, "unmatchedAmount": 6_234_500} {
		if num(f, k) != want {
			t.Errorf("%s = %v, want %d (%s)", k, f[k], want, r.Body)
		}
	}
	if f["status"] != "done" {
		t.Fatalf("status %v", f["status"])
	}
	s1After, s1Moves2 := e.ledgerOf("S1")
	if s1Before-s1After != 20_000_000 || s1Moves2 != s1Moves+1 {
		t.Fatalf("S1 balance %d → %d, movements %d → %d", s1Before, s1After, s1Moves, s1Moves2)
	}
	matched := e.movements(id, "matched")
	if len(matched) != 1 || matched[0].Confidence != "high" || matched[0].Reason != "reference" || len(matched[0].Postings) != 1 || matched[0].Postings[0].AccountID != "S1" {
		t.Fatalf("matched %+v", matched)
	}
	sug := e.movements(id, "suggested")
	if len(sug) != 1 || sug[0].Confidence != "medium" || sug[0].Debtor != "888" || strings.Join(sug[0].AccountIDs, ",") != "O2" {
		t.Fatalf("suggested %+v", sug)
	}
	un := e.movements(id, "unmatched")
	if len(un) != 2 || un[1].Reason != "invalid_reference" || un[1].Line != 6 || un[0].Reason != "" {
		t.Fatalf("unmatched %+v", un)
	}

	// The same file again changes nothing: same id, same ledger.
	m1Bal, m1Moves := e.ledgerOf("M1")
	r2 := e.UploadForm("/api/tenants/acme/bank-files", e.manager, "recaudo-otra-vez.txt", file, nil) // format told by content
	if r2.Status != 202 || r2.JSON()["id"] != id || num(r2.JSON(), "matched") != 1 {
		t.Fatalf("re-upload: %d %s", r2.Status, r2.Body)
	}
	if b, n := e.ledgerOf("S1"); b != s1After || n != s1Moves2 {
		t.Fatalf("re-upload moved S1: %d %d", b, n)
	}
	if b, n := e.ledgerOf("M1"); b != m1Bal || n != m1Moves {
		t.Fatalf("re-upload moved M1: %d %d", b, n)
	}

	// Confirm the suggestion split across O1 and O2: O1 takes what it owes,
	// interest first; O2 the rest; the debtor owes exactly 300.000,00 less.
	d888 := e.session("acme", "888")
	before := e.statementOf(d888)
	var o1Owed, o1Interest int64
	for _, a := range before.Accounts {
		if a.ID == "O1" {
			o1Owed, o1Interest = a.Owed, a.Interest
		}
	}
	if o1Interest <= 0 || o1Owed != 10_000_000+o1Interest {
		t.Fatalf("O1 should owe interest: %+v", before.Accounts)
	}
	over := e.Do("POST", "/api/tenants/acme/bank-files/"+id+"/movements/"+sug[0].ID+"/confirm", e.client, map[string]any{"accountIds": []string{"O1"}})
	if over.Status != 422 || !strings.Contains(string(over.Body), "over_owed") {
		t.Fatalf("confirm beyond O1's debt: %d %s", over.Status, over.Body)
	}
	c := e.Do("POST", "/api/tenants/acme/bank-files/"+id+"/movements/"+sug[0].ID+"/confirm", e.client, map[string]any{"accountIds": []string{"O1", "O2"}})
	if c.Status != 200 {
		t.Fatalf("confirm: %d %s", c.Status, c.Body)
	}
	var cm bankMovement
	c.Decode(t, &cm)
	if cm.Status != "matched" || len(cm.Postings) != 2 || cm.Postings[0].Amount != o1Owed || cm.Postings[1].Amount != 30_000_000-o1Owed {
		t.Fatalf("confirmed %+v (O1 owed %d)", cm, o1Owed)
	}
	after := e.statementOf(d888)
	if before.Owed-after.Owed != 30_000_000 {
		t.Fatalf("owed %d → %d: fell by %d, want 30.000.000", before.Owed, after.Owed, before.Owed-after.Owed)
	}
	for _, a := range after.Accounts {
		if a.ID == "O1" {
			t.Fatalf("O1 still owes: %+v", a)
		}
		if a.ID == "O2" && a.Balance != 30_000_000-(30_000_000-o1Owed) {
			t.Fatalf("O2 balance %d", a.Balance)
		}
	}
	if again := e.Do("POST", "/api/tenants/acme/bank-files/"+id+"/movements/"+sug[0].ID+"/confirm", e.client, nil); again.Status != 422 {
		t.Fatalf("confirm twice: %d %s", again.Status, again.Body)
	}

	// Reject the unknown one.
	rj := e.Do("POST", "/api/tenants/acme/bank-files/"+id+"/movements/"+un[0].ID+"/reject", e.client, map[string]any{})
	if rj.Status != 200 || !strings.Contains(string(rj.Body), `"status":"rejected"`) {
		t.Fatalf("reject: %d %s", rj.Status, rj.Body)
	}
	g := e.Do("GET", "/api/tenants/acme/bank-files/"+id, e.client, nil).JSON()
	for k, want := range map[string]int{"matched": 2, "suggested": 0, "unmatched": 1, "rejected": 1, "matchedAmount": 50_000_000, "unmatchedAmount": 5_000_000} {
		if num(g, k) != want {
			t.Errorf("after review %s = %v, want %d", k, g[k], want)
		}
	}
	if len(e.movements(id, "rejected")) != 1 {
		t.Error("rejected list")
	}

	// Another tenant's user: 404 on every route; a collector: 403.
	e.Tenant("globex")
	_, other := e.User("globex", "client")
	_, collector := e.User("acme", "collector")
	base := "/api/tenants/acme/bank-files"
	for _, c := range []struct{ method, path string }{
		{"GET", base + "/" + id}, {"GET", base + "/" + id + "/movements"},
		{"POST", base + "/" + id + "/movements/4/confirm"}, {"POST", base + "/" + id + "/movements/4/reject"},
	} {
		if r := e.Do(c.method, c.path, other, map[string]any{}); r.Status != 404 {
			t.Errorf("%s %s by another tenant: %d", c.method, c.path, r.Status)
		}
		if r := e.Do(c.method, c.path, collector, map[string]any{}); r.Status != 403 {
			t.Errorf("%s %s by a collector: %d", c.method, c.path, r.Status)
		}
	}
	if r := e.UploadForm(base, other, "x.txt", file, nil); r.Status != 404 {
		t.Errorf("upload by another tenant: %d", r.Status)
	}
}

// A file whose control record disagrees with its lines is refused whole,
// with the line of the control record.
func TestBankFileControlTotalsMismatch(t *testing.T) {
	e := newBankEnv(t)
	file := string(bankfile.BuildAsobancaria("900123456", "007", moneyDay, []bankfile.Collection{
		{Reference: accounts.PaymentReference("acme", "777"), Amount: 20_000_000}, {Reference: "1", Amount: 100}}))
	file = strings.Replace(file, "09000000002000000000020000100", "09000000002000000000020000200", 1)
	before, n := e.ledgerOf("S1")
	r := e.UploadForm("/api/tenants/acme/bank-files", e.client, "recaudo.txt", []byte(file), nil)
	if r.Status != 202 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var f struct {
		Status    string
		Movements int
		Errors    []bankfile.LineError
	}
	r.Decode(t, &f)
	if f.Status != "failed" || f.Movements != 0 || len(f.Errors) != 1 || f.Errors[0].Line != 6 || f.Errors[0].Code != "control_mismatch" {
		t.Fatalf("file %+v", f)
	}
	if en := e.Do("GET", "/api/tenants/acme/bank-files/"+r.JSON()["id"].(string)+"?lang=en", e.client, nil).Body; !strings.Contains(string(en), "file control says 2 records for 20000200") {
		t.Errorf("English error: %s", en)
	}
	if b, m := e.ledgerOf("S1"); b != before || m != n {
		t.Fatal("a failed file posted money")
	}
}

// A generic statement through the import's column mapping: the reference
// inside a description posts; the same rows again post nothing.
func TestBankFileGenericCSVWithMapping(t *testing.T) {
	e := newBankEnv(t)
	ref := accounts.PaymentReference("acme", "777")
	csv := "Extracto Banco Uno\nFecha Operación;Valor Abono;Texto;Nit Pagador;Código\n" +
		fmt.Sprintf("06/12/2026;100.000,00;PAGO REF %s SUCURSAL 12;;M-1\n", ref) +
		"06/12/2026;300.000,00;CONSIGNACION;888;M-2\n" +
		"06/12/2026;-50.000,00;COMISION;;M-3\n"
	mapping := `{"Fecha Operación":"date","Valor Abono":"amount","Texto":"reference","Nit Pagador":"document","Código":"movement_id"}`
	before, _ := e.ledgerOf("S1")
	r := e.UploadForm("/api/tenants/acme/bank-files", e.manager, "extracto.csv", []byte(csv), map[string]string{"format": "csv", "mapping": mapping})
	if r.Status != 202 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	f := r.JSON()
	if num(f, "movements") != 2 || num(f, "matched") != 1 || num(f, "suggested") != 1 || num(f, "matchedAmount") != 10_000_000 {
		t.Fatalf("file %s", r.Body)
	}
	after, n := e.ledgerOf("S1")
	if before-after != 10_000_000 {
		t.Fatalf("S1 %d → %d", before, after)
	}
	// The same movements in another file (one more row): nothing twice.
	r2 := e.UploadForm("/api/tenants/acme/bank-files", e.manager, "extracto2.csv", []byte(csv+"07/12/2026;1,00;OTRO;;M-4\n"), map[string]string{"mapping": mapping})
	if r2.Status != 202 || num(r2.JSON(), "matched") != 1 {
		t.Fatalf("second file: %d %s", r2.Status, r2.Body)
	}
	if b, m := e.ledgerOf("S1"); b != after || m != n {
		t.Fatalf("the same movement posted twice: %d %d", b, m)
	}
	// A mapping naming an unknown field is the person's to fix.
	bad := e.UploadForm("/api/tenants/acme/bank-files", e.manager, "extracto.csv", []byte(csv), map[string]string{"mapping": `{"Texto":"colour"}`})
	if bad.Status != 400 {
		t.Fatalf("bad mapping: %d %s", bad.Status, bad.Body)
	}
	_ = apptest.Sandbox
}
