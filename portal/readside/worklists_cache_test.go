package readside

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/queue"
	"cartera/portal/store"
)

func heap() uint64 {
	runtime.GC()
	runtime.GC() // and what sync.Pools held

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// The list cache keeps the 64 worklists used last, whatever the number of
// collectors, and at most cacheRows rows; a 5,000-entry worklist costs
// about 2.5 MB scored and 2 MB as written entries.
func TestListCacheBounded(t *testing.T) {
	c := newListCache(64)
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 200; i++ {
		id := fmt.Sprint("acme:c-", i)
		c.put(id, &cachedList{token: "t", day: day, items: make([]queue.Item, 1)})
		c.putEntries(id, "t", map[string]queue.Entry{})
		if _, ok := c.get("acme:c-0", "t", day, ""); !ok { // used all along: kept
			t.Fatalf("the list read at every step was evicted at %d", i)
		}
		if _, ok := c.entries("acme:c-0", "t"); !ok {
			t.Fatalf("the entries read at every step were evicted at %d", i)
		}
	}
	if c.byID.lru.Len() != 64 || c.written.lru.Len() != 64 {
		t.Fatalf("holds %d lists and %d entry sets", c.byID.lru.Len(), c.written.lru.Len())
	}
	if _, ok := c.get("acme:c-100", "t", day, ""); ok {
		t.Fatal("an old list kept")
	}
	// And at most cacheRows rows: big lists push the oldest out, the newest
	// stays whatever its size; the weight follows replacements.
	for i := 0; i < 30; i++ {
		c.put(fmt.Sprint("acme:big-", i), &cachedList{token: "t", day: day, items: make([]queue.Item, 5000)})
		c.put(fmt.Sprint("acme:big-", i), &cachedList{token: "t", day: day, items: make([]queue.Item, 5000)})
	}
	if c.byID.held > cacheRows || c.byID.lru.Len() != cacheRows/5000 {
		t.Fatalf("holds %d rows in %d lists", c.byID.held, c.byID.lru.Len())
	}
	c.put("acme:huge", &cachedList{token: "t", day: day, items: make([]queue.Item, 2*cacheRows)})
	if _, ok := c.get("acme:huge", "t", day, ""); !ok || c.byID.lru.Len() != 1 || c.byID.held != 2*cacheRows {
		t.Fatalf("a list past the bound: %d lists, %d rows", c.byID.lru.Len(), c.byID.held)
	}

	base := heap()
	data, err := EncodeWorklist(benchEntries(5000))
	if err != nil {
		t.Fatal(err)
	}
	wl := Worklist{Data: data, Count: 5000}
	m, err := wl.Entries()
	if err != nil {
		t.Fatal(err)
	}
	entries := heap() - base
	items := make([]queue.Item, 0, len(m))
	for k, e := range m { // as itemOf builds them
		items = append(items, queue.Item{AccountID: k, Tenant: "bench", Invoice: e.Invoice, DebtorName: e.DebtorName, Balance: e.Balance, Currency: e.Currency,
			NextAction: queue.ItemStep{Type: e.NextAction.Type, Due: e.NextAction.Due.Format(time.DateOnly), Label: e.NextAction.Label},
			Priority:   e.Priority, Flags: e.Flags})
	}
	scored := heap() - base - entries
	t.Logf("a 5,000-entry worklist: %.1f MB as entries, %.1f MB scored", float64(entries)/1e6, float64(scored)/1e6)
	if entries > 3e6 || scored > 4e6 {
		t.Fatalf("a 5,000-entry worklist: %d bytes as entries, %d scored", entries, scored)
	}
	runtime.KeepAlive(m)
	runtime.KeepAlive(items)
}

// The check memo holds at most its size in each table however many
// accounts are written; forgetting a write refuses the checks begun before
// it, and only those.
func TestCheckMemoBounded(t *testing.T) {
	const size = 200_000
	base := heap()
	m := newCheckMemo(size)
	id := func(i int) string { return fmt.Sprintf("tenant-%02d:FE-%08d", i%20, i) }
	early := m.begin() // a check begun before every write below
	for b := 0; b < 3*size; b += 1000 {
		chs := make([]store.Change, 1000)
		for i := range chs {
			chs[i] = store.Change{Coll: "accounts", ID: id(b + i), Before: emptyDoc}
		}
		m.forget(context.Background(), chs)
		seq := m.begin()
		for i := range chs {
			m.put(chs[i].ID, 1, "c-1", seq)
		}
	}
	if m.known.Len() != size || len(m.gone) > size {
		t.Fatalf("known %d, gone %d", m.known.Len(), len(m.gone))
	}
	used := heap() - base
	t.Logf("full: %.1f MB", float64(used)/1e6)
	if used > 50e6 {
		t.Fatalf("full at %d bytes", used)
	}
	if !m.ok(id(3*size-1), 1, "c-1") || m.ok(id(0), 1, "c-1") {
		t.Fatal("not the most recent checks kept")
	}
	// id(0)'s write is forgotten: a check that began before it is not kept.
	m.put(id(0), 1, "c-1", early)
	if m.ok(id(0), 1, "c-1") {
		t.Fatal("a check older than a forgotten write kept")
	}
	m.put(id(0), 1, "c-1", m.begin())
	if !m.ok(id(0), 1, "c-1") {
		t.Fatal("a check begun now refused")
	}
	// A remembered write refuses the checks begun before it.
	seq := m.begin()
	m.forget(context.Background(), []store.Change{{ID: id(5), Before: emptyDoc}})
	m.put(id(5), 2, "c-1", seq)
	if m.ok(id(5), 2, "c-1") {
		t.Fatal("a check that began before the write kept")
	}
	runtime.KeepAlive(m)
}

// emptyDoc is a before image: the change is a write to an existing account.
var emptyDoc = bson.Raw{5, 0, 0, 0, 0}

// New accounts (an import's inserts) leave the check memo as it was: no
// table of writes grows, no memoed check is dropped; an update or a delete
// still forgets the account.
func TestCheckMemoSkipsInserts(t *testing.T) {
	m := newCheckMemo(1000)
	seq := m.begin()
	m.put("a:1", 1, "c-1", seq)
	ins := make([]store.Change, 500)
	for i := range ins {
		ins[i] = store.Change{Coll: "accounts", ID: fmt.Sprintf("a:new%d", i), After: emptyDoc}
	}
	m.forget(context.Background(), ins)
	if len(m.gone) != 0 || m.begin() != seq || !m.ok("a:1", 1, "c-1") {
		t.Fatalf("inserts moved the memo: gone %d, seq %d→%d", len(m.gone), seq, m.begin())
	}
	m.forget(context.Background(), []store.Change{{Coll: "accounts", ID: "a:1", Before: emptyDoc, After: emptyDoc}})
	if m.ok("a:1", 1, "c-1") || len(m.gone) != 1 {
		t.Fatal("an update did not forget the account")
	}
	m.put("a:1", 1, "c-1", seq) // a check begun before that update
	if m.ok("a:1", 1, "c-1") {
		t.Fatal("a check older than the update kept")
	}
}
