package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	"audit", "worklists", "counters", "payments", "webhooks", "files", "files.files", "files.chunks", "tallies", "monthly", "accountindex", "caps", "settings", "assignruns",
	"apikeys", "webhookendpoints", "webhookdeliveries", "paylinks", "strategytests", "gateways", "paypending",
}

// index declares an index MongoDB proper needs; on the embedded server only
// unique indexes change behaviour (filtered reads scan regardless).
type index struct {
	coll   string
	keys   bson.D
	unique bool
}

// name is the index's default name, as MongoDB gives it ("tenantId_1_at_-1").
func (ix index) name() string {
	parts := make([]string, 0, len(ix.keys))
	for _, k := range ix.keys {
		parts = append(parts, fmt.Sprintf("%s_%v", k.Key, k.Value))
	}
	return strings.Join(parts, "_")
}

// migration is one numbered, re-runnable schema step: the indexes it drops
// (made by an earlier step, read by no query any more), then those it
// creates.
type migration struct {
	n      int
	name   string
	drop   []index
	create []index
}

func (m migration) run(ctx context.Context, d *DB) error {
	for _, ix := range m.drop {
		err := d.lockWrite(func() error {
			_, err := d.db.Collection(ix.coll).Indexes().DropOne(ctx, ix.name())
			return err
		})
		if err != nil && !isIndexNotFound(err) { // dropped by an earlier run of this step
			return fmt.Errorf("drop index %s %s: %w", ix.coll, ix.name(), err)
		}
	}
	for _, ix := range m.create {
		mod := mongo.IndexModel{Keys: ix.keys, Options: options.Index().SetUnique(ix.unique)}
		err := d.lockWrite(func() error {
			_, err := d.db.Collection(ix.coll).Indexes().CreateOne(ctx, mod)
			return err
		})
		if err != nil {
			return fmt.Errorf("index %s %v: %w", ix.coll, ix.keys, err)
		}
	}
	return nil
}

// Index is a declared index: a collection and its keys.
type Index struct {
	Coll   string
	Keys   bson.D
	Unique bool
}

// Indexes lists the indexes the numbered steps leave, besides each
// collection's _id index: what a query may hint at.
func Indexes() []Index {
	var out []Index
	for _, m := range migrations {
		for _, ix := range m.drop {
			out = slices.DeleteFunc(out, func(o Index) bool { return o.Coll == ix.coll && o.index().name() == ix.name() })
		}
		for _, ix := range m.create {
			out = append(out, Index{Coll: ix.coll, Keys: ix.keys, Unique: ix.unique})
		}
	}
	return out
}

func (x Index) index() index { return index{coll: x.Coll, keys: x.Keys, unique: x.Unique} }

// Name is the index's name on the server.
func (x Index) Name() string { return x.index().name() }

var migrations = []migration{
	{n: 1, name: "base indexes", create: []index{
		{coll: "users", keys: bson.D{{Key: "email", Value: 1}}, unique: true},
		{coll: "debtors", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "name", Value: 1}}},
		{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "status", Value: 1}, {Key: "dueDate", Value: 1}}},
		{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "debtorId", Value: 1}}},
		{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "collectorId", Value: 1}}},
		{coll: "ledger", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "accountId", Value: 1}, {Key: "at", Value: 1}}},
		{coll: "activities", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "accountId", Value: 1}, {Key: "at", Value: -1}}},
		{coll: "audit", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "at", Value: -1}}},
		{coll: "imports", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "createdAt", Value: -1}}},
		{coll: "outbox", keys: bson.D{{Key: "status", Value: 1}, {Key: "due", Value: 1}}},
		{coll: "disputes", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "status", Value: 1}}},
	}},
	// API keys and outbound webhooks (issue #17): the delivery run's scan
	// and the delivery log's page.
	{n: 2, name: "integration indexes", create: []index{
		{coll: "apikeys", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "createdAt", Value: -1}}},
		{coll: "webhookdeliveries", keys: bson.D{{Key: "status", Value: 1}, {Key: "nextAttemptAt", Value: 1}}},
		{coll: "webhookdeliveries", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "endpointId", Value: 1}, {Key: "createdAt", Value: -1}}},
	}},
	// The ledger feed of the public API (accounts.Ledger): a tenant's
	// movements in (at, _id) order after a cursor.
	{n: 3, name: "ledger feed index", create: []index{
		{coll: "ledger", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "at", Value: 1}, {Key: "_id", Value: 1}}},
	}},
	// Strategy tests (issue #17, champion/challenger): a tenant's tests,
	// and the accounts of one test for its report by arm.
	{n: 4, name: "strategy test indexes", create: []index{
		{coll: "strategytests", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "startedAt", Value: -1}}},
		{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "test.id", Value: 1}}},
	}},
	// Payment rails (issue #16): the Wompi reconciler's scan of payments on
	// their way, and the tenants' gateways by provider.
	{n: 5, name: "payment rails indexes", create: []index{
		{coll: "payments", keys: bson.D{{Key: "gateway", Value: 1}, {Key: "status", Value: 1}, {Key: "awaiting", Value: 1}}},
		{coll: "gateways", keys: bson.D{{Key: "provider", Value: 1}}},
	}},
	// The read side on MongoDB proper (portal/readside/query.go, issue 13):
	// an account list filtered by debtor, collector or status comes in _id
	// order from an index that ends in _id, so a page stops at its limit
	// instead of sorting the matches. They replace the step-1 indexes on
	// the same prefixes (the ladder's and the assignment's scans of open
	// accounts use the status one's prefix as before). The ledger, activity
	// and debtor-name indexes of step 1 are read by no query; the activity
	// export (reports/export.go) reads a tenant's activities by date.
	{n: 6, name: "read-side query indexes",
		drop: []index{
			{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "status", Value: 1}, {Key: "dueDate", Value: 1}}},
			{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "debtorId", Value: 1}}},
			{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "collectorId", Value: 1}}},
			{coll: "ledger", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "accountId", Value: 1}, {Key: "at", Value: 1}}},
			{coll: "activities", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "accountId", Value: 1}, {Key: "at", Value: -1}}},
			{coll: "debtors", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "name", Value: 1}}},
		},
		create: []index{
			{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "debtorId", Value: 1}, {Key: "_id", Value: 1}}},
			{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "collectorId", Value: 1}, {Key: "_id", Value: 1}}},
			{coll: "accounts", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
			{coll: "activities", keys: bson.D{{Key: "tenantId", Value: 1}, {Key: "at", Value: 1}}},
		}},
	// GridFS's own indexes, which the driver made on its first upload and
	// the store's chunked writer does not (the same specifications, so
	// where the driver made them this changes nothing).
	{n: 7, name: "gridfs indexes", create: []index{
		{coll: "files.files", keys: bson.D{{Key: "filename", Value: 1}, {Key: "uploadDate", Value: 1}}},
		{coll: "files.chunks", keys: bson.D{{Key: "files_id", Value: 1}, {Key: "n", Value: 1}}, unique: true},
	}},
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

// isIndexNotFound reports the error of dropping an index that is not there.
func isIndexNotFound(err error) bool {
	var ce mongo.CommandError
	return asCommandError(err, &ce) && ce.Code == 27
}

func asCommandError(err error, ce *mongo.CommandError) bool {
	c, ok := err.(mongo.CommandError)
	if ok {
		*ce = c
	}
	return ok
}
