package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A manager saves the client's Wompi keys on the manager face: the card
// then names Wompi, shows the keys' last four characters and the events
// URL to register, and no secret is on the page.
func TestManagerSavesTheClientsWompiKeys(t *testing.T) {
	browsertest.Browser(t)
	e := apptest.New(t, apptest.Sandbox)
	e.Tenant("acme")
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": "mgr@acme.test", "name": "Gerente", "role": "manager", "password": apptest.Password}); r.Status != 201 {
		t.Fatalf("manager: %d %s", r.Status, r.Body)
	}
	url := e.Listen()
	ctx := browsertest.New(t, 1280, 900)
	staffLogin(t, ctx, url, "mgr@acme.test", "", "#tenant-gateway-none")
	keys := map[string]string{"publicKey": wompiKeys.Public, "privateKey": wompiKeys.Private, "eventsSecret": wompiKeys.Events, "integritySecret": wompiKeys.Integrity}
	clientRun(t, ctx, "open the form", chromedp.Click(chromedp.CSS("#tenant-gateway details summary")), chromedp.WaitVisible(chromedp.CSS(`#tenant-gateway-form input[name=publicKey]`)))
	for name, v := range keys {
		clientRun(t, ctx, "type "+name, chromedp.SendKeys(chromedp.CSS(`#tenant-gateway-form input[name=`+name+`]`), v))
	}
	clientRun(t, ctx, "save", chromedp.Click(chromedp.CSS(`#tenant-gateway-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#tenant-gateway-name")))
	if name := browsertest.Text(t, ctx, "#tenant-gateway-name"); !strings.Contains(name, "Wompi") || !strings.Contains(name, "prueba") {
		t.Fatalf("gateway %q", name)
	}
	if k := browsertest.Text(t, ctx, "#tenant-gateway-keys"); !strings.Contains(k, "Llave privada …5678") || !strings.Contains(k, "Secreto de eventos …9xyz") {
		t.Fatalf("keys %q", k)
	}
	if w := browsertest.Text(t, ctx, "#tenant-gateway-webhook"); !strings.HasSuffix(w, "/api/webhooks/wompi") {
		t.Fatalf("webhook %q", w)
	}
	page := browsertest.Eval(t, ctx, `document.body.innerText + [...document.querySelectorAll('input')].map((i) => i.value).join(' ')`)
	for _, v := range keys {
		if strings.Contains(page, v) {
			t.Fatalf("a key is still on the page: %q", v)
		}
	}
	browsertest.Shot(t, ctx, t.TempDir(), "manager-tenant-gateway")
}
