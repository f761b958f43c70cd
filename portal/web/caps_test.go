package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"cartera/portal/apptest"
)

// Managers keep the usury table: it ships with Colombia's certified rates,
// says when it is stale (today past its last month: interest provisional),
// takes a CSV of new months, and refuses overlaps with a field error.
func TestCapsTableMaintainedByManagers(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, manager := e.User("acme", "manager")
	_, collector := e.User("acme", "collector")
	r := e.Do("GET", "/api/caps/CO", collector, nil)
	if r.Status != 200 || r.JSON()["shipped"] != true || len(r.JSON()["periods"].([]any)) == 0 {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	if r := e.Do("PUT", "/api/caps/CO", collector, map[string]any{"periods": []any{}}); r.Status != 403 {
		t.Fatalf("collector edits caps: %d", r.Status)
	}
	bad := map[string]any{"periods": []map[string]string{
		{"from": "2026-04-01", "to": "2026-04-30", "annualEffectivePct": "25.0"},
		{"from": "2026-04-15", "to": "2026-05-31", "annualEffectivePct": "25.1"},
	}}
	if r := e.Do("PUT", "/api/caps/CO", manager, bad); r.Status != 400 || r.JSON()["fields"] == nil {
		t.Fatalf("overlap: %d %s", r.Status, r.Body)
	}
	// Last month and this one, whatever day the test runs.
	first := time.Now().In(time.UTC)
	first = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	prev, end := first.AddDate(0, -1, 0), first.AddDate(0, 1, -1)
	csv := fmt.Sprintf("from;to;annualEffectivePct;source\n%s;%s;24,90;Res. test 1\n%s;%s;24,80;Res. test 2\n",
		prev.Format(time.DateOnly), first.AddDate(0, 0, -1).Format(time.DateOnly), first.Format(time.DateOnly), end.Format(time.DateOnly))
	req, _ := http.NewRequest("POST", "/api/caps/CO/import", bytes.NewBufferString(csv))
	req.Header.Set("Authorization", "Bearer "+manager)
	req.Header.Set("Content-Type", "text/csv")
	r = e.Request(req)
	if r.Status != 200 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	st := r.JSON()
	if st["stale"] != false || st["currentPct"] != "24.80" || st["lastCovered"] != end.Format(time.DateOnly) || len(st["periods"].([]any)) != 2 {
		t.Fatalf("after import: %s", r.Body)
	}
	if r := e.Do("GET", "/api/caps/XX", manager, nil); r.Status != 404 {
		t.Fatalf("unknown country: %d", r.Status)
	}
}

// A policy that promises more than the law allows is refused with the
// field to fix: a late interest rate above Colombia's usury cap, a plan
// rate that compounds above it. A US tenant has no statutory cap (the
// client's contract rate stands) and its house policy charges no late
// interest.
func TestPolicyWithinCaps(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	if r := e.Do("POST", "/api/tenants", e.Admin, map[string]any{"slug": "usco", "name": "US Co", "country": "US", "currency": "USD",
		"timezone": "America/New_York", "commissionRate": 0.1}); r.Status != 201 {
		t.Fatalf("US tenant: %d %s", r.Status, r.Body)
	}
	_, manager := e.User("acme", "manager")
	pol := e.Do("GET", "/api/tenants/acme/policy", manager, nil).JSON()
	delete(pol, "default")
	pol["lateInterestBP"] = 6000
	pol["plans"].(map[string]any)["monthlyRateBP"] = 300 // 42.58 % EA compounded
	r := e.Do("PUT", "/api/tenants/acme/policy", manager, pol)
	f, _ := r.JSON()["fields"].(map[string]any)
	if r.Status != 400 || f["lateInterestBP"] == nil || f["plans.monthlyRateBP"] == nil {
		t.Fatalf("above the cap: %d %s", r.Status, r.Body)
	}
	us := e.Do("GET", "/api/tenants/usco/policy", e.Admin, nil).JSON()
	if us["lateInterestBP"] != float64(0) {
		t.Fatalf("US house policy charges %v", us["lateInterestBP"])
	}
	delete(us, "default")
	us["lateInterestBP"] = 1800
	if r := e.Do("PUT", "/api/tenants/usco/policy", e.Admin, us); r.Status != 200 {
		t.Fatalf("US contract rate: %d %s", r.Status, r.Body)
	}
}
