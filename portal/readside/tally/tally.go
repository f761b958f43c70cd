package tally

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/sync/errgroup"

	"cartera/portal/apperr"
	"cartera/portal/readside/packed"
	"cartera/portal/store"
	"cartera/tenants"
)

// tallyVersion is bumped when contribution changes meaning; tenants whose
// state carries an older version are rebuilt at start-up.
const tallyVersion = 3 // 3: money collected (interest and credit held too)

// tallyDoc is one counters document: a day, a month or the state. The
// counters are packed in one binary field (packN): FerretDB converts a
// document field by field on every read and write, and a month holds a
// thousand due-date keys.
type tallyDoc struct {
	ID  string            `bson:"_id"`
	NB  []byte            `bson:"nb"`
	S   map[string][]byte `bson:"s"` // roaring bitmaps of account numbers
	V   int               `bson:"v,omitempty"`
	PB  int64             `bson:"pb,omitempty"` // last projection batch applied
	Rev int64             `bson:"rev"`
	N   map[string]int64  `bson:"-"` // NB unpacked
}

// unpack fills N from NB.
func (d *tallyDoc) unpack() error {
	n, err := unpackN(d.NB)
	d.N = n
	return err
}

// packN encodes counters as sorted (key, value) pairs, zeros left out.
func packN(m map[string]int64) []byte {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	b := binary.AppendUvarint(nil, uint64(len(keys)))
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendVarint(b, m[k])
	}
	return b
}

// unpackN decodes packN's bytes (empty: no counters). They are the body
// of a packed record list without its envelope: a count, then each key
// (length first) and its varint.
func unpackN(b []byte) (map[string]int64, error) {
	m := map[string]int64{}
	if len(b) == 0 {
		return m, nil
	}
	r, err := packed.OpenBody(b, 0, false)
	if err != nil {
		return nil, err
	}
	for n := r.Len(); n > 0; n-- {
		k := r.String()
		m[k] = r.Varint()
	}
	if err := r.End(); err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	return m, nil
}

// DayDoc is the key of a day's counters document (day: YYYYMMDD).
func DayDoc(day string) string { return "t:d:" + day }

// MonthDoc is the key of a month's counters document (month: YYYYMM).
func MonthDoc(month string) string { return "t:m:" + month }

// StateDoc is the key of a tenant's running state: every dated figure
// summed, and the undated ones.
const StateDoc = "t:state"

// TenantLookup finds a tenant (its time zone dates the counters).
type TenantLookup interface {
	TenantByID(ctx context.Context, slug string) (tenants.Tenant, error)
}

// Tally keeps the report counters current (see contribution.go) and reads
// them (Read).
type Tally struct {
	db      *store.DB
	tenants TenantLookup
	log     *slog.Logger
	locs    sync.Map // tenant → *time.Location
	paused  sync.Map // tenant → true while a bulk load runs (Suspend)
}

// Suspend stops keeping a tenant's counters while a bulk load writes it
// (the demo's year); Resume rebuilds them from the accounts in one pass,
// far cheaper than thousands of increments. Reports read in between are
// stale: nobody reads them during a load.
func (t *Tally) Suspend(tenant string) { t.paused.Store(tenant, true) }

// Resume rebuilds a suspended tenant's counters and keeps them again.
func (t *Tally) Resume(ctx context.Context, tenant string) error {
	// The changes of the load still queued are skipped while paused.
	if err := t.db.Settle(ctx, store.TenantKey(tenant)); err != nil {
		return err
	}
	t.paused.Delete(tenant)
	if err := t.replace(ctx, tenant); err != nil {
		return fmt.Errorf("resume counters %s: %w", tenant, err)
	}
	return nil
}

// New returns the counters' keeper; Watch starts it.
func New(db *store.DB, ts TenantLookup, log *slog.Logger) *Tally {
	return &Tally{db: db, tenants: ts, log: log}
}

// Watch keeps the counters from every source collection (a projection:
// off the request path; a report read waits for its tenant's changes).
// Its name is the one it had in package reports: journal entries and
// checkpoints already stored carry it.
func (t *Tally) Watch() {
	t.db.Project(store.Projection{Name: "reports.tally", Sources: sources, Apply: t.observe, Guarded: true,
		Skips: func(ch store.Change) bool { _, off := t.paused.Load(ch.Tenant); return off }})
}

func (t *Tally) loc(ctx context.Context, tenant string) (*time.Location, error) {
	if l, ok := t.locs.Load(tenant); ok {
		return l.(*time.Location), nil
	}
	tn, err := t.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	l := tn.Location()
	t.locs.Store(tenant, l)
	return l, nil
}

// observe applies the counters' share of a batch of committed writes:
// every figure of every tenant merged first, so a document gets one write
// per batch. Each counters document remembers the last batch it took
// (pb), so a batch replayed after a crash adds nothing twice. A paused
// tenant's changes never reach it (Watch's Skips).
func (t *Tally) observe(ctx context.Context, b store.Batch) error {
	deltas := map[string]*contrib{}
	segs := map[string]string{} // account → segment, for this batch
	for _, ch := range b.Changes {
		if ch.Tenant == "" {
			continue
		}
		loc, err := t.loc(ctx, ch.Tenant)
		if err != nil {
			t.log.Error("report counters: tenant", "tenant", ch.Tenant, "err", err)
			continue
		}
		sc := t.db.Tenant(ch.Tenant)
		segOf := func(accountID string) string {
			g, ok := segs[accountID]
			if !ok {
				var a struct {
					Segment string `bson:"segment"`
				}
				_ = sc.C("accounts").Get(ctx, accountID, &a) // a missing account has no segment
				g, segs[accountID] = a.Segment, a.Segment
			}
			return g
		}
		after, errA := contribution(ch.Coll, ch.After, loc, segOf)
		before, errB := contribution(ch.Coll, ch.Before, loc, segOf)
		if err := cmp.Or(errA, errB); err != nil {
			t.log.Error("report counters: decode", "coll", ch.Coll, "err", err)
			continue
		}
		d := after.minus(before)
		if d.empty() {
			continue
		}
		if deltas[ch.Tenant] == nil {
			deltas[ch.Tenant] = newContrib()
		}
		deltas[ch.Tenant].merge(d)
	}
	var errs []error
	for tenant, d := range deltas {
		if err := t.apply(ctx, t.db.Tenant(tenant), d, b.Seq); err != nil {
			errs = append(errs, fmt.Errorf("report counters %s: %w", tenant, err))
		}
	}
	return errors.Join(errs...)
}

// merge adds o into c.
func (c *contrib) merge(o *contrib) {
	for k, v := range o.dated {
		c.dated[k] += v
	}
	for k, v := range o.state {
		c.state[k] += v
	}
	for m := range o.members {
		c.members[m] = true
	}
}

// numbered lays a delta out by counters document (layout) and numbers
// the accounts its sets name (seqs).
func (t *Tally) numbered(ctx context.Context, sc *store.Scope, d *contrib) (docs map[string]map[string]int64, sets map[string]map[string][]string, seqs map[string]uint32, err error) {
	docs, sets = layout(d)
	var accts []string
	for _, byName := range sets {
		for _, list := range byName {
			accts = append(accts, list...)
		}
	}
	seqs, err = t.seqs(ctx, sc, accts)
	return docs, sets, seqs, err
}

// plan lays a delta out by counters document: the figures of each, the
// members to add to each set (as the accounts' sequence numbers) and the
// documents' keys in order.
func (t *Tally) plan(ctx context.Context, sc *store.Scope, d *contrib) (docs map[string]map[string]int64, adds map[string]map[string][]uint32, keys []string, err error) {
	docs, sets, seqs, err := t.numbered(ctx, sc, d)
	if err != nil {
		return nil, nil, nil, err
	}
	adds = map[string]map[string][]uint32{}
	for key, byName := range sets {
		adds[key] = map[string][]uint32{}
		for name, list := range byName {
			for _, a := range list {
				adds[key][name] = append(adds[key][name], seqs[a])
			}
		}
	}
	return docs, adds, slices.Sorted(maps.Keys(union(maps.Keys(docs), maps.Keys(sets)))), nil
}

// union is the distinct keys of several maps.
func union(keys ...iter.Seq[string]) map[string]bool {
	out := map[string]bool{}
	for _, ks := range keys {
		for k := range ks {
			out[k] = true
		}
	}
	return out
}

// apply adds a delta to the stored counters: each dated figure to its day,
// its month and the state; undated ones to the state; members to the
// day's and month's sets. batch is the projection batch (0: a rebuild or a
// repair, which the batch guard does not concern; a rebuild passes the
// position it reflects, see replace).
func (t *Tally) apply(ctx context.Context, sc *store.Scope, d *contrib, batch int64) error {
	docs, adds, keys, err := t.plan(ctx, sc, d)
	if err != nil {
		return err
	}
	var g errgroup.Group
	g.SetLimit(4) // a day, its month and the state are separate documents
	for _, key := range keys {
		g.Go(func() error {
			if err := addCounts(ctx, sc, key, docs[key], adds[key], batch); err != nil {
				return fmt.Errorf("counters %s: %w", key, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// insertFresh writes a rebuild's counters documents, which replace
// dropped, in one bulk insert (a compare-and-set each cost four round trips
// a document, seconds for a year of days); a document a change created
// meanwhile is added to as apply would.
func (t *Tally) insertFresh(ctx context.Context, sc *store.Scope, d *contrib, batch int64) error {
	docs, adds, order, err := t.plan(ctx, sc, d)
	if err != nil {
		return err
	}
	out := make([]any, len(order))
	for i, key := range order {
		doc := bson.D{{Key: "_id", Value: sc.ID(key)}, {Key: "tenantId", Value: sc.Slug()}, {Key: "rev", Value: int64(0)}}
		if batch > 0 {
			doc = append(doc, bson.E{Key: "pb", Value: batch})
			if key == StateDoc { // the state of a tenant born with the counters is complete
				doc = append(doc, bson.E{Key: "v", Value: tallyVersion})
			}
		}
		if len(docs[key]) > 0 {
			doc = append(doc, bson.E{Key: "nb", Value: packN(docs[key])})
		}
		bms := bson.D{}
		for _, name := range slices.Sorted(maps.Keys(adds[key])) {
			b, grew, err := addMembers(nil, adds[key][name])
			if err != nil {
				return fmt.Errorf("counters %s: set %s: %w", key, name, err)
			}
			if grew {
				bms = append(bms, bson.E{Key: name, Value: b})
			}
		}
		if len(bms) > 0 {
			doc = append(doc, bson.E{Key: "s", Value: bms})
		}
		out[i] = doc
	}
	dups, err := sc.C("tallies").InsertMany(ctx, out)
	if err != nil {
		return fmt.Errorf("counters: %w", err)
	}
	for _, i := range dups {
		key := order[i]
		if err := addCounts(ctx, sc, key, docs[key], adds[key], batch); err != nil {
			return fmt.Errorf("counters %s: %w", key, err)
		}
	}
	return nil
}

// addCounts adds counter increments and set members to one document in one
// compare-and-set, creating it when missing.
func addCounts(ctx context.Context, sc *store.Scope, key string, inc map[string]int64, add map[string][]uint32, batch int64) error {
	coll := sc.C("tallies")
	var init bson.D
	if batch > 0 && key == StateDoc { // the state of a tenant born with the counters is complete
		init = bson.D{{Key: "v", Value: tallyVersion}}
	}
	var doc tallyDoc
	return coll.MutateOrCreate(ctx, sc.ID(key), &doc, init, func() (bson.D, error) {
		if batch > 0 && doc.PB >= batch {
			return nil, nil // this batch is already in (a replay after a crash)
		}
		set := bson.D{}
		if batch > 0 {
			set = append(set, bson.E{Key: "pb", Value: batch})
		}
		if len(inc) > 0 {
			if err := doc.unpack(); err != nil {
				return nil, err
			}
			changed := false
			for k, v := range inc {
				if v != 0 {
					doc.N[k] += v
					changed = true
				}
			}
			if changed {
				set = append(set, bson.E{Key: "nb", Value: packN(doc.N)})
			}
		}
		for name, seqs := range add {
			b, grew, err := addMembers(doc.S[name], seqs)
			if err != nil {
				return nil, fmt.Errorf("set %s: %w", name, err)
			}
			if grew {
				set = append(set, bson.E{Key: "s." + name, Value: b})
			}
		}
		if len(set) == 0 || (batch > 0 && len(set) == 1) {
			return nil, nil
		}
		return bson.D{{Key: "$set", Value: set}}, nil
	})
}

// addMembers adds seqs to the stored bitmap b (empty: none) and returns it
// stored again when it grew.
func addMembers(b []byte, seqs []uint32) (out []byte, grew bool, err error) {
	bm, err := bitmapOf(b)
	if err != nil {
		return nil, false, err
	}
	n := bm.GetCardinality()
	bm.AddMany(seqs)
	if bm.GetCardinality() == n {
		return nil, false, nil
	}
	bm.RunOptimize()
	out, err = bm.ToBytes()
	return out, err == nil, err
}

// bitmapOf reads a stored set (a copy: the bitmap may alias its buffer).
func bitmapOf(b []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	if len(b) > 0 {
		if _, err := bm.FromBuffer(append([]byte(nil), b...)); err != nil {
			return nil, err
		}
	}
	return bm, nil
}

// layout spreads a delta over the documents that hold it: docs maps a
// document key to its counter increments; sets maps a document key to its
// set names and the accounts to add.
func layout(d *contrib) (docs map[string]map[string]int64, sets map[string]map[string][]string) {
	docs = map[string]map[string]int64{}
	at := func(key string) map[string]int64 {
		if docs[key] == nil {
			docs[key] = map[string]int64{}
		}
		return docs[key]
	}
	for k, v := range d.dated {
		at(DayDoc(k.day))[k.key] += v
		at(MonthDoc(k.day[:6]))[k.key] += v
		at(StateDoc)[k.key] += v
	}
	for k, v := range d.state {
		at(StateDoc)[k] += v
	}
	sets = map[string]map[string][]string{}
	put := func(key, name, acct string) {
		if sets[key] == nil {
			sets[key] = map[string][]string{}
		}
		sets[key][name] = append(sets[key][name], acct)
	}
	for m := range d.members {
		put(DayDoc(m.day), m.set, m.acct)
		put(MonthDoc(m.day[:6]), m.set, m.acct)
	}
	return docs, sets
}

// seqs numbers accounts densely per tenant (t:ix:<key> → n), the first time
// one is counted in a set, so the sets are compact bitmaps.
func (t *Tally) seqs(ctx context.Context, sc *store.Scope, accts []string) (map[string]uint32, error) {
	out := make(map[string]uint32, len(accts))
	coll := sc.C("tallies")
	ixID := func(acct string) string { return sc.ID("t:ix:" + sc.Key(acct)) }
	type ixDoc struct {
		Seq int64 `bson:"seq"`
	}
	var missing []string
	for _, a := range accts {
		if _, ok := out[a]; ok {
			continue
		}
		var ix ixDoc
		err := coll.Get(ctx, ixID(a), &ix)
		switch {
		case err == nil:
			out[a] = uint32(ix.Seq)
		case errors.Is(err, apperr.ErrNotFound):
			out[a] = 0
			missing = append(missing, a)
		default:
			return nil, err
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	var ctr struct {
		N int64 `bson:"n"`
	}
	err := t.db.C("tallies").FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: sc.ID("t:seq")}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(len(missing))}}}, {Key: "$setOnInsert", Value: bson.D{{Key: "tenantId", Value: sc.Slug()}}}}, &ctr, true)
	if err != nil {
		return nil, fmt.Errorf("counters: number accounts: %w", err)
	}
	docs := make([]any, len(missing))
	for i, a := range missing {
		seq := ctr.N - int64(len(missing)) + int64(i) + 1
		docs[i] = bson.D{{Key: "_id", Value: ixID(a)}, {Key: "tenantId", Value: sc.Slug()}, {Key: "seq", Value: seq}}
		out[a] = uint32(seq)
	}
	dups, err := coll.InsertMany(ctx, docs)
	if err != nil {
		return nil, err
	}
	for _, i := range dups { // numbered meanwhile by another writer: theirs stands
		var ix ixDoc
		if err := coll.Get(ctx, ixID(missing[i]), &ix); err != nil {
			return nil, err
		}
		out[missing[i]] = uint32(ix.Seq)
	}
	return out, nil
}

// Counts is one counters document as a reader sees it: its figures by key
// and its sets of accounts by name.
type Counts struct {
	N    map[string]int64
	Sets map[string]*roaring.Bitmap
}

// Of keeps the counters of one portfolio segment, under their plain names
// ("" keeps everything).
func (c Counts) Of(segment string) Counts {
	if segment == "" {
		return c
	}
	prefix := segKey(segment, "")
	out := Counts{N: map[string]int64{}, Sets: map[string]*roaring.Bitmap{}}
	for k, v := range c.N {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out.N[rest] = v
		}
	}
	for k, v := range c.Sets {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out.Sets[rest] = v
		}
	}
	return out
}

// Read fetches a tenant's counters documents by key (DayDoc, MonthDoc,
// StateDoc), a few at a time in parallel, once the reader's own changes
// are counted; a missing document reads as empty.
func (t *Tally) Read(ctx context.Context, tenant string, keys []string) (map[string]Counts, error) {
	return read(ctx, t.db, tenant, keys)
}

// Reader reads the counters a Tally keeps, for a caller that holds only
// the store (the Tally of the process keeps them).
type Reader struct{ db *store.DB }

// NewReader returns a reader of db's counters.
func NewReader(db *store.DB) *Reader { return &Reader{db: db} }

// Read is Tally.Read.
func (r *Reader) Read(ctx context.Context, tenant string, keys []string) (map[string]Counts, error) {
	return read(ctx, r.db, tenant, keys)
}

func read(ctx context.Context, db *store.DB, tenant string, keys []string) (map[string]Counts, error) {
	if err := db.Settle(ctx, store.TenantKey(tenant)); err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	sc := db.Tenant(tenant)
	docs := make(map[string]*tallyDoc, len(keys))
	var g errgroup.Group
	g.SetLimit(6)
	for _, k := range keys {
		if _, ok := docs[k]; ok {
			continue
		}
		docs[k] = &tallyDoc{}
		d := docs[k]
		g.Go(func() error {
			err := sc.C("tallies").Get(ctx, sc.ID(k), d)
			if errors.Is(err, apperr.ErrNotFound) {
				err = nil
			}
			if err == nil {
				err = d.unpack()
			}
			if err != nil {
				return fmt.Errorf("counters %s: %w", k, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]Counts, len(docs))
	for k, d := range docs {
		c := Counts{N: d.N, Sets: make(map[string]*roaring.Bitmap, len(d.S))}
		for name, b := range d.S {
			// Read only: the bitmap may share the document's buffer.
			bm := roaring.New()
			if _, err := bm.FromBuffer(b); err != nil {
				return nil, fmt.Errorf("counters %s: set %s: %w", k, name, err)
			}
			c.Sets[name] = bm
		}
		out[k] = c
	}
	return out, nil
}

// rebuild computes a tenant's counters from scratch: Σ contribution over
// every source document. It scans the tenant: run it from a job.
func (t *Tally) rebuild(ctx context.Context, tenant string) (*contrib, error) {
	loc, err := t.loc(ctx, tenant)
	if err != nil {
		return nil, err
	}
	sc := t.db.Tenant(tenant)
	total := newContrib()
	// Accounts come first (sorted names): their segments serve the rest.
	segs := map[string]string{}
	segOf := func(accountID string) string { return segs[accountID] }
	for _, coll := range slices.Sorted(maps.Keys(sources)) {
		proj := bson.D{}
		for _, f := range sources[coll] {
			proj = append(proj, bson.E{Key: f, Value: 1})
		}
		proj = append(proj, bson.E{Key: "updatedAt", Value: 1}, bson.E{Key: "tenantId", Value: 1})
		err := sc.C(coll).Each(ctx, bson.D{}, options.Find().SetProjection(proj), func(raw bson.Raw) error {
			c, err := contribution(coll, raw, loc, segOf)
			if err != nil {
				return err
			}
			if coll == "accounts" && c.seg != "" {
				id, _ := raw.Lookup("_id").StringValueOK()
				segs[id] = c.seg
			}
			total.merge(c)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rebuild counters %s: %w", coll, err)
		}
	}
	return total, nil
}

// isCounterDoc tells a day, month or state document from the numbering.
func isCounterDoc(key string) bool {
	return strings.HasPrefix(key, "t:d:") || strings.HasPrefix(key, "t:m:") || key == StateDoc
}

// Drift is one stored counter that disagrees with its rebuild.
type Drift struct {
	Doc     string `json:"doc"`
	Key     string `json:"key"`
	Stored  int64  `json:"stored"`
	Rebuilt int64  `json:"rebuilt"`
}

// Compare rebuilds a tenant's counters and lists every figure (and every
// set's size) that differs from what is stored.
func (t *Tally) Compare(ctx context.Context, tenant string) ([]Drift, error) {
	d, _, err := t.compare(ctx, tenant)
	return d, err
}

func (t *Tally) compare(ctx context.Context, tenant string) ([]Drift, *contrib, error) {
	if err := t.db.Settle(ctx, store.TenantKey(tenant)); err != nil {
		return nil, nil, err
	}
	rebuilt, err := t.rebuild(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	sc := t.db.Tenant(tenant)
	docs, sets, seqs, err := t.numbered(ctx, sc, rebuilt)
	if err != nil {
		return nil, nil, err
	}
	stored := map[string]*tallyDoc{}
	err = sc.C("tallies").Each(ctx, bson.D{}, nil, func(raw bson.Raw) error {
		id, _ := raw.Lookup("_id").StringValueOK()
		key := sc.Key(id)
		if !isCounterDoc(key) {
			return nil // account numbering
		}
		var d tallyDoc
		if err := bson.Unmarshal(raw, &d); err != nil {
			return err
		}
		if err := d.unpack(); err != nil {
			return err
		}
		stored[key] = &d
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("compare counters: %w", err)
	}
	var drifts []Drift
	for doc := range union(maps.Keys(docs), maps.Keys(sets), maps.Keys(stored)) {
		s := stored[doc]
		if s == nil {
			s = &tallyDoc{}
		}
		for k, v := range docs[doc] {
			if s.N[k] != v {
				drifts = append(drifts, Drift{Doc: doc, Key: k, Stored: s.N[k], Rebuilt: v})
			}
		}
		for k, v := range s.N {
			if _, ok := docs[doc][k]; !ok && v != 0 {
				drifts = append(drifts, Drift{Doc: doc, Key: k, Stored: v})
			}
		}
		for n := range union(maps.Keys(sets[doc]), maps.Keys(s.S)) {
			want := roaring.New()
			for _, a := range sets[doc][n] {
				want.Add(seqs[a])
			}
			got, err := bitmapOf(s.S[n])
			if err != nil {
				return nil, nil, err
			}
			if !got.Equals(want) {
				drifts = append(drifts, Drift{Doc: doc, Key: "s." + n, Stored: int64(got.GetCardinality()), Rebuilt: int64(want.GetCardinality())})
			}
		}
	}
	slices.SortFunc(drifts, func(a, b Drift) int { return cmp.Or(strings.Compare(a.Doc, b.Doc), strings.Compare(a.Key, b.Key)) })
	return drifts, rebuilt, nil
}

// Repair compares twice and corrects the drifts found both times with the
// same values (a drift seen once is a write that landed between the scan
// and the read). Corrections are increments, so live writes are never
// lost; sets are rebuilt as unions.
func (t *Tally) Repair(ctx context.Context, tenant string) ([]Drift, error) {
	first, _, err := t.compare(ctx, tenant)
	if err != nil || len(first) == 0 {
		return nil, err
	}
	second, rebuilt, err := t.compare(ctx, tenant)
	if err != nil {
		return nil, err
	}
	seen := map[Drift]bool{}
	for _, d := range first {
		seen[d] = true
	}
	sc := t.db.Tenant(tenant)
	var fixed []Drift
	incs := map[string]map[string]int64{}
	setsToRedo := false
	for _, d := range second {
		if !seen[d] {
			continue
		}
		fixed = append(fixed, d)
		if strings.HasPrefix(d.Key, "s.") {
			setsToRedo = true
			continue
		}
		if incs[d.Doc] == nil {
			incs[d.Doc] = map[string]int64{}
		}
		incs[d.Doc][d.Key] += d.Rebuilt - d.Stored
	}
	for doc, inc := range incs {
		if err := addCounts(ctx, sc, doc, inc, nil, 0); err != nil {
			return fixed, fmt.Errorf("repair %s: %w", doc, err)
		}
	}
	if setsToRedo {
		fix := newContrib()
		fix.members = rebuilt.members // the sets alone, added as unions
		if err := t.apply(ctx, sc, fix, 0); err != nil {
			return fixed, err
		}
	}
	if len(fixed) > 0 {
		t.log.Warn("report counters repaired", "tenant", tenant, "figures", len(fixed))
	}
	return fixed, nil
}

// Backfill rebuilds, at start-up, the counters of every tenant whose state
// predates this version of the counters (or that has none), replacing what
// is stored. It runs before requests and jobs start, so nothing races it.
func (t *Tally) Backfill(ctx context.Context) error {
	ts, err := t.tenantIDs(ctx)
	if err != nil {
		return fmt.Errorf("backfill counters: %w", err)
	}
	for _, tenant := range ts {
		sc := t.db.Tenant(tenant)
		var st tallyDoc
		err := sc.C("tallies").Get(ctx, sc.ID(StateDoc), &st)
		if err == nil && st.V >= tallyVersion {
			continue
		}
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		start := time.Now()
		if err := t.replace(ctx, tenant); err != nil {
			return err
		}
		t.log.Info("report counters rebuilt", "tenant", tenant, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// replace drops a tenant's counters documents (not its account numbering)
// and writes them anew from a rebuild.
func (t *Tally) replace(ctx context.Context, tenant string) error {
	// The rebuild holds every change applied so far: stamped as the last
	// batch taken, a replay of those after a crash adds nothing.
	stamp := t.db.ProjectedUpTo()
	rebuilt, err := t.rebuild(ctx, tenant)
	if err != nil {
		return err
	}
	sc := t.db.Tenant(tenant)
	var ids []string
	err = sc.C("tallies").Each(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}), func(raw bson.Raw) error {
		id, _ := raw.Lookup("_id").StringValueOK()
		if isCounterDoc(sc.Key(id)) {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := sc.C("tallies").Delete(ctx, id); err != nil {
			return err
		}
	}
	if err := t.insertFresh(ctx, sc, rebuilt, stamp); err != nil {
		return err
	}
	_, err = sc.C("tallies").Upsert(ctx, sc.ID(StateDoc), bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: tallyVersion}}}})
	return err
}

// RepairAll runs Repair over every tenant (the reconciliation job).
func (t *Tally) RepairAll(ctx context.Context) error {
	ts, err := t.tenantIDs(ctx)
	if err != nil {
		return fmt.Errorf("repair counters: %w", err)
	}
	for _, tenant := range ts {
		if _, off := t.paused.Load(tenant); off {
			continue // a bulk load: Resume rebuilds them
		}
		if _, err := t.Repair(ctx, tenant); err != nil {
			return err
		}
	}
	return nil
}

// tenantIDs lists every tenant's slug.
func (t *Tally) tenantIDs(ctx context.Context) ([]string, error) {
	var ts []struct {
		ID string `bson:"_id"`
	}
	err := t.db.C("tenants").Find(ctx, bson.D{}, &ts, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	ids := make([]string, len(ts))
	for i, tn := range ts {
		ids[i] = tn.ID
	}
	return ids, err
}
