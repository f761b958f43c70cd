package store

import (
	"context"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
)

// Change is one committed write to a watched collection: the document
// before and after it (nil when it did not exist, or no longer does).
type Change struct {
	Coll   string
	Tenant string
	ID     string
	Before bson.Raw
	After  bson.Raw
}

// Watcher is told about committed writes, in batches, after the write and
// outside the write lock (so it may write itself). It runs on the writer's
// goroutine: it must be quick and must handle its own errors.
type Watcher func(ctx context.Context, changes []Change)

// watch is one registered watcher of a collection.
type watch struct {
	name   string
	fields []string // an update touching none of these is not reported
	fn     Watcher
}

// watches holds the registered watchers of a DB.
type watches struct {
	mu sync.RWMutex
	by map[string][]watch // collection → watchers
}

// Watch registers fn for every insert, update, upsert, compare-and-set and
// delete that goes through this package on coll — the in-process
// equivalent of a change stream with pre- and post-images, so read models
// (report counters) are kept by one observer instead of a call at every
// writer. An update is reported only when it touches one of fields (a
// prefix match on the updated paths); inserts and deletes always are.
// Registering the same name again replaces the watcher (two app instances
// sharing one DB count each write once).
//
// On the embedded server every write and both its images are taken under
// the write lock, so consecutive changes of a document chain exactly (one's
// after is the next one's before). On MongoDB proper there is no such lock:
// images of concurrent writes to one document can interleave, and a crash
// between a write and its watcher loses the notification. Watchers must
// therefore keep something a rebuild can check (the report counters and the
// portfolio index are verified daily); with several replicas on MongoDB the
// next step is a change stream with pre- and post-images feeding the same
// watchers (docs/scale-out.md).
func (d *DB) Watch(name, coll string, fields []string, fn Watcher) {
	d.watch.mu.Lock()
	defer d.watch.mu.Unlock()
	if d.watch.by == nil {
		d.watch.by = map[string][]watch{}
	}
	list := d.watch.by[coll]
	for i, w := range list {
		if w.name == name {
			list[i] = watch{name: name, fields: fields, fn: fn}
			return
		}
	}
	d.watch.by[coll] = append(list, watch{name: name, fields: fields, fn: fn})
}

// watchersFor returns the watchers of coll interested in update (nil update:
// an insert or delete, which interests all of them).
func (d *DB) watchersFor(coll string, update any) []watch {
	d.watch.mu.RLock()
	defer d.watch.mu.RUnlock()
	list := d.watch.by[coll]
	if len(list) == 0 {
		return nil
	}
	if update == nil {
		return list
	}
	paths := updatedPaths(update)
	var out []watch
	for _, w := range list {
		if touches(paths, w.fields) {
			out = append(out, w)
		}
	}
	return out
}

// notify hands the changes to the watchers.
func notify(ctx context.Context, ws []watch, changes []Change) {
	if len(ws) == 0 || len(changes) == 0 {
		return
	}
	for _, w := range ws {
		w.fn(ctx, changes)
	}
}

// updatedPaths lists the field paths an update document sets, increments,
// pushes or unsets. A replacement or unknown shape yields "" (everything).
func updatedPaths(update any) []string {
	var doc bson.D
	switch u := update.(type) {
	case bson.D:
		doc = u
	default:
		return []string{""}
	}
	var paths []string
	for _, op := range doc {
		if !strings.HasPrefix(op.Key, "$") {
			return []string{""}
		}
		switch v := op.Value.(type) {
		case bson.D:
			for _, e := range v {
				paths = append(paths, e.Key)
			}
		case bson.M:
			for k := range v {
				paths = append(paths, k)
			}
		default:
			return []string{""}
		}
	}
	return paths
}

// touches reports whether any updated path is, contains or lies within one
// of fields.
func touches(paths, fields []string) bool {
	if len(fields) == 0 {
		return true
	}
	for _, p := range paths {
		if p == "" {
			return true
		}
		for _, f := range fields {
			if p == f || strings.HasPrefix(p, f+".") || strings.HasPrefix(f, p+".") {
				return true
			}
		}
	}
	return false
}

// changeOf builds a Change from the images of one document.
func changeOf(coll string, before, after bson.Raw) Change {
	c := Change{Coll: coll, Before: before, After: after}
	img := after
	if img == nil {
		img = before
	}
	if img != nil {
		c.ID, _ = img.Lookup("_id").StringValueOK()
		c.Tenant, _ = img.Lookup("tenantId").StringValueOK()
	}
	return c
}

// rawOf returns doc as raw BSON (marshalling it when needed).
func rawOf(doc any) bson.Raw {
	switch d := doc.(type) {
	case bson.Raw:
		return d
	case []byte:
		return bson.Raw(d)
	}
	b, err := bson.Marshal(doc)
	if err != nil {
		return nil
	}
	return b
}
