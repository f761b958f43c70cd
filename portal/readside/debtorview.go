package readside

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/sync/errgroup"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/readside/packed"
	"cartera/portal/store"
)

// The debtor view.
//
// A debtor's statement needs every one of their accounts; reading fifty
// account documents (each with its money history) costs fifty round trips
// and conversions on the embedded server. The view keeps, per debtor, one
// packed document of the rows a statement needs (<slug>:dv:<document>),
// read in one Get:
//
//   - a store watcher rewrites an account's row whenever an existing account
//     changes (payment, dispute, plan, recall, re-upload);
//   - new accounts (imports) do not touch it: they change the debtor's
//     accountIds, and a view built for other ids is rebuilt on the next read
//     from the accounts themselves, merged with any row the watcher wrote
//     meanwhile (the higher account rev wins), so a write racing the rebuild
//     is never lost.

// ViewRow is one account as the debtor's statement needs it.
type ViewRow struct {
	ID          string
	Invoice     string
	DebtorID    string
	DueDate     time.Time
	Original    int64
	Balance     int64
	Currency    string
	Status      string
	DisputeIDs  []string
	PlanID      string
	Description string
	Rev         int64
	// What the money engine prices the account from.
	Interest int64
	Credit   int64
	History  []accounts.Movement
	Pauses   []accounts.Pause
}

// Account is the row as an account, for the money engine (Price).
func (r ViewRow) Account() accounts.Account {
	return accounts.Account{ID: r.ID, Invoice: r.Invoice, DebtorID: r.DebtorID, DueDate: r.DueDate, Original: r.Original, Balance: r.Balance,
		Interest: r.Interest, Credit: r.Credit, Currency: r.Currency, Status: r.Status, PlanID: r.PlanID, Description: r.Description,
		History: r.History, Pauses: r.Pauses, DisputeIDs: r.DisputeIDs, Rev: r.Rev}
}

// viewFields are the account fields a row holds.
var viewFields = []string{"invoice", "debtorId", "dueDate", "original", "balance", "currency", "status", "disputeIds", "planId", "description",
	"interest", "credit", "history", "pauses"}

type viewAccount struct {
	ID          string              `bson:"_id"`
	Invoice     string              `bson:"invoice"`
	DebtorID    string              `bson:"debtorId"`
	DueDate     time.Time           `bson:"dueDate"`
	Original    int64               `bson:"original"`
	Balance     int64               `bson:"balance"`
	Currency    string              `bson:"currency"`
	Status      string              `bson:"status"`
	DisputeIDs  []string            `bson:"disputeIds"`
	PlanID      string              `bson:"planId"`
	Description string              `bson:"description"`
	Rev         int64               `bson:"rev"`
	Interest    int64               `bson:"interest"`
	Credit      int64               `bson:"credit"`
	History     []accounts.Movement `bson:"history"`
	Pauses      []accounts.Pause    `bson:"pauses"`
}

func (a viewAccount) row() ViewRow {
	return ViewRow(a)
}

// viewDoc is a debtor's view.
type viewDoc struct {
	ID   string   `bson:"_id"`
	IDs  []string `bson:"ids"`  // the debtor's accountIds it was built for (nil: partial)
	Rows []byte   `bson:"rows"` // []ViewRow, packView
	Rev  int64    `bson:"rev"`
}

func viewKey(debtorID string, sc *store.Scope) string { return sc.ID("dv:" + sc.Key(debtorID)) }

// DebtorViews keeps and reads the debtor views.
type DebtorViews struct {
	db     *store.DB
	paused sync.Map // tenant → true while a bulk load runs (Suspend)
}

// NewDebtorViews returns the views; Watch starts keeping them.
func NewDebtorViews(db *store.DB) *DebtorViews { return &DebtorViews{db: db} }

// Watch keeps the rows of existing accounts current (a projection, off the
// request path; a statement read waits for its debtor's own changes).
func (v *DebtorViews) Watch() {
	v.db.Project(store.Projection{Name: "accounts.debtorview", Sources: map[string][]string{"accounts": viewFields}, Apply: v.apply, Keys: viewKeys,
		Skips: func(ch store.Change) bool { _, off := v.paused.Load(ch.Tenant); return off }})
}

// Suspend stops keeping a tenant's views while a bulk load writes it (the
// demo's year, where rewriting a view after every payment cost more than
// the statements read): its statements read the accounts by _id meanwhile,
// a debtor having a few. Resume drops the views; each is rebuilt on its
// debtor's next statement.
func (v *DebtorViews) Suspend(tenant string) { v.paused.Store(tenant, true) }

// Resume keeps a suspended tenant's views again, from scratch.
func (v *DebtorViews) Resume(ctx context.Context, tenant string) error {
	if err := v.db.Settle(ctx, store.TenantKey(tenant)); err != nil {
		return err
	}
	v.paused.Delete(tenant)
	if _, err := v.Reset(ctx, tenant); err != nil {
		return fmt.Errorf("resume debtor views %s: %w", tenant, err)
	}
	return nil
}

// debtorKey is the read barrier of one debtor's view.
func debtorKey(tenant, debtorID string) string { return "dv/" + tenant + "/" + debtorID }

// viewKeys names the debtors whose view a change moves. A new account
// moves none (apply leaves inserts to the debtor's accountIds), so it sets
// no barrier: an import of 100,000 accounts no longer leaves one per
// debtor in the projector's table of keys.
func viewKeys(ch store.Change) []string {
	if ch.Before == nil {
		return nil
	}
	var keys []string
	for _, img := range []bson.Raw{ch.Before, ch.After} {
		if img == nil {
			continue
		}
		if d, ok := img.Lookup("debtorId").StringValueOK(); ok && d != "" {
			k := debtorKey(ch.Tenant, d)
			if len(keys) == 0 || keys[0] != k {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// apply writes the rows of a batch's changed accounts; the higher account
// rev wins, so running it again changes nothing.
func (v *DebtorViews) apply(ctx context.Context, b store.Batch) error {
	type key struct{ tenant, debtor string }
	by := map[key][]ViewRow{}
	for _, ch := range b.Changes {
		if ch.Before == nil || ch.After == nil || ch.Tenant == "" {
			continue // new accounts reach the view through the debtor's accountIds
		}
		var a viewAccount
		if err := bson.Unmarshal(ch.After, &a); err != nil || a.DebtorID == "" {
			continue
		}
		k := key{ch.Tenant, a.DebtorID}
		by[k] = append(by[k], a.row())
	}
	var g errgroup.Group
	g.SetLimit(4) // one document per debtor: they do not wait for each other
	for k, rows := range by {
		g.Go(func() error { return v.merge(ctx, v.db.Tenant(k.tenant), k.debtor, rows, nil) })
	}
	return g.Wait()
}

// merge writes rows into a debtor's view, the higher rev winning, and, when
// ids is not nil, marks the view as built for exactly those accounts.
func (v *DebtorViews) merge(ctx context.Context, sc *store.Scope, debtorID string, rows []ViewRow, ids []string) error {
	coll := sc.C("accountindex")
	id := viewKey(debtorID, sc)
	var out []ViewRow
	var doc viewDoc
	err := coll.MutateOrCreate(ctx, id, &doc, nil, func() (bson.D, error) {
		cur, err := unpackView(doc.Rows)
		stale := errors.Is(err, packed.ErrStale)
		if stale {
			cur = nil // an earlier format: these rows only, and rebuilt on the next read
		} else if err != nil {
			return nil, err
		}
		m := make(map[string]ViewRow, len(cur)+len(rows))
		for _, r := range cur {
			m[r.ID] = r
		}
		for _, r := range rows {
			if old, ok := m[r.ID]; !ok || r.Rev >= old.Rev {
				m[r.ID] = r
			}
		}
		set := bson.D{}
		if ids != nil {
			keep := make(map[string]ViewRow, len(ids))
			for _, aid := range ids {
				if r, ok := m[aid]; ok {
					keep[aid] = r
				}
			}
			m = keep
			set = append(set, bson.E{Key: "ids", Value: ids})
		} else if stale {
			set = append(set, bson.E{Key: "ids", Value: nil}) // partial now
		}
		out = out[:0]
		for _, r := range m {
			out = append(out, r)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		b, err := packView(out)
		if err != nil {
			return nil, err
		}
		return bson.D{{Key: "$set", Value: append(set, bson.E{Key: "rows", Value: b})}}, nil
	})
	if err != nil {
		return fmt.Errorf("debtor view: %w", err)
	}
	return nil
}

// Rows returns the rows of a debtor's accounts (ids: the debtor's
// accountIds), in the order of ids, skipping accounts that do not exist.
// One Get when the view is current; otherwise the accounts are read by _id
// and the view rebuilt.
func (v *DebtorViews) Rows(ctx context.Context, sc *store.Scope, debtorID string, ids []string) ([]ViewRow, error) {
	if _, off := v.paused.Load(sc.Slug()); off {
		return ReadViewRows(ctx, sc, ids)
	}
	if err := v.db.Settle(ctx, debtorKey(sc.Slug(), debtorID)); err != nil {
		return nil, err
	}
	var doc viewDoc
	err := sc.C("accountindex").Get(ctx, viewKey(debtorID, sc), &doc)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return nil, err
	}
	if err == nil && doc.IDs != nil && sameSet(doc.IDs, ids) {
		rows, err := unpackView(doc.Rows)
		if err == nil {
			return ordered(rows, ids), nil
		}
		if !errors.Is(err, packed.ErrStale) {
			return nil, err
		}
		// An earlier format: rebuilt from the accounts, as below.
	}
	fresh, err := ReadViewRows(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	if err := v.merge(ctx, sc, debtorID, fresh, slices.Clone(ids)); err != nil {
		return nil, err
	}
	if err := sc.C("accountindex").Get(ctx, viewKey(debtorID, sc), &doc); err != nil {
		return nil, err
	}
	rows, err := unpackView(doc.Rows)
	if err != nil {
		return nil, err
	}
	return ordered(rows, ids), nil
}

// Accounts is Rows as accounts (what the statement prices).
func (v *DebtorViews) Accounts(ctx context.Context, sc *store.Scope, debtorID string, ids []string) ([]accounts.Account, error) {
	rows, err := v.Rows(ctx, sc, debtorID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]accounts.Account, len(rows))
	for i, r := range rows {
		out[i] = r.Account()
		out[i].TenantID = sc.Slug()
	}
	return out, nil
}

// ReadViewRows reads accounts by _id, four at a time, as view rows (a
// missing account is left out).
func ReadViewRows(ctx context.Context, sc *store.Scope, ids []string) ([]ViewRow, error) {
	out := make([]viewAccount, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := sc.C("accounts").Get(ctx, id, &out[i]); err != nil && !errors.Is(err, apperr.ErrNotFound) {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rows := make([]ViewRow, 0, len(ids))
	for _, a := range out {
		if a.ID != "" {
			rows = append(rows, a.row())
		}
	}
	return rows, nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func ordered(rows []ViewRow, ids []string) []ViewRow {
	by := make(map[string]ViewRow, len(rows))
	for _, r := range rows {
		by[r.ID] = r
	}
	out := make([]ViewRow, 0, len(ids))
	for _, id := range ids {
		if r, ok := by[id]; ok {
			out = append(out, r)
		}
	}
	return out
}

// The rows' packed form (readside/packed): a count, then each row's fields
// in the order below (Sym for what repeats within a debtor); a change to ViewRow is a new viewLayout. A view in
// an earlier format or layout is rebuilt from the accounts, like a view
// built for other ids.
const (
	viewKind   packed.Kind = 'V'
	viewLayout             = 1
)

func packView(rows []ViewRow) ([]byte, error) {
	w := packed.NewWriter(viewKind, viewLayout, len(rows)*256)
	w.Len(len(rows))
	for i := range rows {
		r := &rows[i]
		w.String(r.ID)
		w.String(r.Invoice)
		w.Sym(r.DebtorID)
		w.Time(r.DueDate)
		w.Varint(r.Original)
		w.Varint(r.Balance)
		w.Sym(r.Currency)
		w.Sym(r.Status)
		packed.WriteSlice(w, r.DisputeIDs, (*packed.Writer).String)
		w.Sym(r.PlanID)
		w.String(r.Description)
		w.Varint(r.Rev)
		w.Varint(r.Interest)
		w.Varint(r.Credit)
		packed.WriteSlice(w, r.History, putMovement)
		packed.WriteSlice(w, r.Pauses, putPause)
	}
	return w.Finish()
}

func putMovement(w *packed.Writer, m accounts.Movement) {
	w.String(m.LedgerID)
	w.Sym(m.Kind)
	w.Sym(m.Channel)
	w.Varint(m.Amount)
	w.Time(m.At)
	w.OptTime(m.Value)
	w.String(m.Of)
	w.String(m.Ref)
	w.Sym(m.By)
	w.String(m.Note)
}

func putPause(w *packed.Writer, p accounts.Pause) {
	w.Sym(p.PlanID)
	w.Time(p.From)
	w.OptTime(p.To)
}

// unpackView reads packView; packed.ErrStale for a view of an earlier
// release (gob) or layout.
func unpackView(b []byte) ([]ViewRow, error) {
	if len(b) == 0 {
		return nil, nil
	}
	r, err := packed.Open(b, viewKind)
	if err != nil {
		return nil, err
	}
	if r.Version() != viewLayout {
		return nil, fmt.Errorf("%w: debtor view layout %d", packed.ErrStale, r.Version())
	}
	rows := make([]ViewRow, r.Len())
	for i := range rows {
		rows[i] = ViewRow{ID: r.String(), Invoice: r.String(), DebtorID: r.Sym(), DueDate: r.Time(),
			Original: r.Varint(), Balance: r.Varint(), Currency: r.Sym(), Status: r.Sym(),
			DisputeIDs: packed.ReadSlice(r, (*packed.Reader).String), PlanID: r.Sym(), Description: r.String(),
			Rev: r.Varint(), Interest: r.Varint(), Credit: r.Varint(),
			History: packed.ReadSlice(r, getMovement), Pauses: packed.ReadSlice(r, getPause)}
	}
	if err := r.End(); err != nil {
		return nil, err
	}
	return rows, nil
}

func getMovement(r *packed.Reader) accounts.Movement {
	return accounts.Movement{LedgerID: r.String(), Kind: r.Sym(), Channel: r.Sym(), Amount: r.Varint(), At: r.Time(),
		Value: r.OptTime(), Of: r.String(), Ref: r.String(), By: r.Sym(), Note: r.String()}
}

func getPause(r *packed.Reader) accounts.Pause {
	return accounts.Pause{PlanID: r.Sym(), From: r.Time(), To: r.OptTime()}
}

// Reset drops a tenant's debtor views (a scan): each is rebuilt from the
// accounts on its debtor's next statement. The daily check runs it, so a
// row a failed watcher left stale lives a day at most.
func (v *DebtorViews) Reset(ctx context.Context, tenant string) (int, error) {
	sc := v.db.Tenant(tenant)
	var ids []string
	err := sc.C("accountindex").Each(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}), func(raw bson.Raw) error {
		if id, _ := raw.Lookup("_id").StringValueOK(); strings.HasPrefix(sc.Key(id), "dv:") {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reset debtor views: %w", err)
	}
	for _, id := range ids {
		if err := sc.C("accountindex").Delete(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}
