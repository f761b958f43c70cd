// Package admission bounds how many requests do work at once and lets the
// ones that move money go first.
//
// Past a few requests per core the embedded database only gets slower per
// request (its lock, its CPU and the garbage collector are shared), so a
// hundred concurrent requests finish later, all of them, than the same
// hundred let in a few at a time. The gate admits at most Capacity; the
// rest wait in line by class (money, then interactive, then bulk), first
// come first served within a class, for at most MaxWait. A debtor's
// checkout therefore waits only behind other payments, not behind every
// statement and report being read.
package admission

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Class orders waiting requests: lower goes first.
type Class int

// The classes, in the order they are admitted.
const (
	Money       Class = iota // checkouts, payment completion, gateway webhooks
	Interactive              // pages and reads a person waits for
	Bulk                     // documents and exports (PDF, CSV)
	classes
)

// ErrBusy is returned when a request waited MaxWait without a turn.
var ErrBusy = errors.New("admission: server busy")

// Gate admits up to Capacity requests at once.
type Gate struct {
	capacity int
	maxWait  time.Duration
	clock    func() time.Time // time.Now; tests set their own

	mu      sync.Mutex
	running int
	byClass [classes]int // running, per class
	limit   [classes]int // at most this many of a class at once
	waiting [classes][]*waiter
	// admitted numbers the admissions; lastOf is each class's latest.
	admitted uint64
	lastOf   [classes]uint64
}

type waiter struct {
	ready    chan struct{}
	since    time.Time
	admitted bool // set under mu when a slot is handed over
}

// New returns a gate of capacity slots; a request waits at most maxWait.
// moneySlots caps how many of them payments hold at once (0 or more than
// capacity: no cap).
func New(capacity, moneySlots int, maxWait time.Duration) *Gate {
	if capacity < 1 {
		capacity = 1
	}
	g := &Gate{capacity: capacity, maxWait: maxWait, clock: time.Now}
	for c := range g.limit {
		g.limit[c] = capacity
	}
	// Payments serialize on the database's writer: a cap keeps reads moving
	// while they queue (README, load test: at 100 users, five eighths of
	// the slots kept the 10-user requests a second with payments' p95
	// under 500 ms).
	if moneySlots > 0 && moneySlots < capacity {
		g.limit[Money] = moneySlots
	}
	return g
}

// Capacity is how many requests the gate admits at once.
func (g *Gate) Capacity() int { return g.capacity }

// Enter waits for a slot. The caller must call the returned release once
// its work is done. It fails with ErrBusy after MaxWait, or with the
// context's error when the caller gives up first.
func (g *Gate) Enter(ctx context.Context, c Class) (release func(), err error) {
	if c < 0 || c >= classes {
		c = Interactive
	}
	g.mu.Lock()
	if g.running < g.capacity && g.byClass[c] < g.limit[c] && len(g.waiting[c]) == 0 && g.queuedAdmissible() == 0 {
		g.running++
		g.byClass[c]++
		g.admitted++
		g.lastOf[c] = g.admitted
		g.mu.Unlock()
		return g.releaser(c), nil
	}
	w := &waiter{ready: make(chan struct{}), since: g.clock()}
	g.waiting[c] = append(g.waiting[c], w)
	g.mu.Unlock()

	timer := time.NewTimer(g.maxWait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return g.releaser(c), nil
	case <-timer.C:
		err = ErrBusy
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.admitted { // the slot arrived as we gave up: pass it on
		g.running--
		g.byClass[c]--
		g.handOver()
		return nil, err
	}
	g.remove(c, w)
	return nil, err
}

// releaser frees a slot of class c and hands it on, in class order.
func (g *Gate) releaser(c Class) func() {
	return func() {
		g.mu.Lock()
		g.running--
		g.byClass[c]--
		g.handOver()
		g.mu.Unlock()
	}
}

// handOver admits waiters while slots are free (mu held).
func (g *Gate) handOver() {
	for g.running < g.capacity {
		c, w := g.next()
		if w == nil {
			return
		}
		g.running++
		g.byClass[c]++
		g.admitted++
		g.lastOf[c] = g.admitted
		w.admitted = true
		close(w.ready)
	}
}

// weight is how much faster a class's wait counts.
var weight = [classes]time.Duration{Money: 4, Interactive: 2, Bulk: 1}

// next takes the head of line with the longest weighted wait (ties: the
// more urgent class) among the classes under their limit.
func (g *Gate) next() (Class, *waiter) {
	now, best, bestAge := g.clock(), Class(-1), time.Duration(-1)
	for c := range g.waiting {
		if q := g.waiting[c]; len(q) > 0 && g.byClass[c] < g.limit[c] {
			if age := now.Sub(q[0].since) * weight[c]; age > bestAge {
				best, bestAge = Class(c), age
			}
		}
	}
	if best < 0 {
		return best, nil
	}
	q := g.waiting[best]
	w := q[0]
	q[0] = nil
	g.waiting[best] = q[1:]
	return best, w
}

// queuedAdmissible counts the waiters a free slot could go to now.
func (g *Gate) queuedAdmissible() int {
	n := 0
	for c, q := range g.waiting {
		if g.byClass[c] < g.limit[c] {
			n += len(q)
		}
	}
	return n
}

func (g *Gate) remove(c Class, w *waiter) {
	q := g.waiting[c]
	for i, x := range q {
		if x == w {
			g.waiting[c] = append(q[:i], q[i+1:]...)
			return
		}
	}
}

// Stats is the gate's state at one moment (for /metrics-style reporting).
type Stats struct {
	Running int
	Waiting [classes]int
	// LastAdmitted is the number of each class's latest admission (they
	// are numbered from 1 as they happen; 0: none yet), so which of two
	// requests got a slot first can be told after both are answered.
	LastAdmitted [classes]uint64
}

// Stats reports how many run and wait now.
func (g *Gate) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := Stats{Running: g.running, LastAdmitted: g.lastOf}
	for c, q := range g.waiting {
		s.Waiting[c] = len(q)
	}
	return s
}
