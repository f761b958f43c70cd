package web_test

import (
	"strings"
	"testing"
	"time"

	"cartera/reports"
)

func TestFirstBusinessDay(t *testing.T) {
	for _, c := range []struct {
		country string
		y       int
		m       time.Month
		want    string
	}{
		{"CO", 2026, time.December, "2026-12-01"}, // Tuesday
		{"CO", 2027, time.January, "2027-01-04"},  // 1 holiday, 2-3 weekend
		{"CO", 2026, time.November, "2026-11-03"}, // 1 Sunday, 2 All Saints moved to Monday
		{"CO", 2026, time.August, "2026-08-03"},   // 1 Saturday
		{"US", 2026, time.November, "2026-11-02"}, // no holiday on the 2nd
		{"PE", 2026, time.May, "2026-05-04"},      // 1 Labour Day (Friday)
	} {
		if got := reports.FirstBusinessDay(c.country, c.y, c.m, bogota).Format(time.DateOnly); got != c.want {
			t.Errorf("%s %d-%02d: %s, want %s", c.country, c.y, c.m, got, c.want)
		}
	}
}

// The monthly set: made by the job on the first business day for the month
// before, once, listed newest first and downloadable by the client.
func TestMonthlyReports(t *testing.T) {
	r := newReportEnv(t)
	r.build()
	svc := r.App.Web.Reports
	ctx := r.Ctx()
	today := time.Now().In(bogota)
	next := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, bogota).AddDate(0, 1, 0)
	fbd := reports.FirstBusinessDay("CO", next.Year(), next.Month(), bogota)

	// The day before the first business day: nothing for this month yet
	// (last month's set, empty, is made: nothing had been generated).
	if _, err := svc.RunMonthly(ctx, fbd.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	month := today.Format("2006-01")
	list := r.must("list", r.Do("GET", "/api/tenants/acme/reports/monthly", r.client, nil), 200)["items"].([]any)
	for _, it := range list {
		if it.(map[string]any)["month"] == month {
			t.Fatalf("%s generated before its first business day: %v", month, list)
		}
	}
	if n, err := svc.RunMonthly(ctx, fbd.Add(9*time.Hour)); err != nil || n != 1 {
		t.Fatalf("run on the first business day: %d %v", n, err)
	}
	if n, err := svc.RunMonthly(ctx, fbd.Add(10*time.Hour)); err != nil || n != 0 {
		t.Fatalf("second run made %d (%v)", n, err)
	}
	list = r.must("list", r.Do("GET", "/api/tenants/acme/reports/monthly", r.manager, nil), 200)["items"].([]any)
	top := list[0].(map[string]any)
	if top["month"] != month || num(top, "recovered") != 50000005 || top["lang"] != "es" {
		t.Fatalf("newest set %v", top)
	}
	pdf := r.Do("GET", "/api/tenants/acme/reports/monthly/"+month+"/recovery.pdf", r.client, nil)
	if pdf.Status != 200 || pdf.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(pdf.Header.Get("Content-Disposition"), "recuperacion-acme-"+month+".pdf") {
		t.Fatalf("recovery.pdf %d %v", pdf.Status, pdf.Header)
	}
	if text := pdfText(t, pdf.Body, "monthly"); !strings.Contains(text, "$ 500.000,05") || !strings.Contains(text, "Informe de recuperación") {
		t.Errorf("monthly recovery PDF:\n%s", text)
	}
	csv := r.Do("GET", "/api/tenants/acme/reports/monthly/"+month+"/remittance.csv", r.client, nil)
	if csv.Status != 200 || !strings.HasPrefix(string(csv.Body), "\ufeff") || !strings.Contains(string(csv.Body), ";") {
		t.Errorf("remittance.csv %d %q", csv.Status, csv.Body)
	}
	for _, bad := range []string{"/api/tenants/acme/reports/monthly/" + month + "/secrets.pdf", "/api/tenants/acme/reports/monthly/1999-01/recovery.pdf"} {
		if res := r.Do("GET", bad, r.client, nil); res.Status != 404 {
			t.Errorf("%s: %d", bad, res.Status)
		}
	}
	if res := r.Do("GET", "/api/tenants/acme/reports/monthly", r.collector, nil); res.Status != 403 {
		t.Errorf("collector lists monthly reports: %d", res.Status)
	}
}

// The recovery report in English: English words, the same figures.
func TestRecoveryPDFEnglish(t *testing.T) {
	r := newReportEnv(t)
	r.build()
	res := r.Do("GET", "/api/tenants/acme/reports/recovery.pdf?lang=en&from="+r.from+"&to="+r.to, r.client, nil)
	if res.Status != 200 {
		t.Fatalf("recovery.pdf: %d", res.Status)
	}
	text := pdfText(t, res.Body, "recovery-en")
	for _, want := range []string{"Recovery report", "$ 500.000,05", "30,30 %", "Collector productivity", "Page 1 of 3"} {
		if !strings.Contains(text, want) {
			t.Errorf("English recovery PDF lacks %q:\n%s", want, text)
		}
	}
	for _, spanish := range []string{"Informe de recuperación", "Página", "Productividad"} {
		if strings.Contains(text, spanish) {
			t.Errorf("English recovery PDF has Spanish %q", spanish)
		}
	}
}
