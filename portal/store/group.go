package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Group commit of single inserts, on the embedded server.
//
// SQLite has one writer and FerretDB gives every command its own
// transaction, so under load the appends that every request makes (its
// audit entry, the projections' journal entries, a payment's ledger line)
// wait in line one commit each. An insert that finds another insert to the
// same collection in flight queues instead; when that one returns, the
// first queued writes every queued document in one InsertMany: one
// transaction and one sync for all of them. Each caller still returns
// only once its own document is written, with its own outcome (a
// duplicate is that document's error alone), so nothing changes for it
// but the wait; an insert that finds nothing in flight goes at once.

// maxGroup bounds the documents of one grouped insert.
const maxGroup = 256

// inserts holds one collection's queue.
type insertGroup struct {
	mu    sync.Mutex
	busy  bool // a grouped insert is being written
	queue []*queuedInsert
}

type queuedInsert struct {
	doc  bson.Raw
	err  error
	lead bool          // set when it is to write the queue itself
	done chan struct{} // closed when written or told to lead
}

type insertGroups struct {
	mu      sync.Mutex
	byColl  map[string]*insertGroup
	grouped atomic.Int64 // documents written with others (tests, figures)
}

func (g *insertGroups) of(coll string) *insertGroup {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byColl == nil {
		g.byColl = map[string]*insertGroup{}
	}
	q := g.byColl[coll]
	if q == nil {
		q = &insertGroup{}
		g.byColl[coll] = q
	}
	return q
}

// insertOne writes doc into c, grouped with the inserts queued meanwhile
// on the embedded server (one InsertOne on MongoDB proper).
func (d *DB) insertOne(ctx context.Context, c *mongo.Collection, doc bson.Raw) error {
	if d.writeMu == nil {
		_, err := c.InsertOne(ctx, doc)
		return err
	}
	g := d.groups.of(c.Name())
	me := &queuedInsert{doc: doc, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, me)
	if g.busy {
		g.mu.Unlock()
		<-me.done
		if !me.lead {
			return me.err
		}
		g.mu.Lock()
	}
	g.busy = true
	n := min(len(g.queue), maxGroup)
	batch := append([]*queuedInsert(nil), g.queue[:n]...)
	g.queue = g.queue[n:]
	g.mu.Unlock()

	if len(batch) > 1 {
		d.groups.grouped.Add(int64(len(batch)))
	}
	writeGroup(context.WithoutCancel(ctx), c, batch)

	g.mu.Lock()
	for _, q := range batch {
		if q != me {
			close(q.done)
		}
	}
	if len(g.queue) > 0 {
		next := g.queue[0] // the oldest waiter writes the rest
		next.lead = true
		close(next.done)
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	return me.err
}

// writeGroup inserts the batch unordered and gives each its outcome.
func writeGroup(ctx context.Context, c *mongo.Collection, batch []*queuedInsert) {
	if len(batch) == 1 {
		_, batch[0].err = c.InsertOne(ctx, batch[0].doc)
		return
	}
	docs := make([]any, len(batch))
	for i, q := range batch {
		docs[i] = q.doc
	}
	_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		for _, q := range batch { // which went in is unknown, as for a lost InsertOne
			q.err = err
		}
		return
	}
	for _, we := range bwe.WriteErrors {
		if we.Index >= 0 && we.Index < len(batch) {
			batch[we.Index].err = mongo.WriteException{WriteErrors: mongo.WriteErrors{we.WriteError}}
		}
	}
}
