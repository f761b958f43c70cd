package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A collector tries a call on Sunday and sees the refusal kept in the
// timeline under their name; adds the treasurer's billing address; records
// that the debtor refused calls and is stopped from authorizing them again
// without evidence; and reads the consent history.
func TestCollectorBrowserPeopleAndConsent(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	w := newWorkEnv(t)
	url := w.Listen()
	r := w.Do("POST", "/api/tenants/acme/users", w.Admin, map[string]any{"email": "carla@acme.test", "name": "Carla Gómez", "role": "collector", "password": apptest.Password})
	if r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	if r := w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{"F-1", "F-2"}, "collectorId": r.JSON()["id"]}); r.Status != 200 {
		t.Fatal(r.Status, string(r.Body))
	}
	w.setClock(at("2026-03-15 10:00")) // Sunday
	ctx := browsertest.New(t, 1280, 900)
	choose := func(sel, value string) {
		t.Helper()
		browsertest.Eval(t, ctx, `(() => { const s = document.querySelector('`+sel+`'); s.value = '`+value+`'; s.dispatchEvent(new Event('change')); return s.value; })()`)
	}
	open := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#queue table")),
			chromedp.Click(chromedp.CSS("#open-F-1")), chromedp.WaitVisible(chromedp.CSS("#consent-form"))); err != nil {
			t.Fatal(err)
		}
	}
	staffLogin(t, ctx, url, "carla@acme.test", "", "#queue table")
	clientRun(t, ctx, "open F-1", chromedp.Click(chromedp.CSS("#open-F-1")), chromedp.WaitVisible(chromedp.CSS("#log-form")))
	choose("#log-channel", "call")
	choose("#log-outcome", "no_answer")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#log-submit")), chromedp.WaitVisible(chromedp.CSS("#log-error"))); err != nil {
		t.Fatal(err)
	}
	open()
	tl := browsertest.Text(t, ctx, "#timeline li.blocked")
	if !strings.Contains(tl, "Llamada") || !strings.Contains(tl, "Bloqueado") || !strings.Contains(tl, "Carla Gómez") || !strings.Contains(tl, "domingo") {
		t.Fatalf("blocked attempt in the timeline: %q", tl)
	}
	// The treasurer's billing address.
	choose("#contact-kind", "address")
	choose("#contact-label", "billing")
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#contact-value"), "Cra 7 # 71-21 Of. 502"),
		chromedp.SendKeys(chromedp.CSS("#contact-person"), "Marta Ruiz"),
		chromedp.SendKeys(chromedp.CSS("#contact-role"), "Tesorería"),
		chromedp.Click(chromedp.CSS("#contact-submit")),
		chromedp.WaitVisible(chromedp.CSS("#consent-form")),
		chromedp.Poll[chromedp.Void](`document.querySelector('#contacts') && document.querySelector('#contacts').innerText.includes('Marta Ruiz')`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if c := browsertest.Text(t, ctx, "#contacts"); !strings.Contains(c, "Facturación") || !strings.Contains(c, "Marta Ruiz · Tesorería") {
		t.Fatalf("contacts: %q", c)
	}
	// The debtor refuses calls.
	choose("#consent-channel", "call")
	choose("#consent-choice", "opted_out")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#consent-how"), "Lo pidió en la llamada entrante"),
		chromedp.Click(chromedp.CSS("#consent-submit")),
		chromedp.Poll[chromedp.Void](`(document.querySelector('#consent-channels li[data-channel=call]')||{innerText:''}).innerText.includes('se opuso')`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Authorizing calls again without the proof is refused, in words.
	choose("#consent-channel", "call")
	choose("#consent-choice", "authorized")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#consent-how"), "Correo del deudor"),
		chromedp.Click(chromedp.CSS("#consent-submit")),
		chromedp.WaitVisible(chromedp.CSS("#consent-error")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if msg := browsertest.Text(t, ctx, "#consent-error"); !strings.Contains(msg, "Prueba: indique la grabación") {
		t.Fatalf("evidence refusal: %q", msg)
	}
	browsertest.Eval(t, ctx, `(document.querySelector('#consent-history').open = true, 'ok')`)
	if h := browsertest.Text(t, ctx, "#consent-history"); !strings.Contains(h, "Carla Gómez") || !strings.Contains(h, "Lo pidió en la llamada entrante") {
		t.Fatalf("consent history: %q", h)
	}
	browsertest.ShotOf(t, ctx, dir, "collector-consent", "#consent")
	browsertest.Shot(t, ctx, dir, "collector-people")
}
