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
