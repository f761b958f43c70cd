package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cartera/portal/jobs"
	"cartera/portal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// Two schedulers (two replicas) hammering the same jobs run each job once
// per period; a failed run is retried; an expired lease is taken over.
func TestTwoSchedulersRunEachPeriodOnce(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	a, b := jobs.New(db, "replica-a", nil), jobs.New(db, "replica-b", nil)
	a.SetClock(now)
	b.SetClock(now)
	var runs atomic.Int64
	job := jobs.Job{Name: "ladder", Period: jobs.Hourly, Lease: time.Minute, Run: func(context.Context) error { runs.Add(1); return nil }}
	for hour := 0; hour < 3; hour++ {
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			for _, s := range []*jobs.Scheduler{a, b} {
				wg.Add(1)
				go func(s *jobs.Scheduler) {
					defer wg.Done()
					if err := s.RunOnce(ctx, job); err != nil && !errors.Is(err, jobs.ErrNotClaimed) {
						t.Error(err)
					}
				}(s)
			}
		}
		wg.Wait()
		if got := runs.Load(); got != int64(hour+1) {
			t.Fatalf("hour %d: %d runs, want %d", hour, got, hour+1)
		}
		mu.Lock()
		clock = clock.Add(time.Hour)
		mu.Unlock()
	}
	// A failing run does not mark the period done: the next try runs again.
	fails := 0
	flaky := jobs.Job{Name: "flaky", Period: jobs.Hourly, Lease: time.Minute, Run: func(context.Context) error {
		fails++
		if fails == 1 {
			return fmt.Errorf("boom")
		}
		return nil
	}}
	if err := a.RunOnce(ctx, flaky); err == nil {
		t.Fatal("first run should fail")
	}
	if err := b.RunOnce(ctx, flaky); err != nil || fails != 2 {
		t.Fatalf("retry: %v fails=%d", err, fails)
	}
	// A replica that dies holding a lease is replaced once the lease expires.
	stuck := jobs.Job{Name: "stuck", Period: jobs.Hourly, Lease: time.Minute, Run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = a.RunOnce(cctx, stuck); close(done) }()
	time.Sleep(50 * time.Millisecond)
	ok := jobs.Job{Name: "stuck", Period: jobs.Hourly, Lease: time.Minute, Run: func(context.Context) error { return nil }}
	if err := b.RunOnce(ctx, ok); !errors.Is(err, jobs.ErrNotClaimed) {
		t.Fatalf("while leased: %v", err)
	}
	mu.Lock()
	clock = clock.Add(2 * time.Minute)
	mu.Unlock()
	if err := b.RunOnce(ctx, ok); err != nil {
		t.Fatalf("after the lease expired: %v", err)
	}
	cancel()
	<-done
}
