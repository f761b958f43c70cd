package store

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
)

// CrashProjectionsAfterApply makes d's consumer die, as a killed process
// would, right after it has applied its next batch and before it records
// the batch as applied (tests of the replay).
func CrashProjectionsAfterApply(d *DB) {
	d.proj.mu.Lock()
	defer d.proj.mu.Unlock()
	d.proj.crashAfterApply = true
}

// Name is the database's name (tests reopen it).
func (d *DB) Name() string { return d.db.Name() }

// KillProjections ends d's consumer as a killed process would: nothing
// more is applied, and Close records no checkpoint and trims nothing.
func KillProjections(d *DB) {
	p := d.proj
	p.mu.Lock()
	p.killed = true
	p.stopping = true
	close(p.wake)
	p.wake = make(chan struct{})
	started, done := p.started, p.done
	p.mu.Unlock()
	if started {
		<-done
	}
}

// KillAfterNextWrite makes d's next watched write kill the consumer (as
// KillProjections) right after the write, before the change is marked
// written: a process dying between its write and the projections.
func KillAfterNextWrite(d *DB) {
	d.proj.mu.Lock()
	defer d.proj.mu.Unlock()
	d.proj.killAfterWrite = func() { KillProjections(d) }
}

// JournalOnly journals an update of coll's document id and never makes
// it: a process dying between the journal write and the write.
func JournalOnly(ctx context.Context, d *DB, coll, id string) error {
	var before bson.Raw
	if err := d.db.Collection(coll).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&before); err != nil {
		return err
	}
	o := d.observersOf(coll, nil)
	o.intend(ctx, d, []Change{changeOf(coll, before, nil)})
	return nil
}

// Remigrate runs every numbered step again (each must be re-runnable).
func Remigrate(ctx context.Context, d *DB) error {
	for _, m := range migrations {
		if err := m.run(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// GroupedInserts is how many documents were inserted together with others.
func (d *DB) GroupedInserts() int64 { return d.groups.grouped.Load() }
