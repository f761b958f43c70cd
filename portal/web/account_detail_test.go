package web_test

import (
	"testing"
)

// The account detail carries what happened on the account: its activities
// and promises, the disputes that name it, the ledger and the plan.
func TestAccountDetailHistory(t *testing.T) {
	r := newReportEnv(t)
	r.build()
	a1 := r.must("A1", r.Do("GET", "/api/tenants/acme/accounts/A1", r.collector, nil), 200)
	acts, _ := a1["activities"].([]any)
	proms, _ := a1["promises"].([]any)
	ledger, _ := a1["ledger"].([]any)
	if len(acts) != 1 || len(proms) != 1 || proms[0].(map[string]any)["status"] != "kept" || len(ledger) < 4 {
		t.Errorf("A1 activities %v promises %v ledger %d", acts, proms, len(ledger))
	}
	if ds, _ := a1["disputes"].([]any); len(ds) != 0 || a1["plan"] != nil {
		t.Errorf("A1 disputes %v plan %v", a1["disputes"], a1["plan"])
	}
	a2 := r.must("A2", r.Do("GET", "/api/tenants/acme/accounts/A2", r.client, nil), 200)
	ds, _ := a2["disputes"].([]any)
	if len(ds) != 1 || ds[0].(map[string]any)["status"] != "accepted" || num(ds[0].(map[string]any), "creditAmount") != 5000000 {
		t.Errorf("A2 disputes %v", a2["disputes"])
	}
	// Another tenant's user gets 404, as for the account itself.
	r.Tenant("globex")
	_, other := r.User("globex", "client")
	if res := r.Do("GET", "/api/tenants/acme/accounts/A2", other, nil); res.Status != 404 {
		t.Errorf("other tenant: %d", res.Status)
	}
}
