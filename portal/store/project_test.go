package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
)

// sumProjection is a projection that is not idempotent: it adds each change's
// delta of n to a per-tenant sum document, guarded by the batch number as
// the report counters are.
type sumProjection struct {
	db      *store.DB
	mu      sync.Mutex
	batches []int // changes per Apply call
	hold    chan struct{}
}

func (k *sumProjection) projection() store.Projection {
	return store.Projection{Name: "test.sum", Sources: map[string][]string{"accounts": {"n"}}, Apply: k.apply, Guarded: true}
}

func nOf(r bson.Raw) int64 {
	if r == nil {
		return 0
	}
	n, _ := r.Lookup("n").AsInt64OK()
	return n
}

func (k *sumProjection) apply(ctx context.Context, b store.Batch) error {
	if k.hold != nil {
		<-k.hold
	}
	k.mu.Lock()
	k.batches = append(k.batches, len(b.Changes))
	k.mu.Unlock()
	by := map[string]int64{}
	for _, c := range b.Changes {
		by[c.Tenant] += nOf(c.After) - nOf(c.Before)
	}
	for tenant, d := range by {
		sc := k.db.Tenant(tenant)
		var doc struct {
			Sum int64 `bson:"sum"`
			PB  int64 `bson:"pb"`
			Rev int64 `bson:"rev"`
		}
		err := sc.C("tallies").MutateOrCreate(ctx, sc.ID("sum"), &doc, nil, func() (bson.D, error) {
			if doc.PB >= b.Seq {
				return nil, nil
			}
			return bson.D{{Key: "$set", Value: bson.D{{Key: "sum", Value: doc.Sum + d}, {Key: "pb", Value: b.Seq}}}}, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func sumOf(t *testing.T, db *store.DB, tenant string) int64 {
	t.Helper()
	sc := db.Tenant(tenant)
	var doc struct {
		Sum int64 `bson:"sum"`
	}
	if err := sc.C("tallies").Get(context.Background(), sc.ID("sum"), &doc); err != nil && !errors.Is(err, apperr.ErrNotFound) {
		t.Fatal(err)
	}
	return doc.Sum
}

func account(sc *store.Scope, key string, n int64) bson.D {
	return bson.D{{Key: "_id", Value: sc.ID(key)}, {Key: "tenantId", Value: sc.Slug()}, {Key: "n", Value: n}, {Key: "note", Value: ""}}
}

// Changes queued while the consumer is not running come as one batch, one
// change per document (first before, last after); a write of fields the
// projection does not read is no change for it; the request path never
// runs the projection.
func TestProjectionBatchesAndCoalesces(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	k := &sumProjection{db: db}
	db.Project(k.projection())
	release := db.HoldProjections()
	sc := db.Tenant("acme")
	c := sc.C("accounts")
	for i := 0; i < 3; i++ {
		if err := c.Insert(ctx, account(sc, fmt.Sprint("a", i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := sc.ID(fmt.Sprint("a", i%3))
			if err := c.Update(ctx, id, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if err := c.Update(ctx, sc.ID("a0"), bson.D{{Key: "$set", Value: bson.D{{Key: "note", Value: "x"}}}}); err != nil {
		t.Fatal(err)
	}
	if got := db.ProjectionLag(); got != 103 {
		t.Fatalf("queued changes = %d, want 103 (3 inserts + 100 increments; the note is not watched)", got)
	}
	if len(k.batches) != 0 {
		t.Fatal("a projection ran on the request path")
	}
	release()
	if err := db.Settle(ctx, store.TenantKey("acme")); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(k.batches) != "[3]" {
		t.Fatalf("batches = %v, want one batch of 3 coalesced changes", k.batches)
	}
	if got := sumOf(t, db, "acme"); got != 103 {
		t.Fatalf("sum = %d, want 103", got)
	}
	if db.ProjectionLag() != 0 {
		t.Fatal("lag after settle")
	}
}

// Settle waits for the changes carrying its key and no others: a reader of
// another tenant, or another person reading the same tenant, does not wait
// behind a slow batch; the writer's own read does, and so does a read that
// names nobody (a job); a wait gives up with its context.
func TestSettleWaitsOnlyForOwnKey(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	k := &sumProjection{db: db, hold: make(chan struct{})}
	db.Project(k.projection())
	db.StartProjections()
	sc := db.Tenant("acme")
	ana, bob := store.WithWriter(ctx, "ana"), store.WithWriter(ctx, "bob")
	if err := sc.C("accounts").Insert(ana, account(sc, "a", 5)); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ana, store.TenantKey("other")); err != nil {
		t.Fatalf("another tenant's read waited: %v", err)
	}
	if err := db.Settle(bob, store.TenantKey("acme")); err != nil {
		t.Fatalf("another person's read waited: %v", err)
	}
	for name, c := range map[string]context.Context{"the writer's": ana, "a job's": ctx} {
		short, cancel := context.WithTimeout(c, 100*time.Millisecond)
		if err := db.Settle(short, store.TenantKey("acme")); err == nil {
			t.Fatalf("%s read did not wait for the change", name)
		}
		cancel()
	}
	close(k.hold)
	if err := db.Settle(ana, store.TenantKey("acme")); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, db, "acme"); got != 5 {
		t.Fatalf("sum = %d, want 5", got)
	}
}

// A consumer that dies after applying a batch and before recording it
// (as a killed process would): the next start finds the journal, replays
// exactly that batch first (the guard makes it add nothing twice), then
// the rest; nothing is lost and nothing counts twice.
func TestProjectionReplayAfterCrashIsExactlyOnce(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	k := &sumProjection{db: db}
	db.Project(k.projection())
	sc := db.Tenant("acme")
	c := sc.C("accounts")
	release := db.HoldProjections()
	for i := 0; i < 5; i++ {
		if err := c.Insert(ctx, account(sc, fmt.Sprint("a", i), 10)); err != nil {
			t.Fatal(err)
		}
	}
	store.CrashProjectionsAfterApply(db)
	release()
	deadline := time.Now().Add(10 * time.Second)
	for sumOf(t, db, "acme") != 50 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := sumOf(t, db, "acme"); got != 50 {
		t.Fatalf("before the crash sum = %d, want 50", got)
	}
	// Written after the crash: journaled, not applied by anyone.
	if err := c.Update(ctx, sc.ID("a0"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(7)}}}}); err != nil {
		t.Fatal(err)
	}
	db.Close(ctx)

	again := reopen(t, db)
	if got := again.ProjectionLag(); got != 6 {
		t.Fatalf("journal after restart = %d changes, want 6 (the crashed batch of 5 and the later one)", got)
	}
	k2 := &sumProjection{db: again}
	again.Project(k2.projection())
	if err := again.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, again, "acme"); got != 57 {
		t.Fatalf("after replay sum = %d, want 57 (50 once, plus 7)", got)
	}
	if fmt.Sprint(k2.batches) != "[5 1]" {
		t.Fatalf("replayed batches = %v, want the crashed batch alone first: [5 1]", k2.batches)
	}
	// A third start finds nothing to do.
	again.Close(ctx)
	third := reopen(t, db)
	if got := third.ProjectionLag(); got != 0 {
		t.Fatalf("journal after a clean stop = %d, want 0", got)
	}
}

// A process killed while idle, after its last batch was applied and its
// journal trimmed (that batch still marked in flight): the next run must
// number its changes past that batch, or a projection guarded by the batch
// number would take them for the batch it already has and skip them.
func TestProjectionNumbersGoOnAfterAKillWhenIdle(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	k := &sumProjection{db: db}
	db.Project(k.projection())
	sc := db.Tenant("acme")
	c := sc.C("accounts")
	for i := 0; i < 5; i++ {
		if err := c.Insert(ctx, account(sc, fmt.Sprint("a", i), 10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, db, "acme"); got != 50 {
		t.Fatalf("sum = %d, want 50", got)
	}
	store.KillProjections(db)
	db.Close(ctx)

	again := reopen(t, db)
	k2 := &sumProjection{db: again}
	again.Project(k2.projection())
	// Nothing is left to apply: a start-up drain returns at once.
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := again.Drain(dctx); err != nil {
		t.Fatalf("drain at start-up: %v", err)
	}
	sc2 := again.Tenant("acme")
	if err := sc2.C("accounts").Update(ctx, sc2.ID("a0"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(7)}}}}); err != nil {
		t.Fatal(err)
	}
	if err := again.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, again, "acme"); got != 57 {
		t.Fatalf("after the restart sum = %d, want 57: the new change was skipped", got)
	}
}

// The journal entry is written before the write, so a process killed
// between the two replays no change, and one killed right after the write
// (before the projections heard of it) has the change applied at the next
// start, exactly once; a failed insert leaves no entry behind that a
// replay could take for a creation.
func TestJournalBeforeWrite(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	k := &sumProjection{db: db}
	db.Project(k.projection())
	sc := db.Tenant("acme")
	c := sc.C("accounts")
	if err := c.Insert(ctx, account(sc, "a", 10)); err != nil {
		t.Fatal(err)
	}
	if err := db.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	release := db.HoldProjections()
	// A duplicate insert fails; a guarded update that does not match
	// changes nothing; a real update is journaled.
	if err := c.Insert(ctx, account(sc, "a", 99)); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("duplicate insert: %v", err)
	}
	var out bson.M
	if err := db.C("accounts").FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: sc.ID("a")}, {Key: "n", Value: int64(1000)}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(-1000)}}}}, &out, false); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("guarded update: %v", err)
	}
	// Killed after the journal write and before the write: no change.
	if err := store.JournalOnly(ctx, db, "accounts", sc.ID("a")); err != nil {
		t.Fatal(err)
	}
	// Killed after the write and before the projections heard of it.
	store.KillAfterNextWrite(db)
	if err := c.Update(ctx, sc.ID("a"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(5)}}}}); err != nil {
		t.Fatal(err)
	}
	release()
	db.Close(ctx)

	again := reopen(t, db)
	k2 := &sumProjection{db: again}
	again.Project(k2.projection())
	if err := again.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, again, "acme"); got != 15 {
		t.Fatalf("after the restart sum = %d, want 15 (10, then +5; the duplicate and the unmatched guard nothing)", got)
	}
}

// A tenant in a bulk load is not journaled, yet its changes reach the
// projections and Settle waits for them; other tenants are journaled
// meanwhile, and the tenant again once the load is done.
func TestBulkLoadIsNotJournaled(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	k := &sumProjection{db: db}
	db.Project(k.projection())
	release := db.HoldProjections() // nothing applied, so nothing trimmed
	journaled := func() int64 {
		t.Helper()
		n, err := db.C("changes").Count(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	bulk, acme := db.Tenant("bulk"), db.Tenant("acme")
	done := db.BulkLoad("bulk")
	for i := 0; i < 3; i++ {
		if err := bulk.C("accounts").Insert(ctx, account(bulk, fmt.Sprint("b", i), 2)); err != nil {
			t.Fatal(err)
		}
	}
	if err := bulk.C("accounts").Update(ctx, bulk.ID("b0"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := bulk.C("accounts").InsertMany(ctx, []any{account(bulk, "b1", 9)}); err != nil { // a duplicate: void, not journaled
		t.Fatal(err)
	}
	if err := acme.C("accounts").Insert(ctx, account(acme, "a0", 5)); err != nil {
		t.Fatal(err)
	}
	if n := journaled(); n != 1 {
		t.Fatalf("journal holds %d entries during the load, want acme's 1", n)
	}
	done()
	done() // once only
	if err := bulk.C("accounts").Insert(ctx, account(bulk, "b3", 4)); err != nil {
		t.Fatal(err)
	}
	if n := journaled(); n != 2 {
		t.Fatalf("journal holds %d entries after the load, want 2", n)
	}
	release()
	if err := db.Settle(ctx, store.TenantKey("bulk")); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, db, "bulk"); got != 11 {
		t.Fatalf("bulk sum %d, want 11", got)
	}
	if err := db.Settle(ctx, store.TenantKey("acme")); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, db, "acme"); got != 5 {
		t.Fatalf("acme sum %d, want 5", got)
	}
}

// A write to many documents is one journal document, not one per change;
// killed before any is applied, the next start replays every change of it
// once, and once all are applied the trim takes it.
func TestJournalOfManyReplays(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	k := &sumProjection{db: db}
	db.Project(k.projection())
	sc := db.Tenant("acme")
	release := db.HoldProjections()
	defer release()
	var docs []any
	for i := 0; i < 300; i++ {
		docs = append(docs, account(sc, fmt.Sprint("m", i), 1))
	}
	if _, err := sc.C("accounts").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := sc.C("accounts").Insert(ctx, account(sc, "one", 5)); err != nil {
		t.Fatal(err)
	}
	if n, err := db.C("changes").Count(ctx, bson.D{}); err != nil || n != 2 {
		t.Fatalf("journal documents %d (%v), want 2: the batch of 300 and the single write", n, err)
	}
	store.KillProjections(db)
	db.Close(ctx)

	again := reopen(t, db)
	if got := again.ProjectionLag(); got != 301 {
		t.Fatalf("journal after restart = %d changes, want 301", got)
	}
	k2 := &sumProjection{db: again}
	again.Project(k2.projection())
	if err := again.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, again, "acme"); got != 305 {
		t.Fatalf("after replay sum = %d, want 305", got)
	}
	again.Close(ctx)
	third := reopen(t, db)
	if n, err := third.C("changes").Count(ctx, bson.D{}); err != nil || n != 0 || third.ProjectionLag() != 0 {
		t.Fatalf("journal after a clean stop: %d documents, %d changes (%v), want none", n, third.ProjectionLag(), err)
	}
}

// reopen opens db's database again, as the next start of the process
// would; it is closed when the test ends.
func reopen(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	again, err := store.Open(context.Background(), store.Config{Server: storetest.Server(t), Database: db.Name(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close(context.Background()) })
	return again
}
