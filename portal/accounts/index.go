package accounts

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/apperr"
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

// indexChunks is the number of chunk documents per tenant: an import batch
// rewrites each at most once, and a chunk stays small up to about a million
// accounts.
const indexChunks = 64

// indexVersion is bumped when indexRow changes; older indexes are rebuilt
// at start-up.
const indexVersion = 1

// indexFields are the account fields the rows hold.
var indexFields = []string{"invoice", "debtorId", "document", "debtorName", "dueDate", "original", "balance", "currency", "status", "collectorId", "segment"}

// indexRow is one account as the list shows it.
type indexRow struct {
	ID, Invoice, DebtorID, Document, DebtorName string
	Due                                         int64 // dueDate, Unix seconds
	Original, Balance                           int64
	Currency, Status, CollectorID, Segment      string
}

func rowOf(a Account) indexRow {
	return indexRow{ID: a.ID, Invoice: a.Invoice, DebtorID: a.DebtorID, Document: a.Document, DebtorName: a.DebtorName,
		Due: a.DueDate.Unix(), Original: a.Original, Balance: a.Balance, Currency: a.Currency, Status: a.Status,
		CollectorID: a.CollectorID, Segment: a.Segment}
}

func (r indexRow) account(tenant string) Account {
	return Account{ID: r.ID, TenantID: tenant, Invoice: r.Invoice, DebtorID: r.DebtorID, Document: r.Document, DebtorName: r.DebtorName,
		DueDate: time.Unix(r.Due, 0).UTC(), Original: r.Original, Balance: r.Balance, Currency: r.Currency, Status: r.Status,
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
	Rows []byte `bson:"rows"` // gob of []indexRow, gzip
	N    int    `bson:"n"`
	Rev  int64  `bson:"rev"`
}

// manifestDoc holds each chunk's revision.
type manifestDoc struct {
	ID   string           `bson:"_id"`
	Revs map[string]int64 `bson:"revs"`
	V    int              `bson:"v"`
	Rev  int64            `bson:"rev"`
}

func packRows(rows []indexRow) ([]byte, error) {
	var b bytes.Buffer
	z, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err := gob.NewEncoder(z).Encode(rows); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func unpackRows(b []byte) ([]indexRow, error) {
	if len(b) == 0 {
		return nil, nil
	}
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var rows []indexRow
	if err := gob.NewDecoder(z).Decode(&rows); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return rows, nil
}

// Index is the portfolio index of every tenant (one per process).
type Index struct {
	db    *store.DB
	log   *slog.Logger
	mu    sync.Mutex
	cache map[string]cachedChunk // chunk _id → decoded rows at a revision
}

type cachedChunk struct {
	rev  int64
	rows []indexRow
}

// NewIndex returns the index; Watch starts keeping it.
func NewIndex(db *store.DB, log *slog.Logger) *Index {
	return &Index{db: db, log: log, cache: map[string]cachedChunk{}}
}

// Watch keeps the rows current on every account write.
func (x *Index) Watch() { x.db.Watch("accounts.index", "accounts", indexFields, x.observe) }

func (x *Index) observe(ctx context.Context, changes []store.Change) {
	ctx = context.WithoutCancel(ctx)
	by := map[string]map[string]*indexRow{} // tenant → id → row (nil: gone)
	for _, ch := range changes {
		if ch.Tenant == "" || ch.ID == "" {
			continue
		}
		var row *indexRow
		if ch.After != nil {
			var a Account
			if err := bson.Unmarshal(ch.After, &a); err != nil {
				x.log.Error("portfolio index: decode", "err", err)
				continue
			}
			r := rowOf(a)
			row = &r
		}
		if by[ch.Tenant] == nil {
			by[ch.Tenant] = map[string]*indexRow{}
		}
		by[ch.Tenant][ch.ID] = row
	}
	for tenant, rows := range by {
		if err := x.put(ctx, x.db.Tenant(tenant), rows); err != nil {
			x.log.Error("portfolio index left behind; the daily check repairs it", "tenant", tenant, "err", err)
		}
	}
}

// put writes rows (nil removes) into their chunks, one compare-and-set per
// chunk, then records the chunks' new revisions in the manifest.
func (x *Index) put(ctx context.Context, sc *store.Scope, rows map[string]*indexRow) error {
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
	for n, upd := range byChunk {
		id := sc.ID(chunkKey(n))
		var rev int64
		for attempt := 0; ; attempt++ {
			var doc chunkDoc
			err := coll.Mutate(ctx, id, &doc, func() (bson.D, error) {
				cur, err := unpackRows(doc.Rows)
				if err != nil {
					return nil, err
				}
				m := make(map[string]indexRow, len(cur)+len(upd))
				for _, r := range cur {
					m[r.ID] = r
				}
				for id, r := range upd {
					if r == nil {
						delete(m, id)
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
				if err != nil {
					return nil, err
				}
				rev = doc.Rev + 1
				return bson.D{{Key: "$set", Value: bson.D{{Key: "rows", Value: b}, {Key: "n", Value: len(out)}}}}, nil
			})
			if err == nil {
				break
			}
			if !errors.Is(err, apperr.ErrNotFound) || attempt > 0 {
				return fmt.Errorf("portfolio index chunk %d: %w", n, err)
			}
			if _, err := coll.Upsert(ctx, id, bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "n", Value: 0}, {Key: "rev", Value: int64(0)}}}}); err != nil {
				return err
			}
		}
		revs = append(revs, bson.E{Key: "revs." + strconv.Itoa(n), Value: rev})
	}
	// $max: a slower writer never moves a chunk's revision back. A manifest
	// born here belongs to a tenant created after start-up (older ones were
	// backfilled before any write), so its index is complete.
	_, err := coll.Upsert(ctx, sc.ID(manifestKey), bson.D{{Key: "$max", Value: revs}, {Key: "$setOnInsert", Value: bson.D{{Key: "v", Value: indexVersion}}}})
	return err
}

// rows returns every row of a tenant's index, or ok false when the tenant
// has no index yet (the caller scans).
func (x *Index) rows(ctx context.Context, sc *store.Scope) (out []indexRow, ok bool, err error) {
	coll := sc.C("accountindex")
	var man manifestDoc
	if err := coll.Get(ctx, sc.ID(manifestKey), &man); errors.Is(err, apperr.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	if man.V < indexVersion {
		return nil, false, nil
	}
	for n := 0; n < indexChunks; n++ {
		id := sc.ID(chunkKey(n))
		rev := man.Revs[strconv.Itoa(n)]
		x.mu.Lock()
		c, hit := x.cache[id]
		x.mu.Unlock()
		if !hit || c.rev != rev {
			var doc chunkDoc
			if err := coll.Get(ctx, id, &doc); err != nil && !errors.Is(err, apperr.ErrNotFound) {
				return nil, false, err
			}
			rows, err := unpackRows(doc.Rows)
			if err != nil {
				return nil, false, fmt.Errorf("portfolio index chunk %d: %w", n, err)
			}
			c = cachedChunk{rev: doc.Rev, rows: rows}
			x.mu.Lock()
			x.cache[id] = c
			x.mu.Unlock()
		}
		out = append(out, c.rows...)
	}
	return out, true, nil
}

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
	man := bson.D{{Key: "v", Value: indexVersion}}
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
	_, err = coll.Upsert(ctx, sc.ID(manifestKey), bson.D{{Key: "$set", Value: man}})
	return err
}

func (x *Index) scan(ctx context.Context, sc *store.Scope) ([]indexRow, error) {
	proj := bson.D{}
	for _, f := range indexFields {
		proj = append(proj, bson.E{Key: f, Value: 1})
	}
	var rows []indexRow
	err := sc.C("accounts").Each(ctx, bson.D{}, options.Find().SetProjection(proj), func(raw bson.Raw) error {
		var a Account
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
		var a Account
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
// the scan it replaces. ok is false when the tenant has no index.
func (x *Index) list(ctx context.Context, sc *store.Scope, tenant string, q listQuery) (Page, bool, error) {
	rows, ok, err := x.rows(ctx, sc)
	if err != nil || !ok {
		return Page{}, ok, err
	}
	needle := strings.ToLower(q.text)
	var hits []indexRow
	for _, r := range rows {
		switch {
		case q.collector != nil && r.CollectorID != *q.collector,
			q.status != "" && r.Status != q.status,
			q.debtor != "" && r.DebtorID != q.debtor,
			q.hasDue && (r.Due < q.dueFrom || r.Due > q.dueTo),
			q.cursor != "" && r.ID <= q.cursor:
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(r.Invoice), needle) &&
			!strings.Contains(strings.ToLower(r.DebtorName), needle) && !strings.Contains(strings.ToLower(r.Document), needle) {
			continue
		}
		hits = append(hits, r)
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].ID < hits[j].ID })
	p := Page{Items: []Account{}}
	for i, r := range hits {
		if i == q.limit {
			p.Next = sc.Key(hits[i-1].ID)
			break
		}
		p.Items = append(p.Items, r.account(tenant))
	}
	return p, true, nil
}

// listQuery is a validated Filter.
type listQuery struct {
	collector      *string // nil: any; "": unassigned
	status, debtor string
	text           string
	hasDue         bool
	dueFrom, dueTo int64
	cursor         string
	limit          int
}
