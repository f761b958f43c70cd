package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"cartera/portal/apptest"
)

// Portfolios from Mexico, Peru and the US go in as their ERPs export them;
// a US company's dates are month first (issue 15).
func TestPortfoliosOfEveryCountry(t *testing.T) {
	e := apptest.New(t)
	files := []struct {
		country, file, invoice, due string
		balance                     float64
	}{
		{"MX", "RFC,Razón social,Folio,Fecha de vencimiento,Importe\nGODE561231GR8,Comercial del Norte SA,A-1001,15/01/2026,\"12,500.50\"\n", "A-1001", "2026-01-15", 1250050},
		{"PE", "RUC;Razón Social;Comprobante;Vencimiento;Monto adeudado\n20100070970;Distribuidora Andina SAC;F001-000123;31/12/2025;1250.00\n", "F001-000123", "2025-12-31", 125000},
		{"US", "Account,Customer Name,Invoice,Due Date,Amount Due\n778,Smith Hardware LLC,INV-55,01/11/2026,\"$1,200.00\"\n", "INV-55", "2026-01-11", 120000},
	}
	for _, f := range files {
		t.Run(f.country, func(t *testing.T) {
			slug := "t" + strings.ToLower(f.country)
			e.TenantIn(slug, f.country)
			_, client := e.User(slug, "client")
			m := e.Import(slug, client, "cartera.csv", []byte(f.file))
			if num(m, "inserted") != 1 || num(m, "rejected") != 0 || num(m, "expected") != 1 {
				t.Fatalf("import: %v", m)
			}
			a := e.Do("GET", "/api/tenants/"+slug+"/accounts/"+f.invoice, client, nil).JSON()
			if a["dueDate"] != f.due || a["balance"].(float64) != f.balance {
				t.Fatalf("%s: %v", f.invoice, a)
			}
		})
	}
}

// The preview says when the dates could be read either way, or contradict
// the company's order; the chosen order and mapping are saved and reused.
func TestPreviewDatesAndSavedLayout(t *testing.T) {
	e := apptest.New(t)
	e.TenantIn("usco", "US")
	_, client := e.User("usco", "client")

	ambiguous := "Account,Customer Name,Invoice,Due Date,Amount Due\n1,Ann,I1,01/11/2026,10\n2,Bob,I2,02/03/2026,10\n"
	p := e.Upload("/api/tenants/usco/imports/preview", client, "a.csv", []byte(ambiguous), "").JSON()
	d := p["dates"].(map[string]any)
	if d["order"] != "MDY" || d["warning"] != "ambiguous" || d["ambiguous"].(float64) != 2 {
		t.Fatalf("dates %v", d)
	}
	rows := p["rows"].([]any)
	if rows[0].(map[string]any)["dueDate"] != "2026-01-11" {
		t.Fatalf("row %v", rows[0])
	}

	// A file written day first, past the 12th: it contradicts MDY.
	dayFirst := "Account,Customer Name,Invoice,Due Date,Amount Due\n1,Ann,I1,25/11/2026,10\n2,Bob,I2,02/03/2026,10\n"
	p = e.Upload("/api/tenants/usco/imports/preview", client, "b.csv", []byte(dayFirst), "").JSON()
	if d := p["dates"].(map[string]any); d["warning"] != "contradicts" || d["dayFirstOnly"].(float64) != 1 {
		t.Fatalf("dates %v", d)
	}
	// Chosen day first, it reads, and the choice is kept with the mapping.
	odd := "Cód,Cliente,Doc,Vence,Saldo\n1,Ann,I1,25/11/2026,10\n2,Bob,I2,02/03/2026,10\n"
	r := e.Upload("/api/tenants/usco/imports/preview", client, "c.csv", []byte(odd), "")
	if r.Status != 400 {
		t.Fatalf("unknown headers: %d %s", r.Status, r.Body)
	}
	var bad struct {
		Detail struct{ Headers []string }
	}
	_ = json.Unmarshal(r.Body, &bad)
	if len(bad.Detail.Headers) != 5 || bad.Detail.Headers[0] != "Cód" {
		t.Fatalf("headers for the editor: %s", r.Body)
	}
	mapping := `{"Cód":"document","Cliente":"name","Doc":"invoice","Vence":"due_date","Saldo":"amount"}`
	up := e.UploadForm("/api/tenants/usco/imports", client, "c.csv", []byte(odd), map[string]string{"mapping": mapping, "dateOrder": "DMY"})
	if up.Status != 202 {
		t.Fatalf("import: %d %s", up.Status, up.Body)
	}
	m := e.WaitImport("usco", up.JSON()["id"].(string), client)
	if num(m, "inserted") != 2 || num(m, "rejected") != 0 {
		t.Fatalf("import: %v", m)
	}
	if a := e.Do("GET", "/api/tenants/usco/accounts/I2", client, nil).JSON(); a["dueDate"] != "2026-03-02" {
		t.Fatalf("I2 read day first: %v", a)
	}
	l := e.Do("GET", "/api/tenants/usco/imports/layout", client, nil).JSON()
	if l["dateOrder"] != "DMY" || l["mapping"].(map[string]any)["Vence"] != "due_date" {
		t.Fatalf("layout %v", l)
	}
	// Next month's file of the same ERP needs nothing typed.
	next := "Cód,Cliente,Doc,Vence,Saldo\n3,Cy,I3,13/12/2026,10\n"
	p = e.Upload("/api/tenants/usco/imports/preview", client, "d.csv", []byte(next), "").JSON()
	if p["savedMapping"] != true || p["dates"].(map[string]any)["order"] != "DMY" || p["rows"].([]any)[0].(map[string]any)["dueDate"] != "2026-12-13" {
		t.Fatalf("saved layout not reused: %v", p)
	}
	if r := e.Do("DELETE", "/api/tenants/usco/imports/layout", client, nil); r.Status != 204 {
		t.Fatalf("forget: %d", r.Status)
	}
	if r := e.Upload("/api/tenants/usco/imports/preview", client, "d.csv", []byte(next), ""); r.Status != 400 {
		t.Fatalf("forgotten layout still used: %d %s", r.Status, r.Body)
	}
	// Another tenant sees none of it.
	e.Tenant("other")
	_, stranger := e.User("other", "client")
	if r := e.Do("GET", "/api/tenants/usco/imports/layout", stranger, nil); r.Status != 404 {
		t.Fatalf("other tenant: %d", r.Status)
	}
}

// A file named as another type is refused as that type.
func TestImportRefusesOtherTypesByName(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	for _, name := range []string{"cartera.txt", "cartera.xls", "cartera.pdf", "cartera.json"} {
		r := e.Upload("/api/tenants/acme/imports", client, name, []byte(csvHeader+"1;A;F;2026-01-01;1;;\n"), "")
		if r.Status != 415 || r.JSON()["code"] != "unsupported_type" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}
