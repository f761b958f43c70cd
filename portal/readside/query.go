package readside

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/accounts"
	"cartera/portal/store"
)

// Queries serves the read interfaces from the accounts themselves, by
// indexed queries: the read side on MongoDB proper, where the indexes
// store/schema.go declares make them cheap and there is nothing to keep
// (no journal consumer, no watcher, no manifest, no cache) and a reader
// always sees what is written. The embedded server answers the same
// queries by scanning, correctly but slowly; that is how the contract
// tests run them in CI.
//
// Every query names its index (a hint): MongoDB never picks another, and
// an index missing from the schema is an error, not a collection scan.
// FerretDB accepts and ignores hints. It holds nothing: the tenant's
// store handle each call receives is all it reads.
type Queries struct{}

// NewQueries returns the query-backed read side.
func NewQueries() *Queries { return &Queries{} }

// The indexes the queries hint (TestQueriesHintDeclaredIndexes holds them
// to store.Indexes). A tenant's _id range ("<slug>:" up to "<slug>;")
// bounds every query, so the _id index serves a tenant's list alone.
var (
	byID        = bson.D{{Key: "_id", Value: 1}}
	byDebtor    = bson.D{{Key: "tenantId", Value: 1}, {Key: "debtorId", Value: 1}, {Key: "_id", Value: 1}}
	byCollector = bson.D{{Key: "tenantId", Value: 1}, {Key: "collectorId", Value: 1}, {Key: "_id", Value: 1}}
	byStatus    = bson.D{{Key: "tenantId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}
)

// projection keeps the given account fields (and _id, tenantId).
func projection(fields []string) bson.D {
	p := bson.D{{Key: "tenantId", Value: 1}}
	for _, f := range fields {
		p = append(p, bson.E{Key: f, Value: 1})
	}
	return p
}

var (
	listProjection = projection(indexFields)
	rowsProjection = projection(append([]string{"rev"}, viewFields...))
)

// List serves accounts.Service.List: the same matches, order, fields and
// cursor as the portfolio index (Index.List). The most selective equality
// picks the index (debtor, then collector, then status, else the tenant's
// _id range); the other conditions filter what it yields in _id order, and
// the page stops at limit+1 matches.
func (q *Queries) List(ctx context.Context, sc *store.Scope, tenant string, lq accounts.ListQuery) (accounts.Page, bool, error) {
	p := accounts.Page{Items: []accounts.Account{}}
	if lq.Limit <= 0 {
		return p, true, nil
	}
	filter, hint := listFilter(sc, lq)
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(lq.Limit + 1)).
		SetProjection(listProjection).SetHint(hint)
	var found []accounts.Account
	if err := sc.C("accounts").Find(ctx, filter, &found, opts); err != nil {
		return accounts.Page{}, false, fmt.Errorf("account list: %w", err)
	}
	for i, a := range found {
		if i == lq.Limit {
			p.Next = sc.Key(found[i-1].ID)
			break
		}
		p.Items = append(p.Items, rowOf(a).account(tenant)) // the fields the index holds, as it holds them
	}
	return p, true, nil
}

// listFilter is the query and the index of a list.
func listFilter(sc *store.Scope, lq accounts.ListQuery) (filter, hint bson.D) {
	ids := bson.D{{Key: "$gte", Value: sc.ID("")}}
	if lq.Cursor != "" {
		ids = bson.D{{Key: "$gt", Value: lq.Cursor}}
	}
	ids = append(ids, bson.E{Key: "$lt", Value: sc.Slug() + ";"}) // ';' follows ':'
	filter = bson.D{{Key: "_id", Value: ids}}
	hint = byID
	if lq.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: lq.Status})
		hint = byStatus
	}
	if lq.Collector != nil {
		if *lq.Collector == "" { // unassigned: the field empty, null or missing
			filter = append(filter, bson.E{Key: "collectorId", Value: bson.D{{Key: "$in", Value: bson.A{"", nil}}}})
		} else {
			filter = append(filter, bson.E{Key: "collectorId", Value: *lq.Collector})
		}
		hint = byCollector
	}
	if lq.Debtor != "" {
		filter = append(filter, bson.E{Key: "debtorId", Value: lq.Debtor})
		hint = byDebtor
	}
	if lq.HasDue {
		// The index compares whole seconds: a due date in [from, to] to
		// the second is in [from, to+1s).
		filter = append(filter, bson.E{Key: "dueDate", Value: bson.D{
			{Key: "$gte", Value: time.Unix(lq.DueFrom, 0).UTC()}, {Key: "$lt", Value: time.Unix(lq.DueTo+1, 0).UTC()}}})
	}
	if lq.Text != "" {
		re := bson.D{{Key: "$regex", Value: regexp.QuoteMeta(lq.Text)}, {Key: "$options", Value: "i"}}
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "invoice", Value: re}}, bson.D{{Key: "debtorName", Value: re}}, bson.D{{Key: "document", Value: re}},
		}})
	}
	return filter, hint
}

// Accounts serves debtors.Service.Views: the debtor's accounts among ids
// (the debtor's accountIds), in the order of ids, missing ones left out,
// with the fields the debtor view holds: one query on _id, always current.
// It asks for exactly those ids rather than every account carrying the
// debtor's id, as the view does: the accounts of an import still running
// join the statement when the import ends and names them in accountIds.
func (q *Queries) Accounts(ctx context.Context, sc *store.Scope, debtorID string, ids []string) ([]accounts.Account, error) {
	if len(ids) == 0 {
		return []accounts.Account{}, nil
	}
	opts := options.Find().SetProjection(rowsProjection).SetHint(byID)
	var found []viewAccount
	if err := sc.C("accounts").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, &found, opts); err != nil {
		return nil, fmt.Errorf("debtor %s accounts: %w", sc.Key(debtorID), err)
	}
	rows := make([]ViewRow, len(found))
	for i, a := range found {
		rows[i] = a.row()
	}
	rows = ordered(rows, ids)
	out := make([]accounts.Account, len(rows))
	for i, r := range rows {
		out[i] = r.Account()
		out[i].TenantID = sc.Slug()
	}
	return out, nil
}
