package web_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
	"cartera/portal/strategy"
)

// challengerBody is a test request whose challenger keeps the champion's
// money terms (the policy as GET /policy returns it) and replaces the
// ladder with two steps: an e-mail the day after the due date and a call
// five days later.
func challengerBody(t *testing.T, e *apptest.Env, token, name string, share float64) map[string]any {
	t.Helper()
	pol := e.Do("GET", "/api/tenants/acme/policy", token, nil).JSON()
	pol["steps"] = []map[string]any{
		{"day": 1, "channel": "email", "template": "ch_email", "automatic": true, "label": "Correo retador"},
		{"day": 5, "channel": "call", "template": "ch_call", "label": "Llamada retadora"},
	}
	delete(pol, "default")
	delete(pol, "updatedAt")
	delete(pol, "updatedBy")
	return map[string]any{"name": name, "share": share, "challenger": pol}
}

// strategyPortfolio is n invoices of 1.000.000 COP due in the future (no
// late interest, no settlement discount), one debtor each.
func strategyPortfolio(n int, prefix string) []byte {
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := range n {
		fmt.Fprintf(&b, "9%08d;Cliente %s%d;%s-%d;2027-06-30;1.000.000;c%d@example.co;300%07d\n", i, prefix, i, prefix, i, i, i)
	}
	return []byte(b.String())
}

// The champion/challenger test through HTTP, the store and back: a
// manager starts a test (a second one is 409, another tenant's users get
// 404), new accounts get their arm by the published rule and keep it on a
// re-upload, each arm's accounts walk their own ladder, the report adds
// the payments up by arm, the recovery PDF shows it, stopping returns the
// challenger's accounts to the champion, and promoting makes the
// challenger the tenant's policy. Every action is audited.
func TestStrategyTestChampionChallenger(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	_, manager := e.User("acme", "manager")
	_, client := e.User("acme", "client")
	_, collector := e.User("acme", "collector")
	_, foreign := e.User("globex", "manager")
	base := "/api/tenants/acme/strategy-tests"

	for _, c := range []struct {
		who, token string
		want       int
	}{{"client", client, 403}, {"collector", collector, 403}, {"manager of another tenant", foreign, 404}, {"anonymous", "", 401}} {
		if r := e.Do("POST", base, c.token, challengerBody(t, e, manager, "x", 0.5)); r.Status != c.want {
			t.Fatalf("start as %s: %d %s, want %d", c.who, r.Status, r.Body, c.want)
		}
	}
	bad := challengerBody(t, e, manager, "", 1.5)
	bad["challenger"].(map[string]any)["lateInterestBP"] = 1
	if r := e.Do("POST", base, manager, bad); r.Status != 400 || len(r.JSON()["fields"].(map[string]any)) < 3 {
		t.Fatalf("invalid test: %d %s", r.Status, r.Body)
	}

	// Four managers press "start" at once: one test runs, the others get 409.
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	bodies := make([]map[string]any, 4)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.Do("POST", base, manager, challengerBody(t, e, manager, fmt.Sprintf("Retadora %d", i), 0.5))
			statuses[i], bodies[i] = r.Status, r.JSON()
		}()
	}
	wg.Wait()
	var test map[string]any
	for i, s := range statuses {
		switch s {
		case 201:
			if test != nil {
				t.Fatalf("two tests started: %v", statuses)
			}
			test = bodies[i]
		case 409:
		default:
			t.Fatalf("concurrent start: %v %v", statuses, bodies)
		}
	}
	if test == nil || test["status"] != "running" || test["seed"] == "" {
		t.Fatalf("no test started: %v %v", statuses, bodies)
	}
	id, seed := test["id"].(string), test["seed"].(string)
	if r := e.Do("POST", base, manager, challengerBody(t, e, manager, "Otra", 0.2)); r.Status != 409 {
		t.Fatalf("second test: %d %s", r.Status, r.Body)
	}

	// 40 accounts placed: each in the arm ArmOf gives it.
	if m := e.Import("acme", client, "p.csv", strategyPortfolio(40, "S")); num(m, "inserted") != 40 {
		t.Fatalf("import: %v", m)
	}
	arms := map[string]string{}
	var champ, chall []string
	armOf := func(inv string) string {
		t.Helper()
		r := e.Do("GET", "/api/tenants/acme/accounts/"+inv, manager, nil)
		st, _ := r.JSON()["strategyTest"].(map[string]any)
		if r.Status != 200 || st == nil || st["id"] != id {
			t.Fatalf("account %s: %d %s", inv, r.Status, r.Body)
		}
		return st["arm"].(string)
	}
	for i := range 40 {
		inv := fmt.Sprintf("S-%d", i)
		arm := armOf(inv)
		if want := strategy.ArmOf(seed, 0.5, "acme:"+inv); arm != want {
			t.Fatalf("%s in %s, the rule says %s", inv, arm, want)
		}
		arms[inv] = arm
		if arm == strategy.ArmChallenger {
			chall = append(chall, inv)
		} else {
			champ = append(champ, inv)
		}
	}
	if len(chall) < 3 || len(champ) < 1 {
		t.Fatalf("arms: %d challenger, %d champion", len(chall), len(champ))
	}
	// A re-upload (one amount changed) moves nobody.
	again := strings.Replace(string(strategyPortfolio(40, "S")), "S-0;2027-06-30;1.000.000", "S-0;2027-06-30;1.100.000", 1)
	if m := e.Import("acme", client, "p2.csv", []byte(again)); num(m, "updated") != 1 {
		t.Fatalf("re-upload: %v", m)
	}
	for inv, arm := range arms {
		if got := armOf(inv); got != arm {
			t.Fatalf("%s moved from %s to %s on a re-upload", inv, arm, got)
		}
	}
	placedOf := func(list []string) int64 {
		var n int64
		for _, inv := range list {
			n += 100000000
			if inv == "S-0" {
				n += 10000000
			}
		}
		return n
	}

	// Each arm walks its own ladder.
	nextTemplate := func(inv string) string {
		t.Helper()
		r := e.Do("GET", "/api/tenants/acme/accounts/"+inv+"/timeline", manager, nil)
		n, _ := r.JSON()["nextStep"].(map[string]any)
		st, _ := n["step"].(map[string]any)
		if r.Status != 200 || st == nil {
			t.Fatalf("timeline %s: %d %s", inv, r.Status, r.Body)
		}
		return st["template"].(string)
	}
	if got := nextTemplate(chall[0]); got != "ch_email" {
		t.Fatalf("challenger account's next step: %s", got)
	}
	if got := nextTemplate(champ[0]); got != "courtesy_call" {
		t.Fatalf("champion account's next step: %s", got)
	}

	// Half paid on three challenger accounts and one champion account.
	today := time.Now().In(bogota).Format(time.DateOnly)
	for i, inv := range append(append([]string{}, chall[:3]...), champ[0]) {
		r := e.Do("POST", "/api/tenants/acme/accounts/"+inv+"/payments", manager, map[string]any{"amount": 50000000, "method": "cash", "reference": fmt.Sprintf("R-%d", i), "paidAt": today})
		if r.Status != 201 {
			t.Fatalf("payment %s: %d %s", inv, r.Status, r.Body)
		}
	}
	var rep struct {
		Test             strategy.Test
		Currency         string
		Champion         armOut
		Challenger       armOut
		Payers, Recovery struct {
			Method                string
			DiffBP, LowBP, HighBP int64
			Defined               bool
		}
	}
	r := e.Do("GET", base+"/"+id, client, nil) // the client company reads it
	if r.Status != 200 {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	r.Decode(t, &rep)
	want := func(list []string, paid int64) armOut {
		n := int64(len(list))
		return armOut{Accounts: n, Placed: placedOf(list), Recovered: paid * 50000000, Payers: paid,
			RecoveryRateBP: (paid*50000000*10000*2 + placedOf(list)) / (2 * placedOf(list)), MedianDaysToPay: 0}
	}
	for _, c := range []struct {
		name      string
		got, want armOut
	}{{"champion", rep.Champion.norm(), want(champ, 1)}, {"challenger", rep.Challenger.norm(), want(chall, 3)}} {
		if c.got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if rep.Test.Key != id || rep.Test.Status != "running" || rep.Currency != "COP" || rep.Payers.Method != "wald_two_proportions" || rep.Recovery.Method != "welch_normal" || !rep.Payers.Defined {
		t.Fatalf("report: %s", r.Body)
	}
	if rep.Payers.LowBP > rep.Payers.DiffBP || rep.Payers.DiffBP > rep.Payers.HighBP {
		t.Fatalf("interval around the difference: %+v", rep.Payers)
	}
	if r := e.Do("GET", base, client, nil); r.Status != 200 || len(r.JSON()["items"].([]any)) != 1 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{base, base + "/" + id} {
		if r := e.Do("GET", path, collector, nil); r.Status != 403 {
			t.Fatalf("collector reads %s: %d", path, r.Status)
		}
		if r := e.Do("GET", path, foreign, nil); r.Status != 404 || strings.Contains(string(r.Body), id) {
			t.Fatalf("another tenant's manager reads %s: %d %s", path, r.Status, r.Body)
		}
	}
	// Not even through its own tenant's path.
	if r := e.Do("GET", "/api/tenants/globex/strategy-tests/"+id, foreign, nil); r.Status != 404 {
		t.Fatalf("another tenant's test by id: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", base+"/"+id+"/stop", foreign, nil); r.Status != 404 {
		t.Fatalf("another tenant stops it: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", base+"/"+id+"/promote", client, nil); r.Status != 403 {
		t.Fatalf("the client promotes it: %d %s", r.Status, r.Body)
	}

	// The recovery PDF of this month shows the test.
	pdf := e.Do("GET", "/api/tenants/acme/reports/recovery.pdf", client, nil)
	if pdf.Status != 200 {
		t.Fatalf("recovery pdf: %d %s", pdf.Status, pdf.Body)
	}
	txt := pdfText(t, pdf.Body, "strategy-test")
	for _, want := range []string{"Pruebas de estrategia", test["name"].(string), "Campeona", "Retadora", "(retadora – campeona)", "IC 95 %", "no significativa"} {
		if !strings.Contains(txt, want) {
			t.Fatalf("the recovery PDF lacks %q:\n%s", want, txt)
		}
	}

	// Stop: the challenger's accounts go back to the champion's ladder.
	if r := e.Do("POST", base+"/"+id+"/stop", manager, nil); r.Status != 200 || r.JSON()["status"] != "stopped" {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	if got := nextTemplate(chall[0]); got != "courtesy_call" {
		t.Fatalf("a stopped test's challenger account still walks %s", got)
	}
	for _, path := range []string{"/stop", "/promote"} {
		if r := e.Do("POST", base+"/"+id+path, manager, nil); r.Status != 409 {
			t.Fatalf("%s on a stopped test: %d %s", path, r.Status, r.Body)
		}
	}
	if r := e.Do("POST", base+"/nosuchtest/stop", manager, nil); r.Status != 404 {
		t.Fatalf("stop an unknown test: %d %s", r.Status, r.Body)
	}
	if armOf(chall[0]) != strategy.ArmChallenger {
		t.Fatal("the account's record of its arm must stay")
	}

	// A second test, promoted: its ladder becomes the tenant's policy.
	r = e.Do("POST", base, manager, challengerBody(t, e, manager, "Segunda", 0.3))
	if r.Status != 201 {
		t.Fatalf("start after stop: %d %s", r.Status, r.Body)
	}
	id2 := r.JSON()["id"].(string)
	if r := e.Do("POST", base+"/"+id2+"/promote", manager, nil); r.Status != 200 || r.JSON()["status"] != "promoted" {
		t.Fatalf("promote: %d %s", r.Status, r.Body)
	}
	pol := e.Do("GET", "/api/tenants/acme/policy", manager, nil).JSON()
	if steps := pol["steps"].([]any); len(steps) != 2 || steps[0].(map[string]any)["template"] != "ch_email" || pol["default"] == true {
		t.Fatalf("policy after promotion: %v", pol)
	}
	if got := nextTemplate(champ[0]); got != "ch_email" {
		t.Fatalf("after promotion every account walks the new ladder: %s", got)
	}
	list := e.Do("GET", base, manager, nil).JSON()["items"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["status"] != "promoted" || list[1].(map[string]any)["status"] != "stopped" {
		t.Fatalf("tests: %v", list)
	}
	// With no test running, new accounts get no arm.
	if m := e.Import("acme", client, "p3.csv", strategyPortfolio(1, "N")); num(m, "inserted") != 1 {
		t.Fatalf("import: %v", m)
	}
	if r := e.Do("GET", "/api/tenants/acme/accounts/N-0", manager, nil); r.JSON()["strategyTest"] != nil {
		t.Fatalf("an account placed with no test running has an arm: %s", r.Body)
	}

	var page auditPage
	e.Do("GET", "/api/tenants/acme/audit?limit=200", manager, nil).Decode(t, &page)
	seen := map[string]int{}
	for _, it := range page.Items {
		if strings.HasPrefix(it.Action, "strategy_test.") {
			seen[it.Action]++
		}
	}
	if seen["strategy_test.start"] != 2 || seen["strategy_test.stop"] != 1 || seen["strategy_test.promote"] != 1 {
		t.Fatalf("audit: %v", seen)
	}
}

// armOut is the part of an arm's figures the test checks exactly.
type armOut struct {
	Accounts, Placed, Recovered, Payers int64
	RecoveryRateBP                      int64
	MedianDaysToPay                     float64
	RecoveryRate                        struct{ BP int64 } `json:"recoveryRate"`
	Median                              *float64           `json:"medianDaysToPay"`
}

func (a armOut) norm() armOut {
	out := armOut{Accounts: a.Accounts, Placed: a.Placed, Recovered: a.Recovered, Payers: a.Payers, RecoveryRateBP: a.RecoveryRate.BP, MedianDaysToPay: -1}
	if a.Median != nil {
		out.MedianDaysToPay = *a.Median
	}
	return out
}

// The contact rules bind both arms: they are checked on every message the
// ladder sends, downstream of whichever policy chose the step. Accounts
// due on Saturday 2026-12-12 reach their D+1 e-mail (the champion's
// overdue notice, the challenger's own) on Sunday night, when Colombian
// rules allow no contact: every message of either arm is deferred.
func TestStrategyTestComplianceBindsBothArms(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, manager := e.User("acme", "manager")
	_, client := e.User("acme", "client")
	r := e.Do("POST", "/api/tenants/acme/strategy-tests", manager, challengerBody(t, e, manager, "Correo retador", 0.5))
	if r.Status != 201 {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	csv := strings.ReplaceAll(string(strategyPortfolio(20, "C")), "2027-06-30", "2026-12-12")
	if m := e.Import("acme", client, "c.csv", []byte(csv)); num(m, "inserted") != 20 {
		t.Fatalf("import: %v", m)
	}
	sunday := time.Date(2026, 12, 13, 23, 0, 0, 0, bogota)
	e.App.Ladder.Now = func() time.Time { return sunday }
	if _, err := e.App.Ladder.Run(e.Ctx(), "acme"); err != nil {
		t.Fatal(err)
	}
	items := e.Do("GET", "/api/tenants/acme/outbox", manager, nil).JSON()["items"].([]any)
	templates := map[string]int{}
	for _, it := range items {
		m := it.(map[string]any)
		templates[m["template"].(string)]++
		if m["status"] != "deferred" {
			t.Errorf("%s %s on a Sunday night: %s %v", m["accountId"], m["template"], m["status"], m["code"])
		}
	}
	if templates["ch_email"] == 0 || templates["overdue_notice"] == 0 || templates["ch_email"]+templates["overdue_notice"] != 20 {
		t.Fatalf("one e-mail per account, from each arm's ladder: %v", templates)
	}
}

// Plan offers follow the debtor's arm: a challenger allowing at most three
// installments offers no plan beyond three to a debtor in its arm, while
// a champion debtor still sees the house's twelve.
func TestStrategyTestPlanOffersFollowTheArm(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, manager := e.User("acme", "manager")
	_, client := e.User("acme", "client")
	body := challengerBody(t, e, manager, "Pocas cuotas", 0.5)
	body["challenger"].(map[string]any)["plans"].(map[string]any)["maxInstallments"] = 3
	r := e.Do("POST", "/api/tenants/acme/strategy-tests", manager, body)
	if r.Status != 201 {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	seed := r.JSON()["seed"].(string)
	if m := e.Import("acme", client, "p.csv", strategyPortfolio(30, "P")); num(m, "inserted") != 30 {
		t.Fatalf("import: %v", m)
	}
	maxOffer := map[string]float64{}
	for i := range 30 { // both arms appear among 30 but once in 2^29
		arm := strategy.ArmOf(seed, 0.5, fmt.Sprintf("acme:P-%d", i))
		if _, seen := maxOffer[arm]; seen {
			continue
		}
		doc := fmt.Sprintf("9%08d", i)
		code := e.Do("POST", "/api/tenants/acme/debtors/"+doc+"/access-code", manager, nil).JSON()["code"]
		login := e.Do("POST", "/api/debtor/login", "", map[string]any{"tenant": "acme", "document": doc, "code": code})
		if login.Status != 200 {
			t.Fatalf("debtor login: %d %s", login.Status, login.Body)
		}
		var offers []struct{ Installments float64 }
		or := e.Do("GET", "/api/debtor/plan-offers", login.JSON()["token"].(string), nil)
		or.Decode(t, &offers)
		if or.Status != 200 || len(offers) == 0 {
			t.Fatalf("offers of a %s debtor: %d %s", arm, or.Status, or.Body)
		}
		for _, o := range offers {
			maxOffer[arm] = max(maxOffer[arm], o.Installments)
		}
	}
	if maxOffer[strategy.ArmChallenger] != 3 || maxOffer[strategy.ArmChampion] != 12 {
		t.Fatalf("longest plan offered by arm: %v, want challenger 3 and champion 12", maxOffer)
	}
}

// The dashboard's strategy-test card: the client reads the arms side by
// side with the differences and no raw catalogue key; the manager adopts
// the challenger from it, and the card says so.
func TestStrategyTestBrowserDashboard(t *testing.T) {
	browsertest.Browser(t)
	e := apptest.New(t)
	e.Tenant("acme")
	_, manager := e.User("acme", "manager")
	const email, mgrEmail = "pruebas@acme.test", "gerente.pruebas@acme.test"
	for _, u := range [][2]string{{email, "client"}, {mgrEmail, "manager"}} {
		if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": u[0], "name": "Ana " + u[1], "role": u[1], "password": apptest.Password}); r.Status != 201 {
			t.Fatalf("user: %d %s", r.Status, r.Body)
		}
	}
	if r := e.Do("POST", "/api/tenants/acme/strategy-tests", manager, challengerBody(t, e, manager, "WhatsApp temprano", 0.5)); r.Status != 201 {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	if m := e.Import("acme", manager, "p.csv", strategyPortfolio(40, "B")); num(m, "inserted") != 40 {
		t.Fatalf("import: %v", m)
	}
	url := e.Listen()
	ctx := browsertest.New(t, 1280, 900)
	clientLogin(t, ctx, url, email)
	clientWait(t, ctx, `!!document.querySelector('#dash-tests') && !document.querySelector('#dash-tests').hidden`)
	txt := browsertest.Text(t, ctx, "#dash-tests")
	for _, want := range []string{"Pruebas de estrategia", "WhatsApp temprano", "en curso", "Campeona", "Retadora", "Cuentas con algún pago", "IC 95 %", "Welch"} {
		if !strings.Contains(strings.ToLower(txt), strings.ToLower(want)) { // the table's heads are in capitals (CSS)
			t.Errorf("the card lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "reports.test.") {
		t.Errorf("raw catalogue keys in the card:\n%s", txt)
	}
	if got := browsertest.Eval(t, ctx, `String(!!document.querySelector('#test-promote'))`); got != "false" {
		t.Error("the client must not see the promote button")
	}
	browsertest.Shot(t, ctx, t.TempDir(), "strategy-test-client")

	mgr := browsertest.New(t, 1280, 900)
	clientRun(t, mgr, "manager login", chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), mgrEmail), chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS("#login-submit")), chromedp.WaitVisible(chromedp.CSS("#tenants")))
	clientWait(t, mgr, `!!document.querySelector('#test-promote')`)
	browsertest.Eval(t, mgr, `(window.confirm = () => true, document.querySelector('#test-promote').click(), 'ok')`)
	clientWait(t, mgr, `!!document.querySelector('#dash-test-head') && document.querySelector('#dash-test-head').textContent.includes('retadora adoptada')`)
	if got := browsertest.Eval(t, mgr, `String(!!document.querySelector('#test-promote'))`); got != "false" {
		t.Error("an ended test offers no promote button")
	}
	pol := e.Do("GET", "/api/tenants/acme/policy", manager, nil).JSON()
	if steps := pol["steps"].([]any); len(steps) != 2 {
		t.Fatalf("the challenger was not adopted: %v", pol)
	}

	// The policy editor starts the next test with the policy as edited.
	clientRun(t, mgr, "policy tab", chromedp.Click(chromedp.CSS("#tab-policy")), chromedp.WaitVisible(chromedp.CSS("#policy-test-form")))
	browsertest.Eval(t, mgr, `(document.querySelector('#test-name').value = 'Desde el editor', document.querySelector('#test-share').value = '30', document.querySelector('#test-start').click(), 'ok')`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		items := e.Do("GET", "/api/tenants/acme/strategy-tests", manager, nil).JSON()["items"].([]any)
		if first := items[0].(map[string]any); len(items) == 2 && first["name"] == "Desde el editor" && first["share"] == 0.3 && first["status"] == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the editor's test did not start: %v (%s)", items, browsertest.Text(t, mgr, "#policy-test-form"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A second start is refused in words.
	browsertest.Eval(t, mgr, `(document.querySelector('#test-start').click(), 'ok')`)
	clientWait(t, mgr, `!document.querySelector('#test-error').hidden && document.querySelector('#test-error').textContent.includes('Ya hay una prueba en curso')`)
}

// Selected open accounts join a running test by the same rule; what they
// owed when they joined is their base, and what happened before (a payment
// last month) is not the test's.
func TestStrategyTestEnrolOpenAccounts(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, manager := e.User("acme", "manager")
	_, client := e.User("acme", "client")
	if m := e.Import("acme", client, "old.csv", strategyPortfolio(20, "E")); num(m, "inserted") != 20 {
		t.Fatalf("import: %v", m)
	}
	today := time.Now().In(bogota).Format(time.DateOnly)
	pay := func(inv, ref string, amount int64) {
		t.Helper()
		if r := e.Do("POST", "/api/tenants/acme/accounts/"+inv+"/payments", manager, map[string]any{"amount": amount, "method": "cash", "reference": ref, "paidAt": today}); r.Status != 201 {
			t.Fatalf("payment: %d %s", r.Status, r.Body)
		}
	}
	pay("E-0", "before", 50000000)
	r := e.Do("POST", "/api/tenants/acme/strategy-tests", manager, challengerBody(t, e, manager, "Cartera vieja", 0.5))
	if r.Status != 201 {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	id, seed := r.JSON()["id"].(string), r.JSON()["seed"].(string)
	keys := []string{"nope"}
	for i := range 20 {
		keys = append(keys, fmt.Sprintf("E-%d", i))
	}
	path := "/api/tenants/acme/strategy-tests/" + id + "/accounts"
	if r := e.Do("POST", path, client, map[string]any{"accounts": keys}); r.Status != 403 {
		t.Fatalf("the client enrols: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/tenants/acme/strategy-tests/nosuch/accounts", manager, map[string]any{"accounts": keys}); r.Status != 404 {
		t.Fatalf("unknown test: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", path, manager, map[string]any{"accounts": keys}); r.Status != 200 || num(r.JSON(), "enrolled") != 20 || num(r.JSON(), "skipped") != 1 {
		t.Fatalf("enrol: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", path, manager, map[string]any{"accounts": keys}); r.Status != 200 || num(r.JSON(), "enrolled") != 0 {
		t.Fatalf("enrol again: %d %s", r.Status, r.Body)
	}
	acc := e.Do("GET", "/api/tenants/acme/accounts/E-0", manager, nil).JSON()["strategyTest"].(map[string]any)
	arm := strategy.ArmOf(seed, 0.5, "acme:E-0")
	if acc["arm"] != arm || acc["base"] != float64(50000000) {
		t.Fatalf("E-0 joined as %v, want arm %s and base 500.000,00", acc, arm)
	}
	pay("E-0", "after", 25000000)
	var rep struct {
		Champion, Challenger struct{ Accounts, Placed, Recovered, Payers int64 }
	}
	e.Do("GET", "/api/tenants/acme/strategy-tests/"+id, manager, nil).Decode(t, &rep)
	mine, other := rep.Champion, rep.Challenger
	if arm == strategy.ArmChallenger {
		mine, other = other, mine
	}
	if mine.Accounts+other.Accounts != 20 || mine.Recovered != 25000000 || mine.Payers != 1 || other.Recovered != 0 ||
		mine.Placed != (mine.Accounts-1)*100000000+50000000 || other.Placed != other.Accounts*100000000 {
		t.Fatalf("report after enrolment: %+v", rep)
	}
	if r := e.Do("POST", "/api/tenants/acme/strategy-tests/"+id+"/stop", manager, nil); r.Status != 200 {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", path, manager, map[string]any{"accounts": keys}); r.Status != 409 {
		t.Fatalf("enrol in a stopped test: %d %s", r.Status, r.Body)
	}
}
