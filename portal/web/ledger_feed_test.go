package web_test

import (
	"testing"
	"time"

	"cartera/portal/apptest"
)

type feedPage struct {
	Items []struct {
		ID, AccountID, Kind, Channel, Currency, Ref string
		Amount                                      int64
	} `json:"items"`
	Next string `json:"next"`
}

// A client's ERP mirrors the ledger with a cursor: it pages through what
// was recorded, keeps the last cursor, and later receives only what came
// after it (a payment it reported, here), filtered by kind if it wants.
func TestLedgerFeedWithCursor(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("otra")
	_, client := e.User("acme", "client")
	_, collector := e.User("acme", "collector")
	_, otherClient := e.User("otra", "client")
	if m := e.Import("acme", client, "cartera.csv", []byte(debtorPortfolio)); num(m, "inserted") != 3 {
		t.Fatalf("import: %v", m)
	}
	key, _ := newKey(t, e, "acme", client, []string{"accounts:read", "payments:write"}, nil)
	read := func(token, query string, status int) feedPage {
		t.Helper()
		r := e.Do("GET", "/api/tenants/acme/ledger"+query, token, nil)
		if r.Status != status {
			t.Fatalf("ledger%s: %d %s", query, r.Status, r.Body)
		}
		var p feedPage
		if status == 200 {
			r.Decode(t, &p)
		}
		return p
	}
	// The feed serves movements once they are FeedSettle old: nothing yet,
	// then the placements when the clock has moved on.
	if p := read(key, "", 200); len(p.Items) != 0 {
		t.Fatalf("movements served before they settled: %+v", p.Items)
	}
	clock := func(d time.Duration) { e.App.Accounts.Now = func() time.Time { return time.Now().Add(d) } }
	clock(time.Minute)
	// Pages of two: the three placements, then nothing new.
	p1 := read(key, "?limit=2", 200)
	p2 := read(key, "?limit=2&cursor="+p1.Next, 200)
	if len(p1.Items) != 2 || len(p2.Items) != 1 {
		t.Fatalf("pages %d + %d, want 2 + 1", len(p1.Items), len(p2.Items))
	}
	var placed int64
	seen := map[string]bool{}
	for _, it := range append(p1.Items, p2.Items...) {
		if it.Kind != "placement" || seen[it.ID] || it.Currency != "COP" {
			t.Fatalf("placement page: %+v", it)
		}
		seen[it.ID] = true
		placed += it.Amount
	}
	if placed != 170000000 {
		t.Fatalf("placed %d, want 1.700.000,00", placed)
	}
	idle := read(key, "?cursor="+p2.Next, 200)
	if len(idle.Items) != 0 || idle.Next != p2.Next {
		t.Fatalf("nothing new: %+v (cursor %q)", idle, p2.Next)
	}
	// The client reports a payment; the next read from the kept cursor has
	// only it.
	if r := e.Do("POST", "/api/tenants/acme/accounts/B1/payments", key, map[string]any{"amount": 100000, "method": "client_reported", "reference": "ERP-77"}); r.Status != 201 {
		t.Fatalf("payment: %d %s", r.Status, r.Body)
	}
	clock(2 * time.Minute)
	news := read(key, "?cursor="+p2.Next, 200)
	var paid int64
	for _, it := range news.Items {
		if it.AccountID != "B1" {
			t.Fatalf("after the cursor: %+v", it)
		}
		paid -= it.Amount
	}
	if len(news.Items) == 0 || paid != 100000 {
		t.Fatalf("the payment's movements: %+v (paid %d)", news.Items, paid)
	}
	if only := read(key, "?kind=payment,interest_paid&cursor="+p2.Next, 200); len(only.Items) != len(news.Items) {
		t.Fatalf("kind filter: %+v", only)
	}
	if pl := read(key, "?kind=placement", 200); len(pl.Items) != 3 {
		t.Fatalf("placements only: %d", len(pl.Items))
	}
	// Refusals: a bad cursor or kind, a collector, another tenant, a key
	// without the scope.
	read(key, "?cursor=zz", 400)
	read(key, "?kind=robo", 400)
	read(collector, "", 403)
	read(otherClient, "", 404)
	narrow, _ := newKey(t, e, "acme", client, []string{"reports:read"}, nil)
	read(narrow, "", 403)
}
