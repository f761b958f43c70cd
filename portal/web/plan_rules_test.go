package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The policy's plan rules: grace days before an installment counts as
// missed, and how many misses default a plan. The plan keeps the rules it
// was accepted under, and its terms quote them.
func TestPlanPolicyGraceAndMaxMissed(t *testing.T) {
	cases := []struct {
		name               string
		grace, maxMissed   any // nil: not set in the policy
		missedOn, notOn    string
		defaultOn          string // "" : one miss does not default
		termsHas, termsNot string
	}{
		{name: "house rules: promise grace 2 days, 2 misses", missedOn: "2025-11-03", notOn: "2025-11-02",
			termsHas: "2 días después de su fecha. Si incumplo 2 cuotas"},
		{name: "5 days of grace, one miss defaults", grace: 5, maxMissed: 1, missedOn: "2025-11-06", notOn: "2025-11-05",
			defaultOn: "2025-11-06", termsHas: "5 días después de su fecha. Si incumplo 1 cuota,"},
		{name: "no grace", grace: 0, maxMissed: 3, missedOn: "2025-11-01", notOn: "2025-10-31",
			termsHas: "no pagada en su fecha queda incumplida. Si incumplo 3 cuotas", termsNot: "días después"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := planEnv(t)
			pol := e.Do("GET", "/api/tenants/acme/policy", e.manager, nil).JSON()
			plans := pol["plans"].(map[string]any)
			if c.grace != nil {
				plans["graceDays"] = c.grace
			}
			if c.maxMissed != nil {
				plans["maxMissed"] = c.maxMissed
			}
			delete(pol, "default")
			delete(pol, "updatedAt")
			delete(pol, "updatedBy")
			if r := e.Do("PUT", "/api/tenants/acme/policy", e.manager, pol); r.Status != 200 {
				t.Fatalf("policy: %d %s", r.Status, r.Body)
			}
			jose := e.session("acme", "80123456")
			p := e.accept(jose, 3) // down payment due today, 31 Oct
			if !strings.Contains(p.Terms, c.termsHas) || (c.termsNot != "" && strings.Contains(p.Terms, c.termsNot)) {
				t.Fatalf("terms %q", p.Terms)
			}
			// A later policy change does not touch the accepted plan.
			plans["graceDays"], plans["maxMissed"] = 30, 12
			if r := e.Do("PUT", "/api/tenants/acme/policy", e.manager, pol); r.Status != 200 {
				t.Fatalf("policy change: %d %s", r.Status, r.Body)
			}
			at := func(s string) time.Time {
				d, _ := time.Parse(time.DateOnly, s)
				return d.Add(15 * time.Hour)
			}
			ctx := context.Background()
			if res, err := e.App.Web.Plans.Check(ctx, "acme", at(c.notOn)); err != nil || res.Missed != 0 {
				t.Fatalf("%s: %+v %v", c.notOn, res, err)
			}
			res, err := e.App.Web.Plans.Check(ctx, "acme", at(c.missedOn))
			if err != nil || res.Missed != 1 {
				t.Fatalf("%s: %+v %v", c.missedOn, res, err)
			}
			_, st := e.current(jose)
			if c.defaultOn != "" {
				if res.Defaulted != 1 || st != 404 {
					t.Fatalf("one miss should default: %+v, current %d", res, st)
				}
			} else if res.Defaulted != 0 || st != 200 {
				t.Fatalf("one miss defaulted: %+v, current %d", res, st)
			}
		})
	}
	// Validation of the new fields.
	e := planEnv(t)
	pol := e.Do("GET", "/api/tenants/acme/policy", e.manager, nil).JSON()
	delete(pol, "default")
	for _, bad := range []map[string]any{{"graceDays": -1}, {"graceDays": 61}, {"maxMissed": 13}, {"maxMissed": -2}} {
		plans := map[string]any{}
		for k, v := range pol["plans"].(map[string]any) {
			plans[k] = v
		}
		for k, v := range bad {
			plans[k] = v
		}
		pol["plans"] = plans
		r := e.Do("PUT", "/api/tenants/acme/policy", e.manager, pol)
		if r.Status != 400 || !strings.Contains(string(r.Body), "plans.") {
			t.Fatalf("%v: %d %s", bad, r.Status, r.Body)
		}
	}
}

// A collector's manual payment on an account under a plan reduces the plan
// from its last installment, like an extra online payment; the statement
// marks the plan's accounts and shows the next installment.
func TestManualPaymentReducesPlanAndStatementShowsIt(t *testing.T) {
	e := planEnv(t)
	jose := e.session("acme", "80123456")
	p := e.accept(jose, 3)

	st := e.Do("GET", "/api/debtor/statement", jose, nil).JSON()
	plan, _ := st["plan"].(map[string]any)
	if plan == nil || plan["id"] != p.ID {
		t.Fatalf("statement plan %v", st["plan"])
	}
	next := plan["next"].(map[string]any)
	if next["n"].(float64) != 0 || int64(next["amount"].(float64)) != p.Schedule[0].Amount || next["date"] != "2025-10-31" || next["status"] != "due" {
		t.Fatalf("next installment %v (schedule %+v)", next, p.Schedule)
	}
	for _, l := range st["accounts"].([]any) {
		if l.(map[string]any)["planId"] != p.ID {
			t.Fatalf("account not marked: %v", l)
		}
	}
	pdf := e.Do("GET", "/api/debtor/statement.pdf", jose, nil)
	if pdf.Status != 200 || !strings.HasPrefix(string(pdf.Body), "%PDF") {
		t.Fatalf("pdf %d", pdf.Status)
	}
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" { // to look at it
		_ = os.WriteFile(filepath.Join(d, "statement-plan.pdf"), pdf.Body, 0o644)
	}

	// Staff see the plan on the account (the detail's `plan` field).
	if got, err := e.App.Web.AccountPlan(e.Ctx(), "acme", "A2"); err != nil || got == nil {
		t.Fatalf("account plan: %v %v", got, err)
	}
	if got, _ := e.App.Web.AccountPlan(e.Ctx(), "acme", "B1"); got != nil {
		t.Fatalf("B1 is in no plan: %v", got)
	}

	// 150.000,00 by transfer on A1, recorded by the manager.
	const paid = 15000000
	r := e.Do("POST", "/api/tenants/acme/accounts/A1/payments", e.manager, map[string]any{"amount": paid, "method": "transfer", "reference": "TRX-77"})
	if r.Status != 201 {
		t.Fatalf("manual payment: %d %s", r.Status, r.Body)
	}
	cur, _ := e.current(jose)
	n := len(cur.Schedule)
	lastBefore, prevBefore := p.Schedule[n-1].Amount, p.Schedule[n-2].Amount
	var want []int64
	left := int64(paid)
	for i := n - 1; i >= 0; i-- { // from the last installment backwards
		cut := min(left, p.Schedule[i].Amount)
		want = append([]int64{p.Schedule[i].Amount - cut}, want...)
		left -= cut
	}
	for i := range cur.Schedule {
		if cur.Schedule[i].Amount != want[i] {
			t.Fatalf("schedule after the manual payment %+v, want amounts %v (last was %d, before it %d)", cur.Schedule, want, lastBefore, prevBefore)
		}
	}
	if cur.Schedule[0].Amount != p.Schedule[0].Amount || cur.Remaining != e.owed("A1", "A2")+unbooked(cur) {
		t.Fatalf("remaining %d, owed %d + unearned %d", cur.Remaining, e.owed("A1", "A2"), unbooked(cur))
	}
	// The same reference again is refused and reduces nothing.
	if r := e.Do("POST", "/api/tenants/acme/accounts/A1/payments", e.manager, map[string]any{"amount": paid, "method": "transfer", "reference": " trx-77 "}); r.Status != 409 {
		t.Fatalf("repeat: %d", r.Status)
	}
	if again, _ := e.current(jose); again.Remaining != cur.Remaining {
		t.Fatalf("remaining moved on a refused repeat: %d -> %d", cur.Remaining, again.Remaining)
	}
	// Paying everything left by hand settles the plan and releases the accounts.
	for _, inv := range []string{"A1", "A2"} {
		if b := e.owed(inv); b > 0 { // principal and interest
			if r := e.Do("POST", "/api/tenants/acme/accounts/"+inv+"/payments", e.manager, map[string]any{"amount": b, "method": "cash", "reference": "CASH-" + inv}); r.Status != 201 {
				t.Fatalf("pay %s: %d %s", inv, r.Status, r.Body)
			}
		}
	}
	if _, st := e.current(jose); st != 404 {
		t.Fatalf("plan still active after paying everything: %d", st)
	}
	if st := e.Do("GET", "/api/debtor/statement", jose, nil).JSON(); st["plan"] != nil {
		t.Fatalf("statement still shows a plan: %v", st["plan"])
	}
}
