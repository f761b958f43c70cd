package web_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/accounts"
)

type planRow struct {
	N        int    `json:"n"`
	Date     string `json:"date"`
	Amount   int64  `json:"amount"`
	Interest int64  `json:"interest"`
	Status   string `json:"status"`
}

// unbooked is the financing interest of the installments not yet due nor
// paid: in the plan's remaining, not yet owed (booked when earned).
func unbooked(p planResp) int64 {
	var n int64
	for _, r := range p.Schedule {
		if r.Status == "due" {
			n += r.Interest
		}
	}
	return n
}

type offerResp struct {
	ID                string    `json:"id"`
	Installments      int       `json:"installments"`
	DownPayment       int64     `json:"downPayment"`
	InstallmentAmount int64     `json:"installmentAmount"`
	Total             int64     `json:"total"`
	Balance           int64     `json:"balance"`
	Schedule          []planRow `json:"schedule"`
	Terms             string    `json:"terms"`
}

type planResp struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	Total      int64     `json:"total"`
	Interest   int64     `json:"interest"`
	Remaining  int64     `json:"remaining"`
	AccountIDs []string  `json:"accountIds"`
	Schedule   []planRow `json:"schedule"`
	Terms      string    `json:"terms"`
}

// planEnv is the debtor portfolio with the plans' and collectors' clocks
// on the statement day (a Friday, 10:00 in Bogotá).
func planEnv(t *testing.T) debtorEnv {
	e := newDebtorEnv(t)
	e.App.Web.Plans.Now = func() time.Time { return statementDay }
	e.App.Web.Work.Now = func() time.Time { return statementDay }
	return e
}

func (e debtorEnv) offers(token string) []offerResp {
	e.T.Helper()
	r := e.Do("GET", "/api/debtor/plan-offers", token, nil)
	if r.Status != 200 {
		e.T.Fatalf("offers: %d %s", r.Status, r.Body)
	}
	var out []offerResp
	r.Decode(e.T, &out)
	return out
}

func (e debtorEnv) accept(token string, n int) planResp {
	e.T.Helper()
	for _, o := range e.offers(token) {
		if o.Installments == n {
			r := e.Do("POST", "/api/debtor/plans", token, map[string]any{"offerId": o.ID, "accept": true})
			if r.Status != 201 {
				e.T.Fatalf("accept: %d %s", r.Status, r.Body)
			}
			var p planResp
			r.Decode(e.T, &p)
			return p
		}
	}
	e.T.Fatalf("no offer of %d installments", n)
	return planResp{}
}

// pay checks out body and completes it in the sandbox (three times: the
// recording path applies it once); it returns the amount charged.
func (e debtorEnv) pay(token string, body map[string]any) int64 {
	e.T.Helper()
	r := e.Do("POST", "/api/debtor/checkout", token, body)
	if r.Status != 200 {
		e.T.Fatalf("checkout %v: %d %s", body, r.Status, r.Body)
	}
	co := r.JSON()
	id := co["paymentId"].(string)
	for i := 0; i < 3; i++ {
		if r := e.Do("POST", "/api/payments/sandbox/"+id+"/complete", token, nil); r.Status != 200 || r.JSON()["status"] != "succeeded" {
			e.T.Fatalf("complete: %d %s", r.Status, r.Body)
		}
	}
	return int64(co["amount"].(float64))
}

func (e debtorEnv) current(token string) (planResp, int) {
	e.T.Helper()
	r := e.Do("GET", "/api/debtor/plans/current", token, nil)
	var p planResp
	if r.Status == 200 {
		r.Decode(e.T, &p)
	}
	return p, r.Status
}

func (e debtorEnv) account(id string) accounts.Account {
	e.T.Helper()
	var a accounts.Account
	if err := e.App.DB.Tenant("acme").C("accounts").Get(context.Background(), "acme:"+id, &a); err != nil {
		e.T.Fatal(err)
	}
	return a
}

// owed is what the accounts owe on the statement's day, principal and
// interest, as the money engine prices them.
func (e debtorEnv) owed(ids ...string) int64 {
	e.T.Helper()
	rules, err := e.App.Web.Policy.Rules(e.Ctx(), "acme")
	if err != nil {
		e.T.Fatal(err)
	}
	loc, _ := time.LoadLocation("America/Bogota")
	day := accounts.CivilDay(e.App.DebtorsSvc.Now(), loc)
	var n int64
	for _, id := range ids {
		var a accounts.Account
		if err := e.App.DB.Tenant("acme").C("accounts").Get(e.Ctx(), "acme:"+id, &a); err != nil {
			e.T.Fatal(err)
		}
		n += accounts.Price(rules, nil, a, day).Owed()
	}
	return n
}

func TestPlanOffersAcceptOnce(t *testing.T) {
	e := planEnv(t)
	jose := e.session("acme", "80123456")
	offers := e.offers(jose)
	// Default policy: up to 12 installments, 10 % down, 1.5 % a month.
	if len(offers) != 4 || offers[0].Installments != 2 || offers[3].Installments != 12 {
		t.Fatalf("offers %+v", offers)
	}
	again := e.offers(jose)
	for i, o := range offers {
		var sum int64
		for _, r := range o.Schedule {
			sum += r.Amount
		}
		switch {
		// What is owed on 31 Oct: 120,000,000 of principal and A1's 1,768,560
		// of late interest; 10 % down (12,176,856) covers that interest.
		case o.Balance != 121768560 || o.DownPayment != 12176856:
			t.Errorf("offer %d: balance %d down %d", o.Installments, o.Balance, o.DownPayment)
		case o.DownPayment+sum != o.Total || o.Total <= o.Balance:
			t.Errorf("offer %d: %d + %d != total %d", o.Installments, o.DownPayment, sum, o.Total)
		case len(o.Schedule) != o.Installments || o.Schedule[0].Date != "2025-11-30" || o.Schedule[0].Amount != o.InstallmentAmount:
			t.Errorf("offer %d schedule %+v", o.Installments, o.Schedule)
		case o.ID != again[i].ID || o.Terms == "":
			t.Errorf("offer ids not deterministic or no terms: %s %s", o.ID, again[i].ID)
		}
	}

	if r := e.Do("POST", "/api/debtor/plans", jose, map[string]any{"offerId": offers[0].ID, "accept": false}); r.Status != 400 {
		t.Fatalf("accept without the checkbox: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/debtor/plans", jose, map[string]any{"offerId": "0000", "accept": true}); r.Status != 422 {
		t.Fatalf("unknown offer: %d %s", r.Status, r.Body)
	}
	r := e.Do("POST", "/api/debtor/plans", jose, map[string]any{"offerId": offers[1].ID, "accept": true})
	if r.Status != 201 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	var p planResp
	r.Decode(t, &p)
	if p.Status != "active" || len(p.Schedule) != 4 || p.Schedule[0].N != 0 || p.Total != offers[1].Total || p.Terms != offers[1].Terms {
		t.Fatalf("plan %+v", p)
	}
	if r := e.Do("POST", "/api/debtor/plans", jose, map[string]any{"offerId": offers[1].ID, "accept": true}); r.Status != 409 {
		t.Fatalf("second accept: %d %s", r.Status, r.Body)
	}
	if got := e.offers(jose); len(got) != 0 {
		t.Fatalf("offers during a plan: %+v", got)
	}
	// Evidence, the pause marks and the interest entry that makes the
	// accounts owe what the schedule says.
	var stored payments.Plan
	if err := e.App.DB.Tenant("acme").C("plans").Get(context.Background(), "acme:"+p.ID, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Evidence.IP == "" || stored.Evidence.AcceptedAt.IsZero() || stored.Evidence.Terms != offers[1].Terms || len(stored.Evidence.TermsHash) != 64 {
		t.Fatalf("evidence %+v", stored.Evidence)
	}
	var marked struct {
		PlanID string `bson:"planId"`
	}
	for _, id := range []string{"A1", "A2"} {
		_ = e.App.DB.Tenant("acme").C("accounts").Get(context.Background(), "acme:"+id, &marked)
		if marked.PlanID != "acme:"+p.ID {
			t.Fatalf("account %s not marked: %+v", id, marked)
		}
	}
	// Owed now: the plan's principal and the late interest to acceptance;
	// the financing interest is booked installment by installment.
	if got := e.owed("A1", "A2"); got != p.Total-p.Interest {
		t.Fatalf("accounts owe %d, plan total %d less financing interest %d", got, p.Total, p.Interest)
	}
	if cur, st := e.current(jose); st != 200 || cur.ID != p.ID {
		t.Fatalf("current: %d %+v", st, cur)
	}

	// Staff: client and manager see it; a collector may not; another tenant's manager gets 404.
	for _, tok := range []string{e.client, e.manager} {
		r := e.Do("GET", "/api/tenants/acme/plans?status=active", tok, nil)
		if r.Status != 200 || len(r.JSON()["items"].([]any)) != 1 {
			t.Fatalf("staff list: %d %s", r.Status, r.Body)
		}
	}
	if r := e.Do("GET", "/api/tenants/acme/plans?status=completed", e.manager, nil); len(r.JSON()["items"].([]any)) != 0 {
		t.Fatalf("completed list: %s", r.Body)
	}
	_, collector := e.User("acme", "collector")
	if r := e.Do("GET", "/api/tenants/acme/plans", collector, nil); r.Status != 403 {
		t.Fatalf("collector lists plans: %d", r.Status)
	}
	e.Tenant("globex")
	_, other := e.User("globex", "manager")
	if r := e.Do("GET", "/api/tenants/acme/plans", other, nil); r.Status != 404 {
		t.Fatalf("other tenant lists plans: %d", r.Status)
	}

	// Isolation: María sees no plan of José's and cannot pay or accept it.
	maria := e.session("acme", "900123456")
	if _, st := e.current(maria); st != 404 {
		t.Fatalf("other debtor's current plan: %d", st)
	}
	if r := e.Do("POST", "/api/debtor/checkout", maria, map[string]any{"planId": p.ID, "installment": 0}); r.Status != 404 {
		t.Fatalf("other debtor pays the plan: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/debtor/plans", maria, map[string]any{"offerId": offers[0].ID, "accept": true}); r.Status != 422 {
		t.Fatalf("other debtor accepts José's offer: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/debtor/plans/current", other, nil); r.Status != 403 {
		t.Fatalf("staff on the debtor route: %d", r.Status)
	}
}

// 50 acceptances at once create exactly one plan.
func TestPlanConcurrentAccept(t *testing.T) {
	e := planEnv(t)
	jose := e.session("acme", "80123456")
	offers := e.offers(jose)
	var wg sync.WaitGroup
	codes := make([]int, 50)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = e.Do("POST", "/api/debtor/plans", jose, map[string]any{"offerId": offers[i%len(offers)].ID, "accept": true}).Status
		}(i)
	}
	wg.Wait()
	n := map[int]int{}
	for _, c := range codes {
		n[c]++
	}
	if n[201] != 1 || n[409] != 49 {
		t.Fatalf("statuses %v", n)
	}
	cnt, err := e.App.DB.Tenant("acme").C("plans").Count(context.Background(), bson.D{{Key: "kind", Value: "plan"}})
	if err != nil || cnt != 1 {
		t.Fatalf("%d plans (%v)", cnt, err)
	}
}

// Installments are paid through the sandbox: exactly the installment,
// applied once; an extra payment reduces the last installments; paying
// everything completes the plan and releases the accounts.
func TestPlanInstallmentsExtraAndCompletion(t *testing.T) {
	e := planEnv(t)
	jose := e.session("acme", "80123456")
	p := e.accept(jose, 2)
	before := e.owed("A1", "A2")
	if got := e.pay(jose, map[string]any{"planId": p.ID, "installment": 0}); got != p.Schedule[0].Amount {
		t.Fatalf("down payment charged %d, want %d", got, p.Schedule[0].Amount)
	}
	if after := e.owed("A1", "A2"); before-after != p.Schedule[0].Amount {
		t.Fatalf("balances moved by %d, want %d", before-after, p.Schedule[0].Amount)
	}
	// Oldest first: A1 (due 1 Oct) takes the whole down payment, its
	// 1,768,560 of late interest first.
	if a1 := e.account("A1"); a1.Balance != 100000000-(p.Schedule[0].Amount-1768560) {
		t.Fatalf("A1 balance %d", a1.Balance)
	}
	cur, _ := e.current(jose)
	if cur.Schedule[0].Status != "paid" || cur.Schedule[1].Status != "due" {
		t.Fatalf("after the down payment %+v", cur.Schedule)
	}
	if r := e.Do("POST", "/api/debtor/checkout", jose, map[string]any{"planId": p.ID, "installment": 0}); r.Status != 409 {
		t.Fatalf("paying a paid installment again: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/debtor/checkout", jose, map[string]any{"planId": p.ID, "installment": 7}); r.Status != 400 {
		t.Fatalf("unknown installment: %d %s", r.Status, r.Body)
	}

	// An extra 100.000,00 outside the plan's installments reduces the last one.
	const extra = 10000000
	e.pay(jose, map[string]any{"amount": extra})
	cur, _ = e.current(jose)
	last := cur.Schedule[len(cur.Schedule)-1]
	if last.Amount != p.Schedule[2].Amount-extra || cur.Schedule[1].Amount != p.Schedule[1].Amount {
		t.Fatalf("after the extra %+v (was %+v)", cur.Schedule, p.Schedule)
	}
	if cur.Remaining != e.owed("A1", "A2")+unbooked(cur) {
		t.Fatalf("remaining %d, accounts owe %d + unearned %d", cur.Remaining, e.owed("A1", "A2"), unbooked(cur))
	}

	for _, n := range []int{1, 2} {
		if got := e.pay(jose, map[string]any{"planId": p.ID, "installment": n}); got != cur.Schedule[n].Amount {
			t.Fatalf("installment %d charged %d, want %d", n, got, cur.Schedule[n].Amount)
		}
	}
	if _, st := e.current(jose); st != 404 {
		t.Fatalf("current after completion: %d", st)
	}
	if e.owed("A1", "A2") != 0 {
		t.Fatalf("still owed %d", e.owed("A1", "A2"))
	}
	r := e.Do("GET", "/api/tenants/acme/plans?status=completed", e.manager, nil)
	if items := r.JSON()["items"].([]any); len(items) != 1 {
		t.Fatalf("completed plans: %s", r.Body)
	}
	var marked struct {
		PlanID string `bson:"planId"`
	}
	_ = e.App.DB.Tenant("acme").C("accounts").Get(context.Background(), "acme:A2", &marked)
	if marked.PlanID != "" {
		t.Fatalf("account still in the plan")
	}
	// A new plan may be accepted once the old one is settled (nothing owed: no offers).
	if got := e.offers(jose); len(got) != 0 {
		t.Fatalf("offers with nothing owed: %+v", got)
	}
}

// The plan job writes reminders, marks missed installments past the grace
// and defaults the plan after the policy's number of misses, giving the
// accounts back to the ladder with the unearned plan interest credited.
func TestPlanJobRemindersMissedDefault(t *testing.T) {
	e := planEnv(t)
	jose := e.session("acme", "80123456")
	p := e.accept(jose, 3)
	plans := e.App.Web.Plans
	ctx := context.Background()
	day := func(s string) time.Time {
		d, _ := time.Parse(time.DateOnly, s)
		return d.Add(15 * time.Hour) // 10:00 in Bogotá
	}
	// Three days before installment 1 (30 Nov): its reminder, once.
	for i := 0; i < 2; i++ {
		res, err := plans.Check(ctx, "acme", day("2025-11-27"))
		if err != nil {
			t.Fatal(err)
		}
		// The down payment (due today, 31 Oct) is missed by now (grace 2 days).
		if (i == 0 && (res.Reminders != 1 || res.Missed != 1)) || (i == 1 && (res.Reminders != 0 || res.Missed != 0)) || res.Defaulted != 0 {
			t.Fatalf("run %d: %+v", i, res)
		}
	}
	var msg struct {
		Channel, To, Subject, Body, Status string
	}
	if err := e.App.DB.Tenant("acme").C("outbox").Get(ctx, "acme:plan:"+p.ID+":1:reminder", &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Channel != "email" || msg.Status != "held" || msg.Subject == "" || msg.Body == "" {
		t.Fatalf("reminder %+v", msg)
	}
	if cur, _ := e.current(jose); cur.Schedule[0].Status != "missed" || cur.Status != "active" {
		t.Fatalf("after one miss %+v", cur)
	}
	owedBefore := e.owed("A1", "A2")
	before, _ := e.current(jose)
	// Installment 1 unpaid past 30 Nov + 2 days: the second miss defaults the plan.
	res, err := plans.Check(ctx, "acme", day("2025-12-03"))
	if err != nil || res.Defaulted != 1 {
		t.Fatalf("default: %+v %v", res, err)
	}
	if _, st := e.current(jose); st != 404 {
		t.Fatalf("current after default: %d", st)
	}
	r := e.Do("GET", "/api/tenants/acme/plans?status=defaulted", e.manager, nil)
	if len(r.JSON()["items"].([]any)) != 1 {
		t.Fatalf("defaulted list %s", r.Body)
	}
	// The missed installment's financing interest is earned (its period ran
	// out) and now owed; the installments not yet due never are.
	var missedInterest int64
	for _, r := range before.Schedule {
		if r.N == 1 {
			missedInterest = r.Interest
		}
	}
	if e.account("A2").Balance != 20000000 || missedInterest <= 0 || e.owed("A1", "A2") != owedBefore+missedInterest {
		t.Fatalf("after default: A2 %d, owed %d, before %d + missed installment's interest %d", e.account("A2").Balance, e.owed("A1", "A2"), owedBefore, missedInterest)
	}
	var marked struct {
		PlanID string `bson:"planId"`
	}
	_ = e.App.DB.Tenant("acme").C("accounts").Get(ctx, "acme:A1", &marked)
	if marked.PlanID != "" {
		t.Fatal("account still paused after default")
	}
	// Released: the debtor may take a new plan.
	if len(e.offers(jose)) == 0 {
		t.Fatal("no offers after default")
	}
}

func TestDebtorPromise(t *testing.T) {
	e := planEnv(t)
	jose := e.session("acme", "80123456")
	cases := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"past date", map[string]any{"amount": 5000000, "date": "2025-10-30"}, 400},
		{"too far", map[string]any{"amount": 5000000, "date": "2025-12-15"}, 400},
		{"more than owed", map[string]any{"amount": 120000001, "date": "2025-11-10"}, 400},
		{"zero", map[string]any{"amount": 0, "date": "2025-11-10"}, 400},
		{"bad date", map[string]any{"amount": 5000, "date": "10/11/2025"}, 400},
		{"spans two invoices", map[string]any{"amount": 110000000, "date": "2025-11-10"}, 201},
		{"a second one while live", map[string]any{"amount": 5000000, "date": "2025-11-12"}, 422},
	}
	for _, c := range cases {
		r := e.Do("POST", "/api/debtor/promises", jose, c.body)
		if r.Status != c.status {
			t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// Collectors see it on the account's timeline, as their own promises.
	for inv, want := range map[string]float64{"A1": 100000000, "A2": 10000000} {
		r := e.Do("GET", "/api/tenants/acme/accounts/"+inv+"/timeline", e.manager, nil)
		ps := r.JSON()["promises"].([]any)
		if r.Status != 200 || len(ps) != 1 {
			t.Fatalf("timeline %s: %d %s", inv, r.Status, r.Body)
		}
		p := ps[0].(map[string]any)
		if p["amount"] != want || p["date"] != "2025-11-10" || p["status"] != "live" {
			t.Fatalf("promise on %s: %v", inv, p)
		}
	}
}

// Preferences land in the consent record the collectors' rules read: a
// channel the debtor turned off is refused (422) to a collector.
func TestDebtorPreferencesHonoured(t *testing.T) {
	e := planEnv(t)
	jose := e.session("acme", "80123456")
	bad := []map[string]any{
		{"channels": map[string]bool{"fax": true}},
		{"channels": map[string]bool{"email": true}, "hours": map[string]string{"from": "18:00", "to": "08:00"}},
		{"channels": map[string]bool{"email": true}, "hours": map[string]string{"from": "8", "to": "18:00"}},
	}
	for _, b := range bad {
		if r := e.Do("PUT", "/api/debtor/preferences", jose, b); r.Status != 400 {
			t.Fatalf("%v: %d %s", b, r.Status, r.Body)
		}
	}
	r := e.Do("PUT", "/api/debtor/preferences", jose, map[string]any{
		"channels": map[string]bool{"email": true, "whatsapp": false, "call": true},
		"hours":    map[string]string{"from": "08:00", "to": "18:00"},
	})
	if r.Status != 200 {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	g := e.Do("GET", "/api/debtor/preferences", jose, nil).JSON()
	ch := g["channels"].(map[string]any)
	if ch["email"] != true || ch["whatsapp"] != false || g["how"] != payments.DebtorPortalHow || g["hours"].(map[string]any)["from"] != "08:00" {
		t.Fatalf("get %v", g)
	}
	// The staff consent view shows the same record.
	cv := e.Do("GET", "/api/tenants/acme/debtors/80123456/consent", e.manager, nil).JSON()
	if wa := cv["channels"].(map[string]any)["whatsapp"].(map[string]any); wa["optedOut"] != true || wa["how"] != payments.DebtorPortalHow {
		t.Fatalf("consent %v", cv)
	}
	act := func(channel string) (int, string) {
		r := e.Do("POST", "/api/tenants/acme/accounts/A1/activities", e.manager, map[string]any{"channel": channel, "outcome": "no_answer"})
		code, _ := r.JSON()["code"].(string)
		return r.Status, code
	}
	if st, code := act("whatsapp"); st != 422 || code != "opted_out" {
		t.Fatalf("whatsapp after opt-out: %d %s", st, code)
	}
	if st, code := act("email"); st != 201 {
		t.Fatalf("email, allowed: %d %s", st, code)
	}
	if r := e.Do("GET", "/api/debtor/preferences", e.manager, nil); r.Status != 403 {
		t.Fatalf("staff on debtor preferences: %d", r.Status)
	}
}
