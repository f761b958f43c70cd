package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// A collector starts from the queue: the account with the higher priority
// is first, with its reasons; they open it, log the call the ladder asked
// for, go back and see the queue reordered (the account has left it until
// its next step), and filter by task type.
func TestQueueBrowserWorkFromTheQueue(t *testing.T) {
	browsertest.Browser(t)
	dir := t.TempDir()
	w := newQueueEnv(t) // clock: Tuesday 2026-03-10 10:00 in Bogotá
	url := w.Listen()
	email := "cola@acme.test"
	r := w.Do("POST", "/api/tenants/acme/users", w.Admin, map[string]any{"email": email, "name": "Carla Cola", "role": "collector", "password": apptest.Password})
	if r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	if r := w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{"F-1", "F-2"}, "collectorId": r.JSON()["id"]}); r.Status != 200 {
		t.Fatal(r.Status, string(r.Body))
	}
	ctx := browsertest.New(t, 1280, 900)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#queue-table tbody tr[data-account]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	order := func() string {
		return browsertest.Eval(t, ctx, `[...document.querySelectorAll('#queue-table tbody tr[data-account]')].map((r) => r.dataset.account).join(',')`)
	}
	if o := order(); o != "F-1,F-2" {
		t.Fatalf("queue order %q", o)
	}
	q := browsertest.Text(t, ctx, "#queue")
	for _, s := range []string{"Mi cola de trabajo", "2 tareas pendientes", "Llamada de seguimiento", "saldo: $ 1.000.000,00", "37 días de mora", "Ferretería Núñez"} {
		if !strings.Contains(q, s) {
			t.Fatalf("queue lacks %q: %q", s, q)
		}
	}
	browsertest.Shot(t, ctx, dir, "queue-before")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#q-open-F-1")),
		chromedp.WaitVisible(chromedp.CSS("#log-form")),
		chromedp.WaitVisible(chromedp.CSS("#letter-3")),
	)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Eval(t, ctx, `(() => { const s = document.querySelector('#log-outcome'); s.value = 'contacted'; s.dispatchEvent(new Event('change')); return s.value; })()`)
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#log-note"), "Dice que revisa con tesorería"),
		chromedp.Click(chromedp.CSS("#log-submit")),
		chromedp.WaitVisible(chromedp.CSS("#timeline li.activity")),
		chromedp.Click(chromedp.CSS("#back")),
		chromedp.WaitVisible(chromedp.CSS("#queue-table")),
		chromedp.WaitVisible(chromedp.CSS("#queue-count")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if o := order(); o != "F-2" {
		t.Fatalf("queue after the call %q", o)
	}
	browsertest.Shot(t, ctx, dir, "queue-after")
	// Filter by type: no visit is due yet.
	browsertest.Eval(t, ctx, `(() => { const s = document.querySelector('#queue-type'); s.value = 'visit'; s.dispatchEvent(new Event('change')); return s.value; })()`)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#queue-empty"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Shot(t, ctx, dir, "queue-filter-visit")
}
