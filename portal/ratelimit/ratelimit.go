// Package ratelimit stops password and access-code guessing: after too many
// failures for a key (an account, a document, an address) within a window,
// the key is locked for a while and callers get a Retry-After.
//
// State is in memory: on several replicas each keeps its own count, which
// still bounds guessing to replicas x limit per window.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter counts failures per key.
type Limiter struct {
	max    int
	window time.Duration
	lock   time.Duration
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	fails       []time.Time
	lockedUntil time.Time
}

// New allows max failures per window, then locks the key for lock.
func New(max int, window, lock time.Duration) *Limiter {
	return &Limiter{max: max, window: window, lock: lock, now: time.Now, keys: map[string]*entry{}}
}

// SetClock replaces the clock (tests).
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

// Check returns how long key must wait (0 when it may try now).
func (l *Limiter) Check(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		return 0
	}
	if d := e.lockedUntil.Sub(l.now()); d > 0 {
		return d
	}
	return 0
}

// Fail records a failure; it returns true when this failure locked the key.
func (l *Limiter) Fail(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e := l.keys[key]
	if e == nil {
		e = &entry{}
		l.keys[key] = e
	}
	kept := e.fails[:0]
	for _, t := range e.fails {
		if now.Sub(t) < l.window {
			kept = append(kept, t)
		}
	}
	e.fails = append(kept, now)
	if len(e.fails) >= l.max {
		e.lockedUntil = now.Add(l.lock)
		e.fails = e.fails[:0]
		return true
	}
	l.gc(now)
	return false
}

// Reset forgets key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.keys, key)
	l.mu.Unlock()
}

// gc drops idle keys so memory stays bounded under a spray of addresses.
func (l *Limiter) gc(now time.Time) {
	if len(l.keys) < 10_000 {
		return
	}
	for k, e := range l.keys {
		if now.After(e.lockedUntil) && (len(e.fails) == 0 || now.Sub(e.fails[len(e.fails)-1]) > l.window) {
			delete(l.keys, k)
		}
	}
}
