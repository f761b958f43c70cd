package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/store"
)

// Reading a 5,000-entry worklist costs a 100 KB document read and its
// decoding; the queue is read far more often than it changes. So every
// worklist write also stamps a tiny document (collection counters, _id
// "<tenant>:wl:<collector>") with a fresh random token that the worklist
// carries too, and the queue keeps decoded, scored worklists in memory keyed
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
	_, err := sc.C("counters").Upsert(ctx, stampID(sc, collector), bson.D{{Key: "$set", Value: bson.D{{Key: "token", Value: token}}}})
	return err
}

// readStamp returns the current token ("" when none is recorded).
func readStamp(ctx context.Context, sc *store.Scope, collector string) (string, error) {
	var st struct {
		Token string `bson:"token"`
	}
	err := sc.C("counters").Get(ctx, stampID(sc, collector), &st)
	if errors.Is(err, apperr.ErrNotFound) {
		return "", nil
	}
	return st.Token, err
}

// cachedList is a decoded worklist, its due rows scored for one day and
// sorted (all types: the type filter is applied on the way out).
type cachedList struct {
	token  string
	day    time.Time
	locale string
	items  []Item
	used   time.Time
}

// listCache holds the most recently read worklists, and the entries of the
// worklists this process wrote last (by token), so a queue read after a
// collector's own action decodes nothing.
type listCache struct {
	mu      sync.Mutex
	max     int
	byID    map[string]*cachedList
	written map[string]writtenList
}

type writtenList struct {
	token string
	m     map[string]Entry
	at    time.Time
}

func newListCache(max int) *listCache {
	return &listCache{max: max, byID: map[string]*cachedList{}, written: map[string]writtenList{}}
}

// putEntries keeps a worklist's entries as just written. The map is not
// changed afterwards by the writer.
func (c *listCache) putEntries(id, token string, m map[string]Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.written[id] = writtenList{token: token, m: m, at: time.Now()}
	for len(c.written) > c.max {
		var oldest string
		for k, v := range c.written {
			if oldest == "" || v.at.Before(c.written[oldest].at) {
				oldest = k
			}
		}
		delete(c.written, oldest)
	}
}

// entries returns the entries written with token, if this process wrote them.
func (c *listCache) entries(id, token string) (map[string]Entry, bool) {
	if token == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.written[id]
	if !ok || w.token != token {
		return nil, false
	}
	return w.m, true
}

func (c *listCache) get(id, token string, day time.Time, locale string) ([]Item, bool) {
	if token == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.byID[id]
	if !ok || l.token != token || !l.day.Equal(day) || l.locale != locale {
		return nil, false
	}
	l.used = time.Now()
	return l.items, true
}

func (c *listCache) put(id string, l *cachedList) {
	if l.token == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l.used = time.Now()
	c.byID[id] = l
	for len(c.byID) > c.max {
		var oldest string
		for k, v := range c.byID {
			if oldest == "" || v.used.Before(c.byID[oldest].used) {
				oldest = k
			}
		}
		delete(c.byID, oldest)
	}
}

// checkMemo remembers which accounts a queue row was last checked against
// (rev and collector), so the rows of a repeated queue read need no account
// read. It is exact, not a time-to-live: the store tells it about every
// write to an account (store.Watch) and the account is forgotten. Only on
// the embedded server, where this process makes every write; on MongoDB
// proper other replicas write too, so the rows are read each time there.
type checkMemo struct {
	mu     sync.Mutex
	seq    uint64            // bumped by every invalidation
	floor  uint64            // checks begun before this are not kept
	known  map[string]memoed // account _id → what the check saw
	gone   map[string]uint64 // account _id → seq of its last write
	maxLen int
}

type memoed struct {
	rev       int64
	collector string
}

func newCheckMemo(max int) *checkMemo {
	return &checkMemo{known: map[string]memoed{}, gone: map[string]uint64{}, maxLen: max}
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
	v, found := m.known[id]
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
	if len(m.known) >= m.maxLen || len(m.gone) >= m.maxLen {
		// Start over: forgetting is always safe, it only costs reads.
		clear(m.known)
		clear(m.gone)
		m.floor = m.seq + 1
		return
	}
	m.known[id] = memoed{rev: rev, collector: collector}
}

// forget is the store watcher: the accounts written are checked again.
func (m *checkMemo) forget(_ context.Context, changes []store.Change) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	for _, c := range changes {
		delete(m.known, c.ID)
		m.gone[c.ID] = m.seq
	}
}
