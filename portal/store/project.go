package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Projections: read models kept off the request path.
//
// A write to a watched collection records its change (the document before
// and after) in the journal collection "changes", numbered, while it still
// holds the write lock, and returns. One consumer per DB takes the journal
// in order, in batches, coalesces the changes of one document (first
// before, last after: the images chain under the lock), and hands each
// projection its share. So a payment costs its own writes plus one journal
// insert, and a hundred payments cost the counters one write per document
// touched, not a hundred.
//
// Exactly once, across a crash. Before applying a batch the consumer writes
// its range to the checkpoint ("in flight"); after, it marks it applied and
// drops those journal entries. A restart loads what the journal still holds
// and replays the in-flight batch with the same range and the same Batch.Seq
// first, so a projection that is not idempotent (counters) guards each of
// its documents by the last Batch.Seq it applied; idempotent ones (rows set
// from after-images) need nothing.
//
// Reading one's own writes. A projection read calls Settle with the keys it
// depends on; it waits until the changes recorded before the call with
// those keys are applied:
//
//   - a tenant's key (TenantKey: the account list, the reports): the changes
//     of the person reading (WithWriter, set per request), or of everyone
//     when the context names nobody (jobs, services called directly). A
//     client reading the dashboard while debtors pay does not wait for
//     them; it sees their payments one batch later;
//   - any other key (a debtor's statement): every change with it, whoever
//     wrote it, so a debtor back from paying sees the payment the webhook
//     recorded.

// Projection is a read model kept from a collection's changes.
type Projection struct {
	Name string
	// Sources maps each collection it is kept from to the fields it reads;
	// an update touching none of them is not a change for it (nil fields:
	// every update is).
	Sources map[string][]string
	// Apply brings the model up to date with one batch. An error is retried
	// (so Apply must be safe to run again on the same batch), then logged.
	Apply func(ctx context.Context, b Batch) error
	// Keys returns the read-barrier keys of a change besides its tenant's
	// (TenantKey), e.g. the debtor whose statement it moves.
	Keys func(Change) []string
	// Guarded marks a projection that adds rather than sets (counters): a
	// batch it takes part in is marked in flight first, so a replay after a
	// crash has the same range and Batch.Seq. A batch only idempotent
	// projections take costs no checkpoint write.
	Guarded bool
	// Skips, when set, names changes the projection would ignore (a tenant
	// in a bulk load): they are not handed to it, nor make a batch guarded.
	Skips func(Change) bool
}

// Batch is a run of changes applied together. Seq names it: the number of
// its last change, the same when a crashed batch is replayed.
type Batch struct {
	Seq     int64
	Changes []Change
}

// TenantKey is the read-barrier key every change of a tenant carries.
func TenantKey(tenant string) string { return "t/" + tenant }

const (
	journalColl    = "changes"
	checkpointColl = "meta"
	// maxBatch bounds one batch (memory and the size of its writes).
	maxBatch = 2000
	// backlogLimit makes writers wait (outside the write lock) while the
	// consumer is this far behind, so memory stays bounded during imports.
	backlogLimit  = 20_000
	applyAttempts = 4
	trimEvery     = 5000
	trimIdle      = 5 * time.Second
)

// projector is the DB's consumer of the journal.
type projector struct {
	db       *DB
	instance string // names this process's journal and checkpoint

	mu        sync.Mutex
	list      []Projection
	pending   []*entry
	next      int64     // number of the next change
	applied   int64     // every change up to this is applied
	inflight  int64     // a replayed batch must end exactly here (0: none)
	untrimmed int       // entries applied since the journal was last trimmed
	lastTrim  time.Time // when it was
	lastKey   map[string]int64
	wake      chan struct{} // closed when pending grows
	moved     chan struct{} // closed when applied moves
	started   bool
	stopping  bool
	done      chan struct{}
	// crashAfterApply (tests) ends the consumer after its next batch is
	// applied and before it is recorded, as a killed process would.
	crashAfterApply bool
	killed          bool // (tests) stopped as by SIGKILL: Close records nothing
	killAfterWrite  func()
	held            chan struct{} // non-nil: the consumer waits before its next batch
	// bulk holds the tenants in a bulk load (BulkLoad): their changes are
	// not journaled.
	bulk map[string]int
	// journal lists the journal documents this process knows of (written
	// or loaded), so a trim deletes them by _id: a delete by number scans
	// and decodes the whole journal on the embedded server.
	journal []journalRef
}

// journalRef is a journal document: its _id and the number a trim goes by.
type journalRef struct {
	id  string
	seq int64
}

// entry is one recorded change and the projections it is for.
type entry struct {
	seq       int64
	ch        Change
	names     []string
	ready     bool // its write returned (or failed: void)
	void      bool // the write failed: no change
	journaled bool // false: a bulk load's, kept in memory only
}

type journalDoc struct {
	ID     string `bson:"_id"`
	Inst   string `bson:"o"`
	Seq    int64  `bson:"n"`
	Coll   string `bson:"c"`
	Tenant string `bson:"t"`
	DocID  string `bson:"i"`
	// Before is the document before the write (nil: an insert). The after
	// image is not stored: it is the next entry's before for the same
	// document (writes of one document chain under its lock), or the
	// document as it is now for the last one (see load).
	Before bson.Raw `bson:"b,omitempty"`
	Names  []string `bson:"p"`
	// Void, on an entry of its own, lists entries whose write failed.
	Void []int64 `bson:"v,omitempty"`
	// Entries, on the document of a write to many documents, are its
	// changes (each with its own number; Seq is the last one's, so a trim
	// takes the document only once all are applied, and Names is theirs).
	// An import batch of 1,000 accounts was 1,000 journal documents, each
	// inserted, then found by a trim's scan and deleted: a fifth of the
	// import's time. They are one binary value (journalEntries as BSON):
	// FerretDB converts a binary as one value, an array of 1,000
	// documents field by field on every insert and delete.
	Entries []byte `bson:"e,omitempty"`
}

// journalEntries is the binary Entries of a journal document.
type journalEntries struct {
	E []journalEntry `bson:"e"`
}

// journalEntry is one change of a journal document of many.
type journalEntry struct {
	Seq    int64    `bson:"n"`
	Coll   string   `bson:"c"`
	Tenant string   `bson:"t"`
	DocID  string   `bson:"i"`
	Before bson.Raw `bson:"b,omitempty"`
}

// journalDocBytes bounds the before images one journal document of many
// carries (a document is at most 16 MB).
const journalDocBytes = 4 << 20

// journalDocs is the journal documents of entries (of one write): one
// entry alone as it always was, several grouped.
func (p *projector) journalDocs(names []string, es []*entry) ([]any, error) {
	if len(es) == 1 {
		e := es[0]
		return []any{journalDoc{ID: p.journalID(e.seq), Inst: p.instance, Seq: e.seq, Coll: e.ch.Coll, Tenant: e.ch.Tenant, DocID: e.ch.ID,
			Before: e.ch.Before, Names: names}}, nil
	}
	var docs []any
	var group []journalEntry
	size := 0
	flush := func() error {
		last := group[len(group)-1].Seq
		b, err := bson.Marshal(journalEntries{E: group})
		if err != nil {
			return fmt.Errorf("journal entries: %w", err)
		}
		docs = append(docs, journalDoc{ID: p.journalID(last), Inst: p.instance, Seq: last, Names: names, Entries: b})
		group, size = nil, 0
		return nil
	}
	for _, e := range es {
		group = append(group, journalEntry{Seq: e.seq, Coll: e.ch.Coll, Tenant: e.ch.Tenant, DocID: e.ch.ID, Before: e.ch.Before})
		if size += len(e.ch.Before) + len(e.ch.ID) + 32; size >= journalDocBytes {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if len(group) > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// flatten turns journal documents of many entries into one per entry.
func flatten(docs []journalDoc) ([]journalDoc, error) {
	out := make([]journalDoc, 0, len(docs))
	for _, j := range docs {
		if len(j.Entries) == 0 {
			out = append(out, j)
			continue
		}
		var es journalEntries
		if err := bson.Unmarshal(j.Entries, &es); err != nil {
			return nil, fmt.Errorf("journal document %s: %w", j.ID, err)
		}
		for _, e := range es.E {
			out = append(out, journalDoc{ID: j.ID, Inst: j.Inst, Seq: e.Seq, Coll: e.Coll, Tenant: e.Tenant, DocID: e.DocID, Before: e.Before, Names: j.Names})
		}
	}
	return out, nil
}

type checkpointDoc struct {
	Applied  int64 `bson:"applied"`
	Inflight int64 `bson:"inflight"`
}

func newProjector(d *DB) *projector {
	inst := "local"
	if d.embedded == nil { // MongoDB proper: one journal per replica
		if h, err := os.Hostname(); err == nil && h != "" {
			inst = h
		}
		if v := os.Getenv("PORTAL_INSTANCE"); v != "" {
			inst = v
		}
	}
	return &projector{db: d, instance: inst, lastKey: map[string]int64{}, wake: make(chan struct{}), moved: make(chan struct{})}
}

func (p *projector) journalID(seq int64) string { return fmt.Sprintf("%s:%019d", p.instance, seq) }
func (p *projector) checkpointID() string       { return "projector:" + p.instance }

// load reads the checkpoint and what the journal still holds (at Open,
// before any write): those changes go first in the queue.
func (p *projector) load(ctx context.Context) error {
	var cp checkpointDoc
	err := p.db.db.Collection(checkpointColl).FindOne(ctx, bson.D{{Key: "_id", Value: p.checkpointID()}}).Decode(&cp)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("projections: read checkpoint: %w", err)
	}
	cur, err := p.db.db.Collection(journalColl).Find(ctx, bson.D{{Key: "o", Value: p.instance}})
	if err != nil {
		return fmt.Errorf("projections: read journal: %w", err)
	}
	var docs []journalDoc
	if err := cur.All(ctx, &docs); err != nil {
		return fmt.Errorf("projections: read journal: %w", err)
	}
	for _, j := range docs {
		p.journal = append(p.journal, journalRef{id: j.ID, seq: j.Seq})
	}
	if docs, err = flatten(docs); err != nil {
		return fmt.Errorf("projections: read journal: %w", err)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].Seq < docs[j].Seq })
	// Numbers go on from the highest ever taken: the in-flight batch's
	// entries may be trimmed already (a batch stays "in flight" until the
	// next), and a number taken twice would be skipped by the guards of
	// projections that add (they keep the last Batch.Seq they took).
	p.applied, p.next = cp.Applied, max(cp.Applied, cp.Inflight)+1
	type docRef struct{ coll, id string }
	void := map[int64]bool{}
	for _, j := range docs {
		for _, n := range j.Void {
			void[n] = true
		}
	}
	var keep []journalDoc
	for _, j := range docs {
		if j.Seq >= p.next {
			p.next = j.Seq + 1
		}
		// At or below the checkpoint: applied (the crash came before the
		// entries were dropped).
		if j.Seq > cp.Applied && j.Void == nil && !void[j.Seq] {
			keep = append(keep, j)
		}
	}
	// After images: the next entry's before, or the document now.
	afters := make([]bson.Raw, len(keep))
	seen := map[docRef]bson.Raw{}
	for i := len(keep) - 1; i >= 0; i-- {
		j := keep[i]
		ref := docRef{j.Coll, j.DocID}
		if b, ok := seen[ref]; ok {
			afters[i] = b
		} else {
			var now bson.Raw
			err := p.db.db.Collection(j.Coll).FindOne(ctx, bson.D{{Key: "_id", Value: j.DocID}}).Decode(&now)
			if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
				return fmt.Errorf("projections: read %s %s: %w", j.Coll, j.DocID, err)
			}
			afters[i] = now
		}
		seen[ref] = j.Before
	}
	for i, j := range keep {
		ch := changeOf(j.Coll, j.Before, afters[i])
		if ch.ID == "" {
			ch.ID = j.DocID
		}
		if ch.Tenant == "" {
			ch.Tenant = j.Tenant
		}
		p.pending = append(p.pending, &entry{seq: j.Seq, names: j.Names, ready: true, journaled: true, ch: ch})
	}
	// Below the first entry left, everything is applied (trimmed entries
	// were; void ones change nothing).
	if len(keep) > 0 {
		p.applied = keep[0].Seq - 1
	} else {
		p.applied = p.next - 1
	}
	if cp.Inflight > p.applied {
		p.inflight = cp.Inflight
	}
	if len(p.pending) > 0 {
		p.db.log.Info("projections: replaying changes not yet applied", "changes", len(p.pending), "inflight", p.inflight)
	}
	return nil
}

// register adds a projection.
func (p *projector) register(pr Projection) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, old := range p.list {
		if old.Name == pr.Name {
			p.list[i] = pr
			return
		}
	}
	p.list = append(p.list, pr)
}

// interested returns the projections of coll an update concerns (nil update:
// insert or delete, which concerns all).
func (p *projector) interested(coll string, update any) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var paths []string
	if update != nil {
		paths = updatedPaths(update)
	}
	var names []string
	for _, pr := range p.list {
		fields, ok := pr.Sources[coll]
		if ok && (update == nil || touches(paths, fields)) {
			names = append(names, pr.Name)
		}
	}
	return names
}

// intend journals changes about to be written, before the write: each
// with its document's before image (nil for an insert). No after image is
// stored: at replay it is the next entry's before for the same document,
// or the document as it is then. So a crash between the journal write and
// the write replays as no change, and a crash after the write as the
// write: nothing written escapes the projections. Numbers are taken and
// the entries queued in one step, so the queue is in number order; the
// consumer takes an entry only once done or void marks it.
func (p *projector) intend(ctx context.Context, names []string, changes []Change) []*entry {
	if len(names) == 0 || len(changes) == 0 {
		return nil
	}
	p.mu.Lock()
	es := make([]*entry, len(changes))
	journaled := make([]*entry, 0, len(changes))
	for i, ch := range changes {
		es[i] = &entry{seq: p.next, ch: ch, names: names}
		p.next++
		p.pending = append(p.pending, es[i])
		if p.bulk[ch.Tenant] > 0 {
			continue
		}
		es[i].journaled = true
		journaled = append(journaled, es[i])
	}
	p.startLocked() // the first change starts the consumer (if nobody did)
	p.mu.Unlock()
	if len(journaled) == 0 {
		return es
	}
	// Built unlocked: the entries do not change until their write returns.
	docs, err := p.journalDocs(names, journaled)
	if err != nil {
		// As a failed journal write below: the queue still has the changes.
		p.db.log.Error("projections: journal write failed", "coll", changes[0].Coll, "err", err)
		return es
	}
	p.mu.Lock()
	for _, d := range docs {
		j := d.(journalDoc)
		p.journal = append(p.journal, journalRef{id: j.ID, seq: j.Seq})
	}
	p.mu.Unlock()
	coll := p.db.db.Collection(journalColl)
	if len(docs) == 1 {
		var raw bson.Raw
		if raw, err = bson.Marshal(docs[0]); err == nil {
			err = p.db.insertOne(context.WithoutCancel(ctx), coll, raw)
		}
	} else {
		_, err = coll.InsertMany(context.WithoutCancel(ctx), docs)
	}
	if err != nil {
		// The queue still has the change: only a crash before the consumer
		// applies it would lose it (then the repair jobs restore it).
		p.db.log.Error("projections: journal write failed", "coll", changes[0].Coll, "err", err)
	}
	return es
}

// written marks intended entries written: afters are their after images
// (nil: keep the ones they carry, as inserts do), and their read barriers
// are set from the change as written.
func (p *projector) written(ctx context.Context, es []*entry, afters []bson.Raw) {
	if len(es) == 0 {
		return
	}
	w := writerOf(ctx)
	p.mu.Lock()
	for i, e := range es {
		if afters != nil {
			e.ch.After = afters[i]
			if c := changeOf(e.ch.Coll, e.ch.Before, e.ch.After); c.ID != "" {
				e.ch.ID, e.ch.Tenant = c.ID, c.Tenant
			}
		}
		for _, k := range p.keysOf(e.ch, e.names) {
			p.lastKey[k] = max(p.lastKey[k], e.seq)
			if b := barrier(w, k); b != k { // the writer's own barrier on a tenant key
				p.lastKey[b] = max(p.lastKey[b], e.seq)
			}
		}
		e.ready = true
	}
	p.wakeLocked()
	p.mu.Unlock()
}

// wakeLocked wakes the consumer and whoever waits for a new change. p.mu
// is held.
func (p *projector) wakeLocked() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// void marks intended entries not written (the write failed); the consumer
// passes over them. With drop the journal learns it too, in one small
// entry listing their numbers: they are inserts that failed (duplicates),
// which a replay would otherwise take for the creation of the documents
// already there. A process killed between the failed insert and that entry
// would count those documents again until the daily repair of the
// counters: one round trip wide, and only for re-imported rows.
func (p *projector) void(ctx context.Context, es []*entry, drop bool) {
	if len(es) == 0 {
		return
	}
	var seqs []int64
	for _, e := range es {
		if drop && e.journaled {
			seqs = append(seqs, e.seq)
		}
	}
	if len(seqs) > 0 {
		last := seqs[len(seqs)-1]
		doc := journalDoc{ID: p.instance + ":v:" + fmt.Sprintf("%019d", last), Inst: p.instance, Seq: last, Void: seqs}
		p.mu.Lock()
		p.journal = append(p.journal, journalRef{id: doc.ID, seq: doc.Seq})
		p.mu.Unlock()
		if _, err := p.db.db.Collection(journalColl).InsertOne(context.WithoutCancel(ctx), doc); err != nil {
			p.db.log.Error("projections: journal the failed inserts", "err", err)
		}
	}
	p.mu.Lock()
	for _, e := range es {
		e.void, e.ready = true, true
	}
	p.wakeLocked()
	p.mu.Unlock()
}

// keysOf lists a change's read-barrier keys. p.mu is held.
func (p *projector) keysOf(ch Change, names []string) []string {
	keys := []string{TenantKey(ch.Tenant)}
	for _, pr := range p.list {
		if pr.Keys != nil && slices.Contains(names, pr.Name) {
			keys = append(keys, pr.Keys(ch)...)
		}
	}
	return keys
}

type writerCtxKey struct{}

// WithWriter names the person on whose behalf ctx writes and reads (a user
// or debtor id), for Settle's rule on tenant keys.
func WithWriter(ctx context.Context, who string) context.Context {
	if who == "" {
		return ctx
	}
	return context.WithValue(ctx, writerCtxKey{}, who)
}

func writerOf(ctx context.Context) string {
	w, _ := ctx.Value(writerCtxKey{}).(string)
	return w
}

// barrier is the lastKey entry Settle reads for key: tenant keys are kept
// per writer too.
func barrier(writer, key string) string {
	if writer != "" && strings.HasPrefix(key, "t/") {
		return writer + "|" + key
	}
	return key
}

// throttle makes a writer wait while the backlog is too long.
func (p *projector) throttle(ctx context.Context) {
	for {
		p.mu.Lock()
		n, moved, running := len(p.pending), p.moved, p.started && !p.stopping
		p.mu.Unlock()
		if n < backlogLimit || !running {
			return
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return
		}
	}
}

type projectorCtxKey struct{}

// settle waits until every change carrying one of keys, recorded before the
// call, is applied. The consumer's own reads never wait (they would wait
// for themselves).
func (p *projector) settle(ctx context.Context, keys ...string) error {
	if ctx.Value(projectorCtxKey{}) != nil {
		return nil
	}
	w := writerOf(ctx)
	p.mu.Lock()
	var target int64
	for _, k := range keys {
		if s := p.lastKey[barrier(w, k)]; s > target {
			target = s
		}
	}
	if target <= p.applied {
		p.mu.Unlock()
		return nil
	}
	p.startLocked()
	p.mu.Unlock()
	return p.waitApplied(ctx, target, "waiting for own writes")
}

// waitApplied waits until every change up to target is applied (or the
// consumer stops).
func (p *projector) waitApplied(ctx context.Context, target int64, what string) error {
	for {
		p.mu.Lock()
		applied, moved, stopped := p.applied, p.moved, p.stopping
		p.mu.Unlock()
		if applied >= target || stopped {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return fmt.Errorf("projections: %s: %w", what, ctx.Err())
		}
	}
}

// start runs the consumer (once).
func (p *projector) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startLocked()
}

func (p *projector) startLocked() {
	if p.started || p.stopping {
		return
	}
	p.started = true
	p.done = make(chan struct{})
	go p.run()
}

// stop ends the consumer; with drain it first applies what is queued
// (bounded by ctx). Whatever is left stays in the journal for the next start.
func (p *projector) stop(ctx context.Context, drain bool) {
	p.mu.Lock()
	if p.killed {
		p.mu.Unlock()
		return
	}
	last, started, done := p.next-1, p.started, p.done
	p.mu.Unlock()
	for drain && started {
		p.mu.Lock()
		applied, moved := p.applied, p.moved
		p.mu.Unlock()
		if applied >= last {
			break
		}
		select {
		case <-moved:
			continue
		case <-done: // the consumer is gone (a simulated crash)
		case <-ctx.Done():
		}
		break
	}
	p.mu.Lock()
	p.stopping = true
	p.wakeLocked()
	applied, untrimmed := p.applied, p.untrimmed
	p.mu.Unlock()
	if started {
		<-done
	}
	if drain && applied > 0 { // a clean stop: nothing in flight
		p.checkpoint(ctx, applied, 0)
		if untrimmed > 0 {
			p.trim(ctx, applied)
		}
	}
}

// checkpoint records that every change up to applied is applied, and the
// batch ending at inflight (0: none) is being applied.
func (p *projector) checkpoint(ctx context.Context, applied, inflight int64) {
	err := p.db.lockDoc(checkpointColl, p.checkpointID(), func() error {
		_, err := p.db.db.Collection(checkpointColl).UpdateOne(ctx, bson.D{{Key: "_id", Value: p.checkpointID()}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "applied", Value: applied}, {Key: "inflight", Value: inflight}}}}, options.Update().SetUpsert(true))
		return err
	})
	if err != nil {
		p.db.log.Error("projections: checkpoint", "err", err)
	}
}

// readyLocked is how many queued entries, from the front, are journaled.
func (p *projector) readyLocked() int {
	n := 0
	for n < len(p.pending) && p.pending[n].ready {
		n++
	}
	return n
}

func (p *projector) run() {
	defer close(p.done)
	ctx := context.WithValue(context.Background(), projectorCtxKey{}, true)
	for {
		p.mu.Lock()
		for p.readyLocked() == 0 && !p.stopping {
			wake := p.wake
			p.mu.Unlock()
			<-wake
			p.mu.Lock()
		}
		if p.stopping {
			p.mu.Unlock()
			return
		}
		if h := p.held; h != nil {
			wake := p.wake // closed by new changes and by a stop
			p.mu.Unlock()
			select {
			case <-h:
			case <-wake:
			}
			continue
		}
		n := min(p.readyLocked(), maxBatch)
		if p.inflight > 0 { // a replay: exactly the crashed batch
			if m := sort.Search(n, func(i int) bool { return p.pending[i].seq > p.inflight }); m > 0 {
				n = m
			}
			p.inflight = 0
		}
		batch := append([]*entry(nil), p.pending[:n]...)
		list := append([]Projection(nil), p.list...)
		p.mu.Unlock()

		last := batch[len(batch)-1].seq
		if !p.applyBatch(ctx, list, batch, last) {
			return
		}

		p.mu.Lock()
		// Cleared first: the queue's array would keep the applied entries
		// (and their images) alive until append next moves it.
		clear(p.pending[:n])
		p.pending = p.pending[n:]
		p.applied = last
		p.untrimmed += n
		// Trim when many are applied, or when idle and the last trim is a
		// while ago (a trim per batch would double the writes of a quiet
		// portal); Close trims what is left.
		trim := p.untrimmed >= trimEvery || (p.readyLocked() == 0 && time.Since(p.lastTrim) > trimIdle)
		if trim {
			p.untrimmed, p.lastTrim = 0, time.Now()
		}
		if len(p.lastKey) > 50_000 {
			for k, s := range p.lastKey {
				if s <= last {
					delete(p.lastKey, k)
				}
			}
		}
		close(p.moved)
		p.moved = make(chan struct{})
		p.mu.Unlock()
		if trim {
			// Nothing is in flight between batches: record everything up to
			// last applied, then drop it (the checkpoint stays current even
			// when no guarded batch has written it for a while).
			p.checkpoint(ctx, last, 0)
			p.trim(ctx, last)
		}
	}
}

// trim drops the applied entries from the journal. The delete scans the
// journal (it is filtered by number, which the embedded server does not
// index), so it runs when the queue empties or every trimEvery entries,
// not after every batch.
func (p *projector) trim(ctx context.Context, upTo int64) {
	p.mu.Lock()
	var drop []string
	keep := p.journal[:0]
	for _, r := range p.journal {
		if r.seq <= upTo {
			drop = append(drop, r.id)
		} else {
			keep = append(keep, r)
		}
	}
	clear(p.journal[len(keep):])
	p.journal = keep
	left := len(keep)
	p.mu.Unlock()
	coll := p.db.db.Collection(journalColl)
	// Journal entries are only ever inserted and deleted: no document lock.
	err := p.db.lockInsert(func() error {
		if len(drop) > trimByID || (len(drop) >= trimScanMin && left <= 4*len(drop)) {
			// One scan of the journal is cheaper than a delete each when
			// many go (a journal loaded at start-up), or when most of what
			// it reads goes (after a busy few seconds of payments: ~200
			// deletes were ~200 commits, and held the next batch back).
			_, err := coll.DeleteMany(ctx, bson.D{{Key: "o", Value: p.instance}, {Key: "n", Value: bson.D{{Key: "$lte", Value: upTo}}}})
			return err
		}
		for _, id := range drop {
			if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		p.db.log.Error("projections: trim journal", "err", err)
	}
}

// trimByID is how many journal documents a trim deletes one by one (by
// _id, an index look-up each) before it deletes by number instead.
const trimByID = 256

// trimScanMin is the fewest entries a trim deletes with one scan when the
// journal holds at most four times as many others.
const trimScanMin = 8

// applyBatch marks the batch in flight, hands each projection its
// coalesced changes, then marks it applied and drops its journal entries.
func (p *projector) applyBatch(ctx context.Context, list []Projection, batch []*entry, last int64) (survived bool) {
	// One checkpoint write a guarded batch: the previous batch applied, this
	// one in flight. The last batch before a pause stays "in flight" until
	// the next one: replaying it (same range, same Seq) changes nothing.
	shares := make([][]Change, len(list))
	guarded := false
	for i, pr := range list {
		shares[i] = coalesce(batch, pr.Name)
		if pr.Skips != nil {
			shares[i] = slices.DeleteFunc(shares[i], pr.Skips)
		}
		guarded = guarded || (pr.Guarded && len(shares[i]) > 0)
	}
	if guarded {
		p.mu.Lock()
		prev := p.applied
		p.mu.Unlock()
		p.checkpoint(ctx, prev, last)
	}
	// The projections keep different documents: they run side by side.
	var wg sync.WaitGroup
	for i, pr := range list {
		changes := shares[i]
		if len(changes) == 0 {
			continue
		}
		wg.Go(func() {
			b := Batch{Seq: last, Changes: changes}
			var err error
			for attempt := 0; attempt < applyAttempts; attempt++ {
				if err = pr.Apply(ctx, b); err == nil {
					return
				}
				time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
			}
			p.db.log.Error("projection left behind; the repair job fixes it", "projection", pr.Name, "batch", last, "changes", len(changes), "err", err)
		})
	}
	wg.Wait()
	p.mu.Lock()
	crash := p.crashAfterApply
	p.mu.Unlock()
	return !crash
}

// coalesce returns the batch's changes for one projection, one per
// document: the first before and the last after, in order of first write.
// A document created and deleted within the batch drops out.
func coalesce(batch []*entry, name string) []Change {
	type key struct{ coll, id string }
	at := map[key]int{}
	var out []Change
	for _, e := range batch {
		if e.void || !slices.Contains(e.names, name) {
			continue
		}
		k := key{e.ch.Coll, e.ch.ID}
		if e.ch.ID == "" {
			out = append(out, e.ch)
			continue
		}
		if i, ok := at[k]; ok {
			out[i].After = e.ch.After
			if e.ch.After != nil {
				out[i].Tenant = e.ch.Tenant
			}
			continue
		}
		at[k] = len(out)
		out = append(out, e.ch)
	}
	return slices.DeleteFunc(out, func(c Change) bool { return c.Before == nil && c.After == nil })
}

// Project registers a projection of coll (see the top of this file).
// Register every projection before the first write it should see, then
// StartProjections.
func (d *DB) Project(p Projection) { d.proj.register(p) }

// StartProjections starts applying the journal (what a previous run left,
// then every new change). The first change recorded, Settle and Drain
// start it too; register every projection before any of these.
func (d *DB) StartProjections() { d.proj.start() }

// Settle waits until the projections have applied every change carrying
// one of keys that was recorded before the call (read your own writes).
func (d *DB) Settle(ctx context.Context, keys ...string) error { return d.proj.settle(ctx, keys...) }

// Drain starts the projections and waits until every change recorded so
// far is applied (start-up, before rebuilding a model from scratch).
func (d *DB) Drain(ctx context.Context) error {
	p := d.proj
	p.mu.Lock()
	target := p.next - 1
	p.startLocked()
	p.mu.Unlock()
	return p.waitApplied(ctx, target, "drain")
}

// HoldProjections stops the consumer before its next batch until release
// is called: writes keep being journaled, reads that must see them wait
// (tests of the reading rule).
func (d *DB) HoldProjections() (release func()) {
	p := d.proj
	h := make(chan struct{})
	p.mu.Lock()
	p.held = h
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.held = nil
			p.mu.Unlock()
			close(h)
		})
	}
}

// BulkLoad stops journaling a tenant's changes until done is called (the
// demo's year: a journal insert per write was a tenth of its time). They
// still reach the projections, in order, and Settle waits for them; only a
// kill during the load loses them, and a load cut short leaves a
// half-written tenant anyway, whose models the daily repair jobs rebuild.
// Calls nest.
func (d *DB) BulkLoad(tenant string) (done func()) {
	p := d.proj
	p.mu.Lock()
	if p.bulk == nil {
		p.bulk = map[string]int{}
	}
	p.bulk[tenant]++
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			if p.bulk[tenant]--; p.bulk[tenant] <= 0 {
				delete(p.bulk, tenant)
			}
			p.mu.Unlock()
		})
	}
}

// ProjectedUpTo is the number up to which every recorded change is
// applied. A guarded projection rebuilt from its sources stamps it as the
// last batch it took, so a replay of older changes adds nothing again.
func (d *DB) ProjectedUpTo() int64 {
	d.proj.mu.Lock()
	defer d.proj.mu.Unlock()
	return d.proj.applied
}

// Recorded is the number of the last change recorded so far (0: none).
func (d *DB) Recorded() int64 {
	d.proj.mu.Lock()
	defer d.proj.mu.Unlock()
	return d.proj.next - 1
}

// WaitProjected waits until every change up to seq (Recorded) is applied,
// or the consumer stops. A bulk writer calls it with what it recorded a
// batch ago, so the changes not yet applied (each holding its document's
// images) stay about two batches however long it writes, while the
// consumer applies one batch as it writes the next; backlogLimit alone let
// 20,000 pile up.
func (d *DB) WaitProjected(ctx context.Context, seq int64) error {
	d.proj.mu.Lock()
	d.proj.startLocked()
	d.proj.mu.Unlock()
	return d.proj.waitApplied(ctx, seq, "waiting for the projections to keep up")
}

// ProjectionLag reports how many recorded changes are not yet applied.
func (d *DB) ProjectionLag() int {
	d.proj.mu.Lock()
	defer d.proj.mu.Unlock()
	return len(d.proj.pending)
}

// observers are who must hear of one write: the in-process watchers (told
// on the writer's goroutine) and the projections (told through the journal).
type observers struct {
	ws    []watch
	names []string
}

func (d *DB) observersOf(coll string, update any) observers {
	return observers{ws: d.watchersFor(coll, update), names: d.proj.interested(coll, update)}
}

// any reports whether the write's images are needed.
func (o observers) any() bool { return len(o.ws) > 0 || len(o.names) > 0 }

// intent is a write announced to the projections before it is made (see
// projector.intend); call intend, then done or fail, holding the write's
// lock.
type intent struct {
	d       *DB
	es      []*entry
	changes []Change
}

// intend journals the changes about to be written: before images (nil for
// inserts, whose after images are the documents inserted).
func (o observers) intend(ctx context.Context, d *DB, changes []Change) intent {
	return intent{d: d, es: d.proj.intend(ctx, o.names, changes), changes: changes}
}

// done completes the intent with the after images (nil: the changes carry
// theirs) and returns the changes as written, for the watchers.
func (in intent) done(ctx context.Context, afters ...bson.Raw) []Change {
	p := in.d.proj
	p.mu.Lock()
	kill := p.killAfterWrite
	p.killAfterWrite = nil
	p.mu.Unlock()
	if kill != nil {
		kill()
		return nil
	}
	if afters != nil {
		for i := range in.changes {
			in.changes[i] = changeOf(in.changes[i].Coll, in.changes[i].Before, afters[i])
		}
	}
	in.d.proj.written(ctx, in.es, afters)
	return in.changes
}

// split completes a bulk insert: the documents at the failed indexes did
// not go in (the journal learns it), the others did. It returns the
// changes written.
func (in intent) split(ctx context.Context, failed []int) []Change {
	if len(failed) == 0 {
		return in.done(ctx)
	}
	bad := make(map[int]bool, len(failed))
	for _, i := range failed {
		bad[i] = true
	}
	var okEs, badEs []*entry
	var written []Change
	for i := range in.changes {
		if bad[i] {
			if in.es != nil {
				badEs = append(badEs, in.es[i])
			}
			continue
		}
		written = append(written, in.changes[i])
		if in.es != nil {
			okEs = append(okEs, in.es[i])
		}
	}
	in.d.proj.void(ctx, badEs, true)
	in.d.proj.written(ctx, okEs, nil)
	return written
}

// fail marks the intent not written; for an insert the journal learns it
// too (see projector.void).
func (in intent) fail(ctx context.Context, insert bool) { in.d.proj.void(ctx, in.es, insert) }

// tell informs the watchers, after the lock is released, and holds the
// writer back while the projections are far behind.
func (o observers) tell(ctx context.Context, d *DB, changes []Change) {
	notify(ctx, o.ws, changes)
	if len(o.names) > 0 {
		d.proj.throttle(ctx)
	}
}
