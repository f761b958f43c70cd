package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/payments/bankfile"
	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// The client uploads the bank's collection file on the page, sees the
// movement that quotes a debtor's document waiting as a suggestion for its
// invoice, confirms it, and the invoice is paid: the row now reads matched
// and the ledger has the movement once.
func TestBankBrowserStaffConfirmsSuggestion(t *testing.T) {
	browsertest.Browser(t)
	e := newBankEnv(t)
	const email = "tesoreria@acme.test"
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": email, "name": "Tesorería", "role": "client", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	file := bankfile.BuildAsobancaria("900123456", "007", moneyDay, []bankfile.Collection{{Reference: "888", Amount: 30_000_000}})
	path := filepath.Join(t.TempDir(), "recaudo-diciembre.txt")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	before, moves := e.ledgerOf("O2")
	url := e.Listen()
	ctx := browsertest.New(t, 1366, 900)
	clientLogin(t, ctx, url, email)
	clientRun(t, ctx, "upload the bank file",
		chromedp.WaitVisible(chromedp.CSS("#bank-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#bank-file"), []string{path}),
		chromedp.Click(chromedp.CSS("#bank-upload")),
		chromedp.WaitVisible(chromedp.CSS(`#bank-movements tr[data-status="suggested"] .bank-confirm`)))
	if v := browsertest.Eval(t, ctx, `document.querySelector('#bank-movements tr[data-status="suggested"] .bank-accounts').value`); v != "O2" {
		t.Fatalf("suggested invoice %q, want O2", v)
	}
	if txt := browsertest.Text(t, ctx, "#bank-summary"); strings.Contains(txt, "null") {
		t.Fatalf("summary %q", txt)
	}
	if d := browsertest.Text(t, ctx, `#bank-movements tr[data-status="suggested"] td:nth-child(2)`); d != "6 dic 2026" && d != "6 de dic de 2026" && !strings.Contains(d, "dic") {
		t.Fatalf("movement date %q is not written for people", d)
	}
	browsertest.Shot(t, ctx, t.TempDir(), "bank-suggested")
	clientRun(t, ctx, "confirm", chromedp.ScrollIntoView(chromedp.CSS(".bank-confirm")), chromedp.Click(chromedp.CSS(".bank-confirm")))
	clientWait(t, ctx, `document.querySelector('#bank-movements tr[data-status="suggested"]') === null`)
	clientRun(t, ctx, "show matched", chromedp.SetValue(chromedp.CSS("#bank-filter"), "matched"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("bank-filter").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.CSS(`#bank-movements tr[data-status="matched"]`)))
	browsertest.Shot(t, ctx, t.TempDir(), "bank-confirmed")
	// The account list on the same page shows O2 paid.
	clientWait(t, ctx, `[...document.querySelectorAll('tr')].some((r) => r.textContent.includes('O2') && r.textContent.includes('0,00') && !r.textContent.includes('300.000,00'))`)
	after, moves2 := e.ledgerOf("O2")
	if before-after != 30_000_000 || moves2 != moves+1 {
		t.Fatalf("O2 %d → %d, movements %d → %d", before, after, moves, moves2)
	}
}
