package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/browsertest"

	"cartera/portal/paylinks"
)

// The ladder's e-mail carries a payment link: it opens a pay-only session
// for that debtor with the message's invoice offered, without the access
// code. The session reads the statement and pays; disputes, plans and
// preferences answer 403 link_session; it does not slide, another tenant's
// or an expired link opens nothing, and a logout ends it.
func TestPaymentLinkInMessagesOpensThePaySheet(t *testing.T) {
	e := apptestWithEmails(t)
	token, account := ladderLink(t, e)
	// Only the token's hash is stored.
	var stored []bson.M
	if err := e.App.DB.C("paylinks").Find(e.Ctx(), bson.D{}, &stored); err != nil || len(stored) == 0 {
		t.Fatalf("links stored: %v %v", stored, err)
	}
	for _, l := range stored {
		if strings.Contains(l["_id"].(string), token) {
			t.Fatal("the token itself is stored")
		}
	}

	if r := e.Do("POST", "/api/debtor/link", "", map[string]string{"tenant": "otra", "link": token}); r.Status != 401 {
		t.Fatalf("another tenant's slug: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/debtor/link", "", map[string]string{"tenant": "acme", "link": strings.Repeat("A", 22)}); r.Status != 401 {
		t.Fatalf("unknown link: %d %s", r.Status, r.Body)
	}
	r := e.Do("POST", "/api/debtor/link", "", map[string]string{"tenant": "acme", "link": token})
	if r.Status != 200 || r.JSON()["scope"] != "pay" {
		t.Fatalf("link login: %d %s", r.Status, r.Body)
	}
	account = strings.TrimPrefix(account, "acme:") // the statement's name for it
	if acc := r.JSON()["accounts"].([]any); len(acc) != 1 || acc[0] != account {
		t.Fatalf("offered accounts %v, want [%s]", acc, account)
	}
	sess := r.JSON()["token"].(string)
	if exp, _ := time.Parse(time.RFC3339, r.JSON()["expires"].(string)); time.Until(exp) > 31*time.Minute {
		t.Fatalf("a link session lasts until %v", exp)
	}
	st := e.Do("GET", "/api/debtor/statement", sess, nil)
	if st.Status != 200 || st.JSON()["session"] != "link" || st.JSON()["debtor"].(map[string]any)["name"] != "José Núñez" {
		t.Fatalf("statement by link: %d %s", st.Status, st.Body)
	}
	for _, path := range []string{"/api/debtor/disputes", "/api/debtor/plan-offers", "/api/debtor/preferences", "/api/debtor/statement.pdf"} {
		if r := e.Do("GET", path, sess, nil); r.Status != 403 || r.JSON()["code"] != "link_session" {
			t.Errorf("%s in a link session: %d %s", path, r.Status, r.Body)
		}
	}
	// Paying the offered invoice works, for its statement figure.
	var want float64
	for _, l := range st.JSON()["accounts"].([]any) {
		if l := l.(map[string]any); l["id"] == account {
			want = l["total"].(float64)
		}
	}
	co := e.Do("POST", "/api/debtor/checkout", sess, map[string]any{"accountIds": []string{account}})
	if co.Status != 201 && co.Status != 200 {
		t.Fatalf("checkout by link: %d %s", co.Status, co.Body)
	}
	if got := co.JSON()["amount"].(float64); got != want {
		t.Fatalf("checkout charges %v, the statement shows %v", got, want)
	}
	// Logout ends link sessions too (the version moves), and the link opens
	// a new one until it expires.
	if r := e.Do("POST", "/api/debtor/logout", sess, nil); r.Status != 204 && r.Status != 200 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/debtor/statement", sess, nil); r.Status != 401 {
		t.Fatalf("link session after logout: %d", r.Status)
	}
	again := e.Do("POST", "/api/debtor/link", "", map[string]string{"tenant": "acme", "link": token})
	if again.Status != 200 {
		t.Fatalf("link again: %d %s", again.Status, again.Body)
	}
	// A full login (a new access code) is the same debtor with everything
	// open; the new code ends the link's session like any older session.
	full := e.session("acme", "80123456")
	if r := e.Do("GET", "/api/debtor/disputes", full, nil); r.Status != 200 {
		t.Fatalf("full session disputes: %d", r.Status)
	}
	if r := e.Do("GET", "/api/debtor/statement", again.JSON()["token"].(string), nil); r.Status != 401 {
		t.Fatalf("link session after a new code: %d", r.Status)
	}
	if _, err := e.App.DB.C("paylinks").UpdateMany(e.Ctx(), bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "expiresAt", Value: time.Now().Add(-time.Minute)}}}}); err != nil {
		t.Fatal(err)
	}
	if r := e.Do("POST", "/api/debtor/link", "", map[string]string{"tenant": "acme", "link": token}); r.Status != 401 {
		t.Fatalf("expired link: %d %s", r.Status, r.Body)
	}
	if paylinks.TTL < 30*24*time.Hour {
		t.Fatal("links must outlive a letter's delivery")
	}
}

// apptestWithEmails is the debtor environment with e-mail addresses, so the
// ladder's e-mails have somewhere to go.
func apptestWithEmails(t *testing.T) debtorEnv {
	t.Helper()
	e := newDebtorEnv(t)
	csv := "documento,nombre,factura,vencimiento,valor,correo\n" +
		"80123456,José Núñez,A1,2025-10-01,1000000,jose@example.com\n"
	if m := e.Import("acme", e.client, "correos.csv", []byte(csv)); m["status"] == "failed" {
		t.Fatalf("import: %v", m)
	}
	return e
}

// A letter's QR is a payment link to the letter's invoices (the debtor
// scans it and lands on the pay sheet); its text still prints the plain
// debtor page to type.
func TestLetterCarriesAPaymentLink(t *testing.T) {
	e := newDebtorEnv(t)
	r := e.Do("GET", "/api/tenants/acme/accounts/A1/letter.pdf?level=2", e.manager, nil)
	if r.Status != 200 {
		t.Fatalf("letter: %d %s", r.Status, r.Body)
	}
	var links []paylinks.Link
	if err := e.App.DB.C("paylinks").Find(e.Ctx(), bson.D{}, &links); err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Source != "letter:2:A1" || strings.Join(links[0].Accounts, ",") != "acme:A1,acme:A2" || links[0].DebtorID != "acme:80123456" {
		t.Fatalf("letter links: %+v", links)
	}
}

// ladderLink runs the ladder the day after A1's due date and returns the
// payment link token its e-mail carries and the account it offers.
func ladderLink(t *testing.T, e debtorEnv) (token, account string) {
	t.Helper()
	e.App.Ladder.Now = func() time.Time { return time.Date(2025, 10, 2, 15, 0, 0, 0, time.UTC) } // A1 one day late
	if _, err := e.App.Ladder.Run(e.Ctx(), "acme"); err != nil {
		t.Fatal(err)
	}
	// The body is what the sender sends (staff's outbox API does not show
	// it: it holds the link).
	var items []bson.M
	if err := e.App.DB.C("outbox").Find(e.Ctx(), bson.D{}, &items); err != nil {
		t.Fatal(err)
	}
	linkRE := regexp.MustCompile(`http://127\.0\.0\.1/pay/acme#l=([A-Za-z0-9_-]{22})`)
	for _, m := range items {
		if got := linkRE.FindStringSubmatch(m["body"].(string)); got != nil && m["channel"] == "email" {
			token, account = got[1], m["accountId"].(string)
		}
	}
	if token == "" {
		t.Fatalf("no ladder e-mail carries a payment link: %v", items)
	}
	return token, account
}

// On a phone, the e-mail's link lands on the statement with the message's
// invoice picked: two taps (Pagar, then the sheet's button) reach the
// gateway, no code typed. Disputes and plans are not offered.
func TestDebtorBrowserPaysFromALink(t *testing.T) {
	browsertest.Browser(t)
	e := apptestWithEmails(t)
	token, account := ladderLink(t, e)
	account = strings.TrimPrefix(account, "acme:")
	url := e.Listen()
	ctx := browsertest.New(t, 390, 844)
	clientRun(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	clientRun(t, ctx, "open the link", chromedp.Navigate(url+"/pay/acme#l="+token), chromedp.WaitVisible(chromedp.CSS("#pay-bar-go")))
	if h := browsertest.Eval(t, ctx, `location.hash`); h != "" {
		t.Fatalf("the token stays in the address bar: %q", h)
	}
	total := browsertest.Text(t, ctx, `.invoice-card[data-id="`+account+`"] .inv-total strong`)
	if bar := browsertest.Text(t, ctx, "#pay-bar"); !strings.Contains(bar, "Facturas marcadas: 1") || !strings.Contains(bar, total) {
		t.Fatalf("bar with the link's invoice (%s): %q", total, bar)
	}
	if v := browsertest.Eval(t, ctx, `String(document.getElementById('dispute').hidden && document.getElementById('st-pdf').hidden && document.getElementById('st-link').hidden === false)`); v != "true" {
		t.Fatal("a link session shows the dispute form or no note about the code")
	}
	browsertest.ShotView(t, ctx, t.TempDir(), "debtor-link")
	clientRun(t, ctx, "pay", chromedp.Click(chromedp.CSS("#pay-bar-go")), chromedp.WaitVisible(chromedp.CSS("#pay-confirm")),
		chromedp.Click(chromedp.CSS("#pay-confirm")), chromedp.WaitVisible(chromedp.CSS("#sandbox-pay")))
	if txt := browsertest.Text(t, ctx, "body"); !strings.Contains(nbsp.Replace(txt), nbsp.Replace(total)) {
		t.Fatalf("the gateway asks for something else than %s: %q", total, txt)
	}
	clientRun(t, ctx, "complete", chromedp.Click(chromedp.CSS("#sandbox-pay")), chromedp.WaitVisible(chromedp.CSS("#pay-done")))
	if txt := browsertest.Text(t, ctx, "#pay-done"); !strings.Contains(txt, total) {
		t.Fatalf("receipt %q, want %s", txt, total)
	}
}

var nbsp = strings.NewReplacer("\u00a0", " ")
