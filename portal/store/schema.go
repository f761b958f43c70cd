package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Collections are created up front: the embedded server needs a table to
// exist before the _id expression index can be added to it.
var Collections = []string{
	"meta", "changes", "tenants", "users", "debtors", "accounts", "ledger", "activities",
	"promises", "disputes", "plans", "imports", "importrows", "jobs", "outbox",
	"audit", "worklists", "counters", "payments", "webhooks", "files", "tallies", "monthly", "accountindex", "caps", "settings", "assignruns",
	"apikeys", "webhookendpoints", "webhookdeliveries", "paylinks", "strategytests", "gateways", "paypending",
}

// index declares an index MongoDB proper needs; on the embedded server only
// unique indexes change behaviour (filtered reads scan regardless).
type index struct {
	coll   string
	keys   bson.D
	unique bool
}

// migration is one numbered, re-runnable schema step.
type migration struct {
	n    int
	name string
	run  func(ctx context.Context, d *DB) error
}

func indexes(list ...index) func(ctx context.Context, d *DB) error {
	return func(ctx context.Context, d *DB) error {
		for _, ix := range list {
			m := mongo.IndexModel{Keys: ix.keys, Options: options.Index().SetUnique(ix.unique)}
			err := d.lockWrite(func() error {
				_, err := d.db.Collection(ix.coll).Indexes().CreateOne(ctx, m)
				return err
			})
			if err != nil {
				return fmt.Errorf("index %s %v: %w", ix.coll, ix.keys, err)
			}
		}
		return nil
	}
}

var migrations = []migration{
	{1, "base indexes", indexes(
		index{coll: "users", keys: bson.D{{Key: "email", Value: 1}}, unique: true},
		index{coll: "debtors", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "name", Value: 1}}},
		index{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "status", Value: 1}, {Key: "dueDate", Value: 1}}},
		index{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "debtorId", Value: 1}}},
		index{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "collectorId", Value: 1}}},
		index{coll: "ledger", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "accountId", Value: 1}, {Key: "at", Value: 1}}},
		index{coll: "activities", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "accountId", Value: 1}, {Key: "at", Value: -1}}},
		index{coll: "audit", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "at", Value: -1}}},
		index{coll: "imports", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "createdAt", Value: -1}}},
		index{coll: "outbox", keys: bson.D{{Key: "status", Value: 1}, {Key: "due", Value: 1}}},
		index{coll: "disputes", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "status", Value: 1}}},
	)},
	// API keys and outbound webhooks (issue #17): the delivery run's scan
	// and the delivery log's page.
	{2, "integration indexes", indexes(
		index{coll: "apikeys", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "createdAt", Value: -1}}},
		index{coll: "webhookdeliveries", keys: bson.D{{Key: "status", Value: 1}, {Key: "nextAttemptAt", Value: 1}}},
		index{coll: "webhookdeliveries", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "endpointId", Value: 1}, {Key: "createdAt", Value: -1}}},
	)},
	// The ledger feed of the public API (accounts.Ledger): a tenant's
	// movements in (at, _id) order after a cursor.
	{3, "ledger feed index", indexes(
		index{coll: "ledger", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "at", Value: 1}, {Key: "_id", Value: 1}}},
	)},
	// Strategy tests (issue #17, champion/challenger): a tenant's tests,
	// and the accounts of one test for its report by arm.
	{4, "strategy test indexes", indexes(
		index{coll: "strategytests", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "startedAt", Value: -1}}},
		index{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "test.id", Value: 1}}},
	)},
	// Payment rails (issue #16): the Wompi reconciler's scan of payments on
	// their way, and the tenants' gateways by provider.
	{5, "payment rails indexes", indexes(
		index{coll: "payments", keys: bson.D{{Key: "gateway", Value: 1}, {Key: "status", Value: 1}, {Key: "awaiting", Value: 1}}},
		index{coll: "gateways", keys: bson.D{{Key: "provider", Value: 1}}},
	)},
}

// migrate creates collections (and, embedded, their _id expression index)
// and runs the numbered steps not yet recorded in meta/schema.
func (d *DB) migrate(ctx context.Context) error {
	existing, err := d.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("migrate: list collections: %w", err)
	}
	have := map[string]bool{}
	for _, n := range existing {
		have[n] = true
	}
	for _, name := range Collections {
		if have[name] {
			continue
		}
		err := d.lockWrite(func() error { return d.db.CreateCollection(ctx, name) })
		if err != nil && !isNamespaceExists(err) {
			return fmt.Errorf("migrate: create %s: %w", name, err)
		}
	}
	if d.embedded != nil {
		if err := ensureIDIndexes(ctx, d.embedded.Dir(), d.db.Name()); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	var state struct {
		Version int `bson:"version"`
	}
	err = d.db.Collection("meta").FindOne(ctx, bson.D{{Key: "_id", Value: "schema"}}).Decode(&state)
	if err != nil && err != mongo.ErrNoDocuments {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	for _, m := range migrations {
		if m.n <= state.Version {
			continue
		}
		if err := m.run(ctx, d); err != nil {
			return fmt.Errorf("migrate %d (%s): %w", m.n, m.name, err)
		}
		_, err := d.C("meta").Upsert(ctx, bson.D{{Key: "_id", Value: "schema"}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: m.n}, {Key: "at", Value: time.Now().UTC()}}}})
		if err != nil {
			return fmt.Errorf("migrate %d: record: %w", m.n, err)
		}
		d.log.Info("schema migrated", "step", m.n, "name", m.name)
	}
	return nil
}

func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	if ok := asCommandError(err, &ce); ok {
		return ce.Code == 48
	}
	return false
}

func asCommandError(err error, ce *mongo.CommandError) bool {
	c, ok := err.(mongo.CommandError)
	if ok {
		*ce = c
	}
	return ok
}
