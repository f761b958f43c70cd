package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// clientPortfolioCSV is a 30-row portfolio as a Colombian client exports it
// from Excel (semicolons, day-first dates, thousands dots) with two bad rows
// inside the preview sample: an impossible date and a zero amount.
func clientPortfolioCSV() string {
	names := []string{"Ferretería Núñez S.A.S.", "José Pérez", "Distribuidora Andina S.A.S.", "Ana Gómez", "Luis Díaz",
		"Panadería La Espiga", "Transportes del Valle Ltda.", "María Fernanda Ríos", "Café Montaña Alta", "Óptica Visión Clara"}
	var b strings.Builder
	b.WriteString("Documento;Nombre;Factura;Fecha Vencimiento;Valor;Correo;Celular\n")
	for i := 1; i <= 30; i++ {
		doc := fmt.Sprintf("9001%05d", i%10)
		name := names[i%10]
		due := fmt.Sprintf("%02d/%02d/2025", 1+i%28, 1+i%12)
		amount := fmt.Sprintf("$ %d.%03d.000", 1+i%7, (i*37)%1000)
		email := fmt.Sprintf("pagos%d@cliente%d.co", i%10, i%10)
		switch i {
		case 3: // row 4 in the file
			due = "31/02/2026"
		case 6: // row 7 in the file
			amount = "0"
		}
		fmt.Fprintf(&b, "%s;%s;F-%04d;%s;%s;%s;300%07d\n", doc, name, i, due, amount, email, i%10)
	}
	return b.String()
}

// The client uploads a portfolio, sees the preview with its bad rows, runs
// the import, finds an account and opens it, on a desktop and on a phone.
func TestClientBrowserPortfolio(t *testing.T) {
	browsertest.Browser(t)
	e := apptest.New(t)
	e.Tenant("acme")
	const email = "cliente@acme.test"
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": email, "name": "Carla Cliente", "role": "client", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	url := e.Listen()
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "cartera-noviembre.csv")
	if err := os.WriteFile(csvPath, []byte(clientPortfolioCSV()), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.New(t, 1280, 900)
	clientLogin(t, ctx, url, email)

	// A file without the required columns is refused with the reason in view.
	badPath := filepath.Join(dir, "sin-columnas.csv")
	if err := os.WriteFile(badPath, []byte("nombre;valor\nAna;100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clientRun(t, ctx, "bad file",
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{badPath}),
		chromedp.WaitVisible(chromedp.CSS("#import-error")),
	)
	if msg := browsertest.Text(t, ctx, "#import-error"); !strings.Contains(msg, "factura") {
		t.Errorf("bad file error %q", msg)
	}
	browsertest.Shot(t, ctx, dir, "client-import-error")

	// Preview: the columns are understood and the two bad rows stand out.
	clientRun(t, ctx, "preview",
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{csvPath}),
		chromedp.WaitVisible(chromedp.CSS("#import-start")),
	)
	if v := browsertest.Eval(t, ctx, `String(document.querySelector('#import-error').hidden)`); v != "true" {
		t.Error("the previous file's error is still shown")
	}
	preview := browsertest.Text(t, ctx, "#import-preview")
	for _, want := range []string{"Columnas detectadas", "Fecha de vencimiento", "31/02/2026", "Iniciar importación"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q:\n%s", want, preview)
		}
	}
	if n := browsertest.Eval(t, ctx, `String(document.querySelectorAll('#import-preview tr.has-error').length)`); n != "2" {
		t.Errorf("preview marks %s rows as bad, want 2", n)
	}
	browsertest.Shot(t, ctx, dir, "client-preview")

	// Import: the result shows the counts once the job is done.
	clientRun(t, ctx, "import",
		chromedp.Click(chromedp.CSS("#import-start")),
		chromedp.WaitVisible(chromedp.CSS("#import-result [data-stat=inserted]")),
	)
	stat := func(k string) string {
		return browsertest.Text(t, ctx, "#import-result [data-stat="+k+"] .stat-value")
	}
	if stat("total") != "30" || stat("inserted") != "28" || stat("rejected") != "2" {
		t.Fatalf("result total %s inserted %s rejected %s:\n%s", stat("total"), stat("inserted"), stat("rejected"), browsertest.Text(t, ctx, "#import-result"))
	}
	result := browsertest.Text(t, ctx, "#import-result")
	for _, want := range []string{"Cuentas nuevas", "Rechazadas", "31/02/2026", "Descargar todos los errores"} {
		if !strings.Contains(result, want) {
			t.Errorf("result lacks %q:\n%s", want, result)
		}
	}
	if href := browsertest.Eval(t, ctx, `document.querySelector('#import-errors-csv').getAttribute('href')`); !strings.HasPrefix(href, "/api/tenants/acme/imports/") || !strings.HasSuffix(href, "/errors.csv") {
		t.Errorf("errors.csv link %q", href)
	}
	clientWait(t, ctx, `document.querySelector('#imports-table') && document.querySelector('#imports-table').textContent.includes('cartera-noviembre.csv')`)
	browsertest.Shot(t, ctx, dir, "client-result")

	// Accounts: a search by debtor name finds its invoices; a row opens the detail.
	clientRun(t, ctx, "search", chromedp.SendKeys(chromedp.CSS("#accounts-q"), "andina"))
	clientWait(t, ctx, `(() => { const rows = [...document.querySelectorAll('#accounts-table tbody tr')];
		return rows.length === 3 && rows.every((r) => r.textContent.includes('Distribuidora Andina')); })()`)
	clientRun(t, ctx, "open detail",
		chromedp.Click(chromedp.CSS(`#accounts-table tr[data-id="F-0002"]`)),
		chromedp.WaitVisible(chromedp.CSS("#account-detail #account-recall")),
	)
	d := browsertest.Text(t, ctx, "#account-detail")
	for _, want := range []string{"Factura F-0002", "Distribuidora Andina S.A.S.", "pagos2@cliente2.co", "Movimientos", "Cartera cargada", "En cobranza"} {
		if !strings.Contains(d, want) {
			t.Errorf("detail lacks %q:\n%s", want, d)
		}
	}
	// The drawer sits over the viewport, so a full-page capture would misplace it.
	clientViewportShot(t, ctx, dir, "client-detail")

	// Recall asks for the reason, then the account shows as withdrawn.
	clientRun(t, ctx, "recall",
		chromedp.Click(chromedp.CSS("#account-recall")),
		chromedp.SendKeys(chromedp.CSS("#recall-reason"), "El deudor pagó directamente a la empresa"),
		chromedp.Click(chromedp.CSS("#recall-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#account-detail .notice")),
	)
	if d := browsertest.Text(t, ctx, "#account-detail"); !strings.Contains(d, "Retirada") || strings.Contains(d, "Retirar de cobranza") {
		t.Errorf("after recall:\n%s", d)
	}
	clientRun(t, ctx, "close detail", chromedp.Click(chromedp.CSS("#account-detail-close")))
	clientWait(t, ctx, `document.querySelector('#accounts-table tr[data-id="F-0002"]').textContent.includes('Retirada')`)
	clientNoRawKeys(t, ctx)

	// English comes from the catalogue, with nothing left untranslated.
	clientRun(t, ctx, "english",
		chromedp.Click(chromedp.CSS("[data-lang-switch]")),
		chromedp.WaitVisible(chromedp.CSS(`#accounts-table tr[data-id="F-0002"]`)),
	)
	if h := browsertest.Text(t, ctx, "#import h2"); h != "Upload portfolio" {
		t.Errorf("English import title %q", h)
	}
	if s := browsertest.Text(t, ctx, "#accounts-table"); !strings.Contains(s, "Withdrawn") || !strings.Contains(s, "In collection") {
		t.Errorf("English accounts table:\n%s", s)
	}
	clientNoRawKeys(t, ctx)
	browsertest.Shot(t, ctx, dir, "client-en")

	// Phone: the accounts list fits the screen as stacked cards.
	// Headless Chromium keeps windows at least 500 px wide; emulate the phone's viewport.
	phone := browsertest.New(t, 390, 844)
	clientRun(t, phone, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientLogin(t, phone, url, email)
	clientWait(t, phone, `document.querySelectorAll('#accounts-table tbody tr').length === 28`)
	if w := browsertest.Eval(t, phone, `String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("phone page is %s px wide, want 390 (horizontal overflow)", w)
	}
	clientNoRawKeys(t, phone)
	browsertest.Shot(t, phone, dir, "client-accounts-phone")
	clientRun(t, phone, "phone detail",
		chromedp.Click(chromedp.CSS(`#accounts-table tr[data-id="F-0012"]`)),
		chromedp.WaitVisible(chromedp.CSS("#account-detail #account-recall")),
	)
	if w := browsertest.Eval(t, phone, `String(document.querySelector('#account-detail').scrollWidth)`); w != "390" {
		t.Errorf("phone detail is %s px wide, want 390", w)
	}
	clientViewportShot(t, phone, dir, "client-detail-phone")
}

// clientViewportShot saves what the screen shows, as browsertest.Shot does
// for the whole page (same directory rules).
func clientViewportShot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		dir = d
		_ = os.MkdirAll(dir, 0o755)
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func clientLogin(t *testing.T, ctx context.Context, url, email string) {
	t.Helper()
	clientRun(t, ctx, "login",
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#import-file")),
	)
	if p := browsertest.Eval(t, ctx, `location.pathname`); p != "/client" {
		t.Fatalf("landed on %s", p)
	}
}

// staffLogin logs a staff user in with the test password, optionally with
// the page language set first ("" keeps the default), and waits for sel.
func staffLogin(t *testing.T, ctx context.Context, url, email, lang, sel string) {
	t.Helper()
	if lang != "" {
		clientRun(t, ctx, "language", chromedp.Navigate(url+"/"), chromedp.Evaluate[chromedp.Void](`document.cookie = 'lang=`+lang+`; path=/'`))
	}
	clientRun(t, ctx, "login "+email,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	)
}

// clientRun runs steps, failing the test with what was being done.
func clientRun[T any](t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[T]) {
	t.Helper()
	for _, s := range steps {
		if _, err := chromedp.Run(ctx, s); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// clientWait waits up to 20 s for a JavaScript expression to be true.
func clientWait(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("wait for %s: %v", js, err)
	}
}

// clientNoRawKeys fails when a catalogue key shows instead of its text.
func clientNoRawKeys(t *testing.T, ctx context.Context) {
	t.Helper()
	raw := browsertest.Eval(t, ctx, `(document.body.innerText.match(/\b(client|account|import|bucket|field|ledger|contact|error|tenant)\.[a-zA-Z0-9+-]+/g) || []).join(' ')`)
	if raw != "" {
		t.Errorf("untranslated keys on the page: %s", raw)
	}
}
