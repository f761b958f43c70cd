package web_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"cartera/portal/apptest"
	"cartera/portal/testtool"
)

// A US company's letters and ladder messages are written in English, with
// US dates and dollars, carry the company's debtor link, and the letter
// prints the link as a QR code.
func TestUSLettersAndMessagesInEnglish(t *testing.T) {
	testtool.Bin(t, "pdftotext", "poppler-utils", "")
	testtool.Bin(t, "pdfimages", "poppler-utils", "")
	e := apptest.New(t)
	e.TenantIn("usco", "US")
	_, manager := e.User("usco", "manager")
	m := e.Import("usco", manager, "us.csv", []byte("Customer ID,Customer Name,Invoice,Due Date,Amount Due,Email,Address,City\n"+
		"C-100,Lone Star Hardware LLC,INV-1,01/15/2026,1250.50,ap@lonestar.example,12 Main St,Austin\n"))
	if num(m, "inserted") != 1 {
		t.Fatalf("import: %v", m)
	}
	r := e.Do("GET", "/api/tenants/usco/accounts/INV-1/letter.pdf?level=1", manager, nil)
	if r.Status != 200 {
		t.Fatalf("letter: %d %s", r.Status, r.Body)
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(r.Body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		_ = os.WriteFile(d+"/letter-us.pdf", r.Body, 0o644)
	}
	for _, want := range []string{"Payment reminder", "Dear Lone Star Hardware LLC:", "Invoice", "Days late", "01/15/2026", "$1,250.50",
		"How to pay", "http://127.0.0.1/pay/usco", "Sincerely,", "Page 1 of 1", "Pay here"} {
		if !strings.Contains(text, want) {
			t.Errorf("letter lacks %q:\n%s", want, text)
		}
	}
	for _, spanish := range []string{"Factura", "Estimado", "Cordialmente", "Página", "Cómo pagar"} {
		if strings.Contains(text, spanish) {
			t.Errorf("English letter says %q", spanish)
		}
	}
	img := exec.Command("pdfimages", "-list", "-")
	img.Stdin = bytes.NewReader(r.Body)
	if list, err := img.Output(); err != nil || strings.Count(string(list), "\n") < 3 {
		t.Errorf("letter has no QR image: %v\n%s", err, list)
	}
	// The ladder's overdue e-mail (D+1) in English.
	e.App.Ladder.Now = func() time.Time { return time.Date(2026, 1, 16, 15, 0, 0, 0, time.UTC) }
	if _, err := e.App.Ladder.Run(e.Ctx(), "usco"); err != nil {
		t.Fatal(err)
	}
	msgs := e.Do("GET", "/api/tenants/usco/outbox", manager, nil).JSON()["items"].([]any)
	if len(msgs) == 0 {
		t.Fatal("no ladder message")
	}
	msg := msgs[0].(map[string]any)
	if s := msg["subject"].(string); !strings.Contains(s, "Invoice INV-1 past due") || !strings.Contains(s, "$1,250.50") {
		t.Errorf("subject %q", s)
	}
}

// A refusal by the contact rules reads in English for an English page,
// with the next allowed moment in US format; Spanish keeps the rule's
// own wording.
func TestRefusalInEnglish(t *testing.T) {
	w := newWorkEnv(t)
	w.setClock(at("2026-03-15 10:00")) // Sunday
	r := w.Do("POST", "/api/tenants/acme/accounts/F-1/activities?lang=en", w.collector, map[string]any{"channel": "call", "outcome": "no_answer"})
	msg, _ := r.JSON()["error"].(string)
	if r.Status != 422 || !strings.Contains(msg, "contacting on a Sunday is not allowed") || !strings.Contains(msg, "Next allowed moment: 03/16/2026 7:00 AM") {
		t.Fatalf("English refusal: %d %s", r.Status, r.Body)
	}
	r = w.Do("POST", "/api/tenants/acme/accounts/F-1/activities", w.collector, map[string]any{"channel": "call", "outcome": "no_answer"})
	if msg, _ := r.JSON()["error"].(string); !strings.Contains(msg, "Próximo momento permitido: 16/03/2026 07:00") {
		t.Fatalf("Spanish refusal: %s", r.Body)
	}
}
