package readside

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
)

// Every index a list hints is one the schema declares (or _id's own), so
// on MongoDB proper no list scans the collection; and every accounts index
// the schema declares for the lists (ending in _id) is hinted by one.
func TestQueriesHintDeclaredIndexes(t *testing.T) {
	sc := (&store.DB{}).Tenant("acme")
	who, none := "c1", ""
	var hints []bson.D
	for _, q := range []accounts.ListQuery{
		{}, {Text: "x"}, {HasDue: true}, {Cursor: "acme:F-1"},
		{Status: accounts.StatusOpen}, {Status: accounts.StatusOpen, HasDue: true, Text: "x"},
		{Collector: &who}, {Collector: &none, Status: accounts.StatusOpen},
		{Debtor: "acme:1"}, {Debtor: "acme:1", Collector: &who, Status: accounts.StatusOpen},
	} {
		_, h := listFilter(sc, q)
		hints = append(hints, h)
	}
	declared := store.Indexes()
	for _, h := range hints {
		found := reflect.DeepEqual(h, byID) // every collection's own
		for _, ix := range declared {
			found = found || ix.Coll == "accounts" && reflect.DeepEqual(ix.Keys, h)
		}
		if !found {
			t.Errorf("a list hints %v, which store/schema.go does not declare", h)
		}
	}
	for _, ix := range declared {
		if ix.Coll != "accounts" || len(ix.Keys) < 2 || ix.Keys[len(ix.Keys)-1].Key != "_id" {
			continue
		}
		used := false
		for _, h := range hints {
			used = used || reflect.DeepEqual(ix.Keys, h)
		}
		if !used {
			t.Errorf("accounts index %s is declared for the lists and hinted by none", ix.Name())
		}
	}
}

// New reads through the projections on the embedded server and through
// the queries elsewhere, where it registers nothing: an account write
// journals no change for the read side.
func TestNewPicksByStore(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		db       *store.DB
		projects bool
	}{{"embedded", storetest.New(t), true}, {"not embedded", storetest.ByURI(t), false}} {
		t.Run(c.name, func(t *testing.T) {
			m := New(c.db, log)
			_, queries := m.Lists.(*Queries)
			_, rowQueries := m.Rows.(*Queries)
			if queries == c.projects || rowQueries == c.projects || (m.Index != nil) != c.projects || (m.Views != nil) != c.projects {
				t.Fatalf("read side %T %T, projections %v %v", m.Lists, m.Rows, m.Index, m.Views)
			}
			release := c.db.HoldProjections() // what is journaled stays pending
			defer release()
			sc := c.db.Tenant("acme")
			if err := sc.C("accounts").Insert(ctx, accounts.Account{ID: sc.ID("F-1"), TenantID: "acme", Invoice: "F-1", DebtorID: sc.ID("9"),
				DueDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Balance: 100, Status: accounts.StatusOpen, History: []accounts.Movement{}}); err != nil {
				t.Fatal(err)
			}
			if n, err := c.db.C("changes").Count(ctx, bson.D{}); err != nil || (n > 0) != c.projects {
				t.Fatalf("%d changes journaled (%v)", n, err)
			}
			if !c.projects { // read at once, nothing to wait for
				p, ok, err := m.Lists.List(ctx, sc, "acme", accounts.ListQuery{Limit: 10})
				if err != nil || !ok || len(p.Items) != 1 || p.Items[0].Balance != 100 {
					t.Fatalf("list %+v %v %v", p, ok, err)
				}
			}
			release()
			if err := m.Backfill(ctx); err != nil {
				t.Fatal(err)
			}
			if err := m.Check(ctx, "acme"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
