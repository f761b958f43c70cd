package readside

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/queue"
	"cartera/portal/store"
)

// Reading a 5,000-entry worklist costs a 100 KB document read and its
// decoding; the queue is read far more often than it changes. So every
// worklist write also stamps a tiny document (collection counters, _id
// "<tenant>:wl:<collector>") with a fresh random token that the worklist
// carries too, and Worklists keeps decoded, scored worklists in memory keyed
// by that token: a read is then one small _id read plus the rows' checks.
// The token is random, not a counter, so a worklist deleted and created
// again never matches an old cache entry; a stamp left behind by a crash or
// a race only costs cache misses until the next write.

func stampID(sc *store.Scope, collector string) string { return sc.ID("wl:" + collector) }

func newToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeStamp records the token of a collector's worklist after a write.
func writeStamp(ctx context.Context, sc *store.Scope, collector, token string) error {
	if _, err := sc.C("counters").Upsert(ctx, stampID(sc, collector), bson.D{{Key: "$set", Value: bson.D{{Key: "token", Value: token}}}}); err != nil {
		return fmt.Errorf("worklist stamp %s: %w", collector, err)
	}
	return nil
}

// readStamp returns the current token ("" when none is recorded).
func readStamp(ctx context.Context, sc *store.Scope, collector string) (string, error) {
	var st struct {
		Token string `bson:"token"`
	}
	err := sc.C("counters").Get(ctx, stampID(sc, collector), &st)
	if errors.Is(err, apperr.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("worklist stamp %s: %w", collector, err)
	}
	return st.Token, nil
}

// cachedList is a decoded worklist, its due rows scored for one day and
// sorted (all types: the type filter is applied on the way out).
type cachedList struct {
	token  string
	day    time.Time
	locale string
	items  []queue.Item
}

// listCache holds the most recently read worklists, and the entries of the
// worklists this process wrote last (by token), so a queue read after a
// collector's own action decodes nothing. Each is an LRU of at most
// worklists lists (NewWorklists: 64) and cacheRows rows in all: a 5,000-entry
// worklist is about 2.5 MB scored and 2 MB as entries (TestListCacheBounded),
// so the two hold about 90 MB at most.
type listCache struct {
	mu      sync.Mutex
	byID    *weighed[*cachedList]
	written *weighed[writtenList]
}

// cacheRows bounds the rows (entries) each of the list cache's LRUs holds.
const cacheRows = 100_000

type writtenList struct {
	token string
	m     map[string]queue.Entry
}

func newListCache(worklists int) *listCache {
	return &listCache{
		byID:    newWeighed(worklists, cacheRows, func(l *cachedList) int { return len(l.items) }),
		written: newWeighed(worklists, cacheRows, func(w writtenList) int { return len(w.m) }),
	}
}

// putEntries keeps a worklist's entries as just written. The map is not
// changed afterwards by the writer.
func (c *listCache) putEntries(id, token string, m map[string]queue.Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.written.add(id, writtenList{token: token, m: m})
}

// entries returns the entries written with token, if this process wrote them.
func (c *listCache) entries(id, token string) (map[string]queue.Entry, bool) {
	if token == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.written.lru.Get(id)
	if !ok || w.token != token {
		return nil, false
	}
	return w.m, true
}

func (c *listCache) get(id, token string, day time.Time, locale string) ([]queue.Item, bool) {
	if token == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.byID.lru.Get(id)
	if !ok || l.token != token || !l.day.Equal(day) || l.locale != locale {
		return nil, false
	}
	return l.items, true
}

func (c *listCache) put(id string, l *cachedList) {
	if l.token == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID.add(id, l)
}

// weighed is an LRU bounded in entries and in their total weight; the one
// just added is kept whatever it weighs. Not safe for concurrent use.
type weighed[V any] struct {
	lru    *simplelru.LRU[string, V]
	weight func(V) int
	held   int
	limit  int
}

func newWeighed[V any](n, limit int, weight func(V) int) *weighed[V] {
	w := &weighed[V]{weight: weight, limit: limit}
	w.lru, _ = simplelru.NewLRU(n, func(_ string, v V) { w.held -= weight(v) })
	return w
}

func (w *weighed[V]) add(k string, v V) {
	w.lru.Remove(k) // Add would replace it without telling the weight
	w.lru.Add(k, v)
	w.held += w.weight(v)
	for w.held > w.limit && w.lru.Len() > 1 {
		w.lru.RemoveOldest()
	}
}

// checkMemo remembers which accounts a queue row was last checked against
// (rev and collector), so the rows of a repeated queue read need no account
// read. It is exact, not a time-to-live: the store tells it about every
// write to an account (store.Watch) and the account is forgotten. Only on
// the embedded server, where this process makes every write; on MongoDB
// proper other replicas write too, so the rows are read each time there.
//
// Bounded by accounts (NewWorklists: 200,000): the checks are an LRU of that
// size, the writes a table that starts over when it reaches it (together
// about 45 MB when full, TestCheckMemoBounded). Forgetting is always safe,
// it only costs reads: when the writes start over, the checks begun before
// are not kept, since they may have read an account before its write.
type checkMemo struct {
	mu    sync.Mutex
	seq   uint64                         // bumped by every invalidation
	floor uint64                         // checks begun before this are not kept
	known *simplelru.LRU[string, memoed] // account _id → what the check saw
	gone  map[string]uint64              // account _id → seq of its last write
	size  int
}

type memoed struct {
	rev       int64
	collector string
}

func newCheckMemo(accounts int) *checkMemo {
	known, _ := simplelru.NewLRU[string, memoed](accounts, nil)
	return &checkMemo{known: known, gone: map[string]uint64{}, size: accounts}
}

// begin returns the sequence a check starts at.
func (m *checkMemo) begin() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq
}

// ok reports whether the account was checked with this rev and collector
// and not written since.
func (m *checkMemo) ok(id string, rev int64, collector string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, found := m.known.Get(id)
	return found && v.rev == rev && v.collector == collector
}

// put records a check begun at seq, unless the account was written since
// (the read may have seen the state before that write).
func (m *checkMemo) put(id string, rev int64, collector string, seq uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq < m.floor || m.gone[id] > seq {
		return
	}
	m.known.Add(id, memoed{rev: rev, collector: collector})
}

// forget is the store watcher: the accounts written are checked again.
// A new account (no before image) is skipped: nothing was memoed of it,
// and no check can have read an earlier state of it, so an import of
// 100,000 accounts no longer fills the table of writes (about 7 MB).
func (m *checkMemo) forget(_ context.Context, changes []store.Change) {
	written := 0
	for _, c := range changes {
		if c.Before != nil {
			written++
		}
	}
	if written == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	if len(m.gone)+written > m.size {
		clear(m.gone)
		m.floor = m.seq // the checks begun before this write
	}
	for _, c := range changes {
		if c.Before == nil {
			continue
		}
		m.known.Remove(c.ID)
		m.gone[c.ID] = m.seq
	}
}
