package readside

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
)

// The debtor view answers like reading the accounts: it follows updates
// through the watcher, new accounts through the debtor's ids, and a row the
// watcher wrote before the view existed survives the rebuild.
func TestDebtorView(t *testing.T) {
	db := storetest.New(t)
	v := NewDebtorViews(db)
	v.Watch()
	ctx := context.Background()
	sc := db.Tenant("acme")
	debtor := sc.ID("900")
	add := func(inv string, bal int64) {
		t.Helper()
		if err := sc.C("accounts").Insert(ctx, accounts.Account{ID: sc.ID(inv), TenantID: "acme", Invoice: inv, DebtorID: debtor, DueDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Balance: bal, Status: accounts.StatusOpen, History: []accounts.Movement{}}); err != nil {
			t.Fatal(err)
		}
	}
	balances := func(ids ...string) map[string]int64 {
		t.Helper()
		rows, err := v.Rows(ctx, sc, debtor, ids)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, r := range rows {
			out[sc.Key(r.ID)] = r.Balance
		}
		return out
	}
	pay := func(inv string, bal int64) {
		t.Helper()
		var a accounts.Account
		if err := sc.C("accounts").Mutate(ctx, sc.ID(inv), &a, func() (bson.D, error) {
			return bson.D{{Key: "$set", Value: bson.D{{Key: "balance", Value: bal}}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	add("A1", 100)
	add("A2", 200)
	// A payment before any statement: the watcher starts a partial view.
	pay("A1", 60)
	if got := balances(sc.ID("A1"), sc.ID("A2")); got["A1"] != 60 || got["A2"] != 200 || len(got) != 2 {
		t.Fatalf("first statement %v", got)
	}
	pay("A2", 0)
	if got := balances(sc.ID("A1"), sc.ID("A2")); got["A2"] != 0 {
		t.Fatalf("after a payment %v", got)
	}
	add("A3", 300) // an import adds an account: the debtor's ids change
	if got := balances(sc.ID("A1"), sc.ID("A2"), sc.ID("A3")); got["A3"] != 300 || got["A1"] != 60 {
		t.Fatalf("after a new account %v", got)
	}
	// A missing account is skipped.
	if got := balances(sc.ID("A1"), sc.ID("nope")); len(got) != 1 {
		t.Fatalf("with a missing account %v", got)
	}
	// The daily reset drops the views; the next read rebuilds the same.
	if n, err := v.Reset(ctx, "acme"); err != nil || n != 1 {
		t.Fatalf("reset %d %v", n, err)
	}
	if got := balances(sc.ID("A1"), sc.ID("A2"), sc.ID("A3")); got["A1"] != 60 || got["A2"] != 0 || got["A3"] != 300 {
		t.Fatalf("after reset %v", got)
	}
	// Suspended (a bulk load), a statement reads the accounts and no view
	// is kept; resumed, the stale view is gone and the next read is current.
	v.Suspend("acme")
	pay("A1", 10)
	if got := balances(sc.ID("A1"), sc.ID("A3")); got["A1"] != 10 || got["A3"] != 300 || len(got) != 2 {
		t.Fatalf("suspended %v", got)
	}
	if err := db.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var doc viewDoc
	if err := sc.C("accountindex").Get(ctx, viewKey(debtor, sc), &doc); err != nil {
		t.Fatal(err)
	}
	if rows, _ := unpackView(doc.Rows); len(rows) != 3 || rows[0].Balance != 60 {
		t.Fatalf("the view moved while suspended: %+v", rows)
	}
	if err := v.Resume(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if got := balances(sc.ID("A1"), sc.ID("A2"), sc.ID("A3")); got["A1"] != 10 || got["A2"] != 0 || got["A3"] != 300 {
		t.Fatalf("after resume %v", got)
	}
}

// Only a change to an existing account is a debtor's barrier: a new one
// (what an import writes) is not applied to the view, so a statement never
// waits for it and the projector keeps no key for it; a debtor changed
// (an account moved) is the barrier of both.
func TestViewKeysSkipInserts(t *testing.T) {
	doc := func(debtor string) bson.Raw {
		b, err := bson.Marshal(bson.D{{Key: "debtorId", Value: debtor}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if k := viewKeys(store.Change{Tenant: "acme", ID: "acme:F1", After: doc("acme:900")}); len(k) != 0 {
		t.Errorf("insert keys %v", k)
	}
	if k := viewKeys(store.Change{Tenant: "acme", ID: "acme:F1", Before: doc("acme:900"), After: doc("acme:900")}); len(k) != 1 || k[0] != debtorKey("acme", "acme:900") {
		t.Errorf("update keys %v", k)
	}
	if k := viewKeys(store.Change{Tenant: "acme", ID: "acme:F1", Before: doc("acme:900"), After: doc("acme:901")}); len(k) != 2 {
		t.Errorf("moved keys %v", k)
	}
	if k := viewKeys(store.Change{Tenant: "acme", ID: "acme:F1", Before: doc("acme:900")}); len(k) != 1 {
		t.Errorf("delete keys %v", k)
	}
}
