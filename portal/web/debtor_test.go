package web_test

import (
	"bytes"
	"cartera/portal/caps"
	"cartera/portal/strategy"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
	"cartera/portal/testtool"
)

// debtorPortfolio: José owes A1 (due 1 Oct 2025, 1.000.000,00) and A2 (due
// 15 Nov 2025, 200.000,00); María owes B1 (due 15 Sep 2025, 500.000,00).
const debtorPortfolio = "documento,nombre,factura,vencimiento,valor\n" +
	"80123456,José Núñez,A1,2025-10-01,1000000\n" +
	"80123456,José Núñez,A2,2025-11-15,200000\n" +
	"900123456,María Gómez,B1,2025-09-15,500000\n"

// statementDay is "today" in the debtor tests: 31 Oct 2025, 10:00 in
// Bogotá, a day the Colombian usury table covers.
var statementDay = time.Date(2025, time.October, 31, 15, 0, 0, 0, time.UTC)

type debtorEnv struct {
	*apptest.Env
	client, manager string
}

func newDebtorEnv(t *testing.T) debtorEnv {
	t.Helper()
	e := apptest.New(t, apptest.Sandbox) // the debtor tests pay in the sandbox
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	_, manager := e.User("acme", "manager")
	if m := e.Import("acme", client, "cartera.csv", []byte(debtorPortfolio)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	e.App.DebtorsSvc.Now = func() time.Time { return statementDay }
	return debtorEnv{Env: e, client: client, manager: manager}
}

// code issues a fresh access code for a debtor as a manager.
func (e debtorEnv) code(tenant, doc string) string {
	e.T.Helper()
	r := e.Do("POST", "/api/tenants/"+tenant+"/debtors/"+doc+"/access-code", e.manager, nil)
	if r.Status != 200 {
		e.T.Fatalf("access code: %d %s", r.Status, r.Body)
	}
	return r.JSON()["code"].(string)
}

func (e debtorEnv) login(tenant, doc, code string) apptest.Resp {
	e.T.Helper()
	return e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": tenant, "document": doc, "code": code})
}

// session logs a debtor in with a new code and returns the bearer token.
func (e debtorEnv) session(tenant, doc string) string {
	e.T.Helper()
	r := e.login(tenant, doc, e.code(tenant, doc))
	if r.Status != 200 {
		e.T.Fatalf("debtor login %s: %d %s", doc, r.Status, r.Body)
	}
	return r.JSON()["token"].(string)
}

type stLine struct {
	ID          string `json:"id"`
	Invoice     string `json:"invoice"`
	DueDate     string `json:"dueDate"`
	Balance     int64  `json:"balance"`
	Interest    int64  `json:"interest"`
	Discount    int64  `json:"discount"`
	DaysPastDue int    `json:"daysPastDue"`
	Status      string `json:"status"`
	Disputed    bool   `json:"disputed"`
}

type statementResp struct {
	Debtor        struct{ Name string } `json:"debtor"`
	Currency      string                `json:"currency"`
	AsOf          string                `json:"asOf"`
	Accounts      []stLine              `json:"accounts"`
	Total         int64                 `json:"total"`
	InterestTotal int64                 `json:"interestTotal"`
	DiscountTotal int64                 `json:"discountTotal"`
}

func (e debtorEnv) statement(token string) statementResp {
	e.T.Helper()
	r := e.Do("GET", "/api/debtor/statement", token, nil)
	if r.Status != 200 {
		e.T.Fatalf("statement: %d %s", r.Status, r.Body)
	}
	var st statementResp
	r.Decode(e.T, &st)
	return st
}

func lineOf(t *testing.T, st statementResp, id string) stLine {
	t.Helper()
	for _, l := range st.Accounts {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("statement has no %s: %+v", id, st.Accounts)
	return stLine{}
}

func TestDebtorLogin(t *testing.T) {
	e := newDebtorEnv(t)
	code := e.code("acme", "80123456")

	// The code works however it is typed: lower case, spaces instead of dashes.
	r := e.login("acme", "80.123.456", strings.ToLower(strings.ReplaceAll(code, "-", " ")))
	if r.Status != 200 || r.JSON()["token"] == "" {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	ck := r.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "session=") || !strings.Contains(strings.ToLower(ck), "httponly") || !strings.Contains(ck, "SameSite=Strict") {
		t.Fatalf("session cookie %q", ck)
	}
	// The cookie alone is a session.
	req, _ := http.NewRequest("GET", "/api/debtor/statement", nil)
	req.Header.Set("Cookie", strings.SplitN(ck, ";", 2)[0])
	if res := e.Request(req); res.Status != 200 || !strings.Contains(string(res.Body), "José Núñez") {
		t.Fatalf("statement by cookie: %d %s", res.Status, res.Body)
	}

	// Wrong code, unknown document, unknown tenant: one answer.
	bad := e.login("acme", "80123456", "AAAA-BBBB-CC")
	unknown := e.login("acme", "11111111", code)
	noTenant := e.login("nope", "80123456", code)
	for _, x := range []apptest.Resp{bad, unknown, noTenant} {
		if x.Status != 401 || string(x.Body) != string(bad.Body) {
			t.Fatalf("refusals differ: %d %s / %s", x.Status, x.Body, bad.Body)
		}
	}
	if !strings.Contains(string(bad.Body), `"code":"unauthorized"`) {
		t.Fatalf("401 body %s", bad.Body)
	}

	// Five failures on a document lock it, even for the right code, with Retry-After.
	codeB := e.code("acme", "900123456")
	for i := 0; i < 5; i++ {
		if r := e.login("acme", "900123456", "WRONG-CODE-"+string(rune('A'+i))); r.Status != 401 {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
	}
	r = e.login("acme", "900123456", codeB)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures: %d %v", r.Status, r.Header)
	}
	// Another document from the same address still logs in.
	if r := e.login("acme", "80123456", code); r.Status != 200 {
		t.Fatalf("other document: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	locked, err := e.App.Audit.List(ctx, "acme", "debtor.login.locked", 10)
	if err != nil || len(locked) != 1 || locked[0].Target != "acme:900123456" || locked[0].IP == "" {
		t.Fatalf("lockout audit: %v %+v", err, locked)
	}
	if s, _ := json.Marshal(locked[0].Details); strings.Contains(string(s), "900123456") {
		t.Fatalf("audit details carry the full document: %s", s)
	}
	failed, _ := e.App.Audit.List(ctx, "acme", "debtor.login.failed", 50)
	logins, _ := e.App.Audit.List(ctx, "acme", "debtor.login", 50)
	if len(failed) != 6 || len(logins) != 2 { // the unknown document and tenant are not the tenant's
		t.Fatalf("audit: %d failed, %d logins", len(failed), len(logins))
	}

	// Per address: 20 failures across documents lock the address.
	e2 := newDebtorEnv(t)
	good := e2.code("acme", "80123456")
	for i := 0; i < 20; i++ {
		e2.login("acme", "7000000"+string(rune('0'+i%10))+string(rune('A'+i)), "X")
	}
	if r := e2.login("acme", "80123456", good); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("address lockout: %d", r.Status)
	}
}

func TestDebtorNewCodeRevokesSessions(t *testing.T) {
	e := newDebtorEnv(t)
	old := e.session("acme", "80123456")
	if r := e.Do("GET", "/api/debtor/statement", old, nil); r.Status != 200 {
		t.Fatalf("before: %d", r.Status)
	}
	fresh := e.code("acme", "80123456")
	if r := e.Do("GET", "/api/debtor/statement", old, nil); r.Status != 401 {
		t.Fatalf("old token after a new code: %d", r.Status)
	}
	r := e.login("acme", "80123456", fresh)
	if r.Status != 200 {
		t.Fatalf("new code: %d", r.Status)
	}
	tok := r.JSON()["token"].(string)
	// Logout revokes the token too.
	if r := e.Do("POST", "/api/debtor/logout", tok, nil); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/debtor/statement", tok, nil); r.Status != 401 {
		t.Fatalf("after logout: %d", r.Status)
	}
}

func TestDebtorStatementFigures(t *testing.T) {
	e := newDebtorEnv(t)
	// The caps these figures are computed under (the manager's table).
	if _, err := e.App.Caps.Put(e.Ctx(), "CO", []caps.Period{
		{From: "2025-09-01", To: "2025-09-30", Pct: "25.01"}, {From: "2025-10-01", To: "2025-10-31", Pct: "24.36"},
	}); err != nil {
		t.Fatal(err)
	}
	jose := e.session("acme", "80123456")
	st := e.statement(jose)
	if st.AsOf != "2025-10-31" || st.Currency != "COP" || st.Debtor.Name != "José Núñez" || len(st.Accounts) != 2 {
		t.Fatalf("statement: %+v", st)
	}
	// No policy: 24 % a year (below October's 24.36 % cap), no grace. A1 is 30
	// days late: 1.000.000,00 x 30 x ((1.24)^(1/365) - 1) = 17.685,598... -> 17.685,60.
	a1, a2 := lineOf(t, st, "A1"), lineOf(t, st, "A2")
	if a1.DaysPastDue != 30 || a1.Balance != 100000000 || a1.Interest != 1768560 || a1.Discount != 0 || a1.DueDate != "2025-10-01" || a1.Status != "open" || a1.Disputed {
		t.Fatalf("A1: %+v", a1)
	}
	// The house policy's 2 % early-payment discount (5 days ahead) applies
	// from the first start: A2 is due in 15 days.
	if a2.DaysPastDue != 0 || a2.Interest != 0 || a2.Discount != 400000 {
		t.Fatalf("A2 (not yet due): %+v", a2)
	}
	if st.Total != 100000000+1768560+20000000-400000 || st.InterestTotal != 1768560 || st.DiscountTotal != 400000 {
		t.Fatalf("totals: %+v", st)
	}

	// A policy above the usury cap: 30 % a year, 5 days of grace, 10 % off to
	// settle at 30+ days late, 2 % off paying 10+ days early.
	// Written to the store directly: the policy page now refuses a rate above
	// the cap, but a policy saved before that must still be capped day by day.
	pol := strategy.Default()
	pol.LateInterestBP, pol.GraceDays = 3000, 5
	pol.Settlement = []strategy.SettlementTier{{MinDaysPastDue: 30, PercentBP: 1000}}
	pol.EarlyPayment = strategy.EarlyPayment{DaysBefore: 10, PercentBP: 200}
	err := e.App.DB.C("tenants").Update(context.Background(), bson.D{{Key: "_id", Value: "acme"}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "policy", Value: pol}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.App.Web.Policy.Forget("acme") // written behind the policy service's back
	st = e.statement(jose)
	// A1: interest from 6 Oct (due + 5): 25 days at October's cap 24.36 %
	// = 1.000.000,00 x 25 x ((1.2436)^(1/365) - 1) = 14.936,68.
	a1, a2 = lineOf(t, st, "A1"), lineOf(t, st, "A2")
	if a1.Interest != 1493668 || a1.Discount != 10000000 {
		t.Fatalf("A1 capped: %+v", a1)
	}
	// A2 is due in 15 days: 2 % early-payment discount on 200.000,00.
	if a2.Interest != 0 || a2.Discount != 400000 {
		t.Fatalf("A2 early: %+v", a2)
	}
	if st.Total != (100000000+1493668-10000000)+(20000000-400000) || st.DiscountTotal != 10400000 {
		t.Fatalf("capped totals: %+v", st)
	}
	// B1 crosses two cap periods: 21-30 Sep at 25.01 % (10 days) and October at
	// 24.36 % (31 days), each segment rounded: 3.058,79 + 9.260,74.
	maria := e.session("acme", "900123456")
	b1 := lineOf(t, e.statement(maria), "B1")
	if b1.DaysPastDue != 46 || b1.Interest != 305879+926074 || b1.Discount != 5000000 {
		t.Fatalf("B1: %+v", b1)
	}
}

// tinyPNG is a real 2x2 PNG.
func tinyPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// openDispute posts a multipart dispute.
func (e debtorEnv) openDispute(token string, ids []string, reason, desc, fileName string, file []byte) apptest.Resp {
	e.T.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, id := range ids {
		_ = w.WriteField("accountIds", id)
	}
	_ = w.WriteField("reason", reason)
	_ = w.WriteField("description", desc)
	if file != nil {
		fw, _ := w.CreateFormFile("attachment", fileName)
		_, _ = fw.Write(file)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", "/api/debtor/disputes", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.Request(req)
}

func TestDebtorDisputesEndToEnd(t *testing.T) {
	e := newDebtorEnv(t)
	jose := e.session("acme", "80123456")
	pic := tinyPNG(t)

	// A text file named .png is refused by its content.
	if r := e.openDispute(jose, []string{"A1"}, "already_paid", "", "recibo.png", []byte("not an image at all")); r.Status != 415 {
		t.Fatalf("bad type: %d %s", r.Status, r.Body)
	}
	if r := e.openDispute(jose, []string{"A1"}, "because", "", "", nil); r.Status != 400 {
		t.Fatalf("bad reason: %d %s", r.Status, r.Body)
	}
	if r := e.openDispute(jose, []string{"A1"}, "other", strings.Repeat("x", 2001), "", nil); r.Status != 400 {
		t.Fatalf("long description: %d %s", r.Status, r.Body)
	}
	r := e.openDispute(jose, []string{"A1", "A2"}, "already_paid", "Pagué por transferencia el 3 de octubre.", "recibo.png", pic)
	if r.Status != 201 {
		t.Fatalf("open: %d %s", r.Status, r.Body)
	}
	dis := r.JSON()
	id := dis["id"].(string)
	if dis["status"] != "open" || dis["attachment"].(map[string]any)["type"] != "image/png" || len(dis["history"].([]any)) != 1 {
		t.Fatalf("dispute: %s", r.Body)
	}
	if strings.Contains(string(r.Body), "acme:") {
		t.Fatalf("internal ids leak: %s", r.Body)
	}
	st := e.statement(jose)
	if !lineOf(t, st, "A1").Disputed || !lineOf(t, st, "A2").Disputed {
		t.Fatalf("accounts not disputed: %+v", st.Accounts)
	}
	mine := e.Do("GET", "/api/debtor/disputes", jose, nil).JSON()["items"].([]any)
	if len(mine) != 1 || mine[0].(map[string]any)["id"] != id {
		t.Fatalf("debtor's disputes: %v", mine)
	}

	// Staff: the open list, the attachment as sent.
	list := e.Do("GET", "/api/tenants/acme/disputes?status=open", e.client, nil)
	items := list.JSON()["items"].([]any)
	if list.Status != 200 || len(items) != 1 || items[0].(map[string]any)["debtor"].(map[string]any)["document"] != "80123456" {
		t.Fatalf("staff list: %d %s", list.Status, list.Body)
	}
	att := e.Do("GET", "/api/tenants/acme/disputes/"+id+"/attachment", e.client, nil)
	if att.Status != 200 || !bytes.Equal(att.Body, pic) || att.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(att.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("attachment: %d %v", att.Status, att.Header)
	}
	if r := e.Do("GET", "/api/debtor/disputes/"+id+"/attachment", jose, nil); r.Status != 200 || !bytes.Equal(r.Body, pic) {
		t.Fatalf("debtor's own attachment: %d", r.Status)
	}

	// Accept a partial credit from several resolvers at once: one wins, the
	// credit lands once, oldest invoice first (A1 whole, 50.000,00 on A2).
	var wg sync.WaitGroup
	codes := make([]int, 6)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = e.Do("POST", "/api/tenants/acme/disputes/"+id+"/resolve", e.client,
				map[string]any{"decision": "accept", "creditAmount": 105000000, "note": "Pago verificado"}).Status
		}(i)
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			conflict++
		}
	}
	if ok != 1 || conflict != len(codes)-1 {
		t.Fatalf("concurrent resolve statuses %v", codes)
	}
	a2 := e.Do("GET", "/api/tenants/acme/accounts/A2", e.client, nil).JSON()
	if a2["balance"].(float64) != 15000000 {
		t.Fatalf("A2 after credit: %v", a2["balance"])
	}
	credits := 0
	for _, x := range a2["ledger"].([]any) {
		m := x.(map[string]any)
		if m["kind"] == "credit" {
			credits++
			if m["amount"].(float64) != -5000000 {
				t.Fatalf("credit %v", m)
			}
		}
	}
	if credits != 1 {
		t.Fatalf("A2 has %d credits", credits)
	}
	if a1 := e.Do("GET", "/api/tenants/acme/accounts/A1", e.client, nil).JSON(); a1["balance"].(float64) != 0 || a1["status"] != "paid" {
		t.Fatalf("A1 after credit: %v %v", a1["balance"], a1["status"])
	}
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+id+"/resolve", e.manager, map[string]any{"decision": "reject", "note": "x"}); r.Status != 409 {
		t.Fatalf("resolve twice: %d", r.Status)
	}
	st = e.statement(jose)
	if len(st.Accounts) != 1 || st.Accounts[0].Disputed || st.Accounts[0].Balance != 15000000 {
		t.Fatalf("statement after acceptance: %+v", st.Accounts)
	}
	d := e.Do("GET", "/api/debtor/disputes", jose, nil).JSON()["items"].([]any)[0].(map[string]any)
	if d["status"] != "accepted" || d["creditAmount"].(float64) != 105000000 || len(d["history"].([]any)) != 2 {
		t.Fatalf("debtor's view: %v", d)
	}

	// A JSON dispute, rejected with the note the debtor reads.
	r = e.Do("POST", "/api/debtor/disputes", jose, map[string]any{"accountIds": []string{"A2"}, "reason": "wrong_amount", "description": "El valor es 100.000"})
	if r.Status != 201 {
		t.Fatalf("json dispute: %d %s", r.Status, r.Body)
	}
	id2 := r.JSON()["id"].(string)
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+id2+"/resolve", e.client, map[string]any{"decision": "reject"}); r.Status != 400 {
		t.Fatalf("reject without note: %d", r.Status)
	}
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+id2+"/resolve", e.client, map[string]any{"decision": "accept", "creditAmount": 999999999}); r.Status != 400 {
		t.Fatalf("credit above balance: %d", r.Status)
	}
	const note = "La factura corresponde al pedido 4411 entregado el 2 de septiembre."
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+id2+"/resolve", e.client, map[string]any{"decision": "reject", "note": note}); r.Status != 200 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+id2+"/resolve", e.client, map[string]any{"decision": "reject", "note": note}); r.Status != 409 {
		t.Fatalf("reject twice: %d", r.Status)
	}
	body := string(e.Do("GET", "/api/debtor/disputes", jose, nil).Body)
	if !strings.Contains(body, note) || !strings.Contains(body, `"status":"rejected"`) {
		t.Fatalf("debtor does not see the rejection: %s", body)
	}
	if lineOf(t, e.statement(jose), "A2").Disputed {
		t.Fatal("A2 still disputed after the rejection")
	}
	for status, n := range map[string]int{"open": 0, "accepted": 1, "rejected": 1, "": 2} {
		items := e.Do("GET", "/api/tenants/acme/disputes?status="+status, e.manager, nil).JSON()["items"].([]any)
		if len(items) != n {
			t.Errorf("status %q: %d disputes, want %d", status, len(items), n)
		}
	}
}

func TestDebtorIsolation(t *testing.T) {
	e := newDebtorEnv(t)
	e.Tenant("beta")
	_, betaClient := e.User("beta", "client")
	_, betaManager := e.User("beta", "manager")
	if m := e.Import("beta", betaClient, "b.csv", []byte("documento,nombre,factura,vencimiento,valor\n80123456,José Núñez,Z9,2025-10-10,777\n")); num(m, "inserted") != 1 {
		t.Fatalf("beta import: %v", m)
	}
	jose := e.session("acme", "80123456")
	maria := e.session("acme", "900123456")
	r := e.Do("POST", "/api/tenants/beta/debtors/80123456/access-code", betaManager, nil)
	josebeta := e.login("beta", "80123456", r.JSON()["code"].(string)).JSON()["token"].(string)

	r = e.openDispute(jose, []string{"A1"}, "quality", "Llegó dañado", "foto.png", tinyPNG(t))
	if r.Status != 201 {
		t.Fatalf("open: %d %s", r.Status, r.Body)
	}
	id := r.JSON()["id"].(string)

	// Each debtor sees only their own statement and disputes.
	if st := e.statement(maria); len(st.Accounts) != 1 || st.Accounts[0].ID != "B1" {
		t.Fatalf("María sees %+v", st.Accounts)
	}
	if st := e.statement(josebeta); len(st.Accounts) != 1 || st.Accounts[0].ID != "Z9" || st.Accounts[0].Disputed {
		t.Fatalf("José at beta sees %+v", st.Accounts)
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"other's disputes list", "GET", "/api/debtor/disputes", maria, nil, 200},
		{"other's attachment", "GET", "/api/debtor/disputes/" + id + "/attachment", maria, nil, 404},
		{"other tenant's attachment", "GET", "/api/debtor/disputes/" + id + "/attachment", josebeta, nil, 404},
		{"dispute on other's invoice", "POST", "/api/debtor/disputes", maria, map[string]any{"accountIds": []string{"A1"}, "reason": "other", "description": "x"}, 404},
		{"dispute on other tenant's invoice", "POST", "/api/debtor/disputes", josebeta, map[string]any{"accountIds": []string{"A1"}, "reason": "other", "description": "x"}, 404},
		{"anonymous statement", "GET", "/api/debtor/statement", "", nil, 401},
		{"staff on debtor statement", "GET", "/api/debtor/statement", e.client, nil, 403},
		{"staff on debtor disputes", "POST", "/api/debtor/disputes", e.manager, map[string]any{"accountIds": []string{"A1"}, "reason": "other", "description": "x"}, 403},
		{"admin on debtor pdf", "GET", "/api/debtor/statement.pdf", e.Admin, nil, 403},
		{"debtor on staff accounts", "GET", "/api/tenants/acme/accounts", jose, nil, 403},
		{"debtor on staff debtor", "GET", "/api/tenants/acme/debtors/80123456", jose, nil, 403},
		{"debtor on dispute list", "GET", "/api/tenants/acme/disputes", jose, nil, 403},
		{"debtor resolves own dispute", "POST", "/api/tenants/acme/disputes/" + id + "/resolve", jose, map[string]any{"decision": "accept"}, 403},
		{"debtor on staff attachment", "GET", "/api/tenants/acme/disputes/" + id + "/attachment", jose, nil, 403},
		{"debtor on /api/me", "GET", "/api/me", jose, nil, 403},
		{"debtor issues access codes", "POST", "/api/tenants/acme/debtors/900123456/access-code", jose, nil, 403},
		{"other tenant's client lists", "GET", "/api/tenants/acme/disputes", betaClient, nil, 404},
		{"other tenant's client reads attachment", "GET", "/api/tenants/acme/disputes/" + id + "/attachment", betaClient, nil, 404},
		{"other tenant's client resolves", "POST", "/api/tenants/acme/disputes/" + id + "/resolve", betaClient, map[string]any{"decision": "accept"}, 404},
		{"dispute id through another tenant", "GET", "/api/tenants/beta/disputes/" + id + "/attachment", betaClient, nil, 404},
	}
	for _, c := range cases {
		r := e.Do(c.method, c.path, c.token, c.body)
		if r.Status != c.status {
			t.Errorf("%s: %d, want %d (%s)", c.name, r.Status, c.status, r.Body)
		}
		if c.token == maria && c.status == 200 && strings.Contains(string(r.Body), id) {
			t.Errorf("%s: María sees José's dispute: %s", c.name, r.Body)
		}
	}
	if items := e.Do("GET", "/api/tenants/beta/disputes", betaClient, nil).JSON()["items"].([]any); len(items) != 0 {
		t.Errorf("beta sees acme's disputes: %v", items)
	}
}

func TestDebtorStatementPDF(t *testing.T) {
	testtool.Bin(t, "pdftotext", "poppler-utils", "")
	e := newDebtorEnv(t)
	jose := e.session("acme", "80123456")
	if r := e.openDispute(jose, []string{"A2"}, "wrong_amount", "", "", nil); r.Status != 201 {
		t.Fatalf("dispute: %d", r.Status)
	}
	r := e.Do("GET", "/api/debtor/statement.pdf", jose, nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
		t.Fatalf("pdf: %d %v", r.Status, r.Header)
	}
	dir := t.TempDir()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		dir = d
		_ = os.MkdirAll(dir, 0o755)
	}
	path := filepath.Join(dir, "debtor-statement.pdf")
	if err := os.WriteFile(path, r.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{
		"Empresa acme", "Estado de cuenta", "José Núñez", "••••3456", "31/10/2025",
		"A1", "01/10/2025", "$ 1.000.000,00", "$ 17.685,60", "A2 *", "$ 200.000,00",
		"$ 1.213.685,60", // 1.000.000 + 17.685,60 + 200.000 − 4.000 (the house 2 % early-payment discount on A2)
		"Cómo pagar", "http://127.0.0.1/pay/acme", "Página 1 de 1", "tasa máxima legal", "24,00 %", "Días mora",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "80123456") {
		t.Error("PDF shows the full document number")
	}
	// English on request.
	r = e.Do("GET", "/api/debtor/statement.pdf?lang=en", jose, nil)
	_ = os.WriteFile(filepath.Join(dir, "debtor-statement-en.pdf"), r.Body, 0o644)
	out, _ = exec.Command("pdftotext", "-layout", filepath.Join(dir, "debtor-statement-en.pdf"), "-").Output()
	if !strings.Contains(string(out), "Account statement") || !strings.Contains(string(out), "How to pay") {
		t.Errorf("English PDF:\n%s", out)
	}
	if _, err := exec.LookPath("pdftoppm"); err == nil {
		if err := exec.Command("pdftoppm", "-png", "-r", "90", "-singlefile", path, filepath.Join(dir, "debtor-statement")).Run(); err != nil {
			t.Errorf("pdftoppm: %v", err)
		}
	}
}
