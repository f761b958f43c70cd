package accounts

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/apperr"
	"cartera/portal/store"
)

// FeedEntry is one ledger movement as a client's system reads it.
type FeedEntry struct {
	ID        string    `json:"id"`
	AccountID string    `json:"accountId"` // the invoice's key, as in the account list
	Kind      string    `json:"kind"`
	Channel   string    `json:"channel,omitempty"`
	Amount    int64     `json:"amount"` // signed effect on its book, minor units
	Currency  string    `json:"currency"`
	Ref       string    `json:"ref,omitempty"`
	At        time.Time `json:"at"`
}

// FeedPage is a page of the tenant's ledger in recording order; Next
// resumes after its last entry (empty: nothing after it yet — a client
// keeps the last cursor and asks again later).
type FeedPage struct {
	Items []FeedEntry `json:"items"`
	Next  string      `json:"next"`
}

// FeedQuery asks for the movements after a cursor, optionally of some kinds.
type FeedQuery struct {
	Cursor string
	Kinds  []string
	Limit  int
}

// Ledger reads the tenant's ledger in (at, _id) order after q.Cursor, for
// a client's system that mirrors payments into its ERP. Collectors may not
// (the whole tenant's money); keys need accounts:read (the route).
//
// The order is (recorded time, id). A write stamped at t may land a moment
// after another stamped later (two requests in flight), so the feed serves
// only movements older than FeedSettle: by then every write stamped before
// them has landed, and a client that keeps its cursor misses nothing. On
// MongoDB the query runs on the
// (tenantId, at, _id) index (store/schema.go); the embedded server scans.
func (s *Service) Ledger(ctx context.Context, tenant string, q FeedQuery) (FeedPage, error) {
	sc, _, err := s.scope(ctx, tenant) // membership: another tenant's caller gets 404
	if err != nil {
		return FeedPage{}, err
	}
	if !canManage(ctx) {
		return FeedPage{}, fmt.Errorf("ledger feed: %w", apperr.ErrForbidden)
	}
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	filter := bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: s.now().Add(-FeedSettle)}}}}
	if q.Cursor != "" {
		at, id, err := decodeFeedCursor(q.Cursor, sc)
		if err != nil {
			return FeedPage{}, err
		}
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "at", Value: bson.D{{Key: "$gt", Value: at}}}},
			bson.D{{Key: "at", Value: at}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: id}}}},
		}})
	}
	for _, k := range q.Kinds {
		if !slices.Contains(ledgerKinds, k) {
			return FeedPage{}, apperr.Field("kind", fmt.Sprintf("tipo de movimiento desconocido: %s", k))
		}
	}
	if len(q.Kinds) > 0 {
		filter = append(filter, bson.E{Key: "kind", Value: bson.D{{Key: "$in", Value: q.Kinds}}})
	}
	var rows []LedgerEntry
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit + 1))
	if err := sc.C("ledger").Find(ctx, filter, &rows, opts); err != nil {
		return FeedPage{}, fmt.Errorf("ledger feed: %w", err)
	}
	page := FeedPage{Items: make([]FeedEntry, 0, min(len(rows), limit))}
	for i, e := range rows {
		if i == limit {
			break
		}
		page.Items = append(page.Items, FeedEntry{ID: sc.Key(e.ID), AccountID: sc.Key(e.AccountID), Kind: e.Kind, Channel: e.Channel,
			Amount: e.Amount, Currency: e.Currency, Ref: e.Ref, At: e.At.UTC()})
	}
	if n := len(page.Items); n > 0 {
		last := rows[n-1]
		page.Next = encodeFeedCursor(last.At, sc.Key(last.ID))
	} else {
		page.Next = q.Cursor // nothing new: the same place
	}
	return page, nil
}

// FeedSettle is how old a movement must be before the feed serves it: far
// longer than a write takes to land after its time is taken.
const FeedSettle = 5 * time.Second

// ledgerKinds are the kinds a feed may be filtered by.
var ledgerKinds = []string{KindPlacement, KindAdjustment, KindPayment, KindCredit, KindReversal, KindInterest, KindInterestPaid,
	KindInterestRefund, KindInterestCredit, KindOverpayment, KindCreditRefund}

func encodeFeedCursor(at time.Time, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + key))
}

func decodeFeedCursor(c string, sc *store.Scope) (time.Time, string, error) {
	bad := apperr.Field("cursor", "cursor no válido: use el campo next de la página anterior")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	ts, key, ok := strings.Cut(string(b), "|")
	if !ok || key == "" {
		return time.Time{}, "", bad
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", bad
	}
	return at, sc.ID(key), nil
}
