package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"cartera/portal/app"
	"cartera/portal/apptest"
)

// mailbox is a fake e-mail sender that keeps what it was asked to send.
type mailbox struct {
	mu   sync.Mutex
	sent []struct{ to, subject, body string }
}

func (m *mailbox) send(_ context.Context, to, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, struct{ to, subject, body string }{to, subject, body})
	return nil
}

func (m *mailbox) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.sent) }

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode is the code in the last message, and where it went.
func (m *mailbox) lastCode(t *testing.T) (to, code string) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sent) == 0 {
		t.Fatal("no e-mail sent")
	}
	last := m.sent[len(m.sent)-1]
	c := sixDigits.FindStringSubmatch(last.body)
	if c == nil || !strings.Contains(last.subject, c[1]) {
		t.Fatalf("no code in %q / %q", last.subject, last.body)
	}
	return last.to, c[1]
}

const otpPortfolio = "documento,nombre,factura,vencimiento,valor,correo\n" +
	"80123456,José Núñez,A1,2025-10-01,1000000,jose.nunez@example.com\n" +
	"900123456,María Gómez,B1,2025-09-15,500000,\n" +
	"700700700,Pedro Paz,C1,2025-09-15,500000,pedro@example.com\n"

// newOTPEnv is a portal whose login codes go to the mailbox it returns.
func newOTPEnv(t *testing.T, log *slog.Logger) (*apptest.Env, *mailbox, string) {
	t.Helper()
	box := &mailbox{}
	e := apptest.NewHooked(t, log, app.Hooks{LoginMail: box.send})
	e.Tenant("acme")
	_, manager := e.User("acme", "manager")
	if m := e.Import("acme", manager, "c.csv", []byte(otpPortfolio)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	e.App.DebtorsSvc.Now = func() time.Time { return statementDay }
	// Portal access exists once an access code has been issued.
	for _, doc := range []string{"80123456", "900123456", "700700700"} {
		if r := e.Do("POST", "/api/tenants/acme/debtors/"+doc+"/access-code", manager, nil); r.Status != 200 {
			t.Fatal(r.Status)
		}
	}
	return e, box, manager
}

func askCode(e *apptest.Env, doc string) apptest.Resp {
	return e.Do("POST", "/api/debtor/login/email-code", "", map[string]string{"tenant": "acme", "document": doc})
}

func otpLogin(e *apptest.Env, doc, code string) apptest.Resp {
	return e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": doc, "emailCode": code})
}

func TestDebtorEmailCodeLogin(t *testing.T) {
	var logs bytes.Buffer
	// No mail sender configured: the option says so, and the page is told.
	off := apptest.New(t)
	off.Tenant("acme")
	if r := askCode(off, "80123456"); r.Status != 422 || r.JSON()["code"] != "email_codes_unavailable" {
		t.Fatalf("without a mailer: %d %s", r.Status, r.Body)
	}
	if o := off.Do("GET", "/api/debtor/login/options", "", nil).JSON(); o["emailCode"] != false || o["accessCode"] != true {
		t.Fatalf("options without a mailer: %v", o)
	}

	e, box, _ := newOTPEnv(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if o := e.Do("GET", "/api/debtor/login/options", "", nil).JSON(); o["emailCode"] != true {
		t.Fatalf("options with a mailer: %v", o)
	}

	// Unknown document, and a debtor with no e-mail: the same 202, nothing sent.
	known := askCode(e, "80.123.456")
	for _, doc := range []string{"11111111", "900123456"} {
		r := askCode(e, doc)
		if r.Status != 202 || string(r.Body) != string(known.Body) {
			t.Fatalf("%s: %d %s (known: %s)", doc, r.Status, r.Body, known.Body)
		}
	}
	if known.Status != 202 || box.count() != 1 {
		t.Fatalf("request: %d %s, %d mails", known.Status, known.Body, box.count())
	}
	to, code := box.lastCode(t)
	if to != "jose.nunez@example.com" {
		t.Fatalf("sent to %q, not the e-mail on file", to)
	}

	// A wrong code is refused like a wrong access code; the right one opens
	// a session once.
	if r := otpLogin(e, "80123456", "000000"); r.Status != 401 && code != "000000" {
		t.Fatalf("wrong code: %d", r.Status)
	}
	r := otpLogin(e, "80123456", code[:3]+" "+code[3:])
	if r.Status != 200 {
		t.Fatalf("right code: %d %s", r.Status, r.Body)
	}
	tok := r.JSON()["token"].(string)
	if st := e.Do("GET", "/api/debtor/statement", tok, nil); st.Status != 200 || !strings.Contains(string(st.Body), "José Núñez") {
		t.Fatalf("statement with the e-mail session: %d", st.Status)
	}
	if r := otpLogin(e, "80123456", code); r.Status != 401 {
		t.Fatalf("code used twice: %d", r.Status)
	}
	// Both ways in at once is a mistake.
	if r := e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": "80123456", "code": "X", "emailCode": code}); r.Status != 400 {
		t.Fatalf("code and emailCode: %d", r.Status)
	}

	// Codes expire after ten minutes.
	if r := askCode(e, "80123456"); r.Status != 202 {
		t.Fatal(r.Status)
	}
	_, code = box.lastCode(t)
	e.App.DebtorsSvc.Now = func() time.Time { return statementDay.Add(11 * time.Minute) }
	if r := otpLogin(e, "80123456", code); r.Status != 401 {
		t.Fatalf("expired code: %d", r.Status)
	}
	e.App.DebtorsSvc.Now = func() time.Time { return statementDay }

	// The audit says a code was sent, to a masked address, never the code.
	sent, _ := e.App.Audit.List(context.Background(), "acme", "debtor.login.code_sent", 10)
	if len(sent) != 2 {
		t.Fatalf("%d code_sent records", len(sent))
	}
	if b, _ := json.Marshal([]any{sent[0].Details, sent[1].Details}); strings.Contains(string(b), code) || strings.Contains(string(b), "jose.nunez") || strings.Contains(string(b), "80123456") {
		t.Fatalf("audit leaks: %s", b)
	}
	// A third request within the window is allowed; the fourth is throttled.
	if r := askCode(e, "80123456"); r.Status != 202 {
		t.Fatalf("third request: %d", r.Status)
	}
	if r := askCode(e, "80123456"); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth request: %d %v", r.Status, r.Header)
	}
	for _, m := range box.sent {
		c := sixDigits.FindString(m.body)
		if strings.Contains(logs.String(), c) {
			t.Fatalf("the log holds an e-mail code")
		}
	}
}

func TestDebtorEmailCodeBruteForce(t *testing.T) {
	e, box, _ := newOTPEnv(t, nil)
	if r := askCode(e, "700700700"); r.Status != 202 {
		t.Fatal(r.Status)
	}
	_, code := box.lastCode(t)
	wrong := "123456"
	if wrong == code {
		wrong = "654321"
	}
	// Five wrong codes lock the document: even the right code gets 429.
	for i := 0; i < 5; i++ {
		if r := otpLogin(e, "700700700", wrong); r.Status != 401 {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
	}
	r := otpLogin(e, "700700700", code)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures: %d %v", r.Status, r.Header)
	}
	// New codes cannot be asked for while the document is locked.
	if r := askCode(e, "700700700"); r.Status != 429 {
		t.Fatalf("code request while locked: %d", r.Status)
	}
	locked, _ := e.App.Audit.List(context.Background(), "acme", "debtor.login.locked", 10)
	if len(locked) != 1 || locked[0].Target != "acme:700700700" || locked[0].Details["method"] != "email_code" {
		t.Fatalf("lockout audit: %+v", locked)
	}
	// When the lock ends, the guessed-at code is void anyway (five wrong tries).
	later := time.Now().Add(16 * time.Minute)
	byDoc, byAddr := e.App.DebtorsSvc.Limiters()
	byDoc.SetClock(func() time.Time { return later })
	byAddr.SetClock(func() time.Time { return later })
	if r := otpLogin(e, "700700700", code); r.Status != 401 {
		t.Fatalf("code after five wrong tries: %d", r.Status)
	}

	// Per address: twenty failures across documents lock the address.
	e2, box2, _ := newOTPEnv(t, nil)
	if r := askCode(e2, "80123456"); r.Status != 202 {
		t.Fatal(r.Status)
	}
	_, good := box2.lastCode(t)
	for i := 0; i < 20; i++ {
		otpLogin(e2, "5000000"+string(rune('0'+i%10))+string(rune('A'+i)), "111111")
	}
	if r := otpLogin(e2, "80123456", good); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("address lockout: %d", r.Status)
	}
	locked, _ = e2.App.Audit.List(context.Background(), "", "debtor.login.locked", 10)
	if len(locked) == 0 || locked[0].Details["by"] != "address" {
		t.Fatalf("address lockout audit: %+v", locked)
	}
}
