package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// The client company resolves its debtors' disputes in the page: the open
// count on the dashboard, the claim with its attachment, a partial credit
// typed as Colombians write money, and a rejection with a note.
func TestDisputeBrowserClient(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	e := newDebtorEnv(t)
	const email = "cliente@acme.test"
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": email, "name": "Carla Cliente", "role": "client", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	jose := e.session("acme", "80123456")
	maria := e.session("acme", "900123456")
	if r := e.openDispute(jose, []string{"A1", "A2"}, "already_paid", "Pagué por transferencia el 3 de octubre.", "recibo.png", tinyPNG(t)); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	r := e.openDispute(maria, []string{"B1"}, "not_received", "Nunca llegó el pedido.", "", nil)
	if r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	b1 := r.JSON()["id"].(string)
	url := e.Listen()
	ctx := browsertest.New(t, 1280, 900)
	clientLogin(t, ctx, url, email)
	clientWait(t, ctx, `document.querySelectorAll('#dispute-list .dispute-item').length === 2`)
	clientWait(t, ctx, `(document.querySelector('#kpi-disputes .kpi') || {}).textContent === '2'`)
	jd := `#dispute-list .dispute-item:not([data-id="` + b1 + `"])`
	item := browsertest.Text(t, ctx, jd)
	for _, want := range []string{"Facturas: A1, A2", "José Núñez", "80123456", "Ya pagué esta factura", "Pagué por transferencia", "Ver adjunto", "Abierta"} {
		if !strings.Contains(item, want) {
			t.Errorf("dispute item lacks %q:\n%s", want, item)
		}
	}
	jid := browsertest.Eval(t, ctx, `document.querySelector('`+jd+`').dataset.id`)
	if href := browsertest.Eval(t, ctx, `document.querySelector('#dispute-attachment-`+jid+`').getAttribute('href')`); href != "/api/tenants/acme/disputes/"+jid+"/attachment" {
		t.Errorf("attachment link %q", href)
	}
	browsertest.Shot(t, ctx, dir, "client-disputes")

	// A partial credit: 300.000,00 typed the Colombian way.
	clientRun(t, ctx, "accept partially",
		chromedp.Click(chromedp.CSS("#dispute-accept-"+jid)),
		chromedp.Click(chromedp.CSS("#dispute-partial-"+jid)),
		chromedp.SendKeys(chromedp.CSS("#dispute-amount-"+jid), "300.000,00"),
		chromedp.SendKeys(chromedp.CSS("#dispute-accept-note-"+jid), "Abonamos el valor de la transferencia."),
	)
	browsertest.Shot(t, ctx, dir, "client-dispute-accept-form")
	clientRun(t, ctx, "confirm", chromedp.Click(chromedp.CSS("#dispute-accept-confirm-"+jid)))
	clientWait(t, ctx, `document.querySelectorAll('#dispute-list .dispute-item').length === 1`)
	clientWait(t, ctx, `document.querySelector('#kpi-disputes .kpi').textContent === '1'`)
	var d struct {
		Items []struct {
			ID, Status   string
			CreditAmount int64
		}
	}
	e.Do("GET", "/api/tenants/acme/disputes?status=accepted", e.client, nil).Decode(t, &d)
	if len(d.Items) != 1 || d.Items[0].ID != jid || d.Items[0].CreditAmount != 30000000 {
		t.Fatalf("accepted: %+v", d.Items)
	}

	// A rejection needs its note.
	clientRun(t, ctx, "reject without a note",
		chromedp.Click(chromedp.CSS("#dispute-reject-"+b1)),
		chromedp.Click(chromedp.CSS("#dispute-reject-confirm-"+b1)),
	)
	if msg := browsertest.Text(t, ctx, `#dispute-list .dispute-item[data-id="`+b1+`"] .error`); !strings.Contains(msg, "por qué") {
		t.Errorf("empty note message %q", msg)
	}
	clientRun(t, ctx, "reject",
		chromedp.SendKeys(chromedp.CSS("#dispute-reject-note-"+b1), "La guía de entrega está firmada por su bodega."),
		chromedp.Click(chromedp.CSS("#dispute-reject-confirm-"+b1)),
	)
	clientWait(t, ctx, `document.querySelector('#disputes-empty') && !document.querySelector('#disputes-empty').hidden`)
	clientWait(t, ctx, `document.querySelector('#kpi-disputes .kpi').textContent === '0'`)

	// The resolved ones, with what was decided.
	browsertest.Eval(t, ctx, `(() => { const s = document.querySelector('#disputes-status'); s.value = ''; s.dispatchEvent(new Event('change')); return ''; })()`)
	clientWait(t, ctx, `document.querySelectorAll('#dispute-list .dispute-item').length === 2`)
	// Intl puts a no-break space between the sign and the figure.
	all := strings.ReplaceAll(browsertest.Text(t, ctx, "#dispute-list"), "\u00a0", " ")
	for _, want := range []string{"Aceptada", "Abono aplicado: $ 300.000,00", "Rechazada: La guía de entrega", "Abierta por el deudor"} {
		if !strings.Contains(all, want) {
			t.Errorf("resolved list lacks %q:\n%s", want, all)
		}
	}
	clientNoRawKeys(t, ctx)
	browsertest.Shot(t, ctx, dir, "client-disputes-resolved")
}
