package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// The client opens the dashboard: KPI cards with the month's figures, three
// Chart.js charts drawn under the strict CSP, a period filter and the
// download links; the manager sees the same dashboard.
func TestReportBrowserDashboard(t *testing.T) {
	browsertest.Browser(t)
	r := newReportEnv(t)
	r.build()
	const email, mgrEmail = "tablero@acme.test", "gerente@acme.test"
	for _, u := range [][2]string{{email, "client"}, {mgrEmail, "manager"}} {
		r.must("user", r.Do("POST", "/api/tenants/acme/users", r.Admin, map[string]any{"email": u[0], "name": "Carla " + u[1], "role": u[1], "password": apptest.Password}), 201)
	}
	// Last month's set, as the scheduler makes it on the first business day.
	if _, err := r.App.Web.Reports.RunMonthly(r.Ctx(), time.Now().AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	url := r.Listen()
	dir := t.TempDir()
	ctx := browsertest.New(t, 1280, 900)
	clientLogin(t, ctx, url, email)
	clientWait(t, ctx, `document.querySelector('#dashboard') && document.querySelector('#dashboard').dataset.ready === 'true'`)

	// The default period is this month up to today; rate and outstanding
	// are "to date" figures, whatever day of the month the test runs.
	kpis := browsertest.Text(t, ctx, "#dash-kpis")
	for _, want := range []string{"Tasa de recuperación", "30,30", "1.149.999,95", "Saldo pendiente", "3 cuentas"} {
		if !strings.Contains(kpis, want) {
			t.Errorf("KPI cards lack %q:\n%s", want, kpis)
		}
	}
	for _, id := range []string{"chart-aging", "chart-monthly", "chart-rate"} {
		if got := browsertest.Eval(t, ctx, `String(!!(window.Chart && Chart.getChart('`+id+`')))`); got != "true" {
			t.Errorf("chart %s not drawn", id)
		}
	}
	if got := browsertest.Eval(t, ctx, `String(Chart.getChart('chart-aging').data.datasets[0].data.join(','))`); got != "15000000,0,70000000,0,29999995,0,0" {
		t.Errorf("aging chart data %s", got)
	}
	browsertest.Shot(t, ctx, dir, "dashboard-client")

	// The period filter: the 40 days of the test.
	clientRun(t, ctx, "period",
		chromedp.SetValue(chromedp.CSS("#dash-from"), r.from),
		chromedp.SetValue(chromedp.CSS("#dash-to"), r.to),
		chromedp.Click(chromedp.CSS(`#dash-filter button[type=submit]`)))
	clientWait(t, ctx, `document.querySelector('#dashboard').dataset.ready === 'true'`)
	kpis = browsertest.Text(t, ctx, "#dash-kpis")
	for _, want := range []string{"500.000,05", "50,00", "1 cumplidas de 1", "2 de 4 cuentas", "23,6"} {
		if !strings.Contains(kpis, want) {
			t.Errorf("KPI cards over the period lack %q:\n%s", want, kpis)
		}
	}
	if href := browsertest.Eval(t, ctx, `document.querySelector('#dl-recovery').getAttribute('href')`); href != "/api/tenants/acme/reports/recovery.pdf?from="+r.from+"&to="+r.to {
		t.Errorf("recovery link %q", href)
	}
	clientNoRawKeys(t, ctx)
	clientWait(t, ctx, `!!document.querySelector('#dash-archive-list li[data-month]')`)
	month := time.Now().In(bogota).Format("2006-01")
	if href := browsertest.Eval(t, ctx, `document.querySelector('#dash-archive-list li[data-month] a').getAttribute('href')`); href != "/api/tenants/acme/reports/monthly/"+month+"/recovery.pdf" {
		t.Errorf("monthly archive link %q", href)
	}
	browsertest.Shot(t, ctx, dir, "dashboard-client-period")

	// The segment filter: Empresas is María's B1 alone.
	clientRun(t, ctx, "segment",
		chromedp.SetValue(chromedp.CSS("#dash-segment"), "Empresas"),
		chromedp.Click(chromedp.CSS(`#dash-filter button[type=submit]`)))
	clientWait(t, ctx, `document.querySelector('#dashboard').dataset.ready === 'true' && document.querySelector('#dash-segment').value === 'Empresas'`)
	if kpis := browsertest.Text(t, ctx, "#dash-kpis"); !strings.Contains(kpis, "200.000,05") || !strings.Contains(kpis, "299.999,95") {
		t.Errorf("Empresas KPIs:\n%s", kpis)
	}
	if href := browsertest.Eval(t, ctx, `document.querySelector('#dl-recovery').getAttribute('href')`); !strings.HasSuffix(href, "&segment=Empresas") {
		t.Errorf("recovery link for the segment %q", href)
	}
	browsertest.Shot(t, ctx, dir, "dashboard-client-segment")
	clientRun(t, ctx, "all segments",
		chromedp.SetValue(chromedp.CSS("#dash-segment"), ""),
		chromedp.Click(chromedp.CSS(`#dash-filter button[type=submit]`)))
	clientWait(t, ctx, `document.querySelector('#dashboard').dataset.ready === 'true' && document.querySelector('#dash-segment').value === ''`)

	// Drill-down: the 31-60 bar of the aging chart filters the accounts.
	browsertest.Eval(t, ctx, `(Chart.getChart('chart-aging').options.onClick(null, [{ index: 2 }]), 'ok')`)
	clientWait(t, ctx, `document.querySelector('#accounts-bucket').value === '31-60' && document.querySelectorAll('#accounts-table tbody tr').length === 1`)
	if row := browsertest.Text(t, ctx, "#accounts-table tbody"); !strings.Contains(row, "A1") {
		t.Errorf("drill-down to 31-60 shows %q", row)
	}

	// The same dashboard on the manager face.
	mgr := browsertest.New(t, 1280, 900)
	clientRun(t, mgr, "manager login", chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), mgrEmail), chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")), chromedp.WaitVisible(chromedp.CSS("#tenants")))
	clientWait(t, mgr, `document.querySelector('#dashboard') && document.querySelector('#dashboard').dataset.ready === 'true'`)
	if txt := browsertest.Text(t, mgr, "#kpi-outstanding"); !strings.Contains(txt, "1.149.999,95") {
		t.Errorf("manager dashboard: %q", txt)
	}
	browsertest.Shot(t, mgr, dir, "dashboard-manager")
}
