// Package worker runs background work on a bounded pool owned by the app,
// with a clean shutdown: long user-started jobs (imports, large reports) and
// periodic tasks (the scheduler's ticks).
package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// ErrBusy means the queue is full; the caller should retry later.
var ErrBusy = errors.New("worker pool busy")

// ErrStopped means the pool no longer accepts work.
var ErrStopped = errors.New("worker pool stopped")

// Job is one unit of background work; it must return when ctx is done.
type Job func(ctx context.Context)

// Pool runs jobs on a fixed number of goroutines.
type Pool struct {
	log     *slog.Logger
	size    int
	started bool
	jobs    chan Job
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	closed  bool
}

// NewPool makes a pool of size workers with a queue of depth jobs. The
// workers start with Start, so the app can hand the pool to the services
// it builds before any background work runs; jobs submitted before wait in
// the queue.
func NewPool(size, depth int, log *slog.Logger) *Pool {
	ctx, cancel := context.WithCancel(context.Background())
	return &Pool{log: log, size: size, jobs: make(chan Job, depth), ctx: ctx, cancel: cancel}
}

// Start starts the workers (once; later calls do nothing).
func (p *Pool) Start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.closed {
		return
	}
	p.started = true
	for i := 0; i < p.size; i++ {
		p.wg.Add(1)
		go p.loop()
	}
}

func (p *Pool) loop() {
	defer p.wg.Done()
	for {
		select {
		case <-p.ctx.Done():
			return
		case j := <-p.jobs:
			p.run(j)
		}
	}
}

func (p *Pool) run(j Job) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("background job panicked", "panic", r)
		}
	}()
	j(p.ctx)
}

// Submit queues a job without blocking.
func (p *Pool) Submit(j Job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrStopped
	}
	select {
	case p.jobs <- j:
		return nil
	default:
		return ErrBusy
	}
}

// Every runs fn every interval until the pool stops (the first run after one
// interval). The tick itself occupies no pool worker.
func (p *Pool) Every(name string, interval time.Duration, fn func(ctx context.Context)) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.ctx.Done():
				return
			case <-t.C:
				p.run(fn)
			}
		}
	}()
}

// Stop cancels running jobs and waits for every goroutine to return.
func (p *Pool) Stop() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}
