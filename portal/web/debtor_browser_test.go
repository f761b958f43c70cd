package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/browsertest"
)

// A debtor on a phone logs in with the code from their letter, reads the
// statement, disputes an invoice with a photo and later reads the answer.
func TestDebtorBrowserPhone(t *testing.T) {
	browsertest.Browser(t)
	e := newDebtorEnv(t)
	url := e.Listen()
	code := e.code("acme", "80123456")
	dir := t.TempDir()
	photo := filepath.Join(dir, "recibo-transferencia.png")
	if err := os.WriteFile(photo, tinyPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}

	// Headless Chromium keeps windows at least 500 px wide; emulate the phone's viewport.
	ctx := browsertest.New(t, 390, 844)
	clientRun(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientRun(t, ctx, "open", chromedp.Navigate(url+"/debtor"), chromedp.WaitVisible(chromedp.CSS("#d-tenant")))
	browsertest.Shot(t, ctx, dir, "debtor-login-phone")

	// A wrong code is refused in words.
	clientRun(t, ctx, "wrong code",
		chromedp.SendKeys(chromedp.CSS("#d-tenant"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#d-document"), "80.123.456"),
		chromedp.SendKeys(chromedp.CSS("#d-code"), "AAAA-BBBB-CC"),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#d-error")),
	)
	if msg := browsertest.Text(t, ctx, "#d-error"); !strings.Contains(msg, "no coinciden") {
		t.Errorf("wrong code message %q", msg)
	}
	browsertest.Eval(t, ctx, `(document.getElementById('d-code').value = '', '')`)
	clientRun(t, ctx, "login",
		chromedp.SendKeys(chromedp.CSS("#d-code"), code),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#statement")),
	)
	clientWait(t, ctx, `document.querySelectorAll('#st-invoices .invoice-card').length === 2`)
	if v := browsertest.Eval(t, ctx, `String(document.querySelector('#debtor-login').hidden)`); v != "true" {
		t.Error("login form still shown")
	}
	head := browsertest.Text(t, ctx, ".statement-head")
	for _, want := range []string{"Empresa acme", "Hola, José Núñez", "1.213.685,60", "Descargar PDF"} {
		if !strings.Contains(head, want) {
			t.Errorf("statement head lacks %q:\n%s", want, head)
		}
	}
	clientRun(t, ctx, "A1 details", chromedp.Click(chromedp.CSS(`.invoice-card[data-id="A1"] summary`)))
	a1 := browsertest.Text(t, ctx, `.invoice-card[data-id="A1"]`)
	for _, want := range []string{"Factura A1", "30 días de mora", "1.000.000,00", "17.685,60", "1.017.685,60"} {
		if !strings.Contains(a1, want) {
			t.Errorf("A1 card lacks %q:\n%s", want, a1)
		}
	}
	if href := browsertest.Eval(t, ctx, `document.querySelector('#st-pdf').getAttribute('href')`); href != "/api/debtor/statement.pdf" {
		t.Errorf("pdf link %q", href)
	}
	if w := browsertest.Eval(t, ctx, `String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("phone page is %s px wide, want 390", w)
	}
	debtorNoRawKeys(t, ctx)
	browsertest.Shot(t, ctx, dir, "debtor-statement-phone")

	// Dispute A1 from its card, with a photo of the transfer.
	clientRun(t, ctx, "dispute",
		chromedp.Click(chromedp.CSS(`.invoice-card[data-id="A1"] .inv-details button`)),
		chromedp.SetValue(chromedp.CSS("#dispute-reason"), "already_paid"),
		chromedp.SendKeys(chromedp.CSS("#dispute-description"), "Pagué por transferencia el 3 de octubre."),
		chromedp.SetUploadFiles(chromedp.CSS("#dispute-file"), []string{photo}),
	)
	clientWait(t, ctx, `document.querySelector('#dispute-file-name').textContent === 'recibo-transferencia.png'`)
	if v := browsertest.Eval(t, ctx, `[...document.querySelectorAll('#dispute-invoices input:checked')].map((c) => c.value).join(',')`); v != "A1" {
		t.Errorf("invoices picked %q", v)
	}
	browsertest.Shot(t, ctx, dir, "debtor-dispute-form-phone")
	clientRun(t, ctx, "send dispute", chromedp.Click(chromedp.CSS("#dispute-submit")))
	clientWait(t, ctx, `document.querySelectorAll('#dispute-list .dispute-item').length === 1`)
	clientWait(t, ctx, `document.querySelector('.invoice-card[data-id="A1"]').textContent.includes('En disputa')`)
	item := browsertest.Text(t, ctx, "#dispute-list")
	for _, want := range []string{"Factura A1", "En revisión", "Ya pagué esta factura", "Reclamo enviado", "Pagué por transferencia", "recibo-transferencia.png"} {
		if !strings.Contains(item, want) {
			t.Errorf("dispute list lacks %q:\n%s", want, item)
		}
	}
	if w := browsertest.Eval(t, ctx, `String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("phone page after the dispute is %s px wide, want 390", w)
	}
	// The confirmation toast floats over the page; a full-page capture would pin it mid-page.
	browsertest.Eval(t, ctx, `(document.getElementById('toast').hidden = true, '')`)
	browsertest.Shot(t, ctx, dir, "debtor-disputed-phone")

	// The client rejects it; the debtor reads why.
	id := browsertest.Eval(t, ctx, `document.querySelector('#dispute-list .dispute-item').dataset.id`)
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+id+"/resolve", e.client, map[string]any{"decision": "reject", "note": "La transferencia del 3 de octubre corresponde a la factura A0."}); r.Status != 200 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	clientRun(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#dispute-list .dispute-item")))
	item = browsertest.Text(t, ctx, "#dispute-list")
	for _, want := range []string{"Rechazado", "Reclamo rechazado", "corresponde a la factura A0"} {
		if !strings.Contains(item, want) {
			t.Errorf("after rejection the list lacks %q:\n%s", want, item)
		}
	}
	if strings.Contains(browsertest.Text(t, ctx, `.invoice-card[data-id="A1"]`), "En disputa") {
		t.Error("A1 still shows as disputed")
	}
	debtorNoRawKeys(t, ctx)
	browsertest.Shot(t, ctx, dir, "debtor-rejected-phone")

	// Logout ends the session.
	clientRun(t, ctx, "logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#d-tenant")))
}

// debtorNoRawKeys fails when a catalogue key shows instead of its text.
func debtorNoRawKeys(t *testing.T, ctx context.Context) {
	t.Helper()
	raw := browsertest.Eval(t, ctx, `(document.body.innerText.match(/\b(debtor|nav|login|error)\.[a-zA-Z0-9_.-]+/g) || []).join(' ')`)
	if raw != "" {
		t.Errorf("untranslated keys on the page: %s", raw)
	}
}

// A debtor without the letter's access code asks for a code by e-mail on a
// phone, types it and reads the statement.
func TestDebtorBrowserEmailCode(t *testing.T) {
	browsertest.Browser(t)
	e, box, _ := newOTPEnv(t, nil)
	url := e.Listen()
	dir := t.TempDir()
	ctx := browsertest.New(t, 390, 844)
	clientRun(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientRun(t, ctx, "open", chromedp.Navigate(url+"/debtor"), chromedp.WaitVisible(chromedp.CSS("#d-otp-toggle")))
	if txt := browsertest.Text(t, ctx, "#d-otp-toggle"); !strings.Contains(txt, "Reciba uno por correo") {
		t.Fatalf("toggle %q", txt)
	}
	clientRun(t, ctx, "email mode", chromedp.Click(chromedp.CSS("#d-otp-toggle")), chromedp.WaitVisible(chromedp.CSS("#d-otp-send")))
	if lbl := browsertest.Text(t, ctx, "#d-code-label"); lbl != "Código recibido por correo" {
		t.Errorf("code label %q", lbl)
	}
	// Asking without a document says what is missing.
	clientRun(t, ctx, "send empty", chromedp.Click(chromedp.CSS("#d-otp-send")), chromedp.WaitVisible(chromedp.CSS("#d-error")))
	if msg := browsertest.Text(t, ctx, "#d-error"); !strings.Contains(msg, "número de documento") {
		t.Errorf("missing document message %q", msg)
	}
	clientRun(t, ctx, "send",
		chromedp.SendKeys(chromedp.CSS("#d-tenant"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#d-document"), "80123456"),
		chromedp.Click(chromedp.CSS("#d-otp-send")),
		chromedp.WaitVisible(chromedp.CSS("#d-otp-sent")))
	if msg := browsertest.Text(t, ctx, "#d-otp-sent"); !strings.Contains(msg, "10 minutos") {
		t.Errorf("sent message %q", msg)
	}
	_, code := box.lastCode(t)
	debtorNoRawKeys(t, ctx)
	browsertest.Shot(t, ctx, dir, "debtor-login-email-code-phone")
	// A wrong code first: refused in words.
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	clientRun(t, ctx, "wrong", chromedp.SendKeys(chromedp.CSS("#d-code"), wrong),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#d-error")))
	if msg := browsertest.Text(t, ctx, "#d-error"); !strings.Contains(msg, "no es válido") {
		t.Errorf("wrong code message %q", msg)
	}
	browsertest.Eval(t, ctx, `(document.getElementById('d-code').value = '', '')`)
	clientRun(t, ctx, "login", chromedp.SendKeys(chromedp.CSS("#d-code"), code),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#statement")))
	if head := browsertest.Text(t, ctx, ".statement-head"); !strings.Contains(head, "Hola, José Núñez") {
		t.Errorf("statement head %q", head)
	}
	if w := browsertest.Eval(t, ctx, `String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("phone page is %s px wide, want 390", w)
	}
	// In English too.
	clientRun(t, ctx, "logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#d-otp-toggle")))
	clientRun(t, ctx, "english", chromedp.Click(chromedp.CSS("[data-lang-switch]")), chromedp.WaitVisible(chromedp.CSS("#d-otp-toggle")))
	clientWait(t, ctx, `document.documentElement.lang === 'en'`)
	if txt := browsertest.Text(t, ctx, "#d-otp-toggle"); txt != "No access code? Get one by e-mail" {
		t.Errorf("English toggle %q", txt)
	}
	clientRun(t, ctx, "email mode en", chromedp.Click(chromedp.CSS("#d-otp-toggle")), chromedp.WaitVisible(chromedp.CSS("#d-otp-send")))
	for sel, want := range map[string]string{"#d-code-label": "Code received by e-mail", "#d-otp-send": "Send me a code", "#d-otp-toggle": "Use my access code"} {
		if txt := browsertest.Text(t, ctx, sel); txt != want {
			t.Errorf("English %s %q, want %q", sel, txt, want)
		}
	}
	debtorNoRawKeys(t, ctx)
	browsertest.Shot(t, ctx, dir, "debtor-login-email-code-phone-en")
}
