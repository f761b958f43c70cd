package store_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/store/storetest"
)

// A compare-and-set of a document that is not there (a debtor with no
// payment on its way) learns it once: the next ones answer from the cache,
// and the insert that creates it is seen by the next.
func TestMutateOfAbsentDocumentIsRemembered(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	c := db.C("paypending")
	var doc bson.M
	noop := func() (bson.D, error) { return bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: 1}}}}, nil }
	if err := c.Mutate(ctx, "d1", &doc, noop); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("first: %v, want not found", err)
	}
	before := db.CacheStats()
	for i := 0; i < 3; i++ {
		if err := c.Mutate(ctx, "d1", &doc, noop); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("again: %v, want not found", err)
		}
	}
	if err := c.Get(ctx, "d1", &doc); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("get: %v, want not found", err)
	}
	if s := db.CacheStats(); s.Misses != before.Misses || s.Hits < before.Hits+4 {
		t.Fatalf("cache %+v after %+v: the absent document was read again", s, before)
	}
	if err := c.Insert(ctx, bson.D{{Key: "_id", Value: "d1"}, {Key: "n", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		N int `bson:"n"`
	}
	if err := c.Mutate(ctx, "d1", &got, func() (bson.D, error) {
		return bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: got.N + 5}}}}, nil
	}); err != nil {
		t.Fatalf("after the insert: %v", err)
	}
	db.ForgetCached()
	if err := c.Get(ctx, "d1", &got); err != nil || got.N != 5 {
		t.Fatalf("stored n=%d (%v), want 5", got.N, err)
	}
}

// A cold write leaves nothing in the document cache, neither as it read
// the document nor as it wrote it; the next write and reads see it all
// the same, and an ordinary write keeps it again.
func TestColdWriteIsNotCached(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	c := db.Tenant("acme").C("accountindex")
	id := db.Tenant("acme").ID("lx:1")
	var doc struct {
		N int `bson:"n"`
	}
	inc := func() (bson.D, error) { return bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: doc.N + 1}}}}, nil }
	for i := 0; i < 3; i++ {
		if err := c.MutateOrCreateCold(ctx, id, &doc, bson.D{{Key: "n", Value: 0}}, inc); err != nil {
			t.Fatal(err)
		}
	}
	before := db.CacheStats()
	if err := c.Get(ctx, id, &doc); err != nil || doc.N != 3 {
		t.Fatalf("read %d %v, want 3", doc.N, err)
	}
	if s := db.CacheStats(); s.Misses != before.Misses+1 {
		t.Fatalf("cache %+v after %+v: the cold-written document was served from the cache", s, before)
	}
	if err := c.MutateOrCreateCold(ctx, id, &doc, nil, func() (bson.D, error) { return nil, nil }); err != nil {
		t.Fatal(err) // (read into the cache by the Get: a cold no-op drops it)
	}
	before = db.CacheStats()
	if err := c.Get(ctx, id, &doc); err != nil || db.CacheStats().Misses != before.Misses+1 {
		t.Fatalf("a cold no-op left the document cached: %v", err)
	}
	if err := c.MutateOrCreate(ctx, id, &doc, nil, inc); err != nil {
		t.Fatal(err)
	}
	before = db.CacheStats()
	if err := c.Get(ctx, id, &doc); err != nil || doc.N != 4 {
		t.Fatalf("read %d %v, want 4", doc.N, err)
	}
	if s := db.CacheStats(); s.Hits != before.Hits+1 {
		t.Fatalf("cache %+v after %+v: an ordinary write kept nothing", s, before)
	}
}
