package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// A writer that finds SQLite's write lock taken waits in busyWait, not in
// the driver's default handler, and gets the lock once it is released.
func TestBusyHandlerInstalled(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "busy.sqlite")+"?_pragma=journal_mode(wal)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holder, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	waiter, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	if _, err := holder.ExecContext(ctx, "CREATE TABLE t (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	before := busyWaits.Load()
	done := make(chan error, 1)
	go func() {
		_, err := waiter.ExecContext(ctx, "INSERT INTO t VALUES (1)")
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); busyWaits.Load() == before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the waiting writer never called busyWait: the driver's default busy handler is in use")
		}
	}
	if _, err := holder.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the waiting writer failed once the lock was free: %v", err)
	}
}

func TestBusySchedule(t *testing.T) {
	for _, c := range []struct {
		n            int
		delay, slept time.Duration
	}{
		{0, 20 * time.Microsecond, 0},
		{1, 40 * time.Microsecond, 20 * time.Microsecond},
		{5, 640 * time.Microsecond, 620 * time.Microsecond},
		{6, 1280 * time.Microsecond, 1260 * time.Microsecond},
		{7, 1280 * time.Microsecond, 2540 * time.Microsecond},
		{7819, 1280 * time.Microsecond, 1260*time.Microsecond + 7813*1280*time.Microsecond},
	} {
		if d := busyDelay(c.n); d != c.delay {
			t.Errorf("busyDelay(%d) = %v, want %v", c.n, d, c.delay)
		}
		if s := busySlept(c.n); s != c.slept {
			t.Errorf("busySlept(%d) = %v, want %v", c.n, s, c.slept)
		}
	}
	// About FerretDB's own 10 s timeout before giving up.
	if busySlept(7819) < busyGiveUp || busySlept(7818) >= busyGiveUp+busyMax {
		t.Errorf("gives up after %v", busySlept(7819))
	}
}
