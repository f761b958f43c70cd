package store

import (
	"container/list"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/bson"
)

// docCache keeps documents read by _id on the embedded server, where this
// process is the only writer: every write goes through Coll, which tells
// the cache when it starts and when it has finished writing a document (or,
// for a write naming no single _id, a whole collection). A read by _id is
// then a map lookup instead of a round trip through FerretDB and SQLite
// (about a quarter of a millisecond of CPU each; the debtor's statement
// made three).
//
// The rule that keeps it exact: bytes read from the database are kept only
// if no write to that document (or its collection) was in flight or began
// or ended between the look-up and the store, so they are the committed
// value of a quiet moment; and a write replaces the cached copy before it
// returns (while it is in flight readers get the copy from before it, or,
// with none cached, go to the database and keep nothing). Once one reader
// has seen a write, no reader sees what came before it
// (TestReadsByIDSeeEveryWrite,
// TestDocCacheServesTheCommittedCopyDuringAWrite). MongoDB proper gets no
// cache: other replicas write there.
//
// Bounded by bytes (LRU per shard): a document larger than an eighth of a
// shard is never kept.
type docCache struct {
	seed   maphash.Seed
	shards [docShards]docShard
	colls  sync.Map  // db\x00coll -> *collState
	all    collState // a dropped database: every collection at once
	hits   atomic.Uint64
	misses atomic.Uint64
}

const (
	docShards  = 16
	docStripes = 256 // write counters per shard, shared by the ids that hash to them
	// DefaultCacheBytes is the embedded server's document cache size.
	DefaultCacheBytes = 64 << 20
)

type docShard struct {
	mu      sync.Mutex
	max     int
	size    int
	lru     list.List // front = most recent; values *docEntry
	byKey   map[string]*list.Element
	writes  [docStripes]uint64 // bumped when a write starts and when it ends
	pending [docStripes]int32  // writes in flight
}

// collState counts the writes to a whole collection: gen moves when one
// starts and when it ends; pending is how many are in flight.
type collState struct {
	gen     atomic.Uint64
	pending atomic.Int32
}

type docEntry struct {
	key      string
	gen, all uint64
	raw      bson.Raw
}

// ticket is what a reader saw before going to the database.
type ticket struct {
	gen, all, writes uint64
	ok               bool
}

func newDocCache(bytes int) *docCache {
	c := &docCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].max = bytes / docShards
		c.shards[i].byKey = map[string]*list.Element{}
	}
	return c
}

func docCacheKey(db, coll, id string) string { return db + "\x00" + coll + "\x00" + id }

func (c *docCache) locate(key string) (*docShard, int) {
	h := maphash.String(c.seed, key)
	return &c.shards[h%docShards], int((h / docShards) % docStripes)
}

func (c *docCache) coll(db, coll string) *collState {
	k := db + "\x00" + coll
	if g, ok := c.colls.Load(k); ok {
		return g.(*collState)
	}
	g, _ := c.colls.LoadOrStore(k, new(collState))
	return g.(*collState)
}

// get returns the cached bytes (nil with hit for a document known not to
// exist), or a ticket for storing what the caller is about to read.
func (c *docCache) get(db, coll, id string) (raw bson.Raw, hit bool, t ticket) {
	if c == nil {
		return nil, false, ticket{}
	}
	key := docCacheKey(db, coll, id)
	cs := c.coll(db, coll)
	t = ticket{all: c.all.gen.Load(), gen: cs.gen.Load()}
	quiet := c.all.pending.Load() == 0 && cs.pending.Load() == 0
	s, stripe := c.locate(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byKey[key]; ok {
		e := el.Value.(*docEntry)
		if e.gen == t.gen && e.all == t.all && quiet {
			s.lru.MoveToFront(el)
			c.hits.Add(1)
			return e.raw, true, ticket{}
		}
		s.remove(el)
	}
	c.misses.Add(1)
	t.writes, t.ok = s.writes[stripe], quiet && s.pending[stripe] == 0
	return nil, false, t
}

// put keeps raw (a copy; nil: the document does not exist) if nothing was
// written since t was taken.
func (c *docCache) put(db, coll, id string, raw bson.Raw, t ticket) {
	if c == nil || !t.ok {
		return
	}
	key := docCacheKey(db, coll, id)
	s, stripe := c.locate(key)
	cs := c.coll(db, coll)
	s.mu.Lock()
	defer s.mu.Unlock()
	// A collection write starting after these checks moves gen, so the
	// entry is stale on arrival and never served.
	if s.writes[stripe] != t.writes || s.pending[stripe] != 0 || cs.gen.Load() != t.gen || c.all.gen.Load() != t.all {
		return
	}
	s.keep(key, raw, t)
}

// keep stores a copy of raw under key (shard locked).
func (s *docShard) keep(key string, raw bson.Raw, t ticket) {
	n := len(raw) + len(key) + 64
	if n > s.max/8 {
		return
	}
	if el, ok := s.byKey[key]; ok {
		s.remove(el)
	}
	var cp bson.Raw
	if raw != nil {
		cp = append(bson.Raw{}, raw...)
	}
	e := &docEntry{key: key, gen: t.gen, all: t.all, raw: cp}
	s.byKey[key] = s.lru.PushFront(e)
	s.size += n
	for s.size > s.max {
		s.remove(s.lru.Back())
	}
}

func (s *docShard) remove(el *list.Element) {
	e := el.Value.(*docEntry)
	s.lru.Remove(el)
	delete(s.byKey, e.key)
	s.size -= len(e.raw) + len(e.key) + 64
}

// writing marks a write to one document in flight; the returned func
// marks it done, keeping after (the document as the write left it, when
// the writer has it; nil drops the copy). Whether the write succeeded does
// not matter. The caller holds the document's write lock.
//
// A cached copy stays served while the write is in flight: the write has
// not returned, so a reader that sees the value before it is ordered
// before it, and no reader can see the new value sooner (with a copy
// cached nobody reads this document from the database; one that misses
// cannot store what it reads). The copy is replaced before the write
// returns, so the writer and everyone after it read the new value. Under
// load this is what keeps hot documents (a tenant's counters, a debtor's
// view) served from memory: they are being written most of the time.
func (c *docCache) writing(db, coll, id string) func(after bson.Raw) {
	if c == nil {
		return func(bson.Raw) {}
	}
	key := docCacheKey(db, coll, id)
	s, stripe := c.locate(key)
	s.mu.Lock()
	s.writes[stripe]++
	s.pending[stripe]++
	s.mu.Unlock()
	return func(after bson.Raw) {
		// Read before the shard lock, as get does: a collection write that
		// starts later makes the entry stale on arrival.
		t := ticket{gen: c.coll(db, coll).gen.Load(), all: c.all.gen.Load()}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.writes[stripe]++
		s.pending[stripe]--
		if el, ok := s.byKey[key]; ok {
			s.remove(el)
		}
		// Nobody else writes this document while its lock is held, so the
		// after image is what the database holds now.
		switch {
		case isAbsent(after): // looked for under the lock and not there
			s.keep(key, nil, t)
		case after != nil:
			s.keep(key, after, t)
		}
	}
}

// absentDoc is what peek returns, and a write's done takes, for a document
// known to be absent: empty, not nil (nil is "not known").
var absentDoc = bson.Raw{}

func isAbsent(raw bson.Raw) bool { return raw != nil && len(raw) == 0 }

// peek is the cached copy of a document for a caller holding its write
// lock (no other write to it can be in flight); nil when not cached,
// absentDoc when known absent.
func (c *docCache) peek(db, coll, id string) bson.Raw {
	if c == nil {
		return nil
	}
	key := docCacheKey(db, coll, id)
	t := ticket{gen: c.coll(db, coll).gen.Load(), all: c.all.gen.Load()}
	s, _ := c.locate(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byKey[key]; ok {
		if e := el.Value.(*docEntry); e.gen == t.gen && e.all == t.all {
			c.hits.Add(1)
			if e.raw == nil {
				return absentDoc
			}
			return e.raw
		}
	}
	return nil
}

// writingColl is writing for a write to any number of a collection's
// documents.
func (c *docCache) writingColl(db, coll string) func() {
	if c == nil {
		return func() {}
	}
	return c.coll(db, coll).writing()
}

// writingAll is writing for every collection at once (a dropped database).
func (c *docCache) writingAll() func() {
	if c == nil {
		return func() {}
	}
	return c.all.writing()
}

func (cs *collState) writing() func() {
	cs.pending.Add(1)
	cs.gen.Add(1)
	return func() {
		cs.gen.Add(1)
		cs.pending.Add(-1)
	}
}

// CacheStats are the document cache's counters since start.
type CacheStats struct {
	Hits, Misses uint64
	Bytes        int
}

func (c *docCache) stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	st := CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load()}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Bytes += s.size
		s.mu.Unlock()
	}
	return st
}
