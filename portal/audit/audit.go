// Package audit writes the append-only record of who did what to which
// record, when and from where.
package audit

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
)

// Entry is one audit record. Details must not hold secrets or full
// document numbers.
type Entry struct {
	ID        string         `bson:"_id" json:"id"`
	TenantID  string         `bson:"tenantId,omitempty" json:"tenant,omitempty"`
	Action    string         `bson:"action" json:"action"`
	Target    string         `bson:"target,omitempty" json:"target,omitempty"`
	ActorID   string         `bson:"actorId,omitempty" json:"actorId,omitempty"`
	ActorRole string         `bson:"actorRole,omitempty" json:"actorRole,omitempty"`
	IP        string         `bson:"ip,omitempty" json:"ip,omitempty"`
	UserAgent string         `bson:"ua,omitempty" json:"userAgent,omitempty"`
	RequestID string         `bson:"requestId,omitempty" json:"requestId,omitempty"`
	Details   map[string]any `bson:"details,omitempty" json:"details,omitempty"`
	At        time.Time      `bson:"at" json:"at"`
}

// Log is the audit writer.
type Log struct {
	db *store.DB
}

// New returns an audit writer on db.
func New(db *store.DB) *Log { return &Log{db: db} }

// Record appends one entry; the actor comes from ctx.
func (l *Log) Record(ctx context.Context, tenant, action, target string, details map[string]any) error {
	a := actor.From(ctx)
	e := Entry{
		ID:        primitive.NewObjectID().Hex(),
		TenantID:  tenant,
		Action:    action,
		Target:    target,
		ActorID:   a.UserID,
		ActorRole: a.Role,
		IP:        a.IP,
		UserAgent: a.UserAgent,
		RequestID: a.RequestID,
		Details:   details,
		At:        time.Now().UTC(),
	}
	if err := l.db.C("audit").Insert(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// List returns the latest entries, optionally of one tenant and action.
func (l *Log) List(ctx context.Context, tenant, action string, limit int64) ([]Entry, error) {
	f := bson.D{}
	if tenant != "" {
		f = append(f, bson.E{Key: "tenantId", Value: tenant})
	}
	if action != "" {
		f = append(f, bson.E{Key: "action", Value: action})
	}
	var out []Entry
	err := l.db.C("audit").Find(ctx, f, &out, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(limit))
	return out, err
}

// Query selects entries for the audit view. Every field is optional.
type Query struct {
	// Tenant narrows to one tenant's entries; with Platform, to the entries
	// outside any tenant (logins failed before a tenant is known, denied
	// routes, cap tables). Neither: every entry (admins only, decided by the
	// caller).
	Tenant   string
	Platform bool
	Actor    string    // the actor's user id (a debtor's _id for debtors)
	Action   string    // "dispute" matches dispute and dispute.*; "dispute.accepted" only itself
	Record   string    // the target, or the account an entry names in its details
	From, To time.Time // From inclusive, To exclusive; zero: open
	Limit    int       // 1..500, default 50
	Cursor   string    // Page.Next of the previous page
}

// Page is one page of entries, newest first; Next is empty on the last.
type Page struct {
	Items []Entry
	Next  string
}

// MaxLimit bounds a page (API.md: lists take up to 500).
const MaxLimit = 500

// ErrCursor is a cursor this log did not hand out.
var ErrCursor = &apperr.Invalid{Fields: map[string]string{"cursor": "invalid_cursor"}}

// filter builds the query's filter. On the embedded FerretDB every filter
// other than _id equality is a scan of the whole audit collection, sorted in
// Go: acceptable for the audit view, which is opened rarely and reads one
// page; MongoDB proper serves it from the {tenantId, at} index (schema.go).
func (q Query) filter() (bson.D, error) {
	f := bson.D{}
	switch {
	case q.Tenant != "":
		f = append(f, bson.E{Key: "tenantId", Value: q.Tenant})
	case q.Platform:
		// Record leaves tenantId out when it is empty (omitempty).
		f = append(f, bson.E{Key: "tenantId", Value: bson.D{{Key: "$exists", Value: false}}})
	}
	if q.Actor != "" {
		f = append(f, bson.E{Key: "actorId", Value: q.Actor})
	}
	if q.Action != "" {
		if strings.Contains(q.Action, ".") {
			f = append(f, bson.E{Key: "action", Value: q.Action})
		} else {
			f = append(f, bson.E{Key: "action", Value: primitive.Regex{Pattern: "^" + regexp.QuoteMeta(q.Action) + `(\.|$)`}})
		}
	}
	var and bson.A
	if q.Record != "" {
		ids := bson.A{q.Record}
		if q.Tenant != "" && !strings.HasPrefix(q.Record, q.Tenant+":") {
			ids = append(ids, q.Tenant+":"+q.Record)
		}
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "target", Value: bson.D{{Key: "$in", Value: ids}}}},
			bson.D{{Key: "details.account", Value: bson.D{{Key: "$in", Value: ids}}}},
		}}})
	}
	at := bson.D{}
	if !q.From.IsZero() {
		at = append(at, bson.E{Key: "$gte", Value: q.From.UTC()})
	}
	if !q.To.IsZero() {
		at = append(at, bson.E{Key: "$lt", Value: q.To.UTC()})
	}
	if len(at) > 0 {
		f = append(f, bson.E{Key: "at", Value: at})
	}
	if q.Cursor != "" {
		cat, cid, ok := parseCursor(q.Cursor)
		if !ok {
			return nil, ErrCursor
		}
		// Newest first by (at, _id): the next page is strictly after the
		// last entry shown in that order.
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: cat}}}},
			bson.D{{Key: "at", Value: cat}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: cid}}}},
		}}})
	}
	if len(and) > 0 {
		f = append(f, bson.E{Key: "$and", Value: and})
	}
	return f, nil
}

// cursorOf is the position after e: its instant in milliseconds (what the
// database keeps) and its _id.
func cursorOf(e Entry) string {
	return strconv.FormatInt(e.At.UnixMilli(), 10) + "_" + e.ID
}

func parseCursor(c string) (time.Time, string, bool) {
	ms, id, ok := strings.Cut(c, "_")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 64 {
		return time.Time{}, "", false
	}
	return time.UnixMilli(n).UTC(), id, true
}

var sortNewest = bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}

// Search returns one page of entries matching q, newest first.
func (l *Log) Search(ctx context.Context, q Query) (Page, error) {
	f, err := q.filter()
	if err != nil {
		return Page{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxLimit)
	out := []Entry{}
	opts := options.Find().SetSort(sortNewest).SetLimit(int64(limit) + 1)
	if err := l.db.C("audit").Find(ctx, f, &out, opts); err != nil {
		return Page{}, fmt.Errorf("audit search: %w", err)
	}
	p := Page{Items: out}
	if len(out) > limit {
		p.Items = out[:limit]
		p.Next = cursorOf(p.Items[limit-1])
	}
	return p, nil
}

// Each streams every entry matching q (Limit and Cursor ignored), newest
// first, for exports.
func (l *Log) Each(ctx context.Context, q Query, fn func(Entry) error) error {
	q.Cursor = ""
	f, err := q.filter()
	if err != nil {
		return err
	}
	cur, err := l.db.C("audit").Cursor(ctx, f, options.Find().SetSort(sortNewest))
	if err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var e Entry
		if err := cur.Decode(&e); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return cur.Err()
}
