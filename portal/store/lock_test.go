package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/store/storetest"
)

// The embedded write lock is per document for single-document writes: a
// compare-and-set held open on one document does not stop a write to
// another, and a second writer of the same document waits for it.
func TestDocumentLockIsPerDocument(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	sc := db.Tenant("acme")
	c := sc.C("counters")
	for _, k := range []string{"a", "b"} {
		if err := c.Insert(ctx, bson.D{{Key: "_id", Value: sc.ID(k)}, {Key: "tenantId", Value: "acme"}, {Key: "n", Value: int64(0)}}); err != nil {
			t.Fatal(err)
		}
	}
	inside, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		var doc counter
		held <- c.Mutate(ctx, sc.ID("a"), &doc, func() (bson.D, error) {
			close(inside)
			<-release
			return bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: doc.N + 1}}}}, nil
		})
	}()
	<-inside
	other := make(chan error, 1)
	go func() {
		other <- c.Update(ctx, sc.ID("b"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}})
	}()
	select {
	case err := <-other:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write to another document waited for the held one")
	}
	same := make(chan error, 1)
	go func() {
		same <- c.Update(ctx, sc.ID("a"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(10)}}}})
	}()
	select {
	case <-same:
		t.Fatal("a write to the held document did not wait")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := <-same; err != nil {
		t.Fatal(err)
	}
	var a counter
	if err := c.Get(ctx, sc.ID("a"), &a); err != nil {
		t.Fatal(err)
	}
	if a.N != 11 {
		t.Fatalf("n = %d, want 11 (the held +1 then the waiting +10)", a.N)
	}
}

// Read-modify-write in Go (the pattern FerretDB loses without a lock) on
// twenty documents at once, mixed with multi-document writes that take the
// whole lock: every increment lands.
func TestManyDocumentsConcurrentExact(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	sc := db.Tenant("acme")
	c := sc.C("counters")
	const docs, each = 20, 15
	for i := 0; i < docs; i++ {
		if err := c.Insert(ctx, bson.D{{Key: "_id", Value: sc.ID(fmt.Sprint(i))}, {Key: "tenantId", Value: "acme"}, {Key: "n", Value: int64(0)}, {Key: "m", Value: int64(0)}}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < docs*each; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var doc counter
			err := c.Mutate(ctx, sc.ID(fmt.Sprint(w%docs)), &doc, func() (bson.D, error) {
				return bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: doc.N + 1}}}}, nil
			})
			if err != nil {
				t.Error(err)
			}
			if w%50 == 0 { // whole-lock writes in the middle
				if _, err := c.UpdateMany(ctx, bson.D{}, bson.D{{Key: "$inc", Value: bson.D{{Key: "m", Value: int64(1)}}}}); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	var all []struct {
		N int64 `bson:"n"`
		M int64 `bson:"m"`
	}
	if err := c.Find(ctx, bson.D{}, &all); err != nil {
		t.Fatal(err)
	}
	for i, d := range all {
		if d.N != each || d.M != docs*each/50 {
			t.Errorf("document %d: n=%d m=%d, want n=%d m=%d", i, d.N, d.M, each, docs*each/50)
		}
	}
}
