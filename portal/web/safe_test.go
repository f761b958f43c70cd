package web_test

// Safe defaults (issue 12): who may see an access code, what a collector's
// letter lists, webhook timestamps, attachment names, the sandbox only when
// asked for, error codes, CSRF bound to the session.

import (
	"bytes"
	"compress/zlib"
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
	"cartera/portal/audit"
	"cartera/portal/config"
)

type apptestOpt = func(*config.Config)

// safePortfolio: José owes S1 and S2 (e-mail from the client's upload),
// María owes S3.
const safePortfolio = "documento,nombre,factura,vencimiento,valor,correo\n" +
	"80123456,José Núñez,S1,2025-10-01,1000000,jose@client-typed.example\n" +
	"80123456,José Núñez,S2,2025-11-15,200000,jose@client-typed.example\n" +
	"900123456,María Gómez,S3,2025-09-15,500000,\n"

type safeEnv struct {
	*apptest.Env
	manager, client, col1, col2 string
	col1ID, col2ID              string
}

func newSafeEnv(t *testing.T, opts ...apptestOpt) safeEnv {
	t.Helper()
	e := apptest.New(t, opts...)
	e.Tenant("acme")
	w := safeEnv{Env: e}
	_, w.manager = e.User("acme", "manager")
	_, w.client = e.User("acme", "client")
	w.col1ID, w.col1 = e.User("acme", "collector")
	w.col2ID, w.col2 = e.User("acme", "collector")
	if m := e.Import("acme", w.client, "cartera.csv", []byte(safePortfolio)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	for acc, col := range map[string]string{"S1": w.col1ID, "S2": w.col2ID} {
		if r := e.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{acc}, "collectorId": col}); r.Status != 200 {
			t.Fatalf("assign %s: %d %s", acc, r.Status, r.Body)
		}
	}
	return w
}

func (w safeEnv) debtorLogin(doc, code string) int {
	return w.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": doc, "code": code}).Status
}

// codeAudits counts the access-code issuances audited for a debtor.
func (w safeEnv) codeAudits(doc string) []audit.Entry {
	w.T.Helper()
	list, err := w.App.Audit.List(context.Background(), "acme", "debtor.code", 1000)
	if err != nil {
		w.T.Fatal(err)
	}
	var out []audit.Entry
	for _, e := range list {
		if e.Target == "acme:"+doc {
			out = append(out, e)
		}
	}
	return out
}

// Who may see a new access code: managers and admins; a collector only for
// a debtor with an account assigned to them (404 otherwise, like reading
// that debtor); a client never: the code goes to the debtor's verified
// channel through the outbox. Every issuance is audited.
func TestAccessCodeWhoMaySeeIt(t *testing.T) {
	w := newSafeEnv(t)
	path := func(doc string) string { return "/api/tenants/acme/debtors/" + doc + "/access-code" }

	// A collector with no account of María's: 404 on reading her and on a code.
	if r := w.Do("GET", "/api/tenants/acme/debtors/900123456", w.col1, nil); r.Status != 404 {
		t.Fatalf("collector reads another's debtor: %d", r.Status)
	}
	r := w.Do("POST", path("900123456"), w.col1, nil)
	if r.Status != 404 || r.JSON()["code"] != "not_found" {
		t.Fatalf("collector issues a code for a debtor not theirs: %d %s", r.Status, r.Body)
	}
	// The manager's code for María still works: nothing was replaced.
	maria := w.Do("POST", path("900123456"), w.manager, nil).JSON()["code"].(string)
	if st := w.debtorLogin("900123456", maria); st != 200 {
		t.Fatalf("manager's code: %d", st)
	}
	if st := w.debtorLogin("900123456", maria); st != 200 {
		t.Fatalf("code replaced by the refused request: %d", st)
	}
	// Collector 1 has S1 of José: may issue and see his code.
	r = w.Do("POST", path("80123456"), w.col1, nil)
	code, _ := r.JSON()["code"].(string)
	if r.Status != 200 || code == "" {
		t.Fatalf("collector with an assigned account: %d %s", r.Status, r.Body)
	}
	if st := w.debtorLogin("80123456", code); st != 200 {
		t.Fatalf("collector's code: %d", st)
	}
	// Admin too.
	if r := w.Do("POST", path("80123456"), w.Admin, nil); r.Status != 200 || r.JSON()["code"] == nil {
		t.Fatalf("admin: %d %s", r.Status, r.Body)
	}
	adminCode := w.Do("POST", path("80123456"), w.Admin, nil).JSON()["code"].(string)

	// A client never sees a code. José's only e-mail came in the client's
	// own upload: not a verified channel, so nothing is sent and the
	// current code keeps working.
	r = w.Do("POST", path("80123456"), w.client, nil)
	if r.Status != 422 || r.JSON()["code"] != "no_verified_channel" || r.JSON()["error"] == "" || strings.Contains(string(r.Body), adminCode) {
		t.Fatalf("client, no verified channel: %d %s", r.Status, r.Body)
	}
	if st := w.debtorLogin("80123456", adminCode); st != 200 {
		t.Fatalf("the refused client request replaced the code: %d", st)
	}
	// A collector confirms José's e-mail: now the client may have a code sent.
	if r := w.Do("POST", "/api/tenants/acme/debtors/80123456/contacts", w.col1, map[string]string{"kind": "email", "value": "jose@verified.example"}); r.Status != 201 {
		t.Fatalf("add contact: %d %s", r.Status, r.Body)
	}
	r = w.Do("POST", path("80123456"), w.client, nil)
	if r.Status != 202 || r.JSON()["sent"] != true || r.JSON()["channel"] != "email" {
		t.Fatalf("client sends a code: %d %s", r.Status, r.Body)
	}
	if regexp.MustCompile(`[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}`).Match(r.Body) {
		t.Fatalf("the client's answer carries a code: %s", r.Body)
	}
	if st := w.debtorLogin("80123456", adminCode); st != 401 {
		t.Fatalf("old code after a new one was sent: %d", st)
	}
	// The code is in the outbox, to the verified address only.
	msgs := w.outboxTo(t, "access_code")
	if len(msgs) != 1 || msgs[0].To != "jose@verified.example" {
		t.Fatalf("outbox: %+v", msgs)
	}
	sent := regexp.MustCompile(`[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}`).FindString(msgs[0].Body)
	if st := w.debtorLogin("80123456", sent); st != 200 {
		t.Fatalf("the code sent to the debtor: %q %d", sent, st)
	}
	// A client of another tenant and a debtor: no.
	w.Tenant("globex")
	_, other := w.User("globex", "manager")
	if r := w.Do("POST", path("80123456"), other, nil); r.Status != 404 {
		t.Fatalf("manager of another tenant: %d", r.Status)
	}
	jose := w.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": "80123456", "code": sent}).JSON()["token"].(string)
	if r := w.Do("POST", path("80123456"), jose, nil); r.Status != 403 {
		t.Fatalf("debtor: %d", r.Status)
	}
	// Every issuance audited, saying how the code went out.
	var shown, sentN int
	for _, e := range w.codeAudits("80123456") {
		switch e.Details["delivery"] {
		case "shown":
			shown++
		case "sent":
			sentN++
		}
	}
	if shown != 3 || sentN != 1 {
		t.Fatalf("audit: %d shown, %d sent", shown, sentN)
	}
}

type outboxMsg struct {
	To, Body, Channel, Template, Status string
}

func (w safeEnv) outboxTo(t *testing.T, template string) []outboxMsg {
	t.Helper()
	var all []struct {
		To       string `bson:"to"`
		Body     string `bson:"body"`
		Channel  string `bson:"channel"`
		Template string `bson:"template"`
		Status   string `bson:"status"`
	}
	if err := w.App.DB.Tenant("acme").C("outbox").Find(context.Background(), bson.D{{Key: "template", Value: template}}, &all); err != nil {
		t.Fatal(err)
	}
	out := make([]outboxMsg, 0, len(all))
	for _, m := range all {
		out = append(out, outboxMsg{m.To, m.Body, m.Channel, m.Template, m.Status})
	}
	return out
}

// pdfContent is the text-drawing content of a PDF's streams, inflated, so
// tests can read gofpdf's output without poppler.
func pdfContent(t *testing.T, pdf []byte) string {
	t.Helper()
	var sb strings.Builder
	rest := pdf
	for {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			break
		}
		rest = rest[i+len("stream\n"):]
		j := bytes.Index(rest, []byte("endstream"))
		if j < 0 {
			break
		}
		if zr, err := zlib.NewReader(bytes.NewReader(rest[:j])); err == nil {
			b, _ := io.ReadAll(zr)
			sb.Write(b)
		} else {
			sb.Write(rest[:j])
		}
		rest = rest[j:]
	}
	return sb.String()
}

// A collector's letter lists only the invoices of accounts assigned to
// them; a manager's lists every open invoice of the debtor.
func TestCollectorLetterListsOnlyTheirAccounts(t *testing.T) {
	w := newSafeEnv(t)
	has := func(pdf []byte, inv string) bool { return strings.Contains(pdfContent(t, pdf), "("+inv+")") }
	r := w.Do("GET", "/api/tenants/acme/accounts/S1/letter.pdf?level=1", w.col1, nil)
	if r.Status != 200 {
		t.Fatalf("collector letter: %d %s", r.Status, r.Body)
	}
	if !has(r.Body, "S1") || has(r.Body, "S2") {
		t.Fatalf("collector 1's letter: S1 %v, S2 (collector 2's) %v", has(r.Body, "S1"), has(r.Body, "S2"))
	}
	r = w.Do("GET", "/api/tenants/acme/accounts/S1/letter.pdf?level=1", w.manager, nil)
	if r.Status != 200 || !has(r.Body, "S1") || !has(r.Body, "S2") {
		t.Fatalf("manager's letter: %d S1 %v S2 %v", r.Status, has(r.Body, "S1"), has(r.Body, "S2"))
	}
	if r := w.Do("GET", "/api/tenants/acme/accounts/S2/letter.pdf?level=1", w.col1, nil); r.Status != 404 {
		t.Fatalf("collector 1, letter of collector 2's account: %d", r.Status)
	}
}

// A dispute attachment downloads as attachment-<id>.<detected type>, with
// the detected Content-Type, whatever the debtor's file was called; a file
// that is not PDF/JPEG/PNG is refused naming those types.
func TestDisputeAttachmentNamedFromItsType(t *testing.T) {
	e := newDebtorEnv(t)
	jose := e.session("acme", "80123456")
	r := e.openDispute(jose, []string{"A1"}, "already_paid", "", "recibo.pdf", []byte("MZ\x90\x00 this is an executable"))
	if r.Status != 415 || r.JSON()["code"] != "unsupported_attachment" || !strings.Contains(r.JSON()["error"].(string), "PDF, JPEG o PNG") ||
		strings.Contains(string(r.Body), "CSV") {
		t.Fatalf("unsupported attachment: %d %s", r.Status, r.Body)
	}
	r = e.openDispute(jose, []string{"A1"}, "already_paid", "", `evil<script>.html`, tinyPNG(t))
	if r.Status != 201 {
		t.Fatalf("open: %d %s", r.Status, r.Body)
	}
	id := r.JSON()["id"].(string)
	for _, c := range []struct{ path, token string }{
		{"/api/tenants/acme/disputes/" + id + "/attachment", e.client},
		{"/api/debtor/disputes/" + id + "/attachment", jose},
	} {
		r := e.Do("GET", c.path, c.token, nil)
		cd := r.Header.Get("Content-Disposition")
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" || cd != `attachment; filename=attachment-`+id+`.png` {
			t.Fatalf("%s: %d %q %q", c.path, r.Status, r.Header.Get("Content-Type"), cd)
		}
		if strings.Contains(cd, "evil") || strings.Contains(cd, "html") {
			t.Fatalf("download named from the upload: %q", cd)
		}
	}
}

// Oversized request headers answer 431 with their own code and message.
func TestHeadersTooLargeHasItsCode(t *testing.T) {
	e := apptest.New(t)
	req, _ := http.NewRequest("GET", e.Listen()+"/api/me", nil)
	req.Header.Set("X-Filler", strings.Repeat("a", 16<<10))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := apptest.Resp{Status: res.StatusCode, Body: b}
	if r.Status != 431 || r.JSON()["code"] != "headers_too_large" || r.JSON()["error"] == "" {
		t.Fatalf("431: %d %s", r.Status, r.Body)
	}
}

// Without Stripe and without the sandbox, online payment is off and says
// so: checkout answers 503 payments_off (Spanish and English) writing
// nothing, the statement tells the page to hide the pay buttons, the
// sandbox routes are gone, the manager face and the startup log name the
// live gateway. The sandbox runs only when asked for.
func TestPaymentsOffWithoutStripeOrSandbox(t *testing.T) {
	var logBuf syncBuffer
	e := apptest.NewLogged(t, slog.New(slog.NewTextHandler(&logBuf, nil)))
	if !strings.Contains(logBuf.String(), "payments gateway: off") {
		t.Fatalf("startup log does not name the gateway:\n%s", logBuf.String())
	}
	w := safeEnv{Env: e}
	e.Tenant("acme")
	_, w.manager = e.User("acme", "manager")
	if m := e.Import("acme", e.Admin, "c.csv", []byte(safePortfolio)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	code := e.Do("POST", "/api/tenants/acme/debtors/80123456/access-code", w.manager, nil).JSON()["code"].(string)
	jose := e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": "80123456", "code": code}).JSON()["token"].(string)

	r := e.Do("POST", "/api/debtor/checkout", jose, map[string]any{})
	if r.Status != 503 || r.JSON()["code"] != "payments_off" || !strings.Contains(r.JSON()["error"].(string), "pagos en línea no están configurados") {
		t.Fatalf("checkout with payments off: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/debtor/checkout?lang=en", jose, map[string]any{"amount": 100000}); r.Status != 503 ||
		!strings.Contains(r.JSON()["error"].(string), "Online payments are not configured") {
		t.Fatalf("checkout in English: %d %s", r.Status, r.Body)
	}
	if n, _ := e.App.DB.C("payments").Count(context.Background(), bson.D{}); n != 0 {
		t.Fatalf("a refused checkout stored %d payments", n)
	}
	var st struct {
		OnlinePayments *bool `json:"onlinePayments"`
	}
	e.Do("GET", "/api/debtor/statement", jose, nil).Decode(t, &st)
	if st.OnlinePayments == nil || *st.OnlinePayments {
		t.Fatalf("statement onlinePayments: %v", st.OnlinePayments)
	}
	for _, p := range []string{"/api/payments/sandbox/x", "/api/payments/sandbox/x/complete"} {
		method := "GET"
		if strings.HasSuffix(p, "complete") {
			method = "POST"
		}
		if r := e.Do(method, p, jose, nil); r.Status != 404 {
			t.Fatalf("%s with the sandbox off: %d", p, r.Status)
		}
	}
	if r := e.Do("GET", "/api/payments/gateway", w.manager, nil); r.Status != 200 || r.JSON()["gateway"] != "off" || r.JSON()["online"] != false {
		t.Fatalf("gateway for the manager: %d %s", r.Status, r.Body)
	}

	// Asked for: the sandbox is live and says so.
	var sbxLog syncBuffer
	s := apptest.NewLogged(t, slog.New(slog.NewTextHandler(&sbxLog, nil)), apptest.Sandbox)
	if !strings.Contains(sbxLog.String(), "payments gateway: sandbox") {
		t.Fatalf("startup log with the sandbox:\n%s", sbxLog.String())
	}
	if r := s.Do("GET", "/api/payments/gateway", s.Admin, nil); r.JSON()["gateway"] != "sandbox" || r.JSON()["test"] != true {
		t.Fatalf("gateway with the sandbox: %s", r.Body)
	}
}

// syncBuffer is a log sink safe for the app's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A CSRF token works only for the session that received it: not for another
// user's session, not the anonymous page's token once logged in, not after
// the session was revoked; a page that loads with a stale token gets a new
// one bound to its session.
func TestCSRFTokenBoundToSession(t *testing.T) {
	e := apptest.New(t)
	anon := ""
	for _, c := range (&http.Response{Header: e.Do("GET", "/", "", nil).Header}).Cookies() {
		if c.Name == "csrf_" {
			anon = c.Value
		}
	}
	e.Tenant("acme")
	_, _ = e.User("acme", "manager")
	sessA, csrfA := cookieSession(t, e, apptest.AdminEmail)
	mgrEmail := "csrf.manager@test.cartera"
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": mgrEmail, "name": "M", "role": "manager", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status)
	}
	sessB, csrfB := cookieSession(t, e, mgrEmail)
	n := 0
	write := func(session, token string) int {
		n++
		req, _ := http.NewRequest("PUT", "/api/me/password", strings.NewReader(`{"currentPassword":"wrong-password-`+string(rune('a'+n))+`","newPassword":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "session", Value: session})
		req.AddCookie(&http.Cookie{Name: "csrf_", Value: token})
		req.Header.Set("X-CSRF-Token", token)
		r := e.Request(req)
		if r.Status == 403 && r.JSON()["code"] != "csrf" {
			t.Fatalf("403 that is not CSRF: %s", r.Body)
		}
		return r.Status
	}
	// Each session with its own token passes CSRF (the wrong current
	// password then answers 4xx, not 403 csrf).
	if st := write(sessA, csrfA); st == 403 {
		t.Fatalf("own token refused: %d", st)
	}
	if st := write(sessB, csrfB); st == 403 {
		t.Fatalf("own token refused (B): %d", st)
	}
	if st := write(sessB, csrfA); st != 403 {
		t.Fatalf("A's token on B's session: %d, want 403", st)
	}
	if anon == "" {
		t.Fatal("no anonymous csrf cookie")
	}
	if st := write(sessA, anon); st != 403 {
		t.Fatalf("the anonymous page's token on a session: %d, want 403", st)
	}
	// A page loaded with a stale token gets one bound to its session.
	req, _ := http.NewRequest("GET", "/api/me", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: sessA})
	req.AddCookie(&http.Cookie{Name: "csrf_", Value: anon})
	fresh := ""
	for _, c := range (&http.Response{Header: e.Request(req).Header}).Cookies() {
		if c.Name == "csrf_" {
			fresh = c.Value
		}
	}
	if fresh == "" || fresh == anon || write(sessA, fresh) == 403 {
		t.Fatalf("no new token bound to the session: %q", fresh)
	}
	// Logout revokes the session and, with it, its token.
	reqOut, _ := http.NewRequest("POST", "/api/auth/logout", nil)
	reqOut.AddCookie(&http.Cookie{Name: "session", Value: sessB})
	reqOut.AddCookie(&http.Cookie{Name: "csrf_", Value: csrfB})
	reqOut.Header.Set("X-CSRF-Token", csrfB)
	if r := e.Request(reqOut); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	sessB2, _ := cookieSession(t, e, mgrEmail)
	if st := write(sessB2, csrfB); st != 403 {
		t.Fatalf("a revoked session's token on the new session: %d, want 403", st)
	}
}
