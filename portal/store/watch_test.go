package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/store"
	"cartera/portal/store/storetest"
)

// Every committed write of a watched collection reaches the watcher once,
// with its before and after images; an update of unwatched fields, a failed
// write and other collections do not; consecutive images chain.
func TestWatchImages(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	var seen []string
	img := func(r bson.Raw) string {
		if r == nil {
			return "-"
		}
		n, _ := r.Lookup("n").AsInt64OK()
		return fmt.Sprint(n)
	}
	db.Watch("test", "accounts", []string{"n"}, func(_ context.Context, cs []store.Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			seen = append(seen, c.Tenant+" "+c.ID+" "+img(c.Before)+">"+img(c.After))
		}
	})
	sc := db.Tenant("acme")
	c := sc.C("accounts")
	doc := func(k string, n int64) bson.D {
		return bson.D{{Key: "_id", Value: sc.ID(k)}, {Key: "tenantId", Value: "acme"}, {Key: "n", Value: n}, {Key: "note", Value: ""}}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Insert(ctx, doc("a", 1)))
	if err := c.Insert(ctx, doc("a", 9)); err == nil { // duplicate: nothing committed
		t.Fatal("duplicate inserted")
	}
	_, err := c.InsertMany(ctx, []any{doc("b", 2), doc("a", 7)}) // a is a duplicate
	must(err)
	must(c.Update(ctx, sc.ID("a"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(10)}}}}))
	must(c.Update(ctx, sc.ID("a"), bson.D{{Key: "$set", Value: bson.D{{Key: "note", Value: "x"}}}})) // unwatched field
	var d struct {
		N int64 `bson:"n"`
	}
	must(c.Mutate(ctx, sc.ID("b"), &d, func() (bson.D, error) {
		return bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: d.N * 3}}}}, nil
	}))
	_, err = c.Upsert(ctx, sc.ID("c"), bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: int64(5)}}}})
	must(err)
	must(c.Delete(ctx, sc.ID("a")))
	must(sc.C("ledger").Insert(ctx, doc("z", 1))) // not watched
	want := []string{"acme acme:a ->1", "acme acme:b ->2", "acme acme:a 1>11", "acme acme:b 2>6", "acme acme:c ->5", "acme acme:a 11>-"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("changes\n got %v\nwant %v", seen, want)
	}
}
