package web_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/apptest"
	"cartera/portal/testtool"
)

// moneyDay is the "today"; the invoice falls due 300 days before.
var moneyDay = time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)

type moneyEnv struct {
	debtorEnv
	collector string
	debtor    string // the debtor's session
}

// newMoneyEnv is a Bogotá tenant with one debtor owing invoice M1 of
// amount (minor units) due on due, assigned to a collector, priced on moneyDay.
func newMoneyEnv(t *testing.T, amount int64, due string, extra ...string) moneyEnv {
	t.Helper()
	e := apptest.New(t, apptest.Sandbox) // debtors pay in the sandbox
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	_, manager := e.User("acme", "manager")
	colID, collector := e.User("acme", "collector")
	csv := "documento,nombre,factura,vencimiento,valor\n" + fmt.Sprintf("555,Deudora Cinco,M1,%s,%d.%02d\n", due, amount/100, amount%100)
	for _, x := range extra {
		csv += x + "\n"
	}
	if m := e.Import("acme", client, "m.csv", []byte(csv)); num(m, "inserted") < 1 {
		t.Fatalf("import %v", m)
	}
	if r := e.Do("POST", "/api/tenants/acme/assignments", manager, map[string]any{"accountIds": []string{"M1"}, "collectorId": colID}); r.Status != 200 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	// One clock for every service (the statement, payments, letters, plans),
	// so the figures do not depend on the day the test runs.
	now := func() time.Time { return moneyDay }
	e.App.DebtorsSvc.Now, e.App.Web.Work.Now, e.App.Web.Queue.Now, e.App.Web.Plans.Now, e.App.Web.Letters.Now = now, now, now, now, now
	e.App.Ladder.Now, e.App.Outbox.Now, e.App.Bureau.Now = now, now, now
	de := debtorEnv{Env: e, client: client, manager: manager}
	return moneyEnv{debtorEnv: de, collector: collector, debtor: de.session("acme", "555")}
}

type moneyStatement struct {
	Total    int64 `json:"total"`
	Owed     int64 `json:"owed"`
	Interest int64 `json:"interestTotal"`
	Accounts []struct {
		ID       string `json:"id"`
		Balance  int64  `json:"balance"`
		Interest int64  `json:"interest"`
		Owed     int64  `json:"owed"`
	} `json:"accounts"`
}

func (e moneyEnv) statement() moneyStatement {
	e.T.Helper()
	r := e.Do("GET", "/api/debtor/statement", e.debtor, nil)
	if r.Status != 200 {
		e.T.Fatalf("statement %d %s", r.Status, r.Body)
	}
	var st moneyStatement
	r.Decode(e.T, &st)
	return st
}

func (e moneyEnv) manual(amount int64, ref, paidAt string) apptest.Resp {
	return e.Do("POST", "/api/tenants/acme/accounts/M1/payments", e.collector,
		map[string]any{"amount": amount, "method": "transfer", "reference": ref, "paidAt": paidAt})
}

// The case, through HTTP: 1,000,000,000 due 300 days before
// 2026-12-06 at the house 24 % EA (below Colombia's usury cap) owes
// 1e9 × 300 × d = 176,855,983 of interest. A partial payment goes to
// interest first and lowers what is owed by exactly what was paid; paying
// the principal's amount leaves the interest's worth owed.
func TestMoneyPartialPaymentsKeepEarnedInterest(t *testing.T) {
	e := newMoneyEnv(t, 1_000_000_000, "2026-02-09")
	st := e.statement()
	ref := accounts.PaymentReference("acme", "555")
	if got := e.Do("GET", "/api/debtor/statement", e.debtor, nil).JSON()["paymentReference"]; got != ref {
		t.Fatalf("payment reference %v, want %s", got, ref)
	}
	if txt := testtool.PDFText(t, e.Do("GET", "/api/tenants/acme/accounts/M1/letter.pdf?level=2", e.collector, nil).Body); !strings.Contains(txt, ref) ||
		!strings.Contains(strings.Join(strings.Fields(txt), " "), "$ 11.768.559,83") {
		t.Fatalf("letter lacks the reference or the total owed:\n%s", txt)
	}
	if st.Owed != 1_176_855_983 || st.Interest != 176_855_983 {
		t.Fatalf("statement owed %d interest %d, want 1,176,855,983 and 176,855,983", st.Owed, st.Interest)
	}
	r := e.manual(25_000_000, "T-1", "")
	if r.Status != 201 {
		t.Fatalf("payment %d %s", r.Status, r.Body)
	}
	var p struct{ Interest, Principal, Owed int64 }
	r.Decode(t, &p)
	if p.Interest != 25_000_000 || p.Principal != 0 || p.Owed != 1_151_855_983 {
		t.Fatalf("payment imputed %+v", p)
	}
	if after := e.statement(); after.Owed != st.Owed-25_000_000 {
		t.Fatalf("owed %d after paying 25,000,000 of %d", after.Owed, st.Owed)
	}
	// 1,000,000,000 more: 151,855,983 to interest, 848,144,017 to principal
	// (as in the issue: paying the principal's amount does not close it).
	r = e.manual(1_000_000_000, "T-2", "")
	r.Decode(t, &p)
	if r.Status != 201 || p.Interest != 151_855_983 || p.Principal != 848_144_017 {
		t.Fatalf("second payment %d %s", r.Status, r.Body)
	}
	// Paid 1,025,000,000 of 1,176,855,983: 151,855,983 of principal is left.
	if after := e.statement(); after.Owed != 151_855_983 || after.Accounts[0].Balance != 151_855_983 || after.Interest != 0 {
		t.Fatalf("after paying the principal's amount: %+v", after)
	}
	// More than is owed is refused with the figure owed; the same reference again is a conflict.
	r = e.manual(151_855_984, "T-3", "")
	if r.Status != 422 || r.JSON()["code"] != "over_owed" || r.JSON()["fields"].(map[string]any)["owed"] != "151855983" {
		t.Fatalf("overpayment: %d %s", r.Status, r.Body)
	}
	if r := e.manual(1000, "T-2", ""); r.Status != 409 {
		t.Fatalf("repeated reference: %d", r.Status)
	}
}

// A back-dated payment counts from its date: interest after it accrues on
// the lower principal (figures in the calc table test).
func TestMoneyBackdatedPayment(t *testing.T) {
	e := newMoneyEnv(t, 1_000_000_000, "2026-02-09")
	if r := e.manual(400_000_000, "T-B", "2026-06-30"); r.Status != 201 {
		t.Fatalf("payment %d %s", r.Status, r.Body)
	}
	// 83,122,312 interest to 30 June paid first, 316,877,688 to principal;
	// 159 days on 683,122,312 since: 64,031,562.
	if st := e.statement(); st.Accounts[0].Balance != 683_122_312 || st.Interest != 64_031_562 {
		t.Fatalf("statement %+v", st)
	}
}

// Twenty collectors' payments of 10,000,000 at once on an invoice of
// 100,000,000 (plus its interest): together they never take more than is
// owed; the balance never goes below zero; the rest are refused.
func TestMoneyConcurrentManualPaymentsNeverExceedOwed(t *testing.T) {
	e := newMoneyEnv(t, 100_000_000, "2026-11-06") // 30 days late
	before := e.statement()
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := int64(0), 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.manual(10_000_000, fmt.Sprintf("C-%d", i), "")
			mu.Lock()
			defer mu.Unlock()
			switch r.Status {
			case 201:
				accepted += 10_000_000
			case 422:
				refused++
			default:
				t.Errorf("payment %d: %d %s", i, r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	after := e.statement()
	if accepted > before.Owed || after.Owed != before.Owed-accepted || after.Owed < 0 || refused == 0 {
		t.Fatalf("owed %d, accepted %d (refused %d), owed after %d", before.Owed, accepted, refused, after.Owed)
	}
	for _, a := range after.Accounts {
		if a.Balance < 0 {
			t.Fatalf("negative balance %+v", a)
		}
	}
	// What is left can be paid exactly, and then nothing is owed.
	if after.Owed > 0 {
		if r := e.manual(after.Owed, "C-last", ""); r.Status != 201 {
			t.Fatalf("last payment %d %s", r.Status, r.Body)
		}
	}
	if st := e.statement(); st.Owed != 0 {
		t.Fatalf("owed %d after paying it all", st.Owed)
	}
}

// Six checkouts of 150,000,000 against 199,000,000 owed over two invoices,
// completed one after another in the sandbox: each completion imputes what
// is owed on its day; money beyond the debt is held as the debtor's credit,
// never a negative balance.
func TestMoneyCheckoutsCompletedAfterTheDebtShrank(t *testing.T) {
	e := newMoneyEnv(t, 100_000_000, "2026-12-20", "555,Deudora Cinco,M2,2026-12-21,990000.00")
	st := e.statement()
	if st.Owed != 199_000_000 {
		t.Fatalf("owed %d", st.Owed)
	}
	ids := e.checkouts(6, 150_000_000)
	for _, id := range ids {
		if r := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", e.debtor, nil); r.Status != 200 {
			t.Fatalf("complete %d %s", r.Status, r.Body)
		}
	}
	var detail struct {
		Balance int64 `json:"balance"`
	}
	for _, inv := range []string{"M1", "M2"} {
		r := e.Do("GET", "/api/tenants/acme/accounts/"+inv, e.manager, nil)
		r.Decode(t, &detail)
		if detail.Balance != 0 {
			t.Fatalf("%s balance %d after overpaying", inv, detail.Balance)
		}
	}
	after := e.statement()
	var credit struct {
		Credit int64 `json:"creditTotal"`
	}
	e.Do("GET", "/api/debtor/statement", e.debtor, nil).Decode(t, &credit)
	if after.Owed != 0 || credit.Credit != 6*150_000_000-199_000_000 {
		t.Fatalf("owed %d, credit held %d (want %d)", after.Owed, credit.Credit, 6*150_000_000-199_000_000)
	}
}

// The client lowers an invoice below what was already paid: the principal
// stops at zero and the money paid beyond the new amount is the debtor's
// credit, never a negative balance left "open".
func TestMoneyReuploadBelowPaidBecomesCredit(t *testing.T) {
	e := newMoneyEnv(t, 100_000_000, "2026-12-31") // not yet due: no interest
	if r := e.manual(60_000_000, "R-1", ""); r.Status != 201 {
		t.Fatalf("payment %d %s", r.Status, r.Body)
	}
	m := e.Import("acme", e.client, "m2.csv", []byte("documento,nombre,factura,vencimiento,valor\n555,Deudora Cinco,M1,2026-12-31,500000.00\n"))
	if num(m, "updated") != 1 {
		t.Fatalf("re-upload %v", m)
	}
	var d struct {
		Balance int64  `json:"balance"`
		Status  string `json:"status"`
	}
	e.Do("GET", "/api/tenants/acme/accounts/M1", e.manager, nil).Decode(t, &d)
	var st struct {
		Owed   int64 `json:"owed"`
		Credit int64 `json:"creditTotal"`
	}
	e.Do("GET", "/api/debtor/statement", e.debtor, nil).Decode(t, &st)
	if d.Balance != 0 || d.Status != "paid" || st.Owed != 0 || st.Credit != 10_000_000 {
		t.Fatalf("account %+v, statement %+v", d, st)
	}
	if drift, err := accounts.Reconcile(e.Ctx(), e.App.DB.Tenant("acme")); err != nil || len(drift) != 0 {
		t.Fatalf("drift %+v %v", drift, err)
	}
	// The list shows it as a credit, not a negative balance.
	var list struct {
		Items []struct {
			Invoice string `json:"invoice"`
			Balance int64  `json:"balance"`
			Credit  int64  `json:"credit"`
		} `json:"items"`
	}
	e.Do("GET", "/api/tenants/acme/accounts", e.manager, nil).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Balance != 0 || list.Items[0].Credit != 10_000_000 {
		t.Fatalf("list %+v", list.Items)
	}
}

// Reports say recovered (principal) and collected (all money) apart, and
// the collected figure is the remittance's.
func TestMoneyRecoveredAndCollected(t *testing.T) {
	e := newMoneyEnv(t, 1_000_000_000, "2026-02-09")
	if r := e.manual(200_000_000, "RC-1", ""); r.Status != 201 {
		t.Fatalf("payment %d %s", r.Status, r.Body)
	}
	var s struct {
		Recovered struct {
			Amount int64 `json:"amount"`
		} `json:"recovered"`
		Collected int64 `json:"collected"`
	}
	e.Do("GET", "/api/tenants/acme/reports/summary?from=2026-01-01&to=2026-12-31", e.manager, nil).Decode(t, &s)
	// 176,855,983 of the 200,000,000 went to interest.
	if s.Collected != 200_000_000 || s.Recovered.Amount != 200_000_000-176_855_983 {
		t.Fatalf("summary recovered %d collected %d", s.Recovered.Amount, s.Collected)
	}
	rem, err := e.App.Web.Reports.Remittance(e.Ctx(), "acme", "2026-01-01", "2026-12-31")
	if err != nil || rem.Collected != s.Collected {
		t.Fatalf("remittance collected %d, summary %d (%v)", rem.Collected, s.Collected, err)
	}
}

// The same six checkouts completed at once: the account's compare-and-set
// makes each completion see what the others took.
func TestMoneyCheckoutsCompletedInParallel(t *testing.T) {
	e := newMoneyEnv(t, 100_000_000, "2026-12-20", "555,Deudora Cinco,M2,2026-12-21,990000.00")
	ids := e.checkouts(6, 150_000_000)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", e.debtor, nil); r.Status != 200 {
				t.Errorf("complete %d %s", r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	var st struct {
		Owed   int64 `json:"owed"`
		Credit int64 `json:"creditTotal"`
	}
	e.Do("GET", "/api/debtor/statement", e.debtor, nil).Decode(t, &st)
	if st.Owed != 0 || st.Credit != 6*150_000_000-199_000_000 {
		t.Fatalf("owed %d, credit %d", st.Owed, st.Credit)
	}
	for _, inv := range []string{"M1", "M2"} {
		var d struct {
			Balance int64 `json:"balance"`
		}
		e.Do("GET", "/api/tenants/acme/accounts/"+inv, e.manager, nil).Decode(t, &d)
		if d.Balance != 0 {
			t.Fatalf("%s balance %d", inv, d.Balance)
		}
	}
	if drift, err := accounts.Reconcile(e.Ctx(), e.App.DB.Tenant("acme")); err != nil || len(drift) != 0 {
		t.Fatalf("drift %+v %v", drift, err)
	}
}

// checkouts opens n checkouts of amount each and returns their payment keys.
func (e moneyEnv) checkouts(n int, amount int64) []string {
	e.T.Helper()
	var ids []string
	for range n {
		r := e.Do("POST", "/api/debtor/checkout", e.debtor, map[string]any{"amount": amount})
		if r.Status != 200 {
			e.T.Fatalf("checkout %d %s", r.Status, r.Body)
		}
		ids = append(ids, r.JSON()["paymentId"].(string))
	}
	return ids
}
