// Package store is the one door to the database. It opens MongoDB (or the
// embedded FerretDB), serialises writes where the server cannot, translates
// driver errors into apperr sentinels, and hands out tenant-scoped handles so
// that no caller can forget the tenant filter.
package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"

	"cartera/portal/apperr"
)

// Config says where the data lives.
type Config struct {
	URI      string // MongoDB URI; empty starts the embedded server
	DataDir  string // embedded server's directory
	Database string // database name, default "cartera"
	Logger   *slog.Logger
	// EmbeddedLogger receives FerretDB's own log; nil keeps it quiet.
	EmbeddedLogger *slog.Logger
	// Server reuses an embedded server started by the caller (tests share
	// one per package); Close then leaves it running.
	Server *Embedded
	// SyncFull makes every commit of the embedded server wait for the disk
	// (StartEmbeddedSync).
	SyncFull bool
}

// DB is an open database with its write discipline.
type DB struct {
	client   *mongo.Client
	db       *mongo.Database
	embedded *Embedded
	// writeMu orders writes on the embedded server, whose updates are
	// read-modify-write without a lock (DESIGN.md, Store rules): per
	// document for single-document writes, whole for the rest. Nil on
	// MongoDB proper, where single-document atomicity does the work.
	writeMu *writeLocks
	shared  bool // embedded server owned by the caller
	log     *slog.Logger
	watch   watches
	proj    *projector
	// docs caches documents read by _id (embedded only; nil on MongoDB).
	docs *docCache
	// groups joins concurrent inserts into one (embedded only; group.go).
	groups insertGroups
}

// Open connects (starting the embedded server when cfg.URI is empty),
// creates collections and indexes, and runs migrations.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Database == "" {
		cfg.Database = "cartera"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := &DB{log: cfg.Logger}
	uri := cfg.URI
	switch {
	case cfg.Server != nil:
		d.embedded, d.shared = cfg.Server, true
	case uri == "":
		e, err := StartEmbeddedSync(ctx, cfg.DataDir, cfg.EmbeddedLogger, cfg.SyncFull)
		if err != nil {
			return nil, err
		}
		d.embedded = e
	}
	if d.embedded != nil {
		d.writeMu = &d.embedded.locks
		d.docs = d.embedded.docs
		uri = d.embedded.URI()
	}
	opts := options.Client().ApplyURI(uri).SetTimeout(30 * time.Second).SetMaxPoolSize(64)
	if d.embedded != nil {
		opts.SetDialer(socketDialer{path: d.embedded.sock})
	}
	client, err := mongo.Connect(ctx, opts)
	if err != nil {
		d.closeEmbedded()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	d.client = client
	d.db = client.Database(cfg.Database)
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx, readpref.Primary()); err != nil {
		d.Close(context.Background())
		return nil, fmt.Errorf("store: ping: %w", err)
	}
	d.proj = newProjector(d)
	if err := d.migrate(ctx); err != nil {
		d.Close(context.Background())
		return nil, err
	}
	if err := d.proj.load(ctx); err != nil {
		d.Close(context.Background())
		return nil, err
	}
	return d, nil
}

// Embedded reports whether this is the in-process FerretDB.
func (d *DB) Embedded() bool { return d.embedded != nil }

// Ping checks the server answers (readiness).
func (d *DB) Ping(ctx context.Context) error {
	return d.client.Ping(ctx, readpref.Primary())
}

// Close applies what the projections still have queued (for up to ten
// seconds; the rest waits in the journal), disconnects and, in embedded
// mode, stops the server cleanly.
func (d *DB) Close(ctx context.Context) {
	if d.proj != nil {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		d.proj.stop(dctx, true)
		cancel()
	}
	if d.client != nil {
		_ = d.client.Disconnect(ctx)
	}
	d.closeEmbedded()
}

func (d *DB) closeEmbedded() {
	if d.embedded != nil && !d.shared {
		d.embedded.Close()
	}
}

// Drop removes the whole database (tests).
func (d *DB) Drop(ctx context.Context) error {
	if d.proj != nil {
		d.proj.stop(ctx, false)
	}
	return d.lockWrite(func() error {
		defer d.docs.writingAll()()
		return d.db.Drop(ctx)
	})
}

// lockWrite runs fn holding the whole write lock: multi-document writes,
// writes whose document is not named by _id, schema changes.
func (d *DB) lockWrite(fn func() error) error {
	if d.writeMu != nil {
		d.writeMu.all.Lock()
		defer d.writeMu.all.Unlock()
	}
	return fn()
}

// lockDoc runs fn holding the lock of one document (and the whole lock
// shared): writes to other documents proceed meanwhile.
func (d *DB) lockDoc(coll string, id any, fn func() error) error {
	if d.writeMu == nil {
		return fn()
	}
	key, ok := docKey(id)
	if !ok {
		return d.lockColl(coll, fn)
	}
	return d.lockDocCached(coll, key, func(bson.Raw) (bson.Raw, error) { return nil, fn() })
}

// lockDocCached is lockDoc for a write to the document with this _id that
// can use the cached copy (nil if none) and hands back the document as it
// left it (nil if it does not know), which the cache then keeps.
func (d *DB) lockDocCached(coll, id string, fn func(cached bson.Raw) (after bson.Raw, err error)) error {
	if d.writeMu == nil {
		_, err := fn(nil)
		return err
	}
	d.writeMu.all.RLock()
	defer d.writeMu.all.RUnlock()
	m := d.writeMu.stripe(d.db.Name(), coll, id)
	m.Lock()
	defer m.Unlock()
	cached := d.docs.peek(d.db.Name(), coll, id)
	// Marked in flight for the document cache until just before the lock
	// is released and the write returns.
	done := d.docs.writing(d.db.Name(), coll, id)
	after, err := fn(cached)
	if err != nil && !isAbsent(after) {
		after = nil
	}
	done(after)
	return err
}

// lockColl is lockWrite for a write to many documents of one collection.
func (d *DB) lockColl(coll string, fn func() error) error {
	return d.lockWrite(func() error {
		defer d.docs.writingColl(d.db.Name(), coll)()
		return fn()
	})
}

// writeCtx detaches an embedded write from its caller's cancellation: a
// write the driver gave up on may still commit inside FerretDB, after the
// document cache was told; finishing it keeps the two in step. The
// client's 30 s operation timeout still bounds it.
func (d *DB) writeCtx(ctx context.Context) context.Context {
	if d.docs == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// ForgetCached empties the embedded document cache, as a restart does. Only
// for a write that went behind the store's back (tests simulating one
// through Raw); every write through Coll keeps the cache exact itself.
func (d *DB) ForgetCached() { d.docs.writingAll()() }

// CacheStats reports the embedded document cache (zero on MongoDB proper).
func (d *DB) CacheStats() CacheStats { return d.docs.stats() }

// lockInsert runs fn for writes that only create documents: they read
// nothing first, so they need only to stay out of whole-lock writes.
func (d *DB) lockInsert(fn func() error) error {
	if d.writeMu == nil {
		return fn()
	}
	d.writeMu.all.RLock()
	defer d.writeMu.all.RUnlock()
	return fn()
}

// writeLocks are the embedded server's write locks: one whole lock and a
// fixed set of document stripes (a document's lock is the stripe its
// database, collection and _id hash to).
type writeLocks struct {
	all     sync.RWMutex
	stripes [512]sync.Mutex
}

func (w *writeLocks) stripe(db, coll, id string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(db))
	h.Write([]byte{0})
	h.Write([]byte(coll))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return &w.stripes[h.Sum32()%uint32(len(w.stripes))]
}

// docKey is the document a filter names by _id (the filter itself may be
// the _id), or ok false.
func docKey(filter any) (string, bool) {
	switch f := filter.(type) {
	case string:
		return f, true
	case bson.RawValue:
		s, ok := f.StringValueOK()
		return s, ok
	case bson.D:
		for _, e := range f {
			if e.Key == "_id" {
				return docKey(e.Value)
			}
		}
	case bson.M:
		if v, ok := f["_id"]; ok {
			return docKey(v)
		}
	}
	return "", false
}

// WithWriteLock runs fn holding the embedded write lock (a no-op on MongoDB
// proper). Use it only for read-then-write sequences that must not interleave
// with other writes and that have a MongoDB-proper guard of their own.
func (d *DB) WithWriteLock(fn func() error) error { return d.lockWrite(fn) }

// C returns a global (not tenant-scoped) collection: tenants, users, jobs,
// audit. Tenant data goes through Tenant(slug).
func (d *DB) C(name string) *Coll {
	return &Coll{db: d, c: d.db.Collection(name), name: name}
}

// Coll wraps a collection: every write takes the embedded write lock and
// every error is translated.
type Coll struct {
	db   *DB
	c    *mongo.Collection
	name string
}

// Name is the collection name.
func (c *Coll) Name() string { return c.name }

// Raw exposes the driver collection for reads the wrapper does not cover.
// Never write through it.
func (c *Coll) Raw() *mongo.Collection { return c.c }

// Get decodes the document with this _id into out; ErrNotFound if none.
func (c *Coll) Get(ctx context.Context, id string, out any) error {
	db := c.db.db.Name()
	raw, hit, t := c.db.docs.get(db, c.name, id)
	if !hit {
		// A filter with _id alone is the only shape FerretDB pushes down to SQLite.
		var err error
		raw, err = c.c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			c.db.docs.put(db, c.name, id, nil, t) // known absent until an insert
			raw = nil
		case err != nil:
			return translate(c.name, err)
		default:
			c.db.docs.put(db, c.name, id, raw, t)
		}
	}
	if raw == nil {
		return fmt.Errorf("%s: %w", c.name, apperr.ErrNotFound)
	}
	if r, ok := out.(*bson.Raw); ok {
		*r = append(bson.Raw(nil), raw...) // the caller may keep or change it
		return nil
	}
	if err := bson.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode %s: %w", c.name, id, err)
	}
	return nil
}

// FindOne decodes the first match of filter into out.
func (c *Coll) FindOne(ctx context.Context, filter any, out any, opts ...*options.FindOneOptions) error {
	return translate(c.name, c.c.FindOne(ctx, filter, opts...).Decode(out))
}

// Find decodes every match into out (a pointer to a slice).
func (c *Coll) Find(ctx context.Context, filter any, out any, opts ...*options.FindOptions) error {
	cur, err := c.c.Find(ctx, filter, opts...)
	if err != nil {
		return translate(c.name, err)
	}
	return translate(c.name, cur.All(ctx, out))
}

// Cursor streams matches; the caller closes it.
func (c *Coll) Cursor(ctx context.Context, filter any, opts ...*options.FindOptions) (*mongo.Cursor, error) {
	cur, err := c.c.Find(ctx, filter, opts...)
	return cur, translate(c.name, err)
}

// Count counts matches.
func (c *Coll) Count(ctx context.Context, filter any) (int64, error) {
	n, err := c.c.CountDocuments(ctx, filter)
	return n, translate(c.name, err)
}

// Insert adds one document; a duplicate _id or unique key is ErrConflict.
// The document is marshalled once, here: its _id names the document lock
// and its bytes are what the cache keeps (a payment read back right after
// its checkout is not a database read).
func (c *Coll) Insert(ctx context.Context, doc any) error {
	raw, err := marshalDoc(doc)
	if err != nil {
		return fmt.Errorf("%s: insert: %w", c.name, err)
	}
	o := c.db.observersOf(c.name, nil)
	var changes []Change
	insert := func() (bson.Raw, error) {
		if !o.any() {
			return raw, translate(c.name, c.db.insertOne(c.db.writeCtx(ctx), c.c, raw))
		}
		in := o.intend(ctx, c.db, []Change{changeOf(c.name, nil, raw)})
		if err := c.db.insertOne(c.db.writeCtx(ctx), c.c, raw); err != nil {
			in.fail(ctx, true)
			return nil, translate(c.name, err)
		}
		changes = in.done(ctx)
		return raw, nil
	}
	if id, ok := docKey(raw.Lookup("_id")); ok {
		err = c.db.lockDocCached(c.name, id, func(bson.Raw) (bson.Raw, error) { return insert() })
	} else {
		// No _id of our own (the driver adds one): the cache may know
		// nothing about it, but absent documents of the collection go.
		err = c.db.lockInsert(func() error {
			defer c.db.docs.writingColl(c.db.db.Name(), c.name)()
			_, err := insert()
			return err
		})
	}
	o.tell(ctx, c.db, changes)
	return err
}

// marshalDoc is doc as BSON (raw bytes pass through).
func marshalDoc(doc any) (bson.Raw, error) {
	switch d := doc.(type) {
	case bson.Raw:
		return d, nil
	case []byte:
		return bson.Raw(d), nil
	}
	b, err := bson.Marshal(doc)
	return bson.Raw(b), err
}

// InsertMany inserts unordered and reports which indexes were duplicates, so
// the caller can fall back to per-row updates for exactly those.
func (c *Coll) InsertMany(ctx context.Context, docs []any) (dups []int, err error) {
	if len(docs) == 0 {
		return nil, nil
	}
	o := c.db.observersOf(c.name, nil)
	var changes []Change
	err = c.db.lockInsert(func() error {
		defer c.db.docs.writingColl(c.db.db.Name(), c.name)() // absent documents may be cached
		var in intent
		if o.any() {
			all := make([]Change, len(docs))
			for i, d := range docs {
				all[i] = changeOf(c.name, nil, rawOf(d))
			}
			in = o.intend(ctx, c.db, all)
		}
		_, err := c.c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		var failed []int // documents not inserted
		var other error  // a failure other than duplicates
		if err != nil {
			var bwe mongo.BulkWriteException
			if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
				// Which documents went in is unknown: the journal keeps
				// them all (a replay reads what is there), the queue none
				// (the repair jobs bring in any that did).
				if o.any() {
					in.fail(ctx, false)
				}
				return translate(c.name, err)
			}
			for _, we := range bwe.WriteErrors {
				failed = append(failed, we.Index)
				if mongo.IsDuplicateKeyError(we) || we.Code == 11000 {
					dups = append(dups, we.Index)
				} else if other == nil {
					other = translate(c.name, err)
				}
			}
		}
		if o.any() {
			changes = in.split(ctx, failed)
		}
		return other
	})
	if err != nil {
		return dups, err
	}
	o.tell(ctx, c.db, changes)
	return dups, nil
}

// idOf is the _id of a document about to be inserted, when it is cheap to
// see (raw bytes, bson.D, bson.M); nil otherwise.
func idOf(doc any) any {
	switch d := doc.(type) {
	case bson.Raw:
		return d.Lookup("_id")
	case bson.D, bson.M:
		return d
	}
	return nil
}

// Update applies update to the first match; ErrNotFound when nothing matched.
// Prefer a filter of _id alone on hot paths (the only pushed-down shape).
func (c *Coll) Update(ctx context.Context, filter, update any) error {
	ctx = c.db.writeCtx(ctx)
	o := c.db.observersOf(c.name, update)
	var changes []Change
	err := c.db.lockDoc(c.name, filter, func() error {
		if !o.any() {
			res, err := c.c.UpdateOne(ctx, filter, update)
			if err != nil {
				return translate(c.name, err)
			}
			if res.MatchedCount == 0 {
				return fmt.Errorf("%s: %w", c.name, apperr.ErrNotFound)
			}
			return nil
		}
		var before bson.Raw
		if err := c.c.FindOne(ctx, filter).Decode(&before); err != nil {
			return translate(c.name, err)
		}
		in := o.intend(ctx, c.db, []Change{changeOf(c.name, before, nil)})
		after, err := c.updateByID(ctx, before.Lookup("_id"), nil, update)
		if err != nil {
			in.fail(ctx, false)
			return err
		}
		changes = in.done(ctx, after)
		return nil
	})
	o.tell(ctx, c.db, changes)
	return err
}

// updateByID applies update to one document (with extra filter terms) and
// returns it as it is after; ErrNotFound when it did not match. One round
// trip: the after image comes back with the write.
func (c *Coll) updateByID(ctx context.Context, id bson.RawValue, extra bson.D, update any) (bson.Raw, error) {
	filter := append(bson.D{{Key: "_id", Value: id}}, extra...)
	var after bson.Raw
	err := c.c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&after)
	if err != nil {
		return nil, translate(c.name, err)
	}
	return after, nil
}

// images reads every match of filter (the before images of a multi-document
// write, under the write lock).
func (c *Coll) images(ctx context.Context, filter any) ([]bson.Raw, error) {
	var out []bson.Raw
	cur, err := c.c.Find(ctx, filter)
	if err != nil {
		return nil, translate(c.name, err)
	}
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate(c.name, err)
	}
	return out, nil
}

// afterImages re-reads each document of befores by _id (under the write
// lock, so nothing came between).
func (c *Coll) afterImages(ctx context.Context, befores []bson.Raw) []bson.Raw {
	out := make([]bson.Raw, len(befores))
	for i, b := range befores {
		var after bson.Raw
		if err := c.c.FindOne(ctx, bson.D{{Key: "_id", Value: b.Lookup("_id")}}).Decode(&after); err == nil {
			out[i] = after
		}
	}
	return out
}

func beforeChanges(coll string, befores []bson.Raw) []Change {
	out := make([]Change, len(befores))
	for i, b := range befores {
		out[i] = changeOf(coll, b, nil)
	}
	return out
}

// intendUpsert announces an update that may create its document. A
// creation's intent needs the new document's _id (a replay reads the
// document by it): from the filter. A filter without one (rare) is
// journaled after the write instead (early false), as a plain change.
func (c *Coll) intendUpsert(ctx context.Context, o observers, filter any, before bson.Raw) (in intent, early bool) {
	ch := changeOf(c.name, before, nil)
	if before == nil {
		id, ok := docKey(filter)
		if !ok {
			return intent{d: c.db}, false
		}
		ch.ID = id
	}
	return o.intend(ctx, c.db, []Change{ch}), true
}

func (c *Coll) doneUpsert(ctx context.Context, o observers, in intent, early bool, before, after bson.Raw) []Change {
	if !early {
		in = o.intend(ctx, c.db, []Change{changeOf(c.name, before, after)})
		return in.done(ctx)
	}
	return in.done(ctx, after)
}

// Upsert updates or inserts the document matched by filter.
func (c *Coll) Upsert(ctx context.Context, filter, update any) (created bool, err error) {
	ctx = c.db.writeCtx(ctx)
	o := c.db.observersOf(c.name, update)
	var changes []Change
	err = c.db.lockDoc(c.name, filter, func() error {
		if !o.any() {
			res, err := c.c.UpdateOne(ctx, filter, update, options.Update().SetUpsert(true))
			if err != nil {
				return translate(c.name, err)
			}
			created = res.UpsertedCount > 0
			return nil
		}
		var before bson.Raw
		if err := c.c.FindOne(ctx, filter).Decode(&before); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return translate(c.name, err)
		}
		var after bson.Raw
		opts := options.FindOneAndUpdate().SetReturnDocument(options.After).SetUpsert(true)
		in, early := c.intendUpsert(ctx, o, filter, before)
		if err := c.c.FindOneAndUpdate(ctx, filter, update, opts).Decode(&after); err != nil {
			in.fail(ctx, before == nil)
			return translate(c.name, err)
		}
		created = before == nil
		changes = c.doneUpsert(ctx, o, in, early, before, after)
		return nil
	})
	o.tell(ctx, c.db, changes)
	return created, err
}

// UpdateMany applies update to every match and returns how many matched.
func (c *Coll) UpdateMany(ctx context.Context, filter, update any) (int64, error) {
	ctx = c.db.writeCtx(ctx)
	o := c.db.observersOf(c.name, update)
	var changes []Change
	var n int64
	err := c.db.lockColl(c.name, func() error {
		var befores []bson.Raw
		if o.any() {
			var err error
			if befores, err = c.images(ctx, filter); err != nil {
				return err
			}
		}
		var in intent
		if o.any() {
			in = o.intend(ctx, c.db, beforeChanges(c.name, befores))
		}
		res, err := c.c.UpdateMany(ctx, filter, update)
		if err != nil {
			// Which documents changed is unknown: the journal keeps them
			// all (a replay reads what is there).
			if o.any() {
				in.fail(ctx, false)
			}
			return translate(c.name, err)
		}
		n = res.MatchedCount
		if o.any() {
			changes = in.done(ctx, c.afterImages(ctx, befores)...)
		}
		return nil
	})
	o.tell(ctx, c.db, changes)
	return n, err
}

// FindOneAndUpdate applies a guarded update and decodes the document after
// it; ErrNotFound when the guard did not match.
func (c *Coll) FindOneAndUpdate(ctx context.Context, filter, update any, out any, upsert bool) error {
	ctx = c.db.writeCtx(ctx)
	o := c.db.observersOf(c.name, update)
	var changes []Change
	err := c.db.lockDoc(c.name, filter, func() error {
		var before bson.Raw
		if o.any() {
			if err := c.c.FindOne(ctx, filter).Decode(&before); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
				return translate(c.name, err)
			}
		}
		// A guard that matches nothing changes nothing: no intent.
		watched := o.any() && (before != nil || upsert)
		var in intent
		var early bool
		if watched {
			in, early = c.intendUpsert(ctx, o, filter, before)
		}
		opts := options.FindOneAndUpdate().SetReturnDocument(options.After).SetUpsert(upsert)
		var after bson.Raw
		if err := c.c.FindOneAndUpdate(ctx, filter, update, opts).Decode(&after); err != nil {
			if watched {
				in.fail(ctx, before == nil)
			}
			return translate(c.name, err)
		}
		if watched {
			changes = c.doneUpsert(ctx, o, in, early, before, after)
		}
		return bson.Unmarshal(after, out)
	})
	o.tell(ctx, c.db, changes)
	return err
}

// Delete removes the first match.
func (c *Coll) Delete(ctx context.Context, filter any) error {
	ctx = c.db.writeCtx(ctx)
	o := c.db.observersOf(c.name, nil)
	var changes []Change
	err := c.db.lockDoc(c.name, filter, func() error {
		if !o.any() {
			_, err := c.c.DeleteOne(ctx, filter)
			return translate(c.name, err)
		}
		var before bson.Raw
		err := c.c.FindOne(ctx, filter).Decode(&before)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil
		}
		if err != nil {
			return translate(c.name, err)
		}
		in := o.intend(ctx, c.db, []Change{changeOf(c.name, before, nil)})
		err = c.c.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: before.Lookup("_id")}}).Decode(&before)
		if err != nil {
			in.fail(ctx, false)
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			return translate(c.name, err)
		}
		changes = in.done(ctx, nil)
		return nil
	})
	o.tell(ctx, c.db, changes)
	return err
}

// DeleteMany removes every match.
func (c *Coll) DeleteMany(ctx context.Context, filter any) (int64, error) {
	ctx = c.db.writeCtx(ctx)
	o := c.db.observersOf(c.name, nil)
	var changes []Change
	var n int64
	err := c.db.lockColl(c.name, func() error {
		var befores []bson.Raw
		if o.any() {
			var err error
			if befores, err = c.images(ctx, filter); err != nil {
				return err
			}
		}
		var in intent
		if len(befores) > 0 {
			in = o.intend(ctx, c.db, beforeChanges(c.name, befores))
		}
		res, err := c.c.DeleteMany(ctx, filter)
		if err != nil {
			if len(befores) > 0 {
				in.fail(ctx, false)
			}
			return translate(c.name, err)
		}
		n = res.DeletedCount
		if len(befores) > 0 {
			changes = in.done(ctx, make([]bson.Raw, len(befores))...)
		}
		return nil
	})
	o.tell(ctx, c.db, changes)
	return n, err
}

// Mutate is a compare-and-set on one document read by _id: fn sees the
// current document and returns the update to apply (or an error to abort).
// On the embedded server it runs under the write lock; on MongoDB proper the
// write is guarded by the document's "rev" field and retried on a race. The
// document type must carry `rev` (int64) for the guard to work there.
func (c *Coll) Mutate(ctx context.Context, id string, doc any, fn func() (bson.D, error)) error {
	return c.mutate(ctx, id, doc, nil, fn, true)
}

// mutateAttempts bounds the retries of a compare-and-set that keeps losing
// its race on MongoDB proper (never on the embedded server, which locks).
const mutateAttempts = 50

// mutate is Mutate; keep false leaves the document as written out of the
// document cache.
func (c *Coll) mutate(ctx context.Context, id string, doc any, check func(bson.Raw) error, fn func() (bson.D, error), keep bool) error {
	ctx = c.db.writeCtx(ctx)
	for attempt := 0; attempt < mutateAttempts; attempt++ {
		var retry bool
		var o observers
		var changes []Change
		err := c.db.lockDocCached(c.name, id, func(raw bson.Raw) (kept bson.Raw, _ error) {
			if !keep {
				defer func() {
					if !isAbsent(kept) {
						kept = nil // neither as read nor as written
					}
				}()
			}
			if isAbsent(raw) { // known absent: still, under its lock
				return absentDoc, fmt.Errorf("%s: %w", c.name, apperr.ErrNotFound)
			}
			if raw == nil {
				if err := c.c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&raw); err != nil {
					if errors.Is(err, mongo.ErrNoDocuments) {
						return absentDoc, translate(c.name, err)
					}
					return nil, translate(c.name, err)
				}
			}
			if check != nil {
				if err := check(raw); err != nil {
					return nil, err
				}
			}
			if err := bson.Unmarshal(raw, doc); err != nil {
				return nil, fmt.Errorf("%s: decode %s: %w", c.name, id, err)
			}
			update, err := fn()
			if err != nil || update == nil {
				return raw, err
			}
			rev, _ := raw.Lookup("rev").AsInt64OK()
			update = withRevInc(update)
			var guard bson.D
			if c.db.writeMu == nil {
				// MongoDB proper: the rev guard replaces the lock.
				if rev == 0 {
					guard = bson.D{{Key: "rev", Value: bson.D{{Key: "$in", Value: bson.A{0, nil}}}}}
				} else {
					guard = bson.D{{Key: "rev", Value: rev}}
				}
			}
			o = c.db.observersOf(c.name, update)
			var in intent
			if o.any() {
				in = o.intend(ctx, c.db, []Change{changeOf(c.name, raw, nil)})
			}
			// One round trip either way: the after image comes back with the
			// write, for the projections and the document cache.
			after, err := c.updateByID(ctx, raw.Lookup("_id"), guard, update)
			if err != nil {
				if o.any() {
					in.fail(ctx, false)
				}
				if errors.Is(err, apperr.ErrNotFound) {
					retry = true
					return nil, nil
				}
				return nil, err
			}
			if o.any() {
				changes = in.done(ctx, after)
			}
			return after, nil
		})
		o.tell(ctx, c.db, changes)
		if err != nil || !retry {
			return err
		}
		if attempt > 2 { // a hot document on MongoDB proper: let the winner finish
			time.Sleep(time.Duration(attempt) * time.Millisecond)
		}
	}
	c.db.log.Error("store: compare-and-set kept losing its race", "coll", c.name, "id", id, "attempts", mutateAttempts)
	return fmt.Errorf("%s: mutate %s: %w", c.name, id, apperr.ErrConflict)
}

func withRevInc(update bson.D) bson.D {
	for i, e := range update {
		if e.Key == "$inc" {
			if inc, ok := e.Value.(bson.D); ok {
				update[i].Value = append(inc, bson.E{Key: "rev", Value: int64(1)})
				return update
			}
		}
	}
	return append(update, bson.E{Key: "$inc", Value: bson.D{{Key: "rev", Value: int64(1)}}})
}

// translate maps driver errors to apperr sentinels, keeping the cause.
func translate(coll string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return fmt.Errorf("%s: %w", coll, apperr.ErrNotFound)
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%s: %w: %v", coll, apperr.ErrConflict, err)
	case isFerretUniqueViolation(err):
		// FerretDB v1 reports an update that breaks a unique index as an
		// InternalError carrying SQLite's constraint text.
		return fmt.Errorf("%s: %w: %v", coll, apperr.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", coll, err)
}

func isFerretUniqueViolation(err error) bool {
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// Take removes and returns the document with this _id in one step, so only
// one caller ever gets it (one-time downloads).
func (c *Coll) Take(ctx context.Context, id string, out any) error {
	ctx = c.db.writeCtx(ctx)
	o := c.db.observersOf(c.name, nil)
	var raw bson.Raw
	var changes []Change
	err := c.db.lockDoc(c.name, id, func() error {
		var in intent
		if o.any() {
			var before bson.Raw
			if err := c.c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&before); err != nil {
				return translate(c.name, err)
			}
			in = o.intend(ctx, c.db, []Change{changeOf(c.name, before, nil)})
		}
		if err := c.c.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&raw); err != nil {
			if o.any() {
				in.fail(ctx, false)
			}
			return translate(c.name, err)
		}
		if o.any() {
			changes = in.done(ctx, nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	o.tell(ctx, c.db, changes)
	return bson.Unmarshal(raw, out)
}
