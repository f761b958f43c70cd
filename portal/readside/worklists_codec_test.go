package readside

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"cartera/portal/queue"
	"cartera/portal/readside/packed"
)

func decodeAll(t testing.TB, data []byte) map[string]queue.Entry {
	t.Helper()
	wl := Worklist{ID: "acme:c-1", Data: data}
	m, err := wl.Entries()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// benchEntries is a 5,000-entry worklist as the portal builds it.
func benchEntries(n int) map[string]queue.Entry {
	due := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	m := make(map[string]queue.Entry, n)
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("F-%06d", i)
		e := queue.Entry{AccountID: "bench:" + key, Invoice: key, DebtorName: fmt.Sprintf("Cliente %d S.A.S.", i), Balance: int64(100000 + (i*7919)%50_000_000),
			Currency: "COP", DueDate: due.AddDate(0, 0, i%60), Segment: []string{"", "pyme", "corporativo"}[i%3], BrokenPromises: i % 3, ValidContacts: 2, Channels: 2,
			NextAction: &queue.NextAction{Type: "call", Due: due.AddDate(0, 0, 10+i%5), Step: "5:call", Label: "Llamada de seguimiento"}, Priority: 400 + i%300, Rev: int64(i % 9)}
		if i%4 == 0 {
			at := time.Date(2026, 2, 3, 15, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Minute)
			e.LastContactAt = &at
		}
		if i%7 == 0 {
			e.Flags = []string{queue.FlagPromiseLive}
		}
		m[key] = e
	}
	return m
}

func randEntry(rng *rand.Rand) queue.Entry {
	str := func() string {
		b := make([]rune, rng.IntN(10))
		for i := range b {
			b[i] = []rune("aZ9 :ñ€\x00")[rng.IntN(8)]
		}
		return string(b)
	}
	num := func() int64 {
		if rng.IntN(3) == 0 {
			return []int64{0, -1, math.MinInt64, math.MaxInt64}[rng.IntN(4)]
		}
		return int64(rng.Uint64()) >> rng.IntN(64)
	}
	at := func() time.Time {
		if rng.IntN(6) == 0 {
			return time.Time{}
		}
		return time.Unix(rng.Int64N(1<<36)-1<<35, rng.Int64N(1e9)).UTC()
	}
	e := queue.Entry{AccountID: str(), Invoice: str(), DebtorName: str(), Balance: num(), Currency: str(), DueDate: at(), Segment: str(),
		BrokenPromises: int(num()), UnansweredCalls: int(num()), ValidContacts: int(num()), Channels: int(num()), Priority: int(num()), Rev: num()}
	if rng.IntN(2) == 0 {
		t := at()
		e.LastContactAt = &t
	}
	if rng.IntN(2) == 0 {
		e.NextAction = &queue.NextAction{Type: str(), Due: at(), Step: str(), Label: str()}
	}
	switch rng.IntN(3) {
	case 1:
		e.Flags = []string{}
	case 2:
		e.Flags = []string{str(), str()}
	}
	return e
}

// Every field but the reasons (recomputed on read) comes back exactly.
func TestEntriesRoundTrip(t *testing.T) {
	ms := time.Date(2026, 3, 10, 15, 4, 5, 678_000_000, time.UTC)
	cases := map[string]map[string]queue.Entry{
		"none":      {},
		"zero":      {"": {}},
		"real":      benchEntries(50),
		"instants":  {"F-1": {DueDate: ms, LastContactAt: &ms, NextAction: &queue.NextAction{Type: "call", Due: ms}}},
		"epoch":     {"F-1": {LastContactAt: &time.Time{}, Flags: []string{}}},
		"negatives": {"F-1": {Balance: -5, BrokenPromises: -1, Priority: math.MinInt, Rev: -1}},
	}
	rng := rand.New(rand.NewPCG(13, 3))
	for i := 0; i < 300; i++ {
		m := map[string]queue.Entry{}
		for j := rng.IntN(40); j > 0; j-- {
			m[fmt.Sprint(j, rng.Uint32())] = randEntry(rng)
		}
		cases[fmt.Sprintf("random %d", i)] = m
	}
	for name, m := range cases {
		data, err := EncodeWorklist(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeAll(t, data); !reflect.DeepEqual(got, m) {
			t.Fatalf("%s:\ngot  %+v\nwant %+v", name, got, m)
		}
	}
}

// Worklists written by the previous release ('W', layout 1) and by the
// one before (gob+gzip) are stale: the queue rebuilds them from the
// accounts (web's TestStaleWorklistsRebuilt), never reads them as entries.
func TestEntriesStale(t *testing.T) {
	for name, enc := range map[string]func(map[string]queue.Entry) ([]byte, error){"W v1": LegacyV1, "gob+gzip": LegacyGob} {
		data := must(enc(benchEntries(300)))
		for _, cut := range []int{len(data), len(data) / 2} {
			if m, err := (&Worklist{Data: data[:cut]}).Entries(); !errors.Is(err, packed.ErrStale) || m != nil {
				t.Fatalf("%s (%d of %d bytes): %d entries, %v", name, cut, len(data), len(m), err)
			}
		}
	}
	w := packed.NewWriter(entriesKind, 1, 0)
	w.Len(0)
	if _, err := (&Worklist{Data: must(w.Finish())}).Entries(); !errors.Is(err, packed.ErrStale) {
		t.Fatalf("an earlier layout in the packed envelope: %v", err)
	}
}

// Cut short, another model's blob, or a layout from a later release: an
// error, never entries.
func TestEntriesRejected(t *testing.T) {
	data := must(EncodeWorklist(benchEntries(2)))
	for n := 1; n < len(data); n++ {
		if _, err := (&Worklist{Data: data[:n]}).Entries(); !errors.Is(err, packed.ErrCorrupt) {
			t.Fatalf("cut at %d of %d: %v", n, len(data), err)
		}
	}
	w := packed.NewWriter('V', 1, 0)
	w.Len(0)
	if _, err := (&Worklist{Data: must(w.Finish())}).Entries(); !errors.Is(err, packed.ErrCorrupt) {
		t.Fatalf("a view's blob: %v", err)
	}
	w = packed.NewWriter(entriesKind, entriesLayout+1, 0)
	w.Len(0)
	if _, err := (&Worklist{Data: must(w.Finish())}).Entries(); !errors.Is(err, packed.ErrStale) {
		t.Fatalf("a later layout: %v", err)
	}
}

// BenchmarkEntriesCodec encodes and decodes a 5,000-entry worklist in
// readside/packed, and reports the size the previous 'W' format took.
func BenchmarkEntriesCodec(b *testing.B) {
	m := benchEntries(5000)
	b.Run("encode/W-v1", func(b *testing.B) {
		var n int
		for b.Loop() {
			n = len(must(legacyEncodeV1(m)))
		}
		b.ReportMetric(float64(n), "bytes")
	})
	b.Run("encode/packed", func(b *testing.B) {
		var n int
		for b.Loop() {
			n = len(must(EncodeWorklist(m)))
		}
		b.ReportMetric(float64(n), "bytes")
	})
	cur := must(EncodeWorklist(m))
	nop := func(string, queue.Entry) {}
	b.Run("decode/packed", func(b *testing.B) {
		for b.Loop() {
			if err := eachEntry(cur, nop); err != nil {
				b.Fatal(err)
			}
		}
	})
}
