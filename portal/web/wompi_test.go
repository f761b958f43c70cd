package web_test

// Wompi (Colombia: PSE, Nequi, Bancolombia transfer, cards) through the
// real path: HTTP -> handler -> payments -> embedded FerretDB -> response,
// against payments/wompifake, a local fake of Wompi (no network here).
//
// Documented facts the fake and these tests encode, and where they were read:
//   - Web Checkout is a GET to https://checkout.wompi.co/p/ with public-key,
//     currency, amount-in-cents, reference, signature:integrity and
//     redirect-url; signature:integrity = SHA-256 hex of
//     reference + amount-in-cents + currency [+ expiration-time] + integrity
//     secret (docs.wompi.co/docs/colombia/widget-checkout-web/, "Paso 3";
//     its example vector is checked in payments/wompi_test.go).
//   - Events are POSTed as {"event":"transaction.updated","data":
//     {"transaction":{id, amount_in_cents, reference, currency,
//     payment_method_type, status, ...}},"environment","signature":
//     {"properties":[...],"checksum"},"timestamp","sent_at"}; checksum =
//     SHA-256 hex of the values of the listed properties (paths inside data),
//     then timestamp, then the events secret; the same value comes in the
//     X-Event-Checksum header; Wompi retries a non-200 answer 30 min, 3 h
//     and 24 h later (docs.wompi.co/docs/colombia/eventos/; a real delivery
//     logged in a public repository shows the header in lower-case hex).
//   - Transaction statuses PENDING, APPROVED, DECLINED, VOIDED, ERROR;
//     PSE and Nequi settle after the debtor leaves the checkout; VOIDED is
//     a card annulment; a declined attempt can be retried on the same
//     reference, which makes a new transaction (docs.wompi.co, transactions).

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments/wompifake"
	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/testtool"
)

var wompiKeys = wompifake.Keys{Public: "pub_test_Acme0000001234", Private: "prv_test_Acme0000005678",
	Events: "test_events_AcmeSecret9xyz", Integrity: "test_integrity_AcmeSecret7abc"}

// wompiEnv is the debtor tests' tenant (acme, Colombia) with its own Wompi
// account configured by its manager, and the fake Wompi serving checkout.
func wompiEnv(t *testing.T, opts ...func(*config.Config)) (debtorEnv, *wompifake.Fake, *httptest.Server) {
	t.Helper()
	fake := wompifake.New(wompiKeys)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	e := apptest.New(t, append([]func(*config.Config){apptest.Sandbox, func(c *config.Config) { c.WompiCheckoutURL, c.WompiAPIBase = srv.URL+"/p/", srv.URL+"/v1" }}, opts...)...)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	_, manager := e.User("acme", "manager")
	if m := e.Import("acme", client, "cartera.csv", []byte(debtorPortfolio)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	e.App.DebtorsSvc.Now = func() time.Time { return statementDay }
	de := debtorEnv{Env: e, client: client, manager: manager}
	r := e.Do("PUT", "/api/tenants/acme/gateway", manager, map[string]any{"provider": "wompi", "wompi": map[string]string{
		"publicKey": wompiKeys.Public, "privateKey": wompiKeys.Private, "eventsSecret": wompiKeys.Events, "integritySecret": wompiKeys.Integrity}})
	if r.Status != 204 {
		t.Fatalf("configure wompi: %d %s", r.Status, r.Body)
	}
	return de, fake, srv
}

func wompiDeliver(e *apptest.Env, body []byte, checksum string) apptest.Resp {
	req, _ := http.NewRequest("POST", "/api/webhooks/wompi", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if checksum != "" {
		req.Header.Set("X-Event-Checksum", checksum)
	}
	return e.Request(req)
}

type debtorStatement struct {
	Owed     int64 `json:"owed"`
	Accounts []struct {
		Invoice string `json:"invoice"`
		Balance int64  `json:"balance"`
	} `json:"accounts"`
	PayMethods      []string `json:"payMethods"`
	PendingPayments []struct {
		ID     string `json:"id"`
		Amount int64  `json:"amount"`
		Method string `json:"method"`
	} `json:"pendingPayments"`
}

func statementOf(t *testing.T, e debtorEnv, token string) debtorStatement {
	t.Helper()
	r := e.Do("GET", "/api/debtor/statement", token, nil)
	if r.Status != 200 {
		t.Fatalf("statement: %d %s", r.Status, r.Body)
	}
	var st debtorStatement
	r.Decode(t, &st)
	return st
}

// balanceOf is an invoice's balance on the statement; a paid invoice
// leaves the statement (0).
func balanceOf(st debtorStatement, inv string) int64 {
	for _, a := range st.Accounts {
		if a.Invoice == inv {
			return a.Balance
		}
	}
	return 0
}

func recoveredOct2025(t *testing.T, e debtorEnv) (recovered, collected int64) {
	t.Helper()
	return recoveredMonth(t, e, "acme")
}

// recoveredMonth is the tenant's recovered principal and collected money in
// October 2025 (the debtor tests' statement day).
func recoveredMonth(t *testing.T, e debtorEnv, tenant string) (recovered, collected int64) {
	t.Helper()
	r := e.Do("GET", "/api/tenants/"+tenant+"/reports/summary?from=2025-10-01&to=2025-10-31", e.manager, nil)
	if r.Status != 200 {
		t.Fatalf("summary: %d %s", r.Status, r.Body)
	}
	var k struct {
		Recovered struct {
			Amount int64 `json:"amount"`
		} `json:"recovered"`
		Collected int64 `json:"collected"`
	}
	r.Decode(t, &k)
	return k.Recovered.Amount, k.Collected
}

// The tenant's keys are sealed: the manager sees which gateway and the last
// four characters, never a secret; another tenant's manager gets 404; bad
// keys are field errors.
func TestWompiGatewayConfigIsMaskedAndTenantScoped(t *testing.T) {
	e, _, _ := wompiEnv(t)
	r := e.Do("GET", "/api/tenants/acme/gateway", e.manager, nil)
	if r.Status != 200 {
		t.Fatalf("get gateway: %d %s", r.Status, r.Body)
	}
	body := string(r.Body)
	for _, secret := range []string{wompiKeys.Private, wompiKeys.Events, wompiKeys.Integrity, wompiKeys.Public, "AcmeSecret"} {
		if strings.Contains(body, secret) {
			t.Fatalf("GET gateway shows a secret %q: %s", secret, body)
		}
	}
	g := r.JSON()
	keys := g["keys"].(map[string]any)
	if g["provider"] != "wompi" || g["configured"] != true || g["test"] != true || keys["privateKey"] != "…5678" || keys["eventsSecret"] != "…9xyz" {
		t.Fatalf("gateway info %s", body)
	}
	// At rest: sealed bytes only.
	raw, err := e.App.DB.C("gateways").Raw().FindOne(e.Ctx(), bson.D{{Key: "_id", Value: "acme:gateway"}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(wompiKeys.Events)) || bytes.Contains(raw, []byte(wompiKeys.Private)) || bytes.Contains(raw, []byte("AcmeSecret")) {
		t.Fatal("a Wompi secret is stored in clear")
	}
	e.Tenant("globex")
	_, other := e.User("globex", "manager")
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		if r := e.Do(m, "/api/tenants/acme/gateway", other, map[string]any{"provider": "stripe"}); r.Status != 404 {
			t.Fatalf("%s another tenant's gateway: %d", m, r.Status)
		}
	}
	_, collector := e.User("acme", "collector")
	if r := e.Do("GET", "/api/tenants/acme/gateway", collector, nil); r.Status != 403 {
		t.Fatalf("collector reads the gateway: %d", r.Status)
	}
	r = e.Do("PUT", "/api/tenants/acme/gateway", e.manager, map[string]any{"provider": "wompi", "wompi": map[string]string{"publicKey": "x", "privateKey": "y"}})
	f, _ := r.JSON()["fields"].(map[string]any)
	if r.Status != 400 || f["publicKey"] == nil || f["privateKey"] == nil || f["eventsSecret"] == nil || f["integritySecret"] == nil {
		t.Fatalf("bad keys: %d %s", r.Status, r.Body)
	}
	// Removed: the tenant falls back to the portal's gateway (the sandbox
	// here), card only.
	jose := e.session("acme", "80123456")
	if r := e.Do("DELETE", "/api/tenants/acme/gateway", e.manager, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if g := e.Do("GET", "/api/tenants/acme/gateway", e.manager, nil).JSON(); g["configured"] != false || g["fallback"] != "sandbox" {
		t.Fatalf("after delete: %v", g)
	}
	if st := statementOf(t, e, jose); strings.Join(st.PayMethods, ",") != "card" {
		t.Fatalf("fallback methods %v", st.PayMethods)
	}
	if r := e.Do("POST", "/api/debtor/checkout", jose, map[string]any{}); r.Status != 200 || r.JSON()["gateway"] != "sandbox" {
		t.Fatalf("fallback checkout: %d %s", r.Status, r.Body)
	}
	// Wompi collects pesos colombianos only.
	e.TenantIn("mexa", "MX")
	_, mx := e.User("mexa", "manager")
	r = e.Do("PUT", "/api/tenants/mexa/gateway", mx, map[string]any{"provider": "wompi", "wompi": map[string]string{
		"publicKey": wompiKeys.Public, "privateKey": wompiKeys.Private, "eventsSecret": wompiKeys.Events, "integritySecret": wompiKeys.Integrity}})
	if f, _ := r.JSON()["fields"].(map[string]any); r.Status != 400 || f["provider"] == nil {
		t.Fatalf("wompi for a Mexican tenant: %d %s", r.Status, r.Body)
	}
}

// PSE: the debtor is sent to Wompi's checkout with a valid integrity
// signature; PENDING shows on the statement and is not recovered; a forged
// event is refused and records nothing; APPROVED delivered three times at
// once applies once; a DECLINED arriving after it undoes nothing.
func TestWompiPSEPendingThenApprovedOnce(t *testing.T) {
	e, fake, srv := wompiEnv(t)
	jose := e.session("acme", "80123456")
	st := statementOf(t, e, jose)
	if strings.Join(st.PayMethods, ",") != "pse,nequi,bancolombia,card" {
		t.Fatalf("methods %v", st.PayMethods)
	}
	r := e.Do("POST", "/api/debtor/checkout", jose, map[string]any{"method": "oxxo"})
	if r.Status != 400 {
		t.Fatalf("OXXO offered by Wompi: %d %s", r.Status, r.Body)
	}
	r = e.Do("POST", "/api/debtor/checkout", jose, map[string]any{"method": "pse"})
	if r.Status != 200 {
		t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	co := r.JSON()
	url := co["url"].(string)
	// Everything, as the statement prices it: A1 1.000.000,00 + 17.685,60
	// late interest, A2 200.000,00 less its 2 % discount (4.000,00).
	if co["gateway"] != "wompi" || co["amount"].(float64) != 121368560 || !strings.HasPrefix(url, srv.URL+"/p/?") || !strings.Contains(url, "amount-in-cents=121368560") {
		t.Fatalf("checkout %v", co)
	}
	id := co["paymentId"].(string)
	// The browser's redirect reaches the fake, which accepts the signature
	// and sends the debtor back to the portal with the transaction id.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != 302 || !strings.Contains(loc, "/debtor?paid="+id) {
		t.Fatalf("fake checkout: %d %s", res.StatusCode, loc)
	}
	// Tampering with the amount breaks the integrity signature.
	if _, err := fake.Pay(strings.Replace(url, "amount-in-cents=121368560", "amount-in-cents=100", 1), "PSE"); err == nil {
		t.Fatal("the fake accepted a tampered amount")
	}
	tx, err := fake.Pay(url, "PSE")
	if err != nil {
		t.Fatal(err)
	}
	body, sum := fake.Event(tx)
	if r := wompiDeliver(e.Env, body, sum); r.Status != 200 {
		t.Fatalf("pending event: %d %s", r.Status, r.Body)
	}
	st = statementOf(t, e, jose)
	if len(st.PendingPayments) != 1 || st.PendingPayments[0].ID != id || st.PendingPayments[0].Amount != 121368560 || st.PendingPayments[0].Method != "pse" {
		t.Fatalf("pending on the statement: %+v", st.PendingPayments)
	}
	if balanceOf(st, "A1") != 100000000 || balanceOf(st, "A2") != 20000000 {
		t.Fatalf("pending money moved the balances: %+v", st.Accounts)
	}
	if rec, col := recoveredOct2025(t, e); rec != 0 || col != 0 {
		t.Fatalf("pending counted as recovered %d / collected %d", rec, col)
	}
	// The statement PDF lists it under the total, which it does not lower.
	pdf := e.Do("GET", "/api/debtor/statement.pdf", jose, nil)
	if txt := testtool.PDFText(t, pdf.Body); !strings.Contains(txt, "Pagos en proceso") || !strings.Contains(txt, "1.213.685,60 por PSE") {
		t.Fatalf("statement PDF:\n%s", txt)
	}
	// Forged: signed with another secret, a bad checksum, or no properties.
	approved := fake.Set(tx.ID, "APPROVED")
	forged, fsum := fake.EventWith(approved, "not-the-secret")
	good, gsum := fake.Event(approved)
	stored := func() int64 {
		n, _ := e.App.DB.C("webhooks").Count(e.Ctx(), bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^wompi:"}}}})
		return n
	}
	before := stored()
	for name, c := range map[string][2]string{
		"other secret":     {string(forged), fsum},
		"header disagrees": {string(good), fsum},
		"no properties":    {strings.Replace(string(good), `"properties":["transaction.id","transaction.status","transaction.amount_in_cents"]`, `"properties":[]`, 1), ""},
		"amount changed":   {strings.Replace(string(good), `"amount_in_cents":121368560`, `"amount_in_cents":1`, 1), ""},
	} {
		if r := wompiDeliver(e.Env, []byte(c[0]), c[1]); r.Status != 401 {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if stored() != before || balanceOf(statementOf(t, e, jose), "A1") != 100000000 {
		t.Fatal("a refused event was recorded")
	}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := wompiDeliver(e.Env, good, gsum); r.Status != 200 {
				t.Errorf("approved: %d %s", r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	st = statementOf(t, e, jose)
	if len(st.Accounts) != 0 || st.Owed != 0 || len(st.PendingPayments) != 0 {
		t.Fatalf("after approval: %+v", st)
	}
	// Recovered counts principal: 1.000.000,00 + 196.000,00; collected adds
	// the 17.685,60 of interest.
	if rec, col := recoveredOct2025(t, e); rec != 119600000 || col != 121368560 {
		t.Fatalf("recovered %d collected %d", rec, col)
	}
	declined, dsum := fake.Event(fake.Set(tx.ID, "DECLINED"))
	if r := wompiDeliver(e.Env, declined, dsum); r.Status != 200 {
		t.Fatal(r.Status)
	}
	p := e.Do("GET", "/api/debtor/payments/"+id, jose, nil).JSON()
	if p["status"] != "succeeded" || balanceOf(statementOf(t, e, jose), "A1") != 0 {
		t.Fatalf("a decline after the approval undid it: %v", p)
	}
	// The sandbox cannot complete a Wompi payment.
	if r := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", jose, nil); r.Status != 404 {
		t.Fatalf("sandbox completes a Wompi payment: %d", r.Status)
	}
}

// Out of order and the other outcomes: APPROVED before its PENDING applies
// once and the late PENDING moves nothing back; a DECLINED payment leaves
// the pending list and the balance, and the debtor's retry on the same
// reference is approved; a card payment VOIDED is reversed.
func TestWompiOutOfOrderDeclineRetryAndVoid(t *testing.T) {
	e, fake, _ := wompiEnv(t)
	jose := e.session("acme", "80123456")
	checkout := func(body map[string]any) (string, string) {
		t.Helper()
		r := e.Do("POST", "/api/debtor/checkout", jose, body)
		if r.Status != 200 {
			t.Fatalf("checkout: %d %s", r.Status, r.Body)
		}
		return r.JSON()["paymentId"].(string), r.JSON()["url"].(string)
	}
	deliver := func(tx wompifake.Transaction) {
		t.Helper()
		b, s := fake.Event(tx)
		if r := wompiDeliver(e.Env, b, s); r.Status != 200 {
			t.Fatalf("%s: %d %s", tx.Status, r.Status, r.Body)
		}
	}
	status := func(id string) string {
		return e.Do("GET", "/api/debtor/payments/"+id, jose, nil).JSON()["status"].(string)
	}
	// Nequi, A2 in full: 200.000,00 less 4.000,00 of discount.
	id, url := checkout(map[string]any{"method": "nequi", "accountIds": []string{"A2"}})
	tx, _ := fake.Pay(url, "NEQUI")
	pending := tx
	deliver(fake.Set(tx.ID, "APPROVED"))
	deliver(pending) // late
	st := statementOf(t, e, jose)
	if status(id) != "succeeded" || balanceOf(st, "A2") != 0 || len(st.PendingPayments) != 0 {
		t.Fatalf("late PENDING after APPROVED: %s %+v", status(id), st)
	}
	// Bancolombia transfer, 300.000,00 of A1: declined, then retried.
	id, url = checkout(map[string]any{"method": "bancolombia", "amount": 30000000})
	tx, _ = fake.Pay(url, "BANCOLOMBIA_TRANSFER")
	deliver(tx)
	deliver(fake.Set(tx.ID, "DECLINED"))
	st = statementOf(t, e, jose)
	if status(id) != "failed" || len(st.PendingPayments) != 0 || balanceOf(st, "A1") != 100000000 {
		t.Fatalf("declined: %s %+v", status(id), st)
	}
	retry, _ := fake.Pay(url, "BANCOLOMBIA_TRANSFER")
	deliver(retry)
	if st = statementOf(t, e, jose); len(st.PendingPayments) != 1 {
		t.Fatalf("the retry is not pending: %+v", st.PendingPayments)
	}
	deliver(fake.Set(retry.ID, "APPROVED"))
	// 300.000,00 pays the 17.685,60 of interest first, then 282.314,40 of
	// principal: 1.000.000,00 - 282.314,40 = 717.685,60.
	if st = statementOf(t, e, jose); status(id) != "succeeded" || balanceOf(st, "A1") != 71768560 || len(st.PendingPayments) != 0 {
		t.Fatalf("retry approved: %s %+v", status(id), st)
	}
	// Nequi declined, its PENDING arriving after the DECLINED: reopens
	// nothing.
	late, urlL := checkout(map[string]any{"method": "nequi", "amount": 5000000})
	txL, _ := fake.Pay(urlL, "NEQUI")
	deliver(fake.Set(txL.ID, "DECLINED"))
	deliver(txL)
	if st = statementOf(t, e, jose); status(late) != "failed" || len(st.PendingPayments) != 0 {
		t.Fatalf("late PENDING after DECLINED: %s %+v", status(late), st.PendingPayments)
	}
	// A card payment of 100.000,00, approved then voided: reversed, the
	// balance is what it was.
	id, url = checkout(map[string]any{"method": "card", "amount": 10000000})
	card, _ := fake.Pay(url, "CARD")
	voided := fake.Set(card.ID, "VOIDED")
	deliver(voided) // before its approval: waits
	deliver(fake.Set(card.ID, "APPROVED"))
	if b := balanceOf(statementOf(t, e, jose), "A1"); b != 61768560 {
		t.Fatalf("after the card payment A1=%d", b)
	}
	n, err := e.App.Payments.ReprocessPending(e.Ctx())
	if err != nil || n != 1 {
		t.Fatalf("reprocessed %d %v", n, err)
	}
	if b := balanceOf(statementOf(t, e, jose), "A1"); status(id) != "reversed" || b != 71768560 {
		t.Fatalf("after the void: %s A1=%d", status(id), b)
	}
	deliver(voided) // again: nothing more
	if b := balanceOf(statementOf(t, e, jose), "A1"); b != 71768560 {
		t.Fatalf("void applied twice: A1=%d", b)
	}
}

// Lost events: the debtor's return from the checkout (?tx=) and the
// reconciler ask Wompi's API (GET /v1/transactions/{id}) and record the
// answer under the event's own key, so the webhook arriving after applies
// nothing more; a transaction of another payment is ignored.
func TestWompiLostEventsRecordedFromTheAPI(t *testing.T) {
	e, fake, _ := wompiEnv(t)
	jose := e.session("acme", "80123456")
	checkout := func(body map[string]any) (string, string) {
		t.Helper()
		r := e.Do("POST", "/api/debtor/checkout", jose, body)
		if r.Status != 200 {
			t.Fatalf("checkout: %d %s", r.Status, r.Body)
		}
		return r.JSON()["paymentId"].(string), r.JSON()["url"].(string)
	}
	get := func(id, tx string) string {
		t.Helper()
		r := e.Do("GET", "/api/debtor/payments/"+id+"?tx="+tx, jose, nil)
		if r.Status != 200 {
			t.Fatalf("payment: %d %s", r.Status, r.Body)
		}
		return r.JSON()["status"].(string)
	}
	// A2 by PSE: approved at Wompi, its event lost.
	a, url := checkout(map[string]any{"method": "pse", "accountIds": []string{"A2"}})
	txA, _ := fake.Pay(url, "PSE")
	approved := fake.Set(txA.ID, "APPROVED")
	// 300.000,00 of A1 by Nequi, opened at Wompi too.
	b, urlB := checkout(map[string]any{"method": "nequi", "amount": 30000000})
	txB, _ := fake.Pay(urlB, "NEQUI")
	if get(b, txA.ID) != "pending" || get(b, "nope") != "pending" {
		t.Fatal("another payment's transaction, or an unknown one, moved a payment")
	}
	if get(a, txA.ID) != "succeeded" || balanceOf(statementOf(t, e, jose), "A2") != 0 {
		t.Fatal("the return from Wompi did not record the approved payment")
	}
	body, sum := fake.Event(approved)
	if r := wompiDeliver(e.Env, body, sum); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if n, _ := e.App.DB.C("webhooks").Count(e.Ctx(), bson.D{{Key: "_id", Value: "wompi:" + txA.ID + ":APPROVED"}}); n != 1 {
		t.Fatalf("stored %d times", n)
	}
	st := statementOf(t, e, jose)
	if balanceOf(st, "A2") != 0 || balanceOf(st, "A1") != 100000000 {
		t.Fatalf("after the late webhook: %+v", st.Accounts)
	}
	// B: its PENDING arrives, then Wompi declines it and the event is lost:
	// the reconciler records it.
	body, sum = fake.Event(txB)
	wompiDeliver(e.Env, body, sum)
	if st := statementOf(t, e, jose); len(st.PendingPayments) != 1 {
		t.Fatalf("B not in progress: %+v", st.PendingPayments)
	}
	fake.Set(txB.ID, "DECLINED")
	if n, err := e.App.Payments.ReconcileWompi(e.Ctx()); err != nil || n != 1 {
		t.Fatalf("reconciled %d %v", n, err)
	}
	st = statementOf(t, e, jose)
	if e.Do("GET", "/api/debtor/payments/"+b, jose, nil).JSON()["status"] != "failed" || len(st.PendingPayments) != 0 || balanceOf(st, "A1") != 100000000 {
		t.Fatalf("B after the reconciler: %+v", st)
	}
}
