package store

import (
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
)

func rawDoc(t *testing.T, n int) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(bson.D{{Key: "_id", Value: "k"}, {Key: "n", Value: n}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A reader that missed, then lost a race with a write, must not store the
// bytes it read before the write: the next reader would see the old value.
func TestDocCacheReadRacingAWriteKeepsNothing(t *testing.T) {
	c := newDocCache(1 << 20)
	_, _, tk := c.get("db", "coll", "k")
	c.writing("db", "coll", "k")(nil) // a write came and went meanwhile
	c.put("db", "coll", "k", rawDoc(t, 1), tk)
	if raw, _, _ := c.get("db", "coll", "k"); raw != nil {
		t.Fatal("a read that raced a write was cached")
	}

	_, _, tk = c.get("db", "coll", "k")
	c.writingColl("db", "coll")() // a multi-document write meanwhile
	c.put("db", "coll", "k", rawDoc(t, 1), tk)
	if raw, _, _ := c.get("db", "coll", "k"); raw != nil {
		t.Fatal("a read that raced a collection write was cached")
	}

	// Without a race the bytes are kept, and a later write drops them.
	_, _, tk = c.get("db", "coll", "k")
	c.put("db", "coll", "k", rawDoc(t, 2), tk)
	if raw, _, _ := c.get("db", "coll", "k"); raw == nil || raw.Lookup("n").Int32() != 2 {
		t.Fatalf("kept %v", raw)
	}
	done := c.writingColl("db", "coll")
	if raw, _, _ := c.get("db", "coll", "k"); raw != nil {
		t.Fatal("a collection write in flight left a document cached")
	}
	_, _, tk = c.get("db", "coll", "k")
	if tk.ok {
		t.Fatal("a read during a collection write may store what it reads")
	}
	done()
	if raw, _, _ := c.get("db", "coll", "k"); raw != nil {
		t.Fatal("a collection write left a document cached")
	}
	// While a write to the document is in flight the copy from before it
	// is served; with none cached, nothing read meanwhile is kept.
	_, _, tk = c.get("db", "coll", "k")
	c.put("db", "coll", "k", rawDoc(t, 2), tk)
	doneDoc := c.writing("db", "coll", "k")
	if raw, hit, _ := c.get("db", "coll", "k"); !hit || raw.Lookup("n").Int32() != 2 {
		t.Fatalf("during a write the committed copy was not served: %v %v", hit, raw)
	}
	doneDoc(rawDoc(t, 5)) // the writer's after image is kept
	if raw, hit, _ := c.get("db", "coll", "k"); !hit || raw.Lookup("n").Int32() != 5 {
		t.Fatalf("after image not kept: %v %v", hit, raw)
	}
	c.writing("db", "coll", "k")(nil)
	if _, hit, _ := c.get("db", "coll", "k"); hit {
		t.Fatal("a write without an after image left the old copy")
	}
	doneDoc = c.writing("db", "coll", "k")
	if raw, _, tk := c.get("db", "coll", "k"); raw != nil || tk.ok {
		t.Fatal("a read during a write, with nothing cached, was served or may store what it reads")
	}
	doneDoc(nil)
	_, _, tk = c.get("db", "coll", "k")
	c.put("db", "coll", "k", rawDoc(t, 3), tk)
	c.writingAll()()
	if raw, _, _ := c.get("db", "coll", "k"); raw != nil {
		t.Fatal("forgetAll left a document cached")
	}
	// Other databases and collections are other documents.
	_, _, tk = c.get("db", "coll", "k")
	c.put("db", "coll", "k", rawDoc(t, 4), tk)
	c.writing("db2", "coll", "k")(nil)
	c.writing("db", "other", "k")(nil)
	c.writingColl("db", "other")()
	if raw, _, _ := c.get("db", "coll", "k"); raw == nil {
		t.Fatal("a write elsewhere dropped the document")
	}
}

// The cache holds at most its size in bytes, dropping the least recently
// read first.
func TestDocCacheIsBoundedByBytes(t *testing.T) {
	const size = 64 << 10
	c := newDocCache(size)
	for i := range 10_000 {
		id := fmt.Sprint("k", i)
		_, _, tk := c.get("db", "coll", id)
		c.put("db", "coll", id, rawDoc(t, i), tk)
		if st := c.stats(); st.Bytes > size {
			t.Fatalf("after %d documents the cache holds %d bytes (bound %d)", i+1, st.Bytes, size)
		}
	}
	if raw, _, _ := c.get("db", "coll", "k9999"); raw == nil {
		t.Error("the newest document was evicted")
	}
	if raw, _, _ := c.get("db", "coll", "k0"); raw != nil {
		t.Error("the oldest document is still there")
	}
	// A document too big for its shard is never kept.
	big := make(bson.Raw, size/docShards)
	copy(big, rawDoc(t, 0))
	_, _, tk := c.get("db", "coll", "big")
	c.put("db", "coll", "big", big, tk)
	if raw, _, _ := c.get("db", "coll", "big"); raw != nil {
		t.Error("an oversize document was kept")
	}
}
