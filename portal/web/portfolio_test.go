package web_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"cartera/portal/apptest"
)

const csvHeader = "Documento;Nombre;Factura;Fecha Vencimiento;Valor;Correo;Celular\n"

func num(m map[string]any, k string) int {
	f, _ := m[k].(float64)
	return int(f)
}

func TestImportCSVCountsErrorsAndData(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	body := csvHeader +
		"900.123.456-7;Ferretería Núñez S.A.S.;F-001;15/01/2026;$ 1.234.567,89;pagos@nunez.co;3001234567\n" +
		"900.123.456-7;Ferretería Núñez S.A.S.;F-002;2026-02-28;500.000;;\n" +
		"80123456;José Pérez;F-003;31/02/2026;100;;\n" + // impossible date
		"80123457;Ana Gómez;F-004;01/03/2026;0;;\n" + // zero amount
		"80123458;Luis Díaz;F-001;01/03/2026;10;;\n" + // same invoice twice in the file
		";Sin Documento;F-005;01/03/2026;10;;\n" // missing document
	// Excel on Spanish Windows writes Windows-1252.
	enc, err := charmap.Windows1252.NewEncoder().String(body)
	if err != nil {
		t.Fatal(err)
	}
	m := e.Import("acme", client, "cartera.csv", []byte(enc))
	if m["status"] != "done" || num(m, "total") != 6 || num(m, "inserted") != 2 || num(m, "rejected") != 4 || num(m, "newDebtors") != 1 {
		t.Fatalf("counts: %v", m)
	}
	errs := m["errors"].([]any)
	wantRows := map[int]string{4: "31/02/2026", 5: "cero", 6: "F-001", 7: "documento"}
	for _, x := range errs {
		er := x.(map[string]any)
		row := int(er["row"].(float64))
		if w, ok := wantRows[row]; ok && strings.Contains(strings.ToLower(er["message"].(string)), strings.ToLower(w)) {
			delete(wantRows, row)
		}
	}
	if len(wantRows) != 0 {
		t.Fatalf("missing row errors %v in %v", wantRows, errs)
	}
	// The stored account reads back as a person would expect.
	r := e.Do("GET", "/api/tenants/acme/accounts/F-001", client, nil)
	a := r.JSON()
	if r.Status != 200 || a["balance"].(float64) != 123456789 || a["dueDate"] != "2026-01-15" {
		t.Fatalf("account: %d %s", r.Status, r.Body)
	}
	d := a["debtor"].(map[string]any)
	if d["name"] != "Ferretería Núñez S.A.S." || d["document"] != "900123456" || len(d["contacts"].([]any)) != 2 {
		t.Fatalf("debtor: %v", d)
	}
	// The full error list downloads as CSV with the row numbers.
	r = e.Do("GET", "/api/tenants/acme/imports/"+m["id"].(string)+"/errors.csv", client, nil)
	if r.Status != 200 || !strings.HasPrefix(string(r.Body), "\ufefffila;columna;motivo") || strings.Count(string(r.Body), "\n") < 5 {
		t.Fatalf("errors.csv: %d %q", r.Status, r.Body)
	}
}

func TestImportIsIdempotentAndRecordsAdjustments(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	file := func(amount2, email string) []byte {
		return []byte("documento,nombre,factura,vencimiento,valor,email\n" +
			"111,Uno Ltda,A1,2026-01-10,\"1,000.00\",\n" +
			"111,Uno Ltda,A2,2026-01-20,2000," + email + "\n" +
			"222,Dos SA,B1,2026-02-01," + amount2 + ",\n")
	}
	m := e.Import("acme", client, "a.csv", file("3000", ""))
	if num(m, "inserted") != 3 || num(m, "rejected") != 0 {
		t.Fatalf("first: %v", m)
	}
	m = e.Import("acme", client, "a.csv", file("3000", ""))
	if num(m, "inserted") != 0 || num(m, "updated") != 0 || num(m, "unchanged") != 3 || num(m, "newDebtors") != 0 {
		t.Fatalf("identical file again: %v", m)
	}
	// Amount changed and a contact added: an adjustment, no duplicate account.
	m = e.Import("acme", client, "b.csv", file("2500", "dos@uno.co"))
	if num(m, "inserted") != 0 || num(m, "updated") != 1 || num(m, "unchanged") != 2 {
		t.Fatalf("changed file: %v", m)
	}
	r := e.Do("GET", "/api/tenants/acme/accounts/B1", client, nil).JSON()
	if r["balance"].(float64) != 250000 || r["originalAmount"].(float64) != 250000 {
		t.Fatalf("after adjustment: %v", r)
	}
	ledger := r["ledger"].([]any)
	if len(ledger) != 2 || ledger[1].(map[string]any)["kind"] != "adjustment" || ledger[1].(map[string]any)["amount"].(float64) != -50000 {
		t.Fatalf("ledger: %v", ledger)
	}
	d := e.Do("GET", "/api/tenants/acme/debtors/111", client, nil).JSON()
	if len(d["contacts"].([]any)) != 1 || len(d["accounts"].([]any)) != 2 {
		t.Fatalf("debtor 111: %v", d)
	}
	// Overlapping file: one known invoice, one new.
	m = e.Import("acme", client, "c.csv", []byte("documento,nombre,factura,vencimiento,valor\n111,Uno Ltda,A1,2026-01-10,1000\n333,Tres,C1,2026-03-01,10\n"))
	if num(m, "inserted") != 1 || num(m, "unchanged") != 1 {
		t.Fatalf("overlap: %v", m)
	}
	list := e.Do("GET", "/api/tenants/acme/accounts", client, nil).JSON()
	if n := len(list["items"].([]any)); n != 4 {
		t.Fatalf("accounts: %d", n)
	}
}

func TestImportXLSXWithDatesAndSerials(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	f := excelize.NewFile()
	rows := [][]any{
		{"NIT", "Razón Social", "Número Factura", "Fecha de vencimiento", "Saldo"},
		{"800100200", "Comercial Éxito", "X-1", 46037, 1500000.5}, // serial date 2026-01-15
		{"800100200", "Comercial Éxito", "X-2", "20/02/2026", 250000},
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			_ = f.SetCellValue("Sheet1", cell, v)
		}
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	_ = f.SetCellStyle("Sheet1", "D2", "D2", style)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	m := e.Import("acme", client, "cartera.xlsx", buf.Bytes())
	if num(m, "inserted") != 2 || num(m, "rejected") != 0 {
		t.Fatalf("xlsx: %v", m)
	}
	a := e.Do("GET", "/api/tenants/acme/accounts/X-1", client, nil).JSON()
	if a["dueDate"] != "2026-01-15" || a["balance"].(float64) != 150000050 {
		t.Fatalf("X-1: %v", a)
	}
}

func TestImportRefusals(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	_, client := e.User("acme", "client")
	_, collector := e.User("acme", "collector")
	_, other := e.User("globex", "client")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	cases := []struct {
		name, tenant, token, file string
		content                   []byte
		want                      int
	}{
		{"png named csv", "acme", client, "x.csv", png, 415},
		{"pdf", "acme", client, "x.pdf", []byte("%PDF-1.7\n\x00\x01"), 415},
		{"missing columns", "acme", client, "x.csv", []byte("nombre;valor\nA;1\n"), 400},
		{"too large", "acme", client, "x.csv", append([]byte(csvHeader), bytes.Repeat([]byte("a"), 8<<20+1<<19)...), 413},
		{"collector may not upload", "acme", collector, "x.csv", []byte(csvHeader), 403},
		{"other tenant's client", "acme", other, "x.csv", []byte(csvHeader + "1;A;F;2026-01-01;1;;\n"), 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Upload("/api/tenants/"+c.tenant+"/imports", c.token, c.file, c.content, "")
			if r.Status != c.want {
				t.Fatalf("status %d, want %d: %s", r.Status, c.want, r.Body)
			}
		})
	}
	// Explicit mapping rescues unknown headers; the preview shows it.
	content := []byte("Cod Cliente;Cliente;Doc;Vence;Importe\n123;Beta;Z9;2026-05-05;99\n")
	mapping := `{"Cod Cliente":"document","Doc":"invoice","Vence":"due_date","Importe":"amount"}`
	r := e.Upload("/api/tenants/acme/imports/preview", client, "m.csv", content, mapping)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"field":"invoice"`) || !strings.Contains(string(r.Body), `"invoice":"Z9"`) {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	up := e.Upload("/api/tenants/acme/imports", client, "m.csv", content, mapping)
	if m := e.WaitImport("acme", up.JSON()["id"].(string), client); num(m, "inserted") != 1 {
		t.Fatalf("mapped import: %v", m)
	}
}

func TestPortfolioIsolation(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	_, mgrA := e.User("acme", "manager")
	col1ID, col1 := e.User("acme", "collector")
	_, col2 := e.User("acme", "collector")
	_, cliB := e.User("globex", "client")
	m := e.Import("acme", mgrA, "a.csv", []byte("documento,nombre,factura,vencimiento,valor\n555,Secreto SA,S-1,2026-01-01,100\n556,Otro,S-2,2026-01-01,100\n"))
	if num(m, "inserted") != 2 {
		t.Fatalf("import: %v", m)
	}
	if r := e.Do("POST", "/api/tenants/acme/assignments", mgrA, map[string]any{"accountIds": []string{"S-1"}, "collectorId": col1ID}); r.Status != 200 || r.JSON()["assigned"].(float64) != 1 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	cases := []struct {
		name, path, token string
		want              int
	}{
		{"other tenant reads account", "/api/tenants/acme/accounts/S-1", cliB, 404},
		{"other tenant reads via own tenant path", "/api/tenants/globex/accounts/S-1", cliB, 404},
		{"other tenant reads debtor", "/api/tenants/acme/debtors/555", cliB, 404},
		{"other tenant lists", "/api/tenants/acme/accounts", cliB, 404},
		{"assigned collector reads", "/api/tenants/acme/accounts/S-1", col1, 200},
		{"another collector reads", "/api/tenants/acme/accounts/S-1", col2, 404},
		{"another collector reads debtor", "/api/tenants/acme/debtors/555", col2, 404},
		{"import of other tenant", "/api/tenants/globex/imports/" + m["id"].(string), cliB, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do("GET", c.path, c.token, nil)
			if r.Status != c.want {
				t.Fatalf("status %d, want %d: %s", r.Status, c.want, r.Body)
			}
			if c.want == 404 && strings.Contains(string(r.Body), "Secreto") {
				t.Fatal("404 body leaks data")
			}
		})
	}
	// A collector's list holds only their accounts.
	l := e.Do("GET", "/api/tenants/acme/accounts", col2, nil).JSON()
	if n := len(l["items"].([]any)); n != 0 {
		t.Fatalf("collector 2 sees %d accounts", n)
	}
}

func TestAssignmentRoundRobinWeighted(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	heavy := e.Do("POST", "/api/tenants/acme/users", mgr, map[string]any{"email": "h@acme.co", "name": "H", "role": "collector", "password": apptest.Password, "capacity": 3}).JSON()["id"].(string)
	light := e.Do("POST", "/api/tenants/acme/users", mgr, map[string]any{"email": "l@acme.co", "name": "L", "role": "collector", "password": apptest.Password, "capacity": 1}).JSON()["id"].(string)
	if r := e.Do("PUT", "/api/tenants/acme/assignment-rule", mgr, map[string]any{"mode": "round_robin"}); r.Status != 200 {
		t.Fatalf("rule: %d %s", r.Status, r.Body)
	}
	var sb strings.Builder
	sb.WriteString("documento,nombre,factura,vencimiento,valor\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&sb, "%d,Deudor %d,INV-%03d,2026-01-01,1000\n", 1000+i, i, i)
	}
	m := e.Import("acme", mgr, "rr.csv", []byte(sb.String()))
	if num(m, "assigned") != 40 {
		t.Fatalf("import: %v", m)
	}
	count := func(c string) int {
		return len(e.Do("GET", "/api/tenants/acme/accounts?limit=500&collector="+c, mgr, nil).JSON()["items"].([]any))
	}
	if h, l := count(heavy), count(light); h != 30 || l != 10 {
		t.Fatalf("heavy %d light %d, want 30 and 10", h, l)
	}
	// Bulk by filter: every account whose invoice matches goes to one collector.
	r := e.Do("POST", "/api/tenants/acme/assignments", mgr, map[string]any{"filter": map[string]any{"q": "INV-00"}, "collectorId": light})
	if r.Status != 200 || r.JSON()["assigned"].(float64) != 10 {
		t.Fatalf("assign by filter: %d %s", r.Status, r.Body)
	}
	if h, l := count(heavy), count(light); h+l != 40 || l < 10 {
		t.Fatalf("after filter assignment heavy %d light %d", h, l)
	}
	// Recall takes an account out of collection.
	if r := e.Do("POST", "/api/tenants/acme/accounts/INV-001/recall", mgr, map[string]any{"reason": "pagado directamente al cliente"}); r.Status != 200 || r.JSON()["status"] != "recalled" {
		t.Fatalf("recall: %d %s", r.Status, r.Body)
	}
	if n := len(e.Do("GET", "/api/tenants/acme/accounts?status=recalled", mgr, nil).JSON()["items"].([]any)); n != 1 {
		t.Fatalf("recalled list: %d", n)
	}
}
