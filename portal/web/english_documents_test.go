package web_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cartera/portal/apptest"
	"cartera/portal/outbox"
	"cartera/portal/testtool"
)

// spanishInDocuments are words of the documents' Spanish wording (receipt,
// statement, reports), beside the pages' kept list.
var spanishInDocuments = regexp.MustCompile(`(?i)\b(recibo|pagado|fecha|página|estado de cuenta|cómo pagar|informe|recaudo|recaudado|liquidación|comisión|generado|total a girar|intereses)\b`)

// spanishNumber is an amount written the Colombian way (1.250,50).
var spanishNumber = regexp.MustCompile(`\d\.\d{3},\d{2}|\d,\d{2}\b %`)

// A US company's documents, asked for without any language choice, are in
// English with US figures: the debtor's statement and receipt, the
// recovery and remittance reports and their file names.
func TestUSDocumentsInEnglish(t *testing.T) {
	testtool.Bin(t, "pdftotext", "poppler-utils", "")
	e := apptest.New(t, apptest.Sandbox)
	if r := e.Do("POST", "/api/tenants", e.Admin, map[string]any{"slug": "usco", "name": "Lone Star Supply Inc.", "country": "US", "commissionRate": 0.15}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	_, client := e.User("usco", "client")
	_, manager := e.User("usco", "manager")
	if m := e.Import("usco", manager, "us.csv", []byte("Customer ID,Customer Name,Invoice,Due Date,Amount Due,Email\n"+
		"C-100,Lone Star Hardware LLC,INV-1,01/15/2026,1250.50,ap@lonestar.example\n")); num(m, "inserted") != 1 {
		t.Fatalf("import: %v", m)
	}
	de := debtorEnv{Env: e, client: client, manager: manager}
	debtor := de.session("usco", "C100") // the document as stored (ingest.NormalizeDocument)
	dir := t.TempDir()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		dir = d
	}
	text := func(what string, r apptest.Resp) string {
		t.Helper()
		if r.Status != 200 || !strings.HasPrefix(string(r.Body), "%PDF") {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
		_ = os.WriteFile(filepath.Join(dir, "us-"+what+".pdf"), r.Body, 0o644)
		return testtool.PDFText(t, r.Body)
	}
	english := func(what, text string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, text)
			}
		}
		if found := uniq(append(spanishWords.FindAllString(text, -1), spanishInDocuments.FindAllString(text, -1)...)); len(found) > 0 {
			t.Errorf("%s in English says %v:\n%s", what, found, text)
		}
		if n := spanishNumber.FindAllString(text, -1); len(n) > 0 {
			t.Errorf("%s writes figures the Colombian way %v:\n%s", what, n, text)
		}
	}

	r := e.Do("GET", "/api/debtor/statement.pdf", debtor, nil)
	english("statement", text("statement", r), "Account statement", "Lone Star Hardware LLC", "INV-1", "01/15/2026", "$1,250.50", "How to pay", "Page 1 of 1")
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "statement-") {
		t.Errorf("statement file name: %q", cd)
	}

	co := e.Do("POST", "/api/debtor/checkout", debtor, map[string]any{})
	if co.Status != 200 {
		t.Fatalf("checkout: %d %s", co.Status, co.Body)
	}
	id := co.JSON()["paymentId"].(string)
	page := e.Do("GET", co.JSON()["url"].(string), debtor, nil)
	if html := string(page.Body); page.Status != 200 || !strings.Contains(html, "TEST MODE") || !strings.Contains(html, "$1,000.40") || strings.Contains(html, "MODO") {
		t.Errorf("sandbox page: %d %s", page.Status, html)
	}
	if r := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", debtor, nil); r.Status != 200 {
		t.Fatalf("complete: %d %s", r.Status, r.Body)
	}
	receipt := text("receipt", e.Do("GET", "/api/debtor/payments/"+id+"/receipt.pdf", debtor, nil))
	// The house policy's settlement discount: 20 % off for paying in full.
	english("receipt", receipt, "Payment receipt", "Lone Star Hardware LLC", "INV-1", "Total paid", "$1,000.40", "$250.10", "Paid")
	// The payment's date month first, with a 12-hour clock.
	if d := regexp.MustCompile(`(\d\d/\d\d/\d{4}) \d{1,2}:\d\d [AP]M`).FindStringSubmatch(receipt); d == nil {
		t.Errorf("receipt has no US date and time:\n%s", receipt)
	} else if at, err := time.Parse("01/02/2006", d[1]); err != nil || time.Since(at) > 72*time.Hour || time.Until(at) > 48*time.Hour {
		t.Errorf("receipt date %q is not today month first (%v)", d[1], err)
	}

	r = e.Do("GET", "/api/tenants/usco/reports/recovery.pdf", client, nil)
	english("recovery", text("recovery", r), "Recovery report", "Key figures of the period", "$1,250.50", "Page 1 of")
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "recovery-usco-") {
		t.Errorf("recovery file name: %q", cd)
	}
	r = e.Do("GET", "/api/tenants/usco/reports/remittance.pdf", client, nil)
	remit := text("remittance", r)
	english("remittance", remit, "Remittance statement", "INV-1", "$1,000.40", "Commission (15.00%)", "$150.06")
	if !regexp.MustCompile(`\b(0[1-9]|1[0-2])/\d\d/20\d\d\b`).MatchString(remit) {
		t.Errorf("remittance has no US date:\n%s", remit)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "remittance-usco-") {
		t.Errorf("remittance file name: %q", cd)
	}

	// A new access code the client sends the debtor (to a contact a
	// collector confirmed): in English only.
	if r := e.Do("POST", "/api/tenants/usco/debtors/C100/contacts", manager, map[string]any{"kind": "email", "value": "pay@lonestar.example"}); r.Status != 201 {
		t.Fatalf("contact: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/tenants/usco/debtors/C100/access-code", client, nil); r.Status != 202 {
		t.Fatalf("send code: %d %s", r.Status, r.Body)
	}
	found := false
	for _, it := range e.Do("GET", "/api/tenants/usco/outbox", manager, nil).JSON()["items"].([]any) {
		m := it.(map[string]any)
		if m["template"] != "access_code" {
			continue
		}
		found = true
		var stored outbox.Message // the body is not listed: read it where the outbox keeps it
		sc := e.App.DB.Tenant("usco")
		if err := sc.C("outbox").Get(e.Ctx(), sc.ID(m["id"].(string)), &stored); err != nil {
			t.Fatal(err)
		}
		msg := stored.Subject + "\n" + stored.Body
		if !strings.Contains(msg, "Your new access code for Lone Star Supply Inc.") || !strings.Contains(msg, "/pay/usco") {
			t.Errorf("access code message: %s", msg)
		}
		if w := uniq(append(spanishWords.FindAllString(msg, -1), spanishInErrors.FindAllString(msg, -1)...)); len(w) > 0 {
			t.Errorf("access code message says %v: %s", w, msg)
		}
	}
	if !found {
		t.Error("no access code message in the outbox")
	}
}
