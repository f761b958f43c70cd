package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/queue"
	"cartera/portal/readside"
	"cartera/portal/store"
	"cartera/portal/testtool"
)

// queueEnv is workEnv with a policy whose D+5 step is a call and D+40 a
// visit, and the queue on the same clock.
func newQueueEnv(t *testing.T) *workEnv {
	t.Helper()
	w := newWorkEnv(t)
	pol := map[string]any{"steps": []map[string]any{
		{"day": 1, "channel": "email", "template": "overdue_notice", "automatic": true},
		{"day": 5, "channel": "call", "template": "follow_up_call", "label": "Llamada de seguimiento"},
		{"day": 40, "channel": "visit", "template": "visit", "label": "Visita"},
	}, "lateInterestBP": 2400, "plans": map[string]any{"maxInstallments": 6, "minDownPaymentBP": 1000, "monthlyRateBP": 100, "maxTermDays": 200},
		"promises": map[string]any{"maxDaysAhead": 30, "graceDays": 2}}
	if r := w.Do("PUT", "/api/tenants/acme/policy", w.manager, pol); r.Status != 200 {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	w.setQueueClock(w.clock)
	return w
}

func (w *workEnv) setQueueClock(t time.Time) {
	w.setClock(t)
	now := func() time.Time { return w.clock }
	w.App.Web.Queue.Now, w.App.Web.Letters.Now, w.App.Ladder.Now, w.App.Outbox.Now, w.App.Bureau.Now = now, now, now, now, now
}

type queueItem struct {
	AccountID, Tenant, DebtorName, Currency string
	Balance                                 int64
	DaysPastDue, Priority                   int
	NextAction                              struct{ Type, Due, Label string }
	Reasons                                 []string
}

func (w *workEnv) queue(token, q string) []queueItem {
	w.T.Helper()
	r := w.Do("GET", "/api/work/queue"+q, token, nil)
	if r.Status != 200 {
		w.T.Fatalf("queue: %d %s", r.Status, r.Body)
	}
	var out struct{ Items []queueItem }
	r.Decode(w.T, &out)
	return out.Items
}

func TestQueueOrderAndEvents(t *testing.T) {
	w := newQueueEnv(t) // F-1 1.000.000 due 02-01, F-2 250.000 due 02-15; today 03-10
	// Before the policy is saved the accounts were placed with the default
	// ladder; the rebuild (the scheduler's repair) brings them to this one.
	if r := w.Do("POST", "/api/tenants/acme/worklists/rebuild", w.manager, nil); r.Status != 200 || r.JSON()["entries"] != float64(2) {
		t.Fatalf("rebuild: %d %s", r.Status, r.Body)
	}
	q := w.queue(w.collector, "?tenant=acme")
	if len(q) != 2 || q[0].AccountID != "F-1" || q[1].AccountID != "F-2" || q[0].Priority <= q[1].Priority {
		t.Fatalf("queue: %+v", q)
	}
	f1 := q[0]
	if f1.Tenant != "acme" || f1.DebtorName != "Ferretería Núñez" || f1.Balance != 100000000 || f1.DaysPastDue != 37 ||
		f1.NextAction.Type != "call" || f1.NextAction.Due != "2026-02-06" || f1.NextAction.Label != "Llamada de seguimiento" {
		t.Fatalf("F-1 row: %+v", f1)
	}
	if strings.Join(f1.Reasons, "|") != "saldo: $ 1.000.000,00|37 días de mora|contactable por 3 canales" {
		t.Fatalf("F-1 reasons: %q", f1.Reasons)
	}
	// A collector who chose English reads the reasons in English (amounts
	// still in the company's format).
	if en := w.queue(w.collector, "?tenant=acme&lang=en"); strings.Join(en[0].Reasons, "|") != "balance: $ 1.000.000,00|37 days past due|reachable on 3 channels" {
		t.Fatalf("F-1 reasons in English: %q", en[0].Reasons)
	}
	// Filter by task type.
	if v := w.queue(w.collector, "?type=visit"); len(v) != 0 {
		t.Fatalf("visits: %+v", v)
	}
	// The call on F-1 carries out its step: F-1 leaves the queue until the
	// D+40 visit (March 13).
	if r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "contacted"}); r.Status != 201 {
		t.Fatalf("call: %d %s", r.Status, r.Body)
	}
	if q := w.queue(w.collector, ""); len(q) != 1 || q[0].AccountID != "F-2" {
		t.Fatalf("after the call: %+v", q)
	}
	w.setQueueClock(at("2026-03-13 09:00"))
	if q := w.queue(w.collector, "?type=visit"); len(q) != 1 || q[0].AccountID != "F-1" || q[0].NextAction.Due != "2026-03-13" {
		t.Fatalf("visit due: %+v", q)
	}
	// A promise on F-2 pauses it; broken, it comes back first with a
	// follow-up and the broken promise among its reasons.
	w.setQueueClock(at("2026-03-13 10:00"))
	r := w.contact(w.collector, "F-2", map[string]any{"channel": "call", "outcome": "promise", "promise": map[string]any{"amount": 10000000, "date": "2026-03-16"}})
	if r.Status != 201 {
		t.Fatalf("promise: %d %s", r.Status, r.Body)
	}
	for _, it := range w.queue(w.collector, "") {
		if it.AccountID == "F-2" {
			t.Fatalf("F-2 in the queue while a promise is live: %+v", it)
		}
	}
	w.setQueueClock(at("2026-03-19 10:00"))
	if _, broken, err := w.App.Web.Work.CheckPromises(w.Ctx(), "acme", w.clock); err != nil || broken != 1 {
		t.Fatalf("check promises: %d %v", broken, err)
	}
	q = w.queue(w.collector, "")
	if len(q) != 2 || q[0].AccountID != "F-2" && q[1].AccountID != "F-2" {
		t.Fatalf("after the broken promise: %+v", q)
	}
	var f2 queueItem
	for _, it := range q {
		if it.AccountID == "F-2" {
			f2 = it
		}
	}
	if f2.NextAction.Type != "promise_follow_up" || !strings.Contains(strings.Join(f2.Reasons, "|"), "1 promesa incumplida") {
		t.Fatalf("F-2 follow-up: %+v", f2)
	}
	// A manual payment of everything owed (principal and interest: the
	// refusal of a larger amount says how much) takes F-2 off; reassigning
	// F-1 moves it to another collector's queue.
	over := w.Do("POST", "/api/tenants/acme/accounts/F-2/payments", w.collector, map[string]any{"amount": 1_000_000_000, "method": "transfer", "reference": "TR-8"})
	owed, _ := strconv.ParseInt(over.JSON()["fields"].(map[string]any)["owed"].(string), 10, 64)
	if over.Status != 422 || owed <= 25000000 {
		t.Fatalf("over: %d %s", over.Status, over.Body)
	}
	if r := w.Do("POST", "/api/tenants/acme/accounts/F-2/payments", w.collector, map[string]any{"amount": owed, "method": "transfer", "reference": "TR-9"}); r.Status != 201 {
		t.Fatalf("payment: %d %s", r.Status, r.Body)
	}
	otherID, other := w.User("acme", "collector")
	if r := w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{"F-1"}, "collectorId": otherID}); r.Status != 200 {
		t.Fatalf("reassign: %d %s", r.Status, r.Body)
	}
	if q := w.queue(w.collector, ""); len(q) != 0 {
		t.Fatalf("first collector still has: %+v", q)
	}
	if q := w.queue(other, ""); len(q) != 1 || q[0].AccountID != "F-1" {
		t.Fatalf("second collector: %+v", q)
	}
	// Managers read a collector's queue; they must say whose.
	if q := w.queue(w.manager, "?collector="+otherID); len(q) != 1 {
		t.Fatalf("manager view: %+v", q)
	}
	if r := w.Do("GET", "/api/work/queue", w.manager, nil); r.Status != 400 {
		t.Fatalf("manager without collector: %d", r.Status)
	}
	// A tenant the collector does not belong to is 404; clients have no queue.
	if r := w.Do("GET", "/api/work/queue?tenant=other", w.collector, nil); r.Status != 404 {
		t.Fatalf("other tenant: %d", r.Status)
	}
	if r := w.Do("GET", "/api/work/queue", w.client, nil); r.Status != 403 {
		t.Fatalf("client: %d", r.Status)
	}
}

// An online payment goes through accounts.Post without any hook: the
// queue notices from the account's rev and drops the paid account.
func TestQueueSeesChangesNoHookSaw(t *testing.T) {
	w := newQueueEnv(t)
	if r := w.Do("POST", "/api/tenants/acme/worklists/rebuild", w.manager, nil); r.Status != 200 {
		t.Fatal(r.Status)
	}
	sc := w.App.DB.Tenant("acme")
	if err := postPayment(w, sc, "F-1", 100000000); err != nil {
		t.Fatal(err)
	}
	if q := w.queue(w.collector, ""); len(q) != 1 || q[0].AccountID != "F-2" {
		t.Fatalf("after the online payment: %+v", q)
	}
}

func TestLetters(t *testing.T) {
	w := newQueueEnv(t)
	if r := w.Do("POST", "/api/tenants/acme/debtors/900100200/contacts", w.collector, map[string]any{"kind": "address", "value": "Calle 10 # 20-30, oficina 501", "city": "Medellín"}); r.Status != 201 {
		t.Fatalf("address: %d %s", r.Status, r.Body)
	}
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, c := range []struct {
		level, token string
		want         []string
	}{
		{"1", w.collector, []string{"Recordatorio de pago", "cordial saludo"}},
		{"2", w.client, []string{"Requerimiento de pago", "diez (10) días"}},
		{"3", w.manager, []string{"Aviso previo de reporte a centrales de riesgo", "Ley 1266 de 2008", "veinte (20) días"}},
		{"final", w.manager, []string{"Último aviso antes de cobro jurídico", "cobro jurídico"}},
	} {
		r := w.Do("GET", "/api/tenants/acme/accounts/F-1/letter.pdf?level="+c.level, c.token, nil)
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("letter %s: %d %s", c.level, r.Status, r.Body)
		}
		text := letterPDFText(t, r.Body, filepath.Join(dir, "letter-"+c.level))
		for _, s := range append(c.want, "Empresa acme", "Ferretería Núñez", "Calle 10 # 20-30, oficina 501 Medellín", "10 de marzo de 2026",
			"F-1", "F-2", "1.000.000,00", "250.000,00", "1.250.000,00", "http://127.0.0.1/pay/acme",
			// Late interest to 10 March at 24 % EA, as the statement prices it
			// (each cap month its own run, rounded half-up):
			// F-1 10^8 × (28 + 9) days → 1.650.656 + 530.568 = 21.812,24;
			// F-2 2,5·10^7 × (14 + 9) days → 206.332 + 132.642 = 3.389,74.
			"21.812,24", "3.389,74", "25.201,98", "1.275.201,98", "Total adeudado a la fecha") {
			if !strings.Contains(text, s) {
				t.Fatalf("letter %s lacks %q:\n%s", c.level, s, text)
			}
		}
		if strings.Contains(text, "Su código de acceso:") {
			t.Fatalf("letter %s prints a code without withCode", c.level)
		}
	}
	// A new access code only when a manager asks for it.
	if r := w.Do("GET", "/api/tenants/acme/accounts/F-1/letter.pdf?level=1&withCode=1", w.collector, nil); r.Status != 403 {
		t.Fatalf("collector withCode: %d", r.Status)
	}
	r := w.Do("GET", "/api/tenants/acme/accounts/F-1/letter.pdf?level=final&withCode=1", w.manager, nil)
	if r.Status != 200 {
		t.Fatalf("withCode: %d %s", r.Status, r.Body)
	}
	if text := letterPDFText(t, r.Body, filepath.Join(dir, "letter-code")); !strings.Contains(text, "Su código de acceso:") {
		t.Fatalf("no code line:\n%s", text)
	}
	if r := w.Do("GET", "/api/tenants/acme/accounts/F-1/letter.pdf?level=9", w.manager, nil); r.Status != 400 {
		t.Fatalf("bad level: %d", r.Status)
	}
	// Another collector does not get the letter of an account not theirs.
	_, other := w.User("acme", "collector")
	if r := w.Do("GET", "/api/tenants/acme/accounts/F-1/letter.pdf?level=1", other, nil); r.Status != 404 {
		t.Fatalf("other collector: %d", r.Status)
	}
}

// letterPDFText renders the first page to <base>-1.png and returns the text.
func letterPDFText(t *testing.T, pdf []byte, base string) string {
	t.Helper()
	testtool.Bin(t, "pdftotext", "poppler-utils", "")
	p := base + ".pdf"
	if err := os.WriteFile(p, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", p, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", p, base).Run(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// postPayment records an online payment the way the payments package does
// (accounts.Post), with no worklist hook.
func postPayment(w *workEnv, sc *store.Scope, invoice string, amount int64) error {
	return accounts.Post(w.Ctx(), sc, accounts.LedgerEntry{ID: sc.ID("pay:online:test-" + invoice), TenantID: "acme", AccountID: sc.ID(invoice),
		DebtorID: sc.ID("900100200"), Kind: accounts.KindPayment, Channel: "online", Amount: -amount, Currency: "COP"})
}

// A worklist an earlier release wrote (gob+gzip here, as 'W' v1 is read
// the same: stale) is not read as entries: the first queue read, or the
// first write to the worklist, rebuilds the tenant's worklists from the
// accounts. The stored list names a ghost account and lacks F-1, so only a
// rebuild shows the right rows.
func TestStaleWorklistsRebuilt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first func(w *workEnv) // what meets the stale worklist first
		want  []string
	}{
		{"queue read", func(*workEnv) {}, []string{"F-1", "F-2"}},
		{"worklist write", func(w *workEnv) {
			// The call carries out F-1's step: F-1 leaves the queue.
			if r := w.contact(w.collector, "F-1", map[string]any{"channel": "call", "outcome": "contacted"}); r.Status != 201 {
				w.T.Fatalf("call: %d %s", r.Status, r.Body)
			}
			if f := storedFormat(w); f != 0xC5 {
				w.T.Fatalf("after the write the worklist begins %#x", f)
			}
		}, []string{"F-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newQueueEnv(t)
			ghost := map[string]queue.Entry{
				"F-9": {AccountID: "acme:F-9", Invoice: "F-9", DebtorName: "Fantasma", Balance: 1, Currency: "COP", NextAction: &queue.NextAction{Type: "call", Due: at("2026-02-01 00:00")}},
				"F-2": {AccountID: "acme:F-2", Invoice: "F-2", DebtorName: "Ferretería Núñez", Balance: 25000000, Currency: "COP", NextAction: &queue.NextAction{Type: "call", Due: at("2026-02-20 00:00")}},
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			if err := gob.NewEncoder(zw).Encode(ghost); err != nil || zw.Close() != nil {
				t.Fatal(err)
			}
			// As the previous binary left it: its data, and a token this
			// process has not cached.
			sc := w.App.DB.Tenant("acme")
			set := bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: gz.Bytes()}, {Key: "count", Value: 2}, {Key: "token", Value: "old"}}}}
			if err := sc.C("worklists").Update(w.Ctx(), sc.ID(w.collectorID), set); err != nil {
				t.Fatal(err)
			}
			if _, err := sc.C("counters").Upsert(w.Ctx(), sc.ID("wl:"+w.collectorID), bson.D{{Key: "$set", Value: bson.D{{Key: "token", Value: "old"}}}}); err != nil {
				t.Fatal(err)
			}
			tc.first(w)
			var got []string
			for _, it := range w.queue(w.collector, "?tenant=acme") {
				got = append(got, it.AccountID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("queue: %v, want %v", got, tc.want)
			}
			if f := storedFormat(w); f != 0xC5 {
				t.Fatalf("after the read the worklist begins %#x", f)
			}
		})
	}
}

// storedFormat is the first byte of the collector's stored worklist data.
func storedFormat(w *workEnv) byte {
	w.T.Helper()
	if err := w.App.DB.Settle(w.Ctx(), store.TenantKey("acme")); err != nil {
		w.T.Fatal(err)
	}
	sc := w.App.DB.Tenant("acme")
	var wl readside.Worklist
	if err := sc.C("worklists").Get(w.Ctx(), sc.ID(w.collectorID), &wl); err != nil || len(wl.Data) == 0 {
		w.T.Fatalf("worklist: %v (%d bytes)", err, len(wl.Data))
	}
	return wl.Data[0]
}
