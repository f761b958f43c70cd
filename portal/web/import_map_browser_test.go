package web_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A client whose ERP names its columns its own way maps them once in the
// upload page, says how the file writes dates, imports with a percentage
// in view, and the next file needs nothing typed (issue 15).
func TestClientBrowserColumnMapping(t *testing.T) {
	browsertest.Browser(t)
	e := apptest.New(t)
	e.TenantIn("acme", "US")
	const email = "client@acme.test"
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": email, "name": "Carla Client", "role": "client", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	url := e.Listen()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Cust #,Cliente,Doc,Vence,Saldo,Notas\n")
	for i := 1; i <= 40; i++ {
		// Day first, as a Latin American ERP exports for a US company.
		b.WriteString(strings.Join([]string{"C" + itoa(i), "Cliente " + itoa(i), "D-" + itoa(i), itoa(1+i%28) + "/03/2026", itoa(100 + i), "x"}, ",") + "\n")
	}
	path := filepath.Join(dir, "erp-export.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t, 1280, 900)
	clientLogin(t, ctx, url, email) // a US company's client: the page speaks English

	clientRun(t, ctx, "unknown columns",
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{path}),
		chromedp.WaitVisible(chromedp.CSS("#map-editor")),
	)
	if msg := browsertest.Text(t, ctx, "#import-error"); !strings.Contains(strings.ToLower(msg), "required columns missing") {
		t.Errorf("error %q", msg)
	}
	browsertest.ShotOf(t, ctx, dir, "client-map-editor", "#import")
	pick := func(i, field string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.CSS("#map-col-"+i), field)
	}
	clientRun(t, ctx, "map",
		pick("0", "document"), pick("1", "name"), pick("2", "invoice"), pick("3", "due_date"), pick("4", "amount"), pick("5", "ignore"),
		chromedp.Click(chromedp.CSS("#map-apply")),
	)
	clientWait(t, ctx, `!!document.querySelector('#import-dates')`)
	if msg := browsertest.Text(t, ctx, "#import-dates"); !strings.Contains(msg, "month/day/year") {
		t.Errorf("dates warning %q", msg)
	}
	clientRun(t, ctx, "day first",
		chromedp.SetValue(chromedp.CSS("#map-date-order"), "DMY"),
		chromedp.Click(chromedp.CSS("#map-apply")),
	)
	clientWait(t, ctx, `!document.querySelector('#import-dates') && !!document.querySelector('#import-preview-table') && !document.querySelector('#import-preview tr.has-error')`)
	if p := browsertest.Text(t, ctx, "#import-preview-table"); !strings.Contains(p, "Mar 2, 2026") && !strings.Contains(p, "03/02/2026") && !strings.Contains(p, "2026") {
		t.Errorf("preview %s", p)
	}
	browsertest.Shot(t, ctx, dir, "client-map-applied")
	clientRun(t, ctx, "import",
		chromedp.Click(chromedp.CSS("#import-start")),
		chromedp.WaitVisible(chromedp.CSS("#import-result [data-stat=inserted]")),
	)
	if got := browsertest.Text(t, ctx, "#import-result [data-stat=inserted] .stat-value"); got != "40" {
		t.Fatalf("inserted %s:\n%s", got, browsertest.Text(t, ctx, "#import-result"))
	}
	if a := e.Do("GET", "/api/tenants/acme/accounts/D-1", e.Admin, nil).JSON(); a["dueDate"] != "2026-03-02" {
		t.Fatalf("D-1 %v", a)
	}
	// Next month's file: the saved settings apply by themselves.
	clientRun(t, ctx, "next file",
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{path}),
		chromedp.WaitVisible(chromedp.CSS("#import-saved")),
	)
	clientNoRawKeys(t, ctx)
	browsertest.Shot(t, ctx, dir, "client-map-saved")
}

func itoa(i int) string { return strconv.Itoa(i) }
