package readside

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/store/storetest"
)

// Inserts pile up as segments and fold into the chunks past maxSegments;
// updates and deletes win over the segments' older rows; the merged rows
// equal a scan throughout.
func TestIndexSegmentsFold(t *testing.T) {
	db := storetest.New(t)
	x := NewIndex(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	x.Watch()
	ctx := context.Background()
	sc := db.Tenant("acme")
	check := func(when string) {
		t.Helper()
		got, ok, err := x.rows(ctx, sc)
		if err != nil || !ok {
			t.Fatalf("%s: rows %v %v", when, ok, err)
		}
		want, err := x.scan(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
		sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: index %d rows, scan %d rows differ", when, len(got), len(want))
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	for b := 0; b < maxSegments+3; b++ {
		var docs []any
		for i := 0; i < 5; i++ {
			inv := fmt.Sprintf("F-%03d-%d", b, i)
			docs = append(docs, accounts.Account{ID: sc.ID(inv), TenantID: "acme", Invoice: inv, DebtorID: sc.ID("d"), DueDate: now, Balance: int64(b), Status: accounts.StatusOpen, History: []accounts.Movement{}})
		}
		if _, err := sc.C("accounts").InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
		if b == 3 {
			check("segments only")
			// An update lands in a chunk and hides the segment's row.
			if err := sc.C("accounts").Update(ctx, sc.ID("F-001-1"), bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: accounts.StatusPaid}, {Key: "balance", Value: int64(0)}}}}); err != nil {
				t.Fatal(err)
			}
			if err := sc.C("accounts").Delete(ctx, sc.ID("F-002-2")); err != nil {
				t.Fatal(err)
			}
			check("after update and delete")
		}
	}
	var man manifestDoc
	if err := sc.C("accountindex").Get(ctx, sc.ID(manifestKey), &man); err != nil {
		t.Fatal(err)
	}
	if len(man.Segs) >= maxSegments {
		t.Fatalf("%d segments never folded", len(man.Segs))
	}
	check("after the fold")
	// A second process (empty cache) reads the same.
	x2 := NewIndex(db, x.log)
	a, _, _ := x.rows(ctx, sc)
	b, _, _ := x2.rows(ctx, sc)
	if len(a) != len(b) || len(a) != (maxSegments+3)*5-1 {
		t.Fatalf("rows: this process %d, a fresh one %d", len(a), len(b))
	}
}

// Merging row by row gives what merging through a map gave: updates
// replace, onlyNew keeps the chunk's rows, nil leaves a gone row, the
// result in _id order; a chunk out of order is merged all the same.
func TestMergeRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	row := func(i int, bal int64) indexRow {
		return indexRow{ID: fmt.Sprintf("acme:F%04d", i), Invoice: fmt.Sprintf("F%04d", i), DebtorName: "Ana", Balance: bal, Currency: "COP", Status: "open"}
	}
	for round := 0; round < 200; round++ {
		var cur []indexRow
		for i := 0; i < 300; i++ {
			if rng.IntN(3) == 0 {
				cur = append(cur, row(i, 1))
			}
		}
		if round%10 == 9 { // out of order
			rng.Shuffle(len(cur), func(i, j int) { cur[i], cur[j] = cur[j], cur[i] })
		}
		upd := map[string]*indexRow{}
		for i := 0; i < 300; i++ {
			switch rng.IntN(6) {
			case 0:
				r := row(i, 2)
				upd[r.ID] = &r
			case 1:
				upd[row(i, 0).ID] = nil
			}
		}
		ids := make([]string, 0, len(upd))
		for id := range upd {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var blob []byte
		if len(cur) > 0 || round%2 == 0 {
			var err error
			if blob, err = packRows(cur); err != nil {
				t.Fatal(err)
			}
		}
		onlyNew := round%3 == 0
		got, n, err := mergeRows(blob, ids, upd, onlyNew)
		if err != nil {
			t.Fatal(err)
		}
		want, wn, err := mergeUnordered(blob, upd, onlyNew)
		if err != nil {
			t.Fatal(err)
		}
		g, err := unpackRows(got)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := unpackRows(want)
		if n != wn || n != len(g) || fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("round %d: merged %d rows (said %d), want %d", round, len(g), n, wn)
		}
		if !sort.SliceIsSorted(g, func(i, j int) bool { return g[i].ID < g[j].ID }) {
			t.Fatalf("round %d: not in _id order", round)
		}
	}
}

// A fold decodes at most about its pass of segment rows at a time, and the
// index reads as a scan after it.
func TestFoldPasses(t *testing.T) {
	db := storetest.New(t)
	x := NewIndex(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	x.foldRows = 40
	most, passes := 0, 0
	x.folded = func(rows int) { most, passes = max(most, rows), passes+1 }
	x.Watch()
	ctx := context.Background()
	sc := db.Tenant("acme")
	now := time.Now().UTC().Truncate(time.Second)
	for b := 0; b < maxSegments+1; b++ {
		var docs []any
		for i := 0; i < 20; i++ {
			inv := fmt.Sprintf("F-%03d-%d", b, i)
			docs = append(docs, accounts.Account{ID: sc.ID(inv), TenantID: "acme", Invoice: inv, DebtorID: sc.ID("d"), DueDate: now, Balance: int64(b), Status: accounts.StatusOpen, History: []accounts.Movement{}})
		}
		if _, err := sc.C("accounts").InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
		if err := db.Drain(ctx); err != nil { // a segment each
			t.Fatal(err)
		}
		if b == 1 {
			if err := sc.C("accounts").Update(ctx, sc.ID("F-000-3"), bson.D{{Key: "$set", Value: bson.D{{Key: "balance", Value: int64(99)}}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	// 660 rows in 64 chunks: about 10 a chunk, so a pass of 40 takes a
	// few chunks, and a single chunk is never split.
	t.Logf("%d passes, up to %d rows at once", passes, most)
	if passes < 10 || most > 40+25 {
		t.Fatalf("%d passes, up to %d rows at once", passes, most)
	}
	got, ok, err := x.rows(ctx, sc)
	if err != nil || !ok {
		t.Fatalf("rows %v %v", ok, err)
	}
	want, err := x.scan(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != (maxSegments+1)*20 {
		t.Fatalf("index %d rows, scan %d rows differ", len(got), len(want))
	}
	for _, r := range got {
		if r.ID == sc.ID("F-000-3") && r.Balance != 99 {
			t.Fatalf("the update lost to the segment's row: %+v", r)
		}
	}
}
