package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/apperr"
)

// Scope is a tenant-scoped handle: the only way handlers and domain code
// reach tenant data. Every tenant document has `_id` = "<slug>:<key>" and a
// `tenantId` field; reads by _id refuse keys of another tenant and filtered
// reads always carry the tenant filter, so another tenant's record is simply
// not found.
//
// Reads by _id use a filter of _id alone because that is the only shape the
// embedded server pushes down to SQLite; the prefix check plus the tenantId
// check after decoding keep them scoped.
type Scope struct {
	db   *DB
	slug string
}

// Tenant returns the handle for one tenant.
func (d *DB) Tenant(slug string) *Scope { return &Scope{db: d, slug: slug} }

// Slug is the tenant's slug.
func (s *Scope) Slug() string { return s.slug }

// ID builds the _id of a tenant document from its natural key.
func (s *Scope) ID(key string) string { return s.slug + ":" + key }

// Key strips the tenant prefix from an _id (the inverse of ID).
func (s *Scope) Key(id string) string { return strings.TrimPrefix(id, s.slug+":") }

// Owns reports whether id belongs to this tenant.
func (s *Scope) Owns(id string) bool {
	return len(id) > len(s.slug)+1 && strings.HasPrefix(id, s.slug+":")
}

// DB is the underlying database (for WithWriteLock).
func (s *Scope) DB() *DB { return s.db }

// C returns a tenant-scoped collection.
func (s *Scope) C(name string) *TColl {
	return &TColl{s: s, c: s.db.C(name)}
}

// TColl is a tenant-scoped collection.
type TColl struct {
	s *Scope
	c *Coll
}

func (t *TColl) notFound() error { return fmt.Errorf("%s: %w", t.c.name, apperr.ErrNotFound) }

func (t *TColl) filter(f bson.D) bson.D {
	out := make(bson.D, 0, len(f)+1)
	out = append(out, bson.E{Key: "tenantId", Value: t.s.slug})
	for _, e := range f {
		if e.Key == "tenantId" {
			continue // the scope decides the tenant, never the caller
		}
		out = append(out, e)
	}
	return out
}

// Get decodes the document with this _id, or ErrNotFound when it does not
// exist or belongs to another tenant.
func (t *TColl) Get(ctx context.Context, id string, out any) error {
	if !t.s.Owns(id) {
		return t.notFound()
	}
	var raw bson.Raw
	if err := t.c.Get(ctx, id, &raw); err != nil {
		return err
	}
	if tid, _ := raw.Lookup("tenantId").StringValueOK(); tid != t.s.slug {
		return t.notFound()
	}
	return bson.Unmarshal(raw, out)
}

// Find decodes the matches of filter (always within the tenant).
func (t *TColl) Find(ctx context.Context, filter bson.D, out any, opts ...*options.FindOptions) error {
	return t.c.Find(ctx, t.filter(filter), out, opts...)
}

// FindOne decodes the first match of filter within the tenant.
func (t *TColl) FindOne(ctx context.Context, filter bson.D, out any, opts ...*options.FindOneOptions) error {
	return t.c.FindOne(ctx, t.filter(filter), out, opts...)
}

// Count counts the matches of filter within the tenant.
func (t *TColl) Count(ctx context.Context, filter bson.D) (int64, error) {
	return t.c.Count(ctx, t.filter(filter))
}

// Each streams the matches of filter within the tenant, decoding each into a
// fresh value via decode.
func (t *TColl) Each(ctx context.Context, filter bson.D, opts *options.FindOptions, fn func(raw bson.Raw) error) error {
	if opts == nil {
		opts = options.Find()
	}
	cur, err := t.c.Cursor(ctx, t.filter(filter), opts)
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		if err := fn(cur.Current); err != nil {
			return err
		}
	}
	return translate(t.c.name, cur.Err())
}

// check marshals doc and verifies it belongs to the tenant; the raw bytes go
// to the driver so the document is marshalled once.
func (t *TColl) check(doc any) (bson.Raw, error) {
	raw, err := bson.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: marshal: %w", t.c.name, err)
	}
	r := bson.Raw(raw)
	id, _ := r.Lookup("_id").StringValueOK()
	tid, _ := r.Lookup("tenantId").StringValueOK()
	if tid != t.s.slug || !t.s.Owns(id) {
		return nil, fmt.Errorf("%s: document %q of tenant %q written through scope %q: %w", t.c.name, id, tid, t.s.slug, apperr.ErrForbidden)
	}
	return r, nil
}

// Insert adds a document of this tenant; ErrConflict on a duplicate key.
func (t *TColl) Insert(ctx context.Context, doc any) error {
	raw, err := t.check(doc)
	if err != nil {
		return err
	}
	return t.c.Insert(ctx, raw)
}

// InsertMany inserts unordered and returns the indexes that were duplicates.
func (t *TColl) InsertMany(ctx context.Context, docs []any) ([]int, error) {
	raws := make([]any, len(docs))
	for i, d := range docs {
		r, err := t.check(d)
		if err != nil {
			return nil, err
		}
		raws[i] = r
	}
	return t.c.InsertMany(ctx, raws)
}

// Update applies update to the document with this _id.
func (t *TColl) Update(ctx context.Context, id string, update bson.D) error {
	if !t.s.Owns(id) {
		return t.notFound()
	}
	return t.c.Update(ctx, bson.D{{Key: "_id", Value: id}}, update)
}

// UpdateWhere applies update to the first match of filter within the tenant.
// It scans on the embedded server: keep it off hot paths.
func (t *TColl) UpdateWhere(ctx context.Context, filter, update bson.D) error {
	return t.c.Update(ctx, t.filter(filter), update)
}

// UpdateMany applies update to every match of filter within the tenant.
func (t *TColl) UpdateMany(ctx context.Context, filter, update bson.D) (int64, error) {
	return t.c.UpdateMany(ctx, t.filter(filter), update)
}

// Upsert updates or creates the document with this _id; the tenant fields are
// set on insert.
func (t *TColl) Upsert(ctx context.Context, id string, update bson.D) (bool, error) {
	if !t.s.Owns(id) {
		return false, t.notFound()
	}
	update = addSetOnInsert(update, bson.E{Key: "tenantId", Value: t.s.slug})
	return t.c.Upsert(ctx, bson.D{{Key: "_id", Value: id}}, update)
}

// Mutate is Coll.Mutate within the tenant (compare-and-set by _id).
func (t *TColl) Mutate(ctx context.Context, id string, doc any, fn func() (bson.D, error)) error {
	return t.mutate(ctx, id, doc, fn, true)
}

func (t *TColl) mutate(ctx context.Context, id string, doc any, fn func() (bson.D, error), keep bool) error {
	if !t.s.Owns(id) {
		return t.notFound()
	}
	return t.c.mutate(ctx, id, doc, func(raw bson.Raw) error {
		if tid, _ := raw.Lookup("tenantId").StringValueOK(); tid != t.s.slug {
			return t.notFound()
		}
		return nil
	}, fn, keep)
}

// MutateOrCreate is Mutate on a document that may not exist yet: a missing
// one is first created with init's fields (and rev 0), then mutated. Read
// models kept by watchers start this way.
func (t *TColl) MutateOrCreate(ctx context.Context, id string, doc any, init bson.D, fn func() (bson.D, error)) error {
	return t.mutateOrCreate(ctx, id, doc, init, fn, true)
}

// MutateOrCreateCold is MutateOrCreate for a document its writer keeps
// decoded itself (a portfolio index chunk): the document as written is
// not kept in the document cache, where at 100,000 accounts the index's
// chunks were about 6 MB of an import's peak held twice. The next write
// reads it from the database.
func (t *TColl) MutateOrCreateCold(ctx context.Context, id string, doc any, init bson.D, fn func() (bson.D, error)) error {
	return t.mutateOrCreate(ctx, id, doc, init, fn, false)
}

func (t *TColl) mutateOrCreate(ctx context.Context, id string, doc any, init bson.D, fn func() (bson.D, error), keep bool) error {
	err := t.mutate(ctx, id, doc, fn, keep)
	if !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	if _, err := t.Upsert(ctx, id, bson.D{{Key: "$setOnInsert", Value: append(bson.D{{Key: "rev", Value: int64(0)}}, init...)}}); err != nil {
		return err
	}
	return t.mutate(ctx, id, doc, fn, keep)
}

// Delete removes the document with this _id.
func (t *TColl) Delete(ctx context.Context, id string) error {
	if !t.s.Owns(id) {
		return t.notFound()
	}
	return t.c.Delete(ctx, bson.D{{Key: "_id", Value: id}})
}

func addSetOnInsert(update bson.D, e bson.E) bson.D {
	for i, op := range update {
		if op.Key == "$setOnInsert" {
			if d, ok := op.Value.(bson.D); ok {
				update[i].Value = append(d, e)
				return update
			}
		}
	}
	return append(update, bson.E{Key: "$setOnInsert", Value: bson.D{e}})
}

// Take removes and returns the document with this _id (one-time reads).
func (t *TColl) Take(ctx context.Context, id string, out any) error {
	if !t.s.Owns(id) {
		return t.notFound()
	}
	return t.c.Take(ctx, id, out)
}
