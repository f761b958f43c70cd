package readside

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/sync/errgroup"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/readside/packed"
	"cartera/portal/store"
)

// The portfolio index.
//
// Listing a tenant's accounts with filters and a cursor is a scan and a sort
// of the whole collection on the embedded server (seconds at 100,000). The
// index keeps one row per account (what the list shows and filters on) in
// indexChunks packed documents per tenant, chosen by a hash of the _id, plus
// a manifest of their revisions. A store watcher keeps the rows current on
// every account write; a process caches decoded chunks and, per request,
// reads the manifest and only the chunks whose revision moved.
//
// New accounts (an import batch) go to one immutable insert segment instead
// of touching every chunk: one write per batch. A row in a chunk is always
// newer than the same row in a segment (updates go to chunks), and the
// segments are folded into the chunks when they pile up.

// indexChunks is the number of chunk documents per tenant: an import batch
// rewrites each at most once, and a chunk stays small up to about a million
// accounts.
const indexChunks = 64

// indexVersion is bumped when indexRow changes; older indexes are rebuilt
// at start-up.
const indexVersion = 3 // 2: credit held; 3: rows in readside/packed (gob+gzip before)

// indexFields are the account fields the rows hold.
var indexFields = []string{"invoice", "debtorId", "document", "debtorName", "dueDate", "original", "balance", "credit", "currency", "status", "collectorId", "segment"}

// indexRow is one account as the list shows it.
type indexRow struct {
	ID, Invoice, DebtorID, Document, DebtorName string
	Due                                         int64 // dueDate, Unix seconds
	Original, Balance                           int64
	Currency, Status, CollectorID, Segment      string
	Credit                                      int64 // money held for the debtor beyond the debt
}

func rowOf(a accounts.Account) indexRow {
	return indexRow{ID: a.ID, Invoice: a.Invoice, DebtorID: a.DebtorID, Document: a.Document, DebtorName: a.DebtorName,
		Due: a.DueDate.Unix(), Original: a.Original, Balance: a.Balance, Currency: a.Currency, Status: a.Status,
		CollectorID: a.CollectorID, Segment: a.Segment, Credit: a.Credit}
}

func (r indexRow) account(tenant string) accounts.Account {
	return accounts.Account{ID: r.ID, TenantID: tenant, Invoice: r.Invoice, DebtorID: r.DebtorID, Document: r.Document, DebtorName: r.DebtorName,
		DueDate: time.Unix(r.Due, 0).UTC(), Original: r.Original, Balance: r.Balance, Credit: r.Credit, Currency: r.Currency, Status: r.Status,
		CollectorID: r.CollectorID, Segment: r.Segment}
}

// chunkOf is the chunk an account's row lives in.
func chunkOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % indexChunks)
}

func chunkKey(n int) string { return "lx:" + strconv.Itoa(n) }

const manifestKey = "lx:manifest"

// chunkDoc is a packed chunk of rows.
type chunkDoc struct {
	ID   string `bson:"_id"`
	Rows []byte `bson:"rows"` // []indexRow, packRows
	N    int    `bson:"n"`
	Rev  int64  `bson:"rev"`
}

// manifestDoc holds each chunk's revision and the insert segments not yet
// folded into the chunks.
type manifestDoc struct {
	ID   string           `bson:"_id"`
	Revs map[string]int64 `bson:"revs"`
	Segs []string         `bson:"segs"`
	V    int              `bson:"v"`
	Rev  int64            `bson:"rev"`
}

// maxSegments is how many insert segments may pile up before a write folds
// them into the chunks.
const maxSegments = 32

// The rows' packed form (readside/packed): a count, then each row's fields
// in the order below. A change to indexRow is a new rowsLayout and a new
// indexVersion (the index is rebuilt, not read in the old layout).
const (
	rowsKind   packed.Kind = 'I'
	rowsLayout             = 1
)

func packRows(rows []indexRow) ([]byte, error) {
	w := packed.NewWriter(rowsKind, rowsLayout, len(rows)*96)
	w.Len(len(rows))
	for i := range rows {
		putRow(w, &rows[i])
	}
	return w.Finish()
}

func putRow(w *packed.Writer, r *indexRow) {
	w.String(r.ID)
	w.String(r.Invoice)
	w.String(r.DebtorID)
	w.String(r.Document)
	w.String(r.DebtorName)
	w.Varint(r.Due)
	w.Varint(r.Original)
	w.Varint(r.Balance)
	w.Sym(r.Currency)
	w.Sym(r.Status)
	w.Sym(r.CollectorID)
	w.Sym(r.Segment)
	w.Varint(r.Credit)
}

// getRow reads putRow; its strings share the blob's body (no allocation).
func getRow(r *packed.Reader) indexRow {
	return indexRow{ID: r.String(), Invoice: r.String(), DebtorID: r.String(), Document: r.String(), DebtorName: r.String(),
		Due: r.Varint(), Original: r.Varint(), Balance: r.Varint(),
		Currency: r.Sym(), Status: r.Sym(), CollectorID: r.Sym(), Segment: r.Sym(), Credit: r.Varint()}
}

// unpackRows reads packRows; packed.ErrStale for rows of an earlier
// release (gob), which the index rebuilds.
func unpackRows(b []byte) ([]indexRow, error) {
	if len(b) == 0 {
		return nil, nil
	}
	r, err := packed.Open(b, rowsKind)
	if err != nil {
		return nil, err
	}
	if r.Version() != rowsLayout {
		return nil, fmt.Errorf("%w: index rows layout %d", packed.ErrStale, r.Version())
	}
	rows := make([]indexRow, r.Len())
	for i := range rows {
		rows[i] = getRow(r)
	}
	if err := r.End(); err != nil {
		return nil, err
	}
	return rows, nil
}

// openRows opens packRows for reading row by row: the reader after the
// count, and the count.
func openRows(b []byte) (*packed.Reader, int, error) {
	if len(b) == 0 {
		return nil, 0, nil
	}
	r, err := packed.Open(b, rowsKind)
	if err != nil {
		return nil, 0, err
	}
	if r.Version() != rowsLayout {
		return nil, 0, fmt.Errorf("%w: index rows layout %d", packed.ErrStale, r.Version())
	}
	n := r.Len()
	return r, n, r.Err()
}

// Index is the portfolio index of every tenant (one per process). Its
// caches are bounded (least recently used out): a tenant's merged rows are
// about 200 bytes an account (20 MB at 100,000), so at most
// indexCacheTenants tenants are held merged, and their chunks besides.
type Index struct {
	db     *store.DB
	log    *slog.Logger
	cache  *lru.Cache[string, cachedChunk] // chunk _id → decoded rows at a revision
	segs   *lru.Cache[string, []indexRow]  // segment _id → rows (segments never change)
	merged *lru.Cache[string, mergedView]  // tenant → rows at a manifest state
	// foldRows (tests: 0 is the constant) and folded, a probe told the rows
	// of each fold pass.
	foldRows int
	folded   func(rows int)
}

const (
	indexCacheTenants = 8
	indexCacheSegs    = 256
)

// mergedView is a tenant's rows in _id order with their lowercased search
// text, at one manifest state.
type mergedView struct {
	key    string
	rows   []indexRow
	search []string
}

type cachedChunk struct {
	rev  int64
	rows []indexRow
}

// NewIndex returns the index; Watch starts keeping it.
func NewIndex(db *store.DB, log *slog.Logger) *Index {
	chunks, _ := lru.New[string, cachedChunk](indexChunks * indexCacheTenants)
	segs, _ := lru.New[string, []indexRow](indexCacheSegs)
	merged, _ := lru.New[string, mergedView](indexCacheTenants)
	return &Index{db: db, log: log, cache: chunks, segs: segs, merged: merged}
}

// Watch keeps the rows current from the account changes (a projection:
// off the request path, see store.Projection).
func (x *Index) Watch() {
	x.db.Project(store.Projection{Name: "accounts.index", Sources: map[string][]string{"accounts": indexFields}, Apply: x.apply})
}

// apply brings the rows up to date with one batch of account changes. Safe
// to run again on the same batch: rows are set from after-images and an
// insert segment is named by the batch.
func (x *Index) apply(ctx context.Context, b store.Batch) error {
	by := map[string]map[string]*indexRow{} // tenant → id → row (nil: gone)
	ins := map[string][]indexRow{}          // tenant → new accounts
	for _, ch := range b.Changes {
		if ch.Tenant == "" || ch.ID == "" {
			continue
		}
		var row *indexRow
		if ch.After != nil {
			var a accounts.Account
			if err := bson.Unmarshal(ch.After, &a); err != nil {
				x.log.Error("portfolio index: decode", "id", ch.ID, "err", err)
				continue
			}
			r := rowOf(a)
			row = &r
			if ch.Before == nil {
				ins[ch.Tenant] = append(ins[ch.Tenant], r)
				continue
			}
		}
		if by[ch.Tenant] == nil {
			by[ch.Tenant] = map[string]*indexRow{}
		}
		by[ch.Tenant][ch.ID] = row
	}
	var errs []error
	for tenant, rows := range ins {
		if err := x.insert(ctx, x.db.Tenant(tenant), rows, b.Seq); err != nil {
			errs = append(errs, fmt.Errorf("portfolio index %s: %w", tenant, err))
		}
	}
	for tenant, rows := range by {
		if err := x.put(ctx, x.db.Tenant(tenant), rows); err != nil {
			errs = append(errs, fmt.Errorf("portfolio index %s: %w", tenant, err))
		}
	}
	return errors.Join(errs...)
}

// insert writes new accounts' rows as one insert segment and lists it in
// the manifest; past maxSegments the segments are folded into the chunks.
func (x *Index) insert(ctx context.Context, sc *store.Scope, rows []indexRow, batch int64) error {
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	b, err := packRows(rows)
	if err != nil {
		return err
	}
	coll := sc.C("accountindex")
	// Named by the batch, so a replayed batch finds its segment written.
	id := sc.ID("lx:s:" + strconv.FormatInt(batch, 10))
	if batch == 0 {
		id = sc.ID("lx:s:" + primitive.NewObjectID().Hex())
	}
	err = coll.Insert(ctx, bson.D{{Key: "_id", Value: id}, {Key: "tenantId", Value: sc.Slug()}, {Key: "rows", Value: b}, {Key: "n", Value: len(rows)}})
	if err != nil && !errors.Is(err, apperr.ErrConflict) {
		return err
	}
	var man manifestDoc
	// A manifest born here belongs to a tenant created after start-up (see put).
	born := bson.D{{Key: "v", Value: indexVersion}, {Key: "segs", Value: bson.A{}}}
	err = coll.MutateOrCreate(ctx, sc.ID(manifestKey), &man, born, func() (bson.D, error) {
		if slices.Contains(man.Segs, id) {
			return nil, nil
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "segs", Value: append(man.Segs, id)}}}}, nil
	})
	if err != nil {
		return err
	}
	if len(man.Segs)+1 > maxSegments {
		return x.fold(ctx, sc)
	}
	return nil
}

// foldRows is how many segment rows a fold decodes at a time. Folding 32
// segments of 1,000 rows used to decode them all at once (with two maps of
// them): about 11 MB of a 100,000-row import's peak. The rows are re-packed
// by chunk first (compressed), then merged into a few chunks at a time.
const foldRows = 2048

// fold moves the insert segments' rows into the chunks (a row already in a
// chunk is newer and stays) and drops the segments from the manifest.
// Stopped midway, it is done again: a row already folded is in its chunk
// and stays.
func (x *Index) fold(ctx context.Context, sc *store.Scope) error {
	coll := sc.C("accountindex")
	var man manifestDoc
	if err := coll.Get(ctx, sc.ID(manifestKey), &man); err != nil {
		return err
	}
	if len(man.Segs) == 0 {
		return nil
	}
	byChunk, stale, err := x.repack(ctx, coll, man.Segs)
	if err != nil {
		return err
	}
	if stale { // before the stale segments are dropped
		if err := x.markStale(ctx, sc); err != nil {
			return err
		}
	}
	for _, pass := range foldPasses(byChunk, x.passRows()) {
		rows := map[string]*indexRow{}
		for _, n := range pass {
			if err := byChunk[n].each(func(r indexRow) { rows[r.ID] = &r }); err != nil {
				return fmt.Errorf("portfolio index fold: %w", err)
			}
		}
		if x.folded != nil {
			x.folded(len(rows))
		}
		if err := x.putWith(ctx, sc, rows, true); err != nil {
			return err
		}
	}
	folded := map[string]bool{}
	for _, sid := range man.Segs {
		folded[sid] = true
	}
	err = coll.Mutate(ctx, sc.ID(manifestKey), &man, func() (bson.D, error) {
		keep := []string{}
		for _, sid := range man.Segs {
			if !folded[sid] {
				keep = append(keep, sid)
			}
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "segs", Value: keep}}}}, nil
	})
	if err != nil {
		return err
	}
	for sid := range folded {
		if err := coll.Delete(ctx, sid); err != nil {
			return err
		}
		x.segs.Remove(sid)
	}
	return nil
}

func (x *Index) passRows() int {
	if x.foldRows > 0 {
		return x.foldRows
	}
	return foldRows
}

// chunkRows are rows bound for one chunk, packed (no count: n says it).
type chunkRows struct {
	w    *packed.Writer
	blob []byte
	n    int
}

func (c *chunkRows) each(fn func(indexRow)) error {
	if c == nil || c.n == 0 {
		return nil
	}
	r, err := packed.Open(c.blob, rowsKind)
	if err != nil {
		return err
	}
	for i := 0; i < c.n; i++ {
		fn(getRow(r))
	}
	return r.End()
}

// repack reads the segments one at a time (not cached: they are about to
// go) and packs their rows by chunk, in segment order; stale is true when
// a segment was in an earlier format (its rows come back with a rebuild).
func (x *Index) repack(ctx context.Context, coll *store.TColl, segs []string) (byChunk [indexChunks]*chunkRows, stale bool, err error) {
	for _, sid := range segs {
		rows, ok := x.segs.Peek(sid)
		if !ok {
			var doc chunkDoc
			if err := coll.Get(ctx, sid, &doc); err != nil {
				return byChunk, false, fmt.Errorf("portfolio index segment: %w", err)
			}
			rows, err = unpackRows(doc.Rows)
			if errors.Is(err, packed.ErrStale) {
				stale = true
				continue
			} else if err != nil {
				return byChunk, false, err
			}
		}
		for i := range rows {
			n := chunkOf(rows[i].ID)
			c := byChunk[n]
			if c == nil {
				c = &chunkRows{w: packed.NewWriter(rowsKind, rowsLayout, 4096)}
				byChunk[n] = c
			}
			putRow(c.w, &rows[i])
			c.n++
		}
	}
	for _, c := range byChunk {
		if c != nil {
			if c.blob, err = c.w.Finish(); err != nil {
				return byChunk, false, err
			}
			c.w = nil
		}
	}
	return byChunk, stale, nil
}

// foldPasses groups the chunks that have rows into passes of about limit
// rows (a chunk is never split; one with more is a pass of its own).
func foldPasses(byChunk [indexChunks]*chunkRows, limit int) [][]int {
	var passes [][]int
	var cur []int
	held := 0
	for n, c := range byChunk {
		if c == nil || c.n == 0 {
			continue
		}
		if len(cur) > 0 && held+c.n > limit {
			passes = append(passes, cur)
			cur, held = nil, 0
		}
		cur = append(cur, n)
		held += c.n
	}
	if len(cur) > 0 {
		passes = append(passes, cur)
	}
	return passes
}

// markStale sets the manifest's version below indexVersion, after a blob
// in an earlier format was met: the tenant's lists scan their accounts
// until the index is rebuilt (at start-up by Backfill, daily by Verify).
// An index just upgraded is rebuilt by Backfill before anything reads it;
// only the changes the journal replays before that can meet old blobs.
func (x *Index) markStale(ctx context.Context, sc *store.Scope) error {
	x.log.Warn("portfolio index in an earlier format: rebuilt on the next check", "tenant", sc.Slug())
	_, err := sc.C("accountindex").Upsert(ctx, sc.ID(manifestKey), bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 0}}}})
	return err
}

// segment reads an insert segment (cached: segments never change).
func (x *Index) segment(ctx context.Context, coll *store.TColl, id string) ([]indexRow, error) {
	rows, ok := x.segs.Get(id)
	if ok {
		return rows, nil
	}
	var doc chunkDoc
	if err := coll.Get(ctx, id, &doc); err != nil {
		return nil, fmt.Errorf("portfolio index segment: %w", err)
	}
	rows, err := unpackRows(doc.Rows)
	if err != nil {
		return nil, err
	}
	x.segs.Add(id, rows)
	return rows, nil
}

// put writes rows (nil removes) into their chunks, one compare-and-set per
// chunk, then records the chunks' new revisions in the manifest.
func (x *Index) put(ctx context.Context, sc *store.Scope, rows map[string]*indexRow) error {
	return x.putWith(ctx, sc, rows, false)
}

// putWith is put; with onlyNew it leaves rows already in a chunk alone
// (folding segments, whose rows are older than the chunks'). A chunk in an
// earlier format marks the index for a rebuild first, then is started
// again from these rows.
func (x *Index) putWith(ctx context.Context, sc *store.Scope, rows map[string]*indexRow, onlyNew bool) error {
	err := x.putChunks(ctx, sc, rows, onlyNew, false)
	if errors.Is(err, packed.ErrStale) {
		if err := x.markStale(ctx, sc); err != nil {
			return err
		}
		err = x.putChunks(ctx, sc, rows, onlyNew, true)
	}
	return err
}

// putChunks writes rows into their chunks; with overStale a chunk in an
// earlier format is replaced, otherwise it is an error.
func (x *Index) putChunks(ctx context.Context, sc *store.Scope, rows map[string]*indexRow, onlyNew, overStale bool) error {
	byChunk := map[int]map[string]*indexRow{}
	for id, r := range rows {
		n := chunkOf(id)
		if byChunk[n] == nil {
			byChunk[n] = map[string]*indexRow{}
		}
		byChunk[n][id] = r
	}
	coll := sc.C("accountindex")
	revs := bson.D{}
	var revMu sync.Mutex
	var g errgroup.Group
	// Chunks are separate documents, written side by side; two, not four:
	// each holds its merged rows until written (the store writes one at a
	// time on the embedded server anyway).
	g.SetLimit(2)
	for n, upd := range byChunk {
		g.Go(func() error { return putChunk(ctx, coll, sc, n, upd, onlyNew, overStale, &revMu, &revs) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// $max: a slower writer never moves a chunk's revision back. A manifest
	// born here belongs to a tenant created after start-up (older ones were
	// backfilled before any write), so its index is complete.
	_, err := coll.Upsert(ctx, sc.ID(manifestKey), bson.D{{Key: "$max", Value: revs}, {Key: "$setOnInsert", Value: bson.D{{Key: "v", Value: indexVersion}}}})
	return err
}

// putChunk writes rows into one chunk and adds its new revision to revs.
func putChunk(ctx context.Context, coll *store.TColl, sc *store.Scope, n int, upd map[string]*indexRow, onlyNew, overStale bool, revMu *sync.Mutex, revs *bson.D) error {
	id := sc.ID(chunkKey(n))
	var rev int64
	var doc chunkDoc
	ids := make([]string, 0, len(upd))
	for id := range upd {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// Cold: the index keeps the chunk decoded itself (Index.cache).
	err := coll.MutateOrCreateCold(ctx, id, &doc, bson.D{{Key: "n", Value: 0}}, func() (bson.D, error) {
		cur := doc.Rows
		if _, _, err := openRows(cur); errors.Is(err, packed.ErrStale) && overStale {
			cur = nil
		}
		b, n, err := mergeRows(cur, ids, upd, onlyNew)
		if err != nil {
			return nil, err
		}
		rev = doc.Rev + 1
		return bson.D{{Key: "$set", Value: bson.D{{Key: "rows", Value: b}, {Key: "n", Value: n}}}}, nil
	})
	if err != nil {
		return fmt.Errorf("portfolio index chunk %d: %w", n, err)
	}
	revMu.Lock()
	*revs = append(*revs, bson.E{Key: "revs." + strconv.Itoa(n), Value: rev})
	revMu.Unlock()
	return nil
}

// mergeRows writes a chunk's rows (packRows, in _id order) with upd
// applied (ids: its keys, sorted): a row of upd replaces the chunk's (with
// onlyNew, only one the chunk lacks), nil marks it gone. It reads the chunk
// row by row and writes as it goes, so a chunk is never held decoded (its
// rows share the body, read twice: once to count, once to write); a chunk
// not in _id order is merged through a map instead.
func mergeRows(cur []byte, ids []string, upd map[string]*indexRow, onlyNew bool) ([]byte, int, error) {
	r, n, err := openRows(cur)
	if err != nil {
		return nil, 0, err
	}
	// First pass: how many of upd the chunk has, and that it is in order.
	had, j := 0, 0
	prev := ""
	for i := 0; i < n; i++ {
		row := getRow(r)
		if i > 0 && row.ID <= prev {
			return mergeUnordered(cur, upd, onlyNew)
		}
		prev = row.ID
		for j < len(ids) && ids[j] < row.ID {
			j++
		}
		if j < len(ids) && ids[j] == row.ID {
			had++
		}
	}
	if n > 0 {
		if err := r.End(); err != nil {
			return nil, 0, err
		}
		r, _, _ = openRows(cur)
	}
	total := n + len(ids) - had
	w := packed.NewWriter(rowsKind, rowsLayout, len(cur)*3+len(ids)*96)
	w.Len(total)
	put := func(id string) {
		if u := upd[id]; u != nil {
			putRow(w, u)
		} else {
			putRow(w, &indexRow{ID: id, Status: goneStatus}) // hides an older segment row
		}
	}
	j = 0
	for i := 0; i < n; i++ {
		row := getRow(r)
		for j < len(ids) && ids[j] < row.ID {
			put(ids[j])
			j++
		}
		if j < len(ids) && ids[j] == row.ID {
			if onlyNew {
				putRow(w, &row)
			} else {
				put(ids[j])
			}
			j++
			continue
		}
		putRow(w, &row)
	}
	for ; j < len(ids); j++ {
		put(ids[j])
	}
	if r != nil {
		if err := r.End(); err != nil {
			return nil, 0, err
		}
	}
	b, err := w.Finish()
	return b, total, err
}

// mergeUnordered is mergeRows through a map, for a chunk out of order.
func mergeUnordered(cur []byte, upd map[string]*indexRow, onlyNew bool) ([]byte, int, error) {
	rows, err := unpackRows(cur)
	if err != nil {
		return nil, 0, err
	}
	m := make(map[string]indexRow, len(rows)+len(upd))
	for _, r := range rows {
		m[r.ID] = r
	}
	for id, r := range upd {
		if _, had := m[id]; had && onlyNew {
			continue
		}
		if r == nil {
			m[id] = indexRow{ID: id, Status: goneStatus}
		} else {
			m[id] = *r
		}
	}
	out := make([]indexRow, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	b, err := packRows(out)
	return b, len(out), err
}

// rows returns every row of a tenant's index, or ok false when the tenant
// has no index yet (the caller scans).
func (x *Index) rows(ctx context.Context, sc *store.Scope) ([]indexRow, bool, error) {
	v, ok, err := x.view(ctx, sc)
	return v.rows, ok, err
}

// view is rows with the search text, cached per manifest state.
func (x *Index) view(ctx context.Context, sc *store.Scope) (mv mergedView, ok bool, err error) {
	if err := x.db.Settle(ctx, store.TenantKey(sc.Slug())); err != nil {
		return mv, false, err
	}
	var out []indexRow
	coll := sc.C("accountindex")
	var man manifestDoc
	if err := coll.Get(ctx, sc.ID(manifestKey), &man); errors.Is(err, apperr.ErrNotFound) {
		return mv, false, nil
	} else if err != nil {
		return mv, false, err
	}
	if man.V < indexVersion {
		return mv, false, nil
	}
	key := fmt.Sprint(man.Revs, man.Segs)
	mv, hit := x.merged.Get(sc.Slug())
	if hit && mv.key == key {
		return mv, true, nil
	}
	var chunkRows []indexRow
	for n := 0; n < indexChunks; n++ {
		id := sc.ID(chunkKey(n))
		rev := man.Revs[strconv.Itoa(n)]
		c, hit := x.cache.Get(id)
		if !hit || c.rev != rev {
			var doc chunkDoc
			if err := coll.Get(ctx, id, &doc); err != nil && !errors.Is(err, apperr.ErrNotFound) {
				return mv, false, err
			}
			rows, err := unpackRows(doc.Rows)
			if errors.Is(err, packed.ErrStale) {
				return mv, false, x.markStale(ctx, sc) // the caller scans
			} else if err != nil {
				return mv, false, fmt.Errorf("portfolio index chunk %d: %w", n, err)
			}
			c = cachedChunk{rev: doc.Rev, rows: rows}
			x.cache.Add(id, c)
		}
		chunkRows = append(chunkRows, c.rows...)
	}
	inChunk := make(map[string]bool, len(chunkRows))
	for _, r := range chunkRows {
		inChunk[r.ID] = true
		if r.Status != goneStatus {
			out = append(out, r)
		}
	}
	for _, sid := range man.Segs {
		seg, err := x.segment(ctx, coll, sid)
		if errors.Is(err, packed.ErrStale) {
			return mv, false, x.markStale(ctx, sc)
		} else if err != nil {
			return mv, false, err
		}
		for _, r := range seg {
			if !inChunk[r.ID] {
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	mv = mergedView{key: key, rows: out, search: make([]string, len(out))}
	for i, r := range out {
		mv.search[i] = strings.ToLower(r.Invoice + "\x00" + r.DebtorName + "\x00" + r.Document)
	}
	x.merged.Add(sc.Slug(), mv)
	return mv, true, nil
}

// goneStatus marks the row of an account that no longer exists.
const goneStatus = "\x00gone"

// Rebuild replaces a tenant's index with rows read from its accounts (a
// scan): at start-up for tenants without an index, and by hand.
func (x *Index) Rebuild(ctx context.Context, tenant string) error {
	sc := x.db.Tenant(tenant)
	rows, err := x.scan(ctx, sc)
	if err != nil {
		return err
	}
	chunks := make([][]indexRow, indexChunks)
	for _, r := range rows {
		n := chunkOf(r.ID)
		chunks[n] = append(chunks[n], r)
	}
	coll := sc.C("accountindex")
	var old manifestDoc
	if err := coll.Get(ctx, sc.ID(manifestKey), &old); err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	man := bson.D{{Key: "v", Value: indexVersion}, {Key: "segs", Value: bson.A{}}}
	for n, list := range chunks {
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		b, err := packRows(list)
		if err != nil {
			return err
		}
		id := sc.ID(chunkKey(n))
		var doc chunkDoc
		_ = coll.Get(ctx, id, &doc)
		rev := doc.Rev + 1
		if _, err := coll.Upsert(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "rows", Value: b}, {Key: "n", Value: len(list)}, {Key: "rev", Value: rev}}}}); err != nil {
			return err
		}
		man = append(man, bson.E{Key: "revs." + strconv.Itoa(n), Value: rev})
	}
	if _, err := coll.Upsert(ctx, sc.ID(manifestKey), bson.D{{Key: "$set", Value: man}}); err != nil {
		return err
	}
	for _, sid := range old.Segs { // their rows are in the chunks now
		if err := coll.Delete(ctx, sid); err != nil {
			return err
		}
	}
	return nil
}

func (x *Index) scan(ctx context.Context, sc *store.Scope) ([]indexRow, error) {
	proj := bson.D{}
	for _, f := range indexFields {
		proj = append(proj, bson.E{Key: f, Value: 1})
	}
	var rows []indexRow
	err := sc.C("accounts").Each(ctx, bson.D{}, options.Find().SetProjection(proj), func(raw bson.Raw) error {
		var a accounts.Account
		if err := bson.Unmarshal(raw, &a); err != nil {
			return err
		}
		rows = append(rows, rowOf(a))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("portfolio index scan: %w", err)
	}
	return rows, nil
}

// Backfill builds the index of every tenant that has none (or an older
// version). It runs at start-up, before requests and jobs.
func (x *Index) Backfill(ctx context.Context) error {
	var ts []struct {
		ID string `bson:"_id"`
	}
	if err := x.db.C("tenants").Find(ctx, bson.D{}, &ts, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}})); err != nil {
		return fmt.Errorf("portfolio index backfill: %w", err)
	}
	for _, t := range ts {
		sc := x.db.Tenant(t.ID)
		var man manifestDoc
		err := sc.C("accountindex").Get(ctx, sc.ID(manifestKey), &man)
		if err == nil && man.V >= indexVersion {
			continue
		}
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		start := time.Now()
		if err := x.Rebuild(ctx, t.ID); err != nil {
			return err
		}
		x.log.Info("portfolio index built", "tenant", t.ID, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// Verify compares the index with the accounts (a scan) and rewrites the rows
// that differ from the account as read again by _id, so a write that
// bypassed the store, or a crash between a write and its row, is repaired.
// It returns how many rows it fixed.
func (x *Index) Verify(ctx context.Context, tenant string) (int, error) {
	sc := x.db.Tenant(tenant)
	have, ok, err := x.rows(ctx, sc)
	if err != nil || !ok {
		if err == nil {
			err = x.Rebuild(ctx, tenant)
		}
		return 0, err
	}
	want, err := x.scan(ctx, sc)
	if err != nil {
		return 0, err
	}
	idx := make(map[string]indexRow, len(have))
	for _, r := range have {
		idx[r.ID] = r
	}
	fix := map[string]*indexRow{}
	for _, r := range want {
		if h, ok := idx[r.ID]; !ok || h != r {
			fix[r.ID] = nil // re-read below
		}
		delete(idx, r.ID)
	}
	for id := range idx {
		fix[id] = nil // a row whose account is gone, unless it is back
	}
	for id := range fix {
		var a accounts.Account
		err := sc.C("accounts").Get(ctx, id, &a)
		switch {
		case err == nil:
			r := rowOf(a)
			fix[id] = &r
		case !errors.Is(err, apperr.ErrNotFound):
			return 0, err
		}
	}
	if len(fix) == 0 {
		return 0, nil
	}
	if err := x.put(ctx, sc, fix); err != nil {
		return 0, err
	}
	x.log.Warn("portfolio index repaired", "tenant", tenant, "rows", len(fix))
	return len(fix), nil
}

// list serves Filter from the index: the same matches, order and cursor as
// the scan it replaces. The view is in _id order, so a page starts at the
// cursor (binary search) and stops at the limit. ok is false when the
// tenant has no index.
// List serves accounts.Service.List from the index: the same matches,
// order and cursor as the scan it replaces. ok is false when the tenant has
// no index yet (the caller scans).
func (x *Index) List(ctx context.Context, sc *store.Scope, tenant string, q accounts.ListQuery) (accounts.Page, bool, error) {
	v, ok, err := x.view(ctx, sc)
	if err != nil || !ok {
		return accounts.Page{}, ok, err
	}
	needle := strings.ToLower(q.Text)
	p := accounts.Page{Items: []accounts.Account{}}
	start := 0
	if q.Cursor != "" {
		start = sort.Search(len(v.rows), func(i int) bool { return v.rows[i].ID > q.Cursor })
	}
	var last string
	for i := start; i < len(v.rows); i++ {
		r := v.rows[i]
		switch {
		case q.Collector != nil && r.CollectorID != *q.Collector,
			q.Status != "" && r.Status != q.Status,
			q.Debtor != "" && r.DebtorID != q.Debtor,
			q.HasDue && (r.Due < q.DueFrom || r.Due > q.DueTo),
			needle != "" && !strings.Contains(v.search[i], needle):
			continue
		}
		if len(p.Items) == q.Limit {
			p.Next = sc.Key(last)
			break
		}
		p.Items = append(p.Items, r.account(tenant))
		last = r.ID
	}
	return p, true, nil
}
