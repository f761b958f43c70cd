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
	waiting [classes][]*waiter
}

type waiter struct {
	ready    chan struct{}
	since    time.Time
	admitted bool // set under mu when a slot is handed over
}

// New returns a gate of capacity slots; a request waits at most maxWait.
func New(capacity int, maxWait time.Duration) *Gate {
	if capacity < 1 {
		capacity = 1
	}
	return &Gate{capacity: capacity, maxWait: maxWait, clock: time.Now}
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
	if g.running < g.capacity && g.queued() == 0 {
		g.running++
		g.mu.Unlock()
		return g.release, nil
	}
	w := &waiter{ready: make(chan struct{}), since: g.clock()}
	g.waiting[c] = append(g.waiting[c], w)
	g.mu.Unlock()

	timer := time.NewTimer(g.maxWait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return g.release, nil
	case <-timer.C:
		err = ErrBusy
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.admitted { // the slot arrived as we gave up: pass it on
		g.running--
		g.handOver()
		return nil, err
	}
	g.remove(c, w)
	return nil, err
}

// release frees a slot and hands it to the first waiter in class order.
func (g *Gate) release() {
	g.mu.Lock()
	g.running--
	g.handOver()
	g.mu.Unlock()
}

// handOver admits waiters while slots are free (mu held).
func (g *Gate) handOver() {
	for g.running < g.capacity {
		w := g.next()
		if w == nil {
			return
		}
		g.running++
		w.admitted = true
		close(w.ready)
	}
}

// weight is how much faster a class's wait counts.
var weight = [classes]time.Duration{Money: 4, Interactive: 2, Bulk: 1}

// next takes the head of line with the longest weighted wait (ties: the
// more urgent class).
func (g *Gate) next() *waiter {
	now, best, bestAge := g.clock(), -1, time.Duration(-1)
	for c := range g.waiting {
		if q := g.waiting[c]; len(q) > 0 {
			if age := now.Sub(q[0].since) * weight[c]; age > bestAge {
				best, bestAge = c, age
			}
		}
	}
	if best < 0 {
		return nil
	}
	q := g.waiting[best]
	w := q[0]
	q[0] = nil
	g.waiting[best] = q[1:]
	return w
}

func (g *Gate) queued() int {
	n := 0
	for _, q := range g.waiting {
		n += len(q)
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
}

// Stats reports how many run and wait now.
func (g *Gate) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := Stats{Running: g.running}
	for c, q := range g.waiting {
		s.Waiting[c] = len(q)
	}
	return s
}
