package admission

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGateNeverAdmitsMoreThanCapacity(t *testing.T) {
	g := New(3, 0, time.Minute)
	var now, peak atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := g.Enter(context.Background(), Class(i%3))
			if err != nil {
				t.Error(err)
				return
			}
			n := now.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(100 * time.Microsecond)
			now.Add(-1)
			release()
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 1 {
		t.Fatalf("peak running %d, capacity 3", p)
	}
	if s := g.Stats(); s.Running != 0 || s.Waiting != [classes]int{} {
		t.Fatalf("slots leaked: %+v", s)
	}
}

// A free slot goes to the longest weighted wait: money counts four times,
// interactive twice, bulk once; equal weighted waits go to the more urgent
// class; arrival order holds within a class.
func TestGateAdmitsByWeightedWait(t *testing.T) {
	ms := func(n int) time.Time { return time.Unix(0, 0).Add(time.Duration(n) * time.Millisecond) }
	type arrival struct {
		name string
		c    Class
		at   int // ms
	}
	cases := []struct {
		name     string
		arrivals []arrival
		want     []string
	}{
		{"all waited as long", []arrival{{"bulk1", Bulk, 0}, {"read1", Interactive, 0}, {"pay1", Money, 0}, {"read2", Interactive, 0}, {"pay2", Money, 0}, {"bulk2", Bulk, 0}},
			[]string{"pay1", "pay2", "read1", "read2", "bulk1", "bulk2"}},
		// At 100 ms: bulk1 100×1, read1 90×2=180, pay1 40×4=160, read2 30×2=60, pay2 20×4=80, bulk2 15×1.
		{"older reads before newer payments", []arrival{{"bulk1", Bulk, 0}, {"read1", Interactive, 10}, {"pay1", Money, 60}, {"read2", Interactive, 70}, {"pay2", Money, 80}, {"bulk2", Bulk, 85}},
			[]string{"read1", "pay1", "bulk1", "pay2", "read2", "bulk2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := New(1, 0, time.Minute)
			var clock atomic.Int64
			g.clock = func() time.Time { return ms(int(clock.Load())) }
			hold, err := g.Enter(context.Background(), Interactive)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var order []string
			var wg sync.WaitGroup
			for i, a := range tc.arrivals {
				clock.Store(int64(a.at))
				wg.Add(1)
				go func() {
					defer wg.Done()
					release, err := g.Enter(context.Background(), a.c)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					order = append(order, a.name)
					mu.Unlock()
					release()
				}()
				waitQueued(t, g, i+1) // in line before the next arrives
			}
			clock.Store(100)
			hold()
			wg.Wait()
			if len(order) != len(tc.want) {
				t.Fatalf("order %v", order)
			}
			for i := range tc.want {
				if order[i] != tc.want[i] {
					t.Fatalf("admitted %v, want %v", order, tc.want)
				}
			}
		})
	}
}

func waitQueued(t *testing.T, g *Gate, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s := g.Stats()
		if s.Waiting[Money]+s.Waiting[Interactive]+s.Waiting[Bulk] == n {
			return
		}
	}
	t.Fatalf("%d waiters never queued: %+v", n, g.Stats())
}

func TestGateBusyAfterMaxWaitAndGivesUpOnCancel(t *testing.T) {
	g := New(1, 0, 20*time.Millisecond)
	hold, err := g.Enter(context.Background(), Money)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Enter(context.Background(), Money); !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Enter(ctx, Money); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if s := g.Stats(); s.Running != 1 || s.Waiting != [classes]int{} {
		t.Fatalf("after give-ups: %+v", s)
	}
	hold()
	release, err := g.Enter(context.Background(), Bulk)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if s := g.Stats(); s.Running != 0 {
		t.Fatalf("slots leaked: %+v", s)
	}
}

// A waiter that times out just as its slot is handed over passes the slot
// on: no slot is lost, whatever the timing.
func TestGateGiveUpRacingHandOverLosesNoSlot(t *testing.T) {
	g := New(2, 0, 200*time.Microsecond)
	var wg sync.WaitGroup
	for i := 0; i < 2000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if release, err := g.Enter(context.Background(), Class(i%3)); err == nil {
				time.Sleep(50 * time.Microsecond)
				release()
			}
		}()
	}
	wg.Wait()
	if s := g.Stats(); s.Running != 0 || s.Waiting != [classes]int{} {
		t.Fatalf("slots leaked: %+v", s)
	}
	for i := 0; i < 2; i++ { // both slots are there
		if _, err := g.Enter(context.Background(), Money); err != nil {
			t.Fatalf("slot %d: %v", i, err)
		}
	}
}

// With payments capped at half the slots and that half busy paying, a read
// still goes straight in while the next payment waits, and the payment
// gets the first slot a payment frees.
func TestGateMoneyCap(t *testing.T) {
	g := New(4, 2, time.Second)
	var pays []func()
	for i := 0; i < 2; i++ {
		r, err := g.Enter(context.Background(), Money)
		if err != nil {
			t.Fatal(err)
		}
		pays = append(pays, r)
	}
	got := make(chan func(), 1)
	go func() {
		r, err := g.Enter(context.Background(), Money)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	for g.Stats().Waiting[Money] == 0 {
		time.Sleep(time.Millisecond)
	}
	read, err := g.Enter(context.Background(), Interactive)
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Stats(); s.Running != 3 || s.Waiting[Money] != 1 {
		t.Fatalf("a read beside two payments: %+v", s)
	}
	read() // a read's slot does not go to the payment over its limit
	if s := g.Stats(); s.Running != 2 || s.Waiting[Money] != 1 {
		t.Fatalf("after the read: %+v", s)
	}
	pays[0]()
	third := <-got
	if s := g.Stats(); s.Running != 2 || s.Waiting[Money] != 0 {
		t.Fatalf("after a payment: %+v", s)
	}
	third()
	pays[1]()
	if s := g.Stats(); s.Running != 0 {
		t.Fatalf("slots leaked: %+v", s)
	}
}
