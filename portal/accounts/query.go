package accounts

import (
	"context"
	"regexp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/payments/calc"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/tenants"
)

// Filter selects accounts in a list.
type Filter struct {
	Status    string
	Debtor    string // document number
	Collector string // collector id, or "none" for unassigned
	Q         string // matches invoice, debtor name or document
	Bucket    string // aging bucket, e.g. "31-60"
	Cursor    string
	Limit     int
}

// Page is a page of accounts.
type Page struct {
	Items []Account
	Next  string
}

// View adds what is computed at read time to an account.
type View struct {
	Account
	DaysPastDue int
	Bucket      string
}

// bucketRange returns the due-date range (inclusive) of an aging bucket as of today.
func bucketRange(bucket string, today time.Time) (from, to time.Time, ok bool) {
	span := map[string][2]int{"current": {-1 << 20, 0}, "1-30": {1, 30}, "31-60": {31, 60}, "61-90": {61, 90},
		"91-180": {91, 180}, "181-360": {181, 360}, "360+": {361, 1 << 20}}
	s, ok := span[bucket]
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	// dpd = today - due  =>  due in [today - maxDpd, today - minDpd]
	return today.AddDate(0, 0, -s[1]), today.AddDate(0, 0, -s[0]), true
}

// ListQuery is a validated Filter, as the account lists answer it.
type ListQuery struct {
	Collector      *string // nil: any; "": unassigned
	Status, Debtor string
	Text           string
	HasDue         bool
	DueFrom, DueTo int64 // due dates, Unix seconds
	Cursor         string
	Limit          int
}

// Lister serves account lists from a read model (the portfolio index,
// portal/readside); ok false means it has none for the tenant yet.
type Lister interface {
	List(ctx context.Context, sc *store.Scope, tenant string, q ListQuery) (p Page, ok bool, err error)
}

// List returns a page of the tenant's accounts, in _id order after the
// cursor. Collectors see only their own. It is served from the portfolio
// index (Service.Index); a tenant without one yet is scanned.
func (s *Service) List(ctx context.Context, tenant string, f Filter) (Page, error) {
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return Page{}, err
	}
	lq := ListQuery{Limit: f.Limit}
	a := actor.From(ctx)
	if a.Role == tenants.RoleCollector {
		lq.Collector = &a.UserID
	} else if f.Collector == "none" {
		none := ""
		lq.Collector = &none
	} else if f.Collector != "" {
		lq.Collector = &f.Collector
	}
	fields := apperr.Fields{}
	if f.Status != "" {
		switch f.Status {
		case StatusOpen, StatusPaid, StatusRecalled, StatusLegal:
			lq.Status = f.Status
		default:
			fields.Add("status", "use open, paid, recalled o legal")
		}
	}
	if f.Debtor != "" {
		lq.Debtor = sc.ID(f.Debtor)
	}
	if f.Bucket != "" {
		today := civilToday(t.Location())
		from, to, ok := bucketRange(f.Bucket, today)
		if !ok {
			fields.Add("bucket", "use current, 1-30, 31-60, 61-90, 91-180, 181-360 o 360+")
		}
		lq.HasDue, lq.DueFrom, lq.DueTo = true, from.Unix(), to.Unix()
	}
	if qs := strings.TrimSpace(f.Q); qs != "" {
		if len(qs) > 100 {
			fields.Add("q", "búsqueda demasiado larga")
		}
		lq.Text = qs
	}
	if err := fields.Err(); err != nil {
		return Page{}, err
	}
	if f.Cursor != "" {
		lq.Cursor = sc.ID(f.Cursor)
	}
	if lq.Limit <= 0 {
		lq.Limit = 50
	}
	if lq.Limit > 500 {
		lq.Limit = 500
	}
	if s.index != nil {
		p, ok, err := s.index.List(ctx, sc, tenant, lq)
		if err != nil || ok {
			return p, err
		}
	}
	return s.scanList(ctx, sc, lq)
}

// scanList is List without the index: a scan and sort of the collection.
func (s *Service) scanList(ctx context.Context, sc *store.Scope, lq ListQuery) (Page, error) {
	q := bson.D{}
	if lq.Collector != nil {
		if *lq.Collector == "" {
			q = append(q, bson.E{Key: "collectorId", Value: bson.D{{Key: "$in", Value: bson.A{"", nil}}}})
		} else {
			q = append(q, bson.E{Key: "collectorId", Value: *lq.Collector})
		}
	}
	if lq.Status != "" {
		q = append(q, bson.E{Key: "status", Value: lq.Status})
	}
	if lq.Debtor != "" {
		q = append(q, bson.E{Key: "debtorId", Value: lq.Debtor})
	}
	if lq.HasDue {
		q = append(q, bson.E{Key: "dueDate", Value: bson.D{{Key: "$gte", Value: time.Unix(lq.DueFrom, 0).UTC()}, {Key: "$lte", Value: time.Unix(lq.DueTo, 0).UTC()}}})
	}
	if lq.Text != "" {
		re := bson.D{{Key: "$regex", Value: regexp.QuoteMeta(lq.Text)}, {Key: "$options", Value: "i"}}
		q = append(q, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "invoice", Value: re}}, bson.D{{Key: "debtorName", Value: re}}, bson.D{{Key: "document", Value: re}},
		}})
	}
	if lq.Cursor != "" {
		q = append(q, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: lq.Cursor}}})
	}
	var items []Account
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(lq.Limit + 1)).SetProjection(bson.D{{Key: "history", Value: 0}})
	if err := sc.C("accounts").Find(ctx, q, &items, opts); err != nil {
		return Page{}, err
	}
	p := Page{Items: items}
	if len(items) > lq.Limit {
		p.Items = items[:lq.Limit]
		p.Next = sc.Key(items[lq.Limit-1].ID)
	}
	if p.Items == nil {
		p.Items = []Account{}
	}
	return p, nil
}

// Detail is an account with everything a person working it needs.
type Detail struct {
	View
	Debtor Debtor
}

// Get returns one account; collectors only their own (404 otherwise).
func (s *Service) Get(ctx context.Context, tenant, key string) (Detail, error) {
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return Detail{}, err
	}
	acc, err := s.account(ctx, sc, key)
	if err != nil {
		return Detail{}, err
	}
	var d Debtor
	if err := sc.C("debtors").Get(ctx, acc.DebtorID, &d); err != nil {
		return Detail{}, err
	}
	return Detail{View: s.view(acc, t), Debtor: d}, nil
}

// account loads an account by key or _id, enforcing the collector rule.
func (s *Service) account(ctx context.Context, sc *store.Scope, key string) (Account, error) {
	id := key
	if !sc.Owns(id) {
		id = sc.ID(key)
	}
	var acc Account
	if err := sc.C("accounts").Get(ctx, id, &acc); err != nil {
		return Account{}, err
	}
	if a := actor.From(ctx); a.Role == tenants.RoleCollector && acc.CollectorID != a.UserID {
		return Account{}, apperr.ErrNotFound
	}
	return acc, nil
}

// ViewOf computes days past due and bucket in the tenant's time zone.
func (s *Service) view(a Account, t tenants.Tenant) View {
	dpd := calc.DaysPastDue(a.DueDate, s.now(), t.Location())
	return View{Account: a, DaysPastDue: dpd, Bucket: calc.Bucket(dpd)}
}

// Views computes the read-time fields of a page.
func (s *Service) Views(ctx context.Context, tenant string, list []Account) ([]View, error) {
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]View, len(list))
	for i, a := range list {
		out[i] = s.view(a, t)
	}
	return out, nil
}

// Recall takes an account out of collection at the client's request.
func (s *Service) Recall(ctx context.Context, tenant, key, reason string) (Account, error) {
	if !canManage(ctx) {
		return Account{}, forbidden("recall")
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return Account{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 500 {
		return Account{}, apperr.Field("reason", "indique el motivo (máximo 500 caracteres)")
	}
	id := key
	if !sc.Owns(id) {
		id = sc.ID(key)
	}
	var acc Account
	err = sc.C("accounts").Mutate(ctx, id, &acc, func() (bson.D, error) {
		if acc.Status == StatusRecalled {
			return nil, nil
		}
		if acc.Status == StatusPaid {
			return nil, &apperr.Refusal{Code: "already_paid", Reason: "la cuenta ya está pagada"}
		}
		now := s.now()
		return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusRecalled}, {Key: "recallNote", Value: reason}, {Key: "recalledAt", Value: now}, {Key: "updatedAt", Value: now}}}}, nil
	})
	if err != nil {
		return Account{}, err
	}
	_ = s.audit.Record(ctx, tenant, "account.recall", id, nil)
	return s.account(ctx, sc, id)
}

// Debtor returns a debtor with its accounts (read by _id from its list).
func (s *Service) Debtor(ctx context.Context, tenant, document string) (Debtor, []View, error) {
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return Debtor{}, nil, err
	}
	if actor.From(ctx).Role == tenants.RoleDebtor {
		return Debtor{}, nil, apperr.ErrNotFound
	}
	var d Debtor
	if err := sc.C("debtors").Get(ctx, sc.ID(document), &d); err != nil {
		return Debtor{}, nil, err
	}
	var views []View
	for _, id := range d.AccountIDs {
		acc, err := s.account(ctx, sc, id)
		if apperr.Is(err, apperr.ErrNotFound) {
			continue
		}
		if err != nil {
			return Debtor{}, nil, err
		}
		views = append(views, s.view(acc, t))
	}
	if actor.From(ctx).Role == tenants.RoleCollector && len(views) == 0 {
		return Debtor{}, nil, apperr.ErrNotFound // not one of theirs
	}
	_ = s.audit.Record(ctx, tenant, "debtor.read", d.ID, nil)
	return d, views, nil
}

func civilToday(loc *time.Location) time.Time {
	n := time.Now().In(loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}
