package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/store/storetest"
)

// Concurrent inserts into one collection are written together, and each
// caller still gets its own outcome: a duplicate fails alone, every other
// document is there, once.
func TestGroupedInsertsKeepEachOutcome(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	c := db.C("audit")
	const n = 300
	// Every third document repeats the _id of the one before it.
	id := func(i int) string {
		if i%3 == 2 {
			i--
		}
		return fmt.Sprintf("e%04d", i)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Insert(ctx, bson.D{{Key: "_id", Value: id(i)}, {Key: "i", Value: i}})
		}()
	}
	wg.Wait()
	won := map[string]int{}
	for i, err := range errs {
		switch {
		case err == nil:
			won[id(i)]++
		case errors.Is(err, apperr.ErrConflict):
		default:
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	ids := map[string]bool{}
	for i := 0; i < n; i++ {
		ids[id(i)] = true
	}
	for k := range ids {
		if won[k] != 1 {
			t.Fatalf("%s: %d inserts reported written, want exactly 1", k, won[k])
		}
		var doc bson.M
		if err := c.Get(ctx, k, &doc); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if got, _ := c.Count(ctx, bson.D{}); got != int64(len(ids)) {
		t.Fatalf("%d documents, want %d", got, len(ids))
	}
	// The reported winner is the document that is there.
	for i, err := range errs {
		if err != nil {
			continue
		}
		var doc struct {
			I int `bson:"i"`
		}
		db.ForgetCached()
		if err := c.Get(ctx, id(i), &doc); err != nil || doc.I != i {
			t.Fatalf("%s holds insert %d (%v), but insert %d was told it won", id(i), doc.I, err, i)
		}
	}
	if db.GroupedInserts() == 0 {
		t.Fatal("no insert was grouped with another: the test did not exercise grouping")
	}
}
