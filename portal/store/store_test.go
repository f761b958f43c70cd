package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

type counter struct {
	ID       string `bson:"_id"`
	TenantID string `bson:"tenantId"`
	N        int64  `bson:"n"`
	Rev      int64  `bson:"rev"`
}

// FerretDB v1 loses concurrent updates without the store's write lock
// (measured 400 -> 53); through the store every one must land.
func TestConcurrentGuardedIncIsExact(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	c := db.C("counters")
	if err := c.Insert(ctx, bson.D{{Key: "_id", Value: "k"}, {Key: "n", Value: int64(0)}, {Key: "balance", Value: int64(1000)}}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 50, 8
	var wg sync.WaitGroup
	var refused, failed sync.Map
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Guarded withdrawal: only while the balance covers it.
				err := c.Update(ctx, bson.D{{Key: "_id", Value: "k"}, {Key: "balance", Value: bson.D{{Key: "$gte", Value: 3}}}},
					bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}, {Key: "balance", Value: -3}}}})
				switch {
				case errors.Is(err, apperr.ErrNotFound):
					refused.Store(fmt.Sprint(w, i), true)
				case err != nil:
					failed.Store(fmt.Sprint(w, i), err)
				}
			}
		}(w)
	}
	wg.Wait()
	failed.Range(func(k, v any) bool { t.Errorf("update %v: %v", k, v); return true })
	var got struct {
		N       int64 `bson:"n"`
		Balance int64 `bson:"balance"`
	}
	if err := c.Get(ctx, "k", &got); err != nil {
		t.Fatal(err)
	}
	nRefused := 0
	refused.Range(func(any, any) bool { nRefused++; return true })
	// 1000/3 = 333 withdrawals fit; the other 67 of 400 must be refused.
	if got.N != 333 || got.Balance != 1 || nRefused != workers*each-333 {
		t.Fatalf("n=%d balance=%d refused=%d, want 333, 1, %d", got.N, got.Balance, nRefused, workers*each-333)
	}
}

func TestMutateIsCompareAndSet(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	sc := db.Tenant("acme").C("counters")
	if err := sc.Insert(ctx, counter{ID: "acme:c", TenantID: "acme"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cur counter
			err := sc.Mutate(ctx, "acme:c", &cur, func() (bson.D, error) {
				return bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: cur.N + 1}}}}, nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var got counter
	if err := sc.Get(ctx, "acme:c", &got); err != nil {
		t.Fatal(err)
	}
	if got.N != 50 || got.Rev != 50 {
		t.Fatalf("n=%d rev=%d, want 50 and 50", got.N, got.Rev)
	}
}

func TestTenantScope(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	a, b := db.Tenant("a").C("accounts"), db.Tenant("b").C("accounts")
	if err := a.Insert(ctx, bson.D{{Key: "_id", Value: "a:1"}, {Key: "tenantId", Value: "a"}, {Key: "v", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	// Writing another tenant's document through a scope is refused.
	if err := b.Insert(ctx, bson.D{{Key: "_id", Value: "a:2"}, {Key: "tenantId", Value: "a"}}); !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("cross-tenant insert: %v", err)
	}
	if err := b.Insert(ctx, bson.D{{Key: "_id", Value: "b:2"}, {Key: "tenantId", Value: "a"}}); !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("mislabelled insert: %v", err)
	}
	var out bson.M
	if err := b.Get(ctx, "a:1", &out); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("b reads a's doc: %v", err)
	}
	if err := b.Update(ctx, "a:1", bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 9}}}}); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("b updates a's doc: %v", err)
	}
	var list []bson.M
	// A caller-supplied tenantId is overridden by the scope.
	if err := b.Find(ctx, bson.D{{Key: "tenantId", Value: "a"}}, &list); err != nil || len(list) != 0 {
		t.Fatalf("b lists a's docs: %v %v", list, err)
	}
	if err := a.Get(ctx, "a:1", &out); err != nil || out["v"] != int32(1) {
		t.Fatalf("a reads own doc: %v %v", out, err)
	}
	if err := a.Insert(ctx, bson.D{{Key: "_id", Value: "a:1"}, {Key: "tenantId", Value: "a"}}); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("duplicate insert: %v", err)
	}
}

func TestUniqueViolationOnUpdateIsConflict(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	u := db.C("users")
	for _, id := range []string{"1", "2"} {
		if err := u.Insert(ctx, bson.D{{Key: "_id", Value: id}, {Key: "email", Value: id + "@x"}}); err != nil {
			t.Fatal(err)
		}
	}
	err := u.Update(ctx, bson.D{{Key: "_id", Value: "2"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: "1@x"}}}})
	if !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
	if err := u.Insert(ctx, bson.D{{Key: "_id", Value: "3"}, {Key: "email", Value: "1@x"}}); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("insert dup email: %v", err)
	}
}

func TestInsertManyReportsDuplicates(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	c := db.C("accounts")
	if err := c.Insert(ctx, bson.D{{Key: "_id", Value: "x:2"}}); err != nil {
		t.Fatal(err)
	}
	dups, err := c.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: "x:1"}}, bson.D{{Key: "_id", Value: "x:2"}}, bson.D{{Key: "_id", Value: "x:3"}}})
	if err != nil || len(dups) != 1 || dups[0] != 1 {
		t.Fatalf("dups=%v err=%v", dups, err)
	}
	n, _ := c.Count(ctx, bson.D{})
	if n != 3 {
		t.Fatalf("count %d", n)
	}
}

// The expression index is what makes _id reads O(log n) on the embedded
// server; SQLite must say it uses it.
func TestIDLookupUsesIndex(t *testing.T) {
	db := storetest.New(t)
	for _, coll := range []string{"accounts", "ledger", "debtors", "worklists"} {
		plan, err := store.ExplainIDLookup(context.Background(), db, coll)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "USING INDEX") || !strings.Contains(plan, "_id_expr") {
			t.Fatalf("%s: plan does not use the _id index: %s", coll, plan)
		}
	}
}

func TestRestartKeepsDataAndLocksDir(t *testing.T) {
	dir, err := os.MkdirTemp("", "cr")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.C("tenants").Insert(ctx, bson.D{{Key: "_id", Value: "acme"}}); err != nil {
		t.Fatal(err)
	}
	// A second process (here: a second open) must be refused with a clear error.
	if _, err := store.StartEmbedded(ctx, dir, nil); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	db.Close(ctx)
	db, err = store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	var out bson.M
	if err := db.C("tenants").Get(ctx, "acme", &out); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// A data directory with capitals works: the driver lower-cases a
// connection string's hosts, the socket path included.
func TestEmbeddedDataDirWithCapitals(t *testing.T) {
	dir, err := os.MkdirTemp("", "CarteraAna")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: filepath.Join(dir, "Data")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if err := db.C("tenants").Insert(ctx, bson.D{{Key: "_id", Value: "acme"}}); err != nil {
		t.Fatal(err)
	}
}

// Reads by _id come from the document cache on the embedded server; every
// kind of write through the store is seen by the next read, and readers
// running beside writers never see a value go back.
// Readers racing writes to one document never go back in time: once any
// reader has seen a value, no later read returns an older one, and a
// writer reads its own write as soon as it returns (the document cache
// serves the copy from before an in-flight write, never after it returns).
func TestDocCacheServesTheCommittedCopyDuringAWrite(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	c := db.C("hot")
	if err := c.Insert(ctx, counter{ID: "h", TenantID: "t"}); err != nil {
		t.Fatal(err)
	}
	read := func() int64 {
		var d counter
		if err := c.Get(ctx, "h", &d); err != nil {
			t.Error(err)
		}
		return d.N
	}
	var seen atomic.Int64 // the highest value any read has returned
	observe := func(who string) {
		floor := seen.Load()
		v := read()
		if v < floor {
			t.Errorf("%s read %d after a read had returned %d", who, v, floor)
		}
		for cur := seen.Load(); v > cur && !seen.CompareAndSwap(cur, v); cur = seen.Load() {
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					observe(fmt.Sprint("reader ", r))
				}
			}
		}()
	}
	for i := int64(1); i <= 150; i++ {
		var cur counter
		if err := c.Mutate(ctx, "h", &cur, func() (bson.D, error) {
			return bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if v := read(); v != i {
			t.Fatalf("the writer read %d right after writing %d", v, i)
		}
		observe("writer")
	}
	close(stop)
	wg.Wait()
	if st := db.CacheStats(); st.Hits == 0 {
		t.Fatalf("nothing was served from the cache: %+v", st)
	}
}

func TestReadsByIDSeeEveryWrite(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	c := db.C("cached")
	get := func(id string) int64 {
		t.Helper()
		var d counter
		if err := c.Get(ctx, id, &d); err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		return d.N
	}
	for _, id := range []string{"a", "b"} {
		if err := c.Insert(ctx, counter{ID: id, TenantID: "t", N: 1}); err != nil {
			t.Fatal(err)
		}
		get(id) // now cached
	}
	inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}
	steps := []struct {
		name  string
		write func() error
		id    string
		want  int64
	}{
		{"update by _id", func() error { return c.Update(ctx, bson.D{{Key: "_id", Value: "a"}}, inc) }, "a", 2},
		{"update by another field", func() error { return c.Update(ctx, bson.D{{Key: "tenantId", Value: "t"}, {Key: "n", Value: 2}}, inc) }, "a", 3},
		{"update many", func() error { _, err := c.UpdateMany(ctx, bson.D{{Key: "tenantId", Value: "t"}}, inc); return err }, "b", 2},
		{"upsert", func() error { _, err := c.Upsert(ctx, bson.D{{Key: "_id", Value: "a"}}, inc); return err }, "a", 5},
		{"find one and update", func() error {
			var out counter
			return c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "b"}}, inc, &out, false)
		}, "b", 3},
		{"mutate", func() error {
			var cur counter
			return c.Mutate(ctx, "a", &cur, func() (bson.D, error) {
				return bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: cur.N * 10}}}}, nil
			})
		}, "a", 50},
	}
	for _, s := range steps {
		if err := s.write(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := get(s.id); got != s.want {
			t.Errorf("after %s %s.n = %d, want %d", s.name, s.id, got, s.want)
		}
	}
	if err := c.Delete(ctx, bson.D{{Key: "_id", Value: "a"}}); err != nil {
		t.Fatal(err)
	}
	var d counter
	if err := c.Get(ctx, "a", &d); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("after delete: %v %+v", err, d)
	}
	if _, err := c.DeleteMany(ctx, bson.D{{Key: "tenantId", Value: "t"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "b", &d); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("after delete many: %v %+v", err, d)
	}

	// A document read as absent is found once inserted, whichever way.
	inserts := map[string]func(id string) error{
		"insert struct": func(id string) error { return c.Insert(ctx, counter{ID: id, TenantID: "t", N: 7}) },
		"insert bson.D": func(id string) error {
			return c.Insert(ctx, bson.D{{Key: "_id", Value: id}, {Key: "tenantId", Value: "t"}, {Key: "n", Value: 7}})
		},
		"insert many": func(id string) error {
			_, err := c.InsertMany(ctx, []any{counter{ID: id, TenantID: "t", N: 7}})
			return err
		},
		"tenant insert": func(id string) error {
			return db.Tenant("t").C("cached").Insert(ctx, counter{ID: id, TenantID: "t", N: 7})
		},
	}
	for name, insert := range inserts {
		id := "t:" + strings.ReplaceAll(name, " ", "-")
		if err := c.Get(ctx, id, &d); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("%s before: %v", name, err)
		}
		if err := c.Get(ctx, id, &d); !errors.Is(err, apperr.ErrNotFound) { // from the cache
			t.Fatalf("%s before, again: %v", name, err)
		}
		if err := insert(id); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := get(id); got != 7 {
			t.Errorf("after %s: n = %d", name, got)
		}
	}

	// Writers and readers together: each reader's values only grow, and the
	// last read equals the writes.
	if err := c.Insert(ctx, counter{ID: "hot", TenantID: "t"}); err != nil {
		t.Fatal(err)
	}
	const writers, each, readers = 8, 25, 4
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, writers*each+readers)
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last int64
			for {
				select {
				case <-stop:
					return
				default:
				}
				var d counter
				if err := c.Get(ctx, "hot", &d); err != nil {
					errs <- err
					return
				}
				if d.N < last {
					errs <- fmt.Errorf("a reader saw %d after %d", d.N, last)
					return
				}
				last = d.N
			}
		}()
	}
	var ww sync.WaitGroup
	for w := 0; w < writers; w++ {
		ww.Add(1)
		go func() {
			defer ww.Done()
			for i := 0; i < each; i++ {
				if err := c.Update(ctx, bson.D{{Key: "_id", Value: "hot"}}, inc); err != nil {
					errs <- err
				}
			}
		}()
	}
	ww.Wait()
	if got := get("hot"); got != writers*each {
		t.Errorf("hot.n = %d after %d increments", got, writers*each)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := db.CacheStats(); st.Hits == 0 {
		t.Errorf("no read came from the cache: %+v", st)
	}
}

// Files go in and come out whole at every size around the chunk size; the
// files are GridFS (the driver's reader reads them), and files the driver
// wrote still open.
func TestFilesRoundTrip(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	const chunk = 255 << 10
	for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk + 17} {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i*7 + n)
		}
		id := fmt.Sprintf("f%d", n)
		if err := db.PutFile(ctx, id, "x.csv", bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		r, err := db.OpenFile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("size %d: read %d bytes, %v", n, len(got), err)
		}
		b, _ := gridfs.NewBucket(db.C("files.files").Raw().Database(), options.GridFSBucket().SetName("files"))
		var viaDriver bytes.Buffer
		if _, err := b.DownloadToStream(id, &viaDriver); err != nil || !bytes.Equal(viaDriver.Bytes(), body) {
			t.Fatalf("size %d: the driver read %d bytes, %v", n, viaDriver.Len(), err)
		}
		if n == chunk+1 {
			if err := b.UploadFromStreamWithID("old", "old.csv", bytes.NewReader(body)); err != nil {
				t.Fatal(err)
			}
			r, err := db.OpenFile(ctx, "old")
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("driver's file: read %d bytes, %v", len(got), err)
			}
		}
	}
	if _, err := db.OpenFile(ctx, "none"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
	if err := db.DeleteFile(ctx, "f1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenFile(ctx, "f1"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("deleted file: %v", err)
	}
}
