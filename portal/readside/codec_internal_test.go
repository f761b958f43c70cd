package readside

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/readside/packed"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
)

// legacyPack is the gob+gzip the index chunks and debtor views were
// written in before readside/packed (what an existing data dir holds).
func legacyPack(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	z, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err := gob.NewEncoder(z).Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func legacyUnpack(p []byte, v any) error {
	z, err := gzip.NewReader(bytes.NewReader(p))
	if err != nil {
		return err
	}
	if err := gob.NewDecoder(z).Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func randString(rng *rand.Rand) string {
	const alphabet = "abcXYZ019 :-ñé€\x00"
	rs := []rune(alphabet)
	n := rng.IntN(12)
	if rng.IntN(5) == 0 {
		n = 0
	}
	out := make([]rune, n)
	for i := range out {
		out[i] = rs[rng.IntN(len(rs))]
	}
	return string(out)
}

func randInt(rng *rand.Rand) int64 {
	switch rng.IntN(4) {
	case 0:
		return 0
	case 1:
		return rng.Int64N(2_000_000) - 1_000_000
	case 2:
		return []int64{math.MinInt64, math.MaxInt64, -1, 1}[rng.IntN(4)]
	}
	return int64(rng.Uint64())
}

// randTime is an instant from year 1 to 9999, at any nanosecond, in UTC
// (what the driver decodes); zero now and then.
func randTime(rng *rand.Rand) time.Time {
	if rng.IntN(8) == 0 {
		return time.Time{}
	}
	return time.Unix(rng.Int64N(315_000_000_000)-62_135_596_800, rng.Int64N(1e9)).UTC()
}

func randOptTime(rng *rand.Rand) *time.Time {
	if rng.IntN(2) == 0 {
		return nil
	}
	t := randTime(rng)
	return &t
}

func randSlice[T any](rng *rand.Rand, gen func(*rand.Rand) T) []T {
	switch rng.IntN(4) {
	case 0:
		return nil
	case 1:
		return []T{}
	}
	s := make([]T, 1+rng.IntN(4))
	for i := range s {
		s[i] = gen(rng)
	}
	return s
}

func randRow(rng *rand.Rand) indexRow {
	return indexRow{ID: randString(rng), Invoice: randString(rng), DebtorID: randString(rng), Document: randString(rng), DebtorName: randString(rng),
		Due: randInt(rng), Original: randInt(rng), Balance: randInt(rng), Currency: randString(rng), Status: randString(rng),
		CollectorID: randString(rng), Segment: randString(rng), Credit: randInt(rng)}
}

func randViewRow(rng *rand.Rand) ViewRow {
	return ViewRow{ID: randString(rng), Invoice: randString(rng), DebtorID: randString(rng), DueDate: randTime(rng),
		Original: randInt(rng), Balance: randInt(rng), Currency: randString(rng), Status: randString(rng),
		DisputeIDs: randSlice(rng, randString), PlanID: randString(rng), Description: randString(rng), Rev: randInt(rng),
		Interest: randInt(rng), Credit: randInt(rng),
		History: randSlice(rng, func(rng *rand.Rand) accounts.Movement {
			return accounts.Movement{LedgerID: randString(rng), Kind: randString(rng), Channel: randString(rng), Amount: randInt(rng),
				At: randTime(rng), Value: randOptTime(rng), Of: randString(rng), Ref: randString(rng), By: randString(rng), Note: randString(rng)}
		}),
		Pauses: randSlice(rng, func(rng *rand.Rand) accounts.Pause {
			return accounts.Pause{PlanID: randString(rng), From: randTime(rng), To: randOptTime(rng)}
		}),
	}
}

// realView is a debtor's statement of n invoices as the portal keeps
// them: placed, most partly paid, a few disputed or under a plan.
func realView(n int) []ViewRow {
	due := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	placed := time.Date(2026, 2, 1, 14, 3, 27, 512_000_000, time.UTC)
	rows := make([]ViewRow, n)
	for i := range rows {
		inv := fmt.Sprintf("FE-%06d", 48_000+i)
		orig := int64(1_250_000_00 + i*37_500_00)
		r := ViewRow{ID: "acme:" + inv, Invoice: inv, DebtorID: "acme:900123456", DueDate: due.AddDate(0, 0, i%45), Original: orig, Balance: orig,
			Currency: "COP", Status: accounts.StatusOpen, Description: "Factura electrónica de venta " + inv, Rev: int64(3 + i%4),
			History: []accounts.Movement{{LedgerID: fmt.Sprintf("67a1f0c2e4b0%012x", i*3), Kind: "placement", Amount: orig, At: placed, By: "import"}}}
		for p := 0; p < i%3; p++ {
			at := placed.AddDate(0, 0, 10*(p+1)).Add(time.Duration(i*p) * time.Minute)
			day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
			amt := orig / 5
			r.Balance -= amt
			r.History = append(r.History, accounts.Movement{LedgerID: fmt.Sprintf("67a1f0c2e4b0%012x", i*3+p+1), Kind: "payment", Channel: "pse",
				Amount: -amt, At: at, Value: &day, Ref: fmt.Sprintf("pi_3Nx%08dKq", i*10+p)})
		}
		if i%10 == 7 {
			r.DisputeIDs = []string{fmt.Sprintf("acme:dp-%d", i)}
		}
		if i%16 == 5 {
			r.PlanID = "acme:pl-1"
			r.Pauses = []accounts.Pause{{PlanID: "acme:pl-1", From: placed.AddDate(0, 1, 0)}}
		}
		rows[i] = r
	}
	return rows
}

func TestIndexRowsRoundTrip(t *testing.T) {
	cases := map[string][]indexRow{
		"none":   {},
		"zero":   {{}},
		"real":   {rowOf(accounts.Account{ID: "acme:F-1", Invoice: "F-1", DebtorID: "acme:9001", Document: "9001", DebtorName: "Ñandú S.A.S.", DueDate: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Original: 1_500_000_00, Balance: 900_000_00, Credit: 12, Currency: "COP", Status: accounts.StatusOpen, CollectorID: "u-1", Segment: "pyme"})},
		"gone":   {{ID: "acme:F-2", Status: goneStatus}},
		"limits": {{Due: math.MinInt64, Original: math.MaxInt64, Balance: -1, Credit: math.MinInt64}},
	}
	rng := rand.New(rand.NewPCG(13, 1))
	for i := 0; i < 200; i++ {
		cases[fmt.Sprintf("random %d", i)] = func() []indexRow {
			rows := make([]indexRow, rng.IntN(80))
			for j := range rows {
				rows[j] = randRow(rng)
			}
			return rows
		}()
	}
	for name, rows := range cases {
		b, err := packRows(rows)
		if err != nil {
			t.Fatal(err)
		}
		got, err := unpackRows(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rows) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("%s: got %+v\nwant %+v", name, got, rows)
		}
	}
}

func TestViewRowsRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 10, 15, 4, 5, 123_000_000, time.UTC)
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	cases := map[string][]ViewRow{
		"zero": {{}},
		// nil and empty kept apart, as the driver decodes them.
		"empty lists": {{ID: "acme:F-1", DisputeIDs: []string{}, History: []accounts.Movement{}, Pauses: []accounts.Pause{}}},
		"value at the epoch, open pause": {{ID: "acme:F-1", History: []accounts.Movement{{Kind: "payment", Amount: -5, At: at, Value: &time.Time{}}},
			Pauses: []accounts.Pause{{PlanID: "p", From: day}, {PlanID: "q", From: day, To: &at}}}},
		"real": realView(50),
	}
	rng := rand.New(rand.NewPCG(13, 2))
	for i := 0; i < 200; i++ {
		cases[fmt.Sprintf("random %d", i)] = func() []ViewRow {
			rows := make([]ViewRow, rng.IntN(30))
			for j := range rows {
				rows[j] = randViewRow(rng)
			}
			return rows
		}()
	}
	for name, rows := range cases {
		b, err := packView(rows)
		if err != nil {
			t.Fatal(err)
		}
		got, err := unpackView(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rows) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("%s: got %+v\nwant %+v", name, got, rows)
		}
	}
	// Any zone in, the same instant out in UTC (the driver's dates are UTC;
	// gob kept the offset).
	bogota := time.FixedZone("COT", -5*3600)
	b, _ := packView([]ViewRow{{DueDate: at.In(bogota), History: []accounts.Movement{{At: at.In(time.Local)}}}})
	got, err := unpackView(b)
	if err != nil || got[0].DueDate != at || got[0].History[0].At != at {
		t.Fatalf("zones: %+v %v", got, err)
	}
	// A view read as index rows, or the other way round, is refused.
	if _, err := unpackRows(b); !errors.Is(err, packed.ErrCorrupt) {
		t.Fatalf("view as rows: %v", err)
	}
	// The gob of earlier releases is stale, never misread.
	if _, err := unpackView(legacyPack(t, realView(3))); !errors.Is(err, packed.ErrStale) {
		t.Fatalf("gob view: %v", err)
	}
	if _, err := unpackRows(legacyPack(t, []indexRow{{ID: "x"}})); !errors.Is(err, packed.ErrStale) {
		t.Fatalf("gob rows: %v", err)
	}
}

// seedTenant inserts n accounts of tenant acme (and the tenant, for
// Backfill).
func seedTenant(t *testing.T, db *store.DB, n int) *store.Scope {
	t.Helper()
	ctx := context.Background()
	if err := db.C("tenants").Insert(ctx, bson.D{{Key: "_id", Value: "acme"}}); err != nil {
		t.Fatal(err)
	}
	sc := db.Tenant("acme")
	var docs []any
	for i := 0; i < n; i++ {
		inv := fmt.Sprintf("F-%03d", i)
		docs = append(docs, accounts.Account{ID: sc.ID(inv), TenantID: "acme", Invoice: inv, DebtorID: sc.ID(fmt.Sprint("d", i%7)), DebtorName: fmt.Sprint("Cliente ", i%7),
			DueDate: time.Date(2026, 1, 1+i%28, 0, 0, 0, 0, time.UTC), Original: int64(1000 + i), Balance: int64(1000 + i), Currency: "COP", Status: accounts.StatusOpen, History: []accounts.Movement{}})
	}
	if _, err := sc.C("accounts").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	return sc
}

// toLegacy rewrites every chunk of the tenant's index in gob+gzip with
// every balance off by one (so a misread would show) and adds a gob
// segment, as a data dir of the previous release holds them; the manifest
// says version v.
func toLegacy(t *testing.T, x *Index, sc *store.Scope, v int) {
	t.Helper()
	ctx := context.Background()
	coll := sc.C("accountindex")
	for n := 0; n < indexChunks; n++ {
		var doc chunkDoc
		if err := coll.Get(ctx, sc.ID(chunkKey(n)), &doc); err != nil {
			t.Fatal(err)
		}
		rows, err := unpackRows(doc.Rows)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			rows[i].Balance++
		}
		if err := coll.Update(ctx, doc.ID, bson.D{{Key: "$set", Value: bson.D{{Key: "rows", Value: legacyPack(t, rows)}}}}); err != nil {
			t.Fatal(err)
		}
	}
	seg := sc.ID("lx:s:old")
	if err := coll.Insert(ctx, bson.D{{Key: "_id", Value: seg}, {Key: "tenantId", Value: "acme"}, {Key: "rows", Value: legacyPack(t, []indexRow{{ID: sc.ID("F-ghost"), Status: accounts.StatusOpen}})}, {Key: "n", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.Upsert(ctx, sc.ID(manifestKey), bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: v}, {Key: "segs", Value: bson.A{seg}}}}}); err != nil {
		t.Fatal(err)
	}
	x.cache.Purge()
	x.merged.Purge()
	x.segs.Purge()
}

// An index in the gob of the previous release is never read: the lists
// scan until the index is rebuilt in the packed codec, at start-up
// (Backfill: the manifest's version is older) or, when a stale chunk turns
// up under a current manifest, by the daily Verify; a change the journal
// replays before the rebuild does not make it misread either.
func TestIndexOldFormatRebuilt(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	x := NewIndex(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	x.Watch()
	sc := seedTenant(t, db, 40)
	if err := x.Rebuild(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	same := func(when string) {
		t.Helper()
		got, ok, err := x.rows(ctx, sc)
		if err != nil || !ok {
			t.Fatalf("%s: rows ok=%v %v", when, ok, err)
		}
		want, err := x.scan(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: index differs from the accounts:\n%v\n%v", when, got, want)
		}
		var docs []chunkDoc
		if err := sc.C("accountindex").Find(ctx, bson.D{}, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if _, err := unpackRows(d.Rows); d.ID != sc.ID(manifestKey) && err != nil {
				t.Fatalf("%s: %s: %v", when, d.ID, err)
			}
		}
	}
	scans := func(when string) {
		t.Helper()
		if p, ok, err := x.List(ctx, sc, "acme", accounts.ListQuery{Limit: 100}); err != nil || ok {
			t.Fatalf("%s: served by the index (%d items, %v), want a scan", when, len(p.Items), err)
		}
	}

	// Upgrade: the previous release's index (manifest version 2).
	toLegacy(t, x, sc, 2)
	scans("after the upgrade")
	// A change the journal replays before Backfill meets gob chunks.
	if err := sc.C("accounts").Update(ctx, sc.ID("F-003"), bson.D{{Key: "$set", Value: bson.D{{Key: "balance", Value: int64(7)}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ctx, store.TenantKey("acme")); err != nil {
		t.Fatal(err)
	}
	scans("after a replayed change")
	if err := x.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	same("after Backfill")

	// A stale chunk under a current manifest: the write that meets it marks
	// the index, the lists scan, Verify rebuilds.
	toLegacy(t, x, sc, indexVersion)
	if err := sc.C("accounts").Update(ctx, sc.ID("F-004"), bson.D{{Key: "$set", Value: bson.D{{Key: "balance", Value: int64(8)}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ctx, store.TenantKey("acme")); err != nil {
		t.Fatal(err)
	}
	// The index was marked before the chunk was started again.
	var man manifestDoc
	var chunk chunkDoc
	if err := sc.C("accountindex").Get(ctx, sc.ID(manifestKey), &man); err != nil || man.V != 0 {
		t.Fatalf("manifest v%d %v", man.V, err)
	}
	if err := sc.C("accountindex").Get(ctx, sc.ID(chunkKey(chunkOf(sc.ID("F-004")))), &chunk); err != nil {
		t.Fatal(err)
	}
	if rows, err := unpackRows(chunk.Rows); err != nil || len(rows) != 1 || rows[0].Balance != 8 {
		t.Fatalf("the chunk written: %+v %v", rows, err)
	}
	scans("after a write met a stale chunk")
	if _, err := x.Verify(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	same("after Verify")

	// Met by a read first (no write): the same.
	toLegacy(t, x, sc, indexVersion)
	scans("a stale chunk read")
	if err := x.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	same("after Backfill again")

	// Met by a fold (new accounts pile up segments past maxSegments): the
	// stale segment's rows come back with the rebuild.
	toLegacy(t, x, sc, indexVersion)
	for b := 0; b <= maxSegments; b++ {
		inv := fmt.Sprint("N-", b)
		if err := sc.C("accounts").Insert(ctx, accounts.Account{ID: sc.ID(inv), TenantID: "acme", Invoice: inv, DebtorID: sc.ID("d1"), Status: accounts.StatusOpen, History: []accounts.Movement{}}); err != nil {
			t.Fatal(err)
		}
		if err := db.Settle(ctx, store.TenantKey("acme")); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.C("accountindex").Get(ctx, sc.ID(manifestKey), &man); err != nil || man.V != 0 || len(man.Segs) >= maxSegments {
		t.Fatalf("after the fold: manifest v%d, %d segments, %v", man.V, len(man.Segs), err)
	}
	scans("after a fold met a stale segment")
	if err := x.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	same("after the fold and Backfill")
}

// A debtor view in the gob of the previous release is rebuilt from the
// accounts on its next read, and a change merged into it first leaves it
// partial (rebuilt on the next read too): its rows are never misread.
func TestDebtorViewOldFormatRebuilt(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	v := NewDebtorViews(db)
	v.Watch()
	sc := seedTenant(t, db, 21)
	debtor := sc.ID("d0")
	ids := []string{sc.ID("F-000"), sc.ID("F-007"), sc.ID("F-014")}
	read := func(when string) []ViewRow {
		t.Helper()
		rows, err := v.Rows(ctx, sc, debtor, ids)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		want, err := ReadViewRows(ctx, sc, ids)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("%s: view\n%+v\naccounts\n%+v", when, rows, want)
		}
		return rows
	}
	legacy := func() {
		t.Helper()
		rows := read("before")
		for i := range rows {
			rows[i].Balance = 999
		}
		if err := sc.C("accountindex").Update(ctx, viewKey(debtor, sc), bson.D{{Key: "$set", Value: bson.D{{Key: "rows", Value: legacyPack(t, rows)}}}}); err != nil {
			t.Fatal(err)
		}
	}
	legacy()
	read("a gob view read")
	var doc viewDoc
	if err := sc.C("accountindex").Get(ctx, viewKey(debtor, sc), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := unpackView(doc.Rows); err != nil || doc.IDs == nil {
		t.Fatalf("not rewritten: %v, ids %v", err, doc.IDs)
	}

	legacy()
	if err := sc.C("accounts").Update(ctx, sc.ID("F-007"), bson.D{{Key: "$set", Value: bson.D{{Key: "balance", Value: int64(5)}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ctx, debtorKey("acme", debtor)); err != nil {
		t.Fatal(err)
	}
	doc = viewDoc{}
	if err := sc.C("accountindex").Get(ctx, viewKey(debtor, sc), &doc); err != nil {
		t.Fatal(err)
	}
	if rows, err := unpackView(doc.Rows); err != nil || doc.IDs != nil || len(rows) != 1 || rows[0].Balance != 5 {
		t.Fatalf("a change merged into a gob view: rows %+v %v, ids %v", rows, err, doc.IDs)
	}
	if rows := read("after the change"); rows[1].Balance != 5 {
		t.Fatalf("balance %d", rows[1].Balance)
	}
}

// BenchmarkViewCodec packs and unpacks a debtor's view of 50 invoices in
// the previous gob+gzip and in readside/packed.
func BenchmarkViewCodec(b *testing.B) {
	rows := realView(50)
	b.Run("encode/gob+gzip", func(b *testing.B) {
		var n int
		for b.Loop() {
			n = len(legacyPack(b, rows))
		}
		b.ReportMetric(float64(n), "bytes")
	})
	b.Run("encode/packed", func(b *testing.B) {
		var n int
		for b.Loop() {
			p, err := packView(rows)
			if err != nil {
				b.Fatal(err)
			}
			n = len(p)
		}
		b.ReportMetric(float64(n), "bytes")
	})
	old, cur := legacyPack(b, rows), must(packView(rows))
	b.Run("decode/gob+gzip", func(b *testing.B) {
		for b.Loop() {
			var out []ViewRow
			if err := legacyUnpack(old, &out); err != nil || len(out) != 50 {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/packed", func(b *testing.B) {
		for b.Loop() {
			if out, err := unpackView(cur); err != nil || len(out) != 50 {
				b.Fatal(err)
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkViewRead reads a 50-invoice debtor view through the embedded
// server (one Get) and unpacks it, stored in gob+gzip and in packed: the
// statement's read, end to end.
func BenchmarkViewRead(b *testing.B) {
	db := storetest.New(b)
	ctx := context.Background()
	sc := db.Tenant("acme")
	rows := realView(50)
	for _, c := range []struct {
		name   string
		blob   []byte
		unpack func([]byte) (int, error)
	}{
		{"gob+gzip", legacyPack(b, rows), func(p []byte) (int, error) { var out []ViewRow; err := legacyUnpack(p, &out); return len(out), err }},
		{"packed", must(packView(rows)), func(p []byte) (int, error) { out, err := unpackView(p); return len(out), err }},
	} {
		id := sc.ID("dv:" + c.name)
		if err := sc.C("accountindex").Insert(ctx, bson.D{{Key: "_id", Value: id}, {Key: "tenantId", Value: "acme"}, {Key: "ids", Value: bson.A{"x"}}, {Key: "rows", Value: c.blob}}); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var doc viewDoc
				if err := sc.C("accountindex").Get(ctx, id, &doc); err != nil {
					b.Fatal(err)
				}
				if n, err := c.unpack(doc.Rows); err != nil || n != 50 {
					b.Fatal(n, err)
				}
			}
			b.ReportMetric(float64(len(c.blob)), "bytes")
		})
	}
}
