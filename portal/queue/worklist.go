package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/sync/errgroup"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// ctxTenant is a tenant with what entry building needs, loaded once per call.
type ctxTenant struct {
	t      tenants.Tenant
	sc     *store.Scope
	pol    strategy.Policy // the tenant's (the champion)
	arms   strategy.Arms
	loc    *time.Location
	today  time.Time
	debtor map[string]debtorDoc // cache within one call
}

// anchor is the date the account's ladder days count from (the policy's
// ladder start), the placement read in the tenant's zone.
func (c *ctxTenant) anchor(a accountDoc) time.Time {
	return c.polOf(a.Test).Anchor(a.DueDate, a.CreatedAt.In(c.loc))
}

// polOf is the policy an account follows: its strategy-test arm's while
// the test runs, the tenant's otherwise.
func (c *ctxTenant) polOf(t *accounts.TestArm) strategy.Policy {
	if t == nil {
		return c.pol
	}
	return c.arms.Of(t.ID, t.Arm)
}

func (s *Service) load(ctx context.Context, tenant string) (*ctxTenant, error) {
	return s.loadAt(ctx, tenant, s.now())
}

// loadAt is load with today as of now.
func (s *Service) loadAt(ctx context.Context, tenant string, now time.Time) (*ctxTenant, error) {
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	arms, err := s.policy.Arms(ctx, tenant)
	if err != nil {
		return nil, err
	}
	loc := t.Location()
	return &ctxTenant{t: t, sc: s.db.Tenant(tenant), pol: arms.Champion, arms: arms, loc: loc, today: civilToday(now, loc), debtor: map[string]debtorDoc{}}, nil
}

func (c *ctxTenant) getDebtor(ctx context.Context, id string) (debtorDoc, error) {
	if d, ok := c.debtor[id]; ok {
		return d, nil
	}
	var d debtorDoc
	if err := c.sc.C("debtors").Get(ctx, id, &d); err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return d, err
	}
	if len(c.debtor) > 5000 {
		clear(c.debtor)
	}
	c.debtor[id] = d
	return d, nil
}

// livePromise reads the account's newest promise (only one can be live at a
// time, and it is always the newest) and reports whether it is live.
func (c *ctxTenant) livePromise(ctx context.Context, a accountDoc) (bool, error) {
	if len(a.PromiseIDs) == 0 {
		return false, nil
	}
	var p promiseDoc
	err := c.sc.C("promises").Get(ctx, a.PromiseIDs[len(a.PromiseIDs)-1], &p)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	return err == nil && p.Status == "live", err
}

// channels counts a debtor's valid contacts and the channels the rules let
// us use: the recorded consent, or by default those the contacts allow.
func channels(d debtorDoc) (valid, open int) {
	set := map[string]bool{}
	for _, c := range d.Contacts {
		if c.Invalid || c.Value == "" {
			continue
		}
		valid++
		switch c.Kind {
		case "email":
			set["email"] = true
		case "phone":
			set["call"], set["sms"] = true, true
		case "whatsapp":
			set["whatsapp"] = true
		case "address":
			set["visit"], set["letter"] = true, true
		}
	}
	if d.Consent != nil && len(d.Consent.Channels) > 0 {
		clear(set)
		for ch, cc := range d.Consent.Channels {
			if cc.Authorized && !cc.OptedOut {
				set[ch] = true
			}
		}
	}
	return valid, len(set)
}

// pauseOf reads the ladder's pauses from the account.
func pauseOf(a accountDoc, live bool) strategy.Pause {
	return strategy.Pause{
		Paid:     a.Status == accounts.StatusPaid || a.Balance <= 0,
		Recalled: a.Status == accounts.StatusRecalled,
		Dispute:  a.Disputed,
		Plan:     a.PlanID != "",
		Promise:  live,
	}
}

// wantedAction is the collector's next action given the account's ladder
// state: a pending promise follow-up wins; otherwise the ladder's next
// manual step (due or upcoming); nothing while paused or when the next step
// is automatic (the runner sends it).
func wantedAction(c *ctxTenant, a accountDoc, live bool) *NextAction {
	n := strategy.NextStep(c.polOf(a.Test), c.anchor(a), c.today, a.LadderDone, pauseOf(a, live))
	if n.Stop != "" {
		return nil
	}
	if a.NextAction != nil && a.NextAction.Type == ActionPromiseFollowUp {
		return a.NextAction
	}
	if n.Step == nil || n.Step.SentByOutbox() {
		return nil
	}
	label := n.Step.Label
	return &NextAction{Type: n.Step.Channel, Due: n.Due, Step: n.Step.Key(), Label: label}
}

// buildEntry computes a worklist entry from the account and its debtor.
func buildEntry(c *ctxTenant, a accountDoc, d debtorDoc, live bool, next *NextAction) Entry {
	valid, open := channels(d)
	e := Entry{
		AccountID: a.ID, Invoice: a.Invoice, DebtorName: a.DebtorName, Balance: a.Balance, Currency: a.Currency,
		DueDate: a.DueDate, Segment: a.Segment, BrokenPromises: a.BrokenPromises, UnansweredCalls: a.UnansweredCalls,
		ValidContacts: valid, Channels: open, LastContactAt: a.LastActivityAt, NextAction: next, Rev: a.Rev,
	}
	if a.Disputed {
		e.Flags = append(e.Flags, FlagDisputed)
	}
	if live {
		e.Flags = append(e.Flags, FlagPromiseLive)
	}
	if a.PlanID != "" {
		e.Flags = append(e.Flags, FlagPlan)
	}
	if valid == 0 {
		e.Flags = append(e.Flags, FlagNoContacts)
	} else if open == 0 {
		e.Flags = append(e.Flags, FlagNoChannel)
	}
	e.Priority, e.Reasons = e.score(c.t.Locale, c.today)
	return e
}

func (e Entry) factors(locale string, today time.Time) Factors {
	return Factors{Balance: e.Balance, Currency: e.Currency, Locale: locale, DaysPastDue: daysBetween(e.DueDate, today),
		BrokenPromises: e.BrokenPromises, UnansweredCalls: e.UnansweredCalls, ValidContacts: e.ValidContacts, Channels: e.Channels, Segment: e.Segment}
}

func (e Entry) score(locale string, today time.Time) (int, []string) {
	return Score(e.factors(locale, today))
}

// inWorklist reports whether an account belongs in its collector's worklist.
func inWorklist(a accountDoc) bool {
	return a.CollectorID != "" && a.Status == accounts.StatusOpen && a.Balance > 0
}

// Edits are worklist changes gathered by collector, for Worklists.Write.
type Edits struct {
	Set   map[string]map[string]Entry // collector -> account key -> entry
	Unset map[string][]string         // collector -> account keys to drop
}

func newEdits() *Edits {
	return &Edits{Set: map[string]map[string]Entry{}, Unset: map[string][]string{}}
}

// write applies w. A worklist an earlier release wrote cannot be edited:
// the tenant's worklists are rebuilt from the accounts instead, which hold
// what w carries.
func (s *Service) write(ctx context.Context, c *ctxTenant, w *Edits, now time.Time) error {
	err := s.lists.Write(ctx, c.sc, w, now)
	if errors.Is(err, ErrStaleWorklist) {
		_, err = s.RebuildWorklists(ctx, c.t.ID)
	}
	return err
}

func (w *Edits) put(collector, key string, e Entry) {
	if w.Set[collector] == nil {
		w.Set[collector] = map[string]Entry{}
	}
	w.Set[collector][key] = e
}

func (w *Edits) remove(collector, key string) {
	if collector != "" {
		w.Unset[collector] = append(w.Unset[collector], key)
	}
}

// Move is an account that changed hands (From or To may be empty).
type Move = accounts.Move

// Assigned keeps worklists current when accounts change collector (manual
// assignment, the rule, an import). Moves that carry the account (imports)
// need no read of it.
func (s *Service) Assigned(ctx context.Context, tenant string, moves []Move) {
	if err := s.assigned(ctx, tenant, moves); err != nil {
		s.log.Error("worklist: assignment", "tenant", tenant, "err", err)
	}
}

func (s *Service) assigned(ctx context.Context, tenant string, moves []Move) error {
	if len(moves) == 0 {
		return nil
	}
	c, err := s.load(ctx, tenant)
	if err != nil {
		return err
	}
	w := newEdits()
	for _, m := range moves {
		if m.From != "" && m.From != m.To {
			w.remove(m.From, c.sc.Key(m.AccountID))
		}
		var a accountDoc
		if m.Account != nil {
			a = fromAccount(*m.Account)
		} else if err := c.sc.C("accounts").Get(ctx, m.AccountID, &a); errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if err := s.stage(ctx, c, w, a); err != nil {
			return err
		}
	}
	return s.write(ctx, c, w, s.now())
}

// stage builds the account's entry and queues its write, or its removal
// when the account belongs in no worklist.
func (s *Service) stage(ctx context.Context, c *ctxTenant, w *Edits, a accountDoc) error {
	if !inWorklist(a) {
		w.remove(a.CollectorID, c.sc.Key(a.ID))
		return nil
	}
	live, err := c.livePromise(ctx, a)
	if err != nil {
		return err
	}
	return s.stageLive(ctx, c, w, a, live)
}

// stageLive is stage when the promise state is known.
func (s *Service) stageLive(ctx context.Context, c *ctxTenant, w *Edits, a accountDoc, live bool) error {
	e, err := entryLive(ctx, c, a, live)
	if err != nil {
		return err
	}
	w.put(a.CollectorID, c.sc.Key(a.ID), e)
	return nil
}

// entryLive builds the account's entry when the promise state is known.
func entryLive(ctx context.Context, c *ctxTenant, a accountDoc, live bool) (Entry, error) {
	d, err := c.getDebtor(ctx, a.DebtorID)
	if err != nil {
		return Entry{}, err
	}
	return buildEntry(c, a, d, live, wantedAction(c, a, live)), nil
}

func fromAccount(x accounts.Account) accountDoc {
	return accountDoc{ID: x.ID, TenantID: x.TenantID, Invoice: x.Invoice, DebtorID: x.DebtorID, Document: x.Document, DebtorName: x.DebtorName,
		DueDate: x.DueDate, Balance: x.Balance, Currency: x.Currency, Status: x.Status, CollectorID: x.CollectorID, Segment: x.Segment,
		Description: x.Description, CreatedAt: x.CreatedAt, Test: x.Test, Rev: x.Rev}
}

// AccountChanged recomputes an account's next action and its worklist entry
// (after a payment, a promise kept, a new contact datum).
func (s *Service) AccountChanged(ctx context.Context, tenant, accountID string) {
	if err := s.touch(ctx, tenant, accountID, nil); err != nil {
		s.log.Error("worklist: account changed", "tenant", tenant, "err", err)
	}
}

// ActivityLogged marks the ladder steps an outbound contact carried out (a
// contact on a step's channel on or after its date), clears a promise
// follow-up, and refreshes the entry.
func (s *Service) ActivityLogged(ctx context.Context, tenant, accountID, channel, direction string, at time.Time) {
	err := s.touch(ctx, tenant, accountID, func(c *ctxTenant, a *accountDoc) {
		if direction == "inbound" {
			return
		}
		day := civilToday(at, c.loc)
		for _, st := range c.polOf(a.Test).Steps {
			if st.Channel == channel && !c.anchor(*a).AddDate(0, 0, st.Day).After(day) && !slices.Contains(a.LadderDone, st.Key()) {
				a.LadderDone = append(a.LadderDone, st.Key())
			}
		}
		if a.NextAction != nil && a.NextAction.Type == ActionPromiseFollowUp {
			a.NextAction = nil
		}
	})
	if err != nil {
		s.log.Error("worklist: activity", "tenant", tenant, "err", err)
	}
}

// PromiseBroken puts a follow-up call first in the collector's queue today.
func (s *Service) PromiseBroken(ctx context.Context, tenant, accountID string) {
	err := s.touch(ctx, tenant, accountID, func(c *ctxTenant, a *accountDoc) {
		a.NextAction = &NextAction{Type: ActionPromiseFollowUp, Due: c.today, Label: "Seguimiento de promesa incumplida"}
	})
	if err != nil {
		s.log.Error("worklist: promise broken", "tenant", tenant, "err", err)
	}
}

// touch applies change to the account's ladder state (under its
// compare-and-set), recomputes its next action and rewrites its entry.
func (s *Service) touch(ctx context.Context, tenant, accountID string, change func(c *ctxTenant, a *accountDoc)) error {
	c, err := s.load(ctx, tenant)
	if err != nil {
		return err
	}
	var cur accountDoc
	if err := c.sc.C("accounts").Get(ctx, accountID, &cur); err != nil {
		return err
	}
	live, err := c.livePromise(ctx, cur)
	if err != nil {
		return err
	}
	a, err := s.saveLadderDoc(ctx, c, accountID, live, change)
	if err != nil {
		return err
	}
	w := newEdits()
	if err := s.stage(ctx, c, w, a); err != nil {
		return err
	}
	return s.write(ctx, c, w, s.now())
}

// saveLadderDoc writes ladderDone and nextAction when they changed and
// returns the account as written, so no caller reads it again. The
// callback only computes: no store call happens inside Mutate.
func (s *Service) saveLadderDoc(ctx context.Context, c *ctxTenant, accountID string, live bool, change func(c *ctxTenant, a *accountDoc)) (accountDoc, error) {
	var a accountDoc
	wrote := false
	err := accounts.MarkLadder(ctx, c.sc, accountID, &a, func() (bson.D, error) {
		wrote = false
		before, beforeDone := a.NextAction, len(a.LadderDone)
		if change != nil {
			change(c, &a)
		}
		next := wantedAction(c, a, live)
		if next.equal(before) && len(a.LadderDone) == beforeDone {
			a.NextAction = before // as stored: change may have set an equal one
			return nil, nil
		}
		done := a.LadderDone
		if done == nil {
			done = []string{}
		}
		a.NextAction, wrote = next, true
		return bson.D{{Key: "$set", Value: bson.D{{Key: "nextAction", Value: next}, {Key: "ladderDone", Value: done}}}}, nil
	})
	if wrote {
		a.Rev++ // Mutate's $inc
	}
	return a, err
}

// Item is a queue row.
type Item struct {
	AccountID   string   `json:"accountId"`
	Tenant      string   `json:"tenant"`
	Invoice     string   `json:"invoice"`
	DebtorName  string   `json:"debtorName"`
	Balance     int64    `json:"balance"`
	Currency    string   `json:"currency"`
	DaysPastDue int      `json:"daysPastDue"`
	NextAction  ItemStep `json:"nextAction"`
	Priority    int      `json:"priority"`
	Reasons     []string `json:"reasons"`
	Flags       []string `json:"flags"`
	due         time.Time
	rev         int64
	id          string
	entry       Entry
}

// ItemStep is an item's next action.
type ItemStep struct {
	Type  string `json:"type"`
	Due   string `json:"due"`
	Label string `json:"label,omitempty"`
}

// QueueFilter selects a queue.
type QueueFilter struct {
	Tenant    string // empty: every tenant of the caller
	Type      string // next action type, e.g. call
	Collector string // managers and admins: whose queue
	Limit     int
	Lang      string // the reasons' language ("": the tenant's)
}

// Queue returns the caller's accounts with a task due, highest priority
// first. It reads one worklist document per tenant by _id; the rows it
// returns are checked against their accounts by _id (rev and collector), so
// a change no hook saw (an online payment, a dispute, a recall) is applied
// before it is shown.
func (s *Service) Queue(ctx context.Context, f QueueFilter) ([]Item, error) {
	a := actor.From(ctx)
	collector := a.UserID
	switch a.Role {
	case tenants.RoleCollector:
		if f.Collector != "" && f.Collector != a.UserID {
			return nil, fmt.Errorf("queue: %w", apperr.ErrForbidden)
		}
	case tenants.RoleManager, tenants.RoleAdmin:
		if f.Collector == "" {
			return nil, apperr.Field("collector", "indique el gestor cuya cola quiere ver")
		}
		collector = f.Collector
	default:
		return nil, fmt.Errorf("queue: %w", apperr.ErrForbidden)
	}
	list := a.Tenants
	if f.Tenant != "" {
		if !a.Member(f.Tenant) {
			return nil, fmt.Errorf("tenant: %w", apperr.ErrNotFound)
		}
		list = []string{f.Tenant}
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	// Rows point into the cached, read-only lists: a copy of 5,000 rows per
	// request showed up as the largest cost in the profile.
	var items []*Item
	byTenant := map[string]*ctxTenant{}
	for _, tenant := range list {
		t, err := s.tenants.TenantByID(ctx, tenant)
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		c := &ctxTenant{t: t, sc: s.db.Tenant(tenant), loc: t.Location(), today: civilToday(s.now(), t.Location())}
		byTenant[tenant] = c
		all, err := s.dueItems(ctx, c, collector)
		if err != nil {
			return nil, err
		}
		for i := range all {
			if f.Type == "" || all[i].NextAction.Type == f.Type {
				items = append(items, &all[i])
			}
		}
	}
	if len(list) > 1 {
		slices.SortStableFunc(items, func(x, y *Item) int { return compareItems(*x, *y) })
	}
	// The rows shown are checked against their accounts, a batch at a time
	// and the reads of a batch in parallel (each is an _id read; the
	// embedded server answers several at once).
	out := make([]Item, 0, min(f.Limit, len(items)))
	for len(out) < f.Limit && len(items) > 0 {
		batch := items[:min(f.Limit-len(out), len(items))]
		items = items[len(batch):]
		fresh := make([]Item, len(batch))
		shown := make([]bool, len(batch))
		var g errgroup.Group
		g.SetLimit(verifyParallel)
		for i, it := range batch {
			g.Go(func() (err error) {
				fresh[i], shown[i], err = s.verify(ctx, byTenant[it.Tenant], collector, *it, f.Type)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for i := range batch {
			if shown[i] {
				out = append(out, fresh[i])
			}
		}
	}
	slices.SortFunc(out, compareItems)
	if f.Lang != "" { // the reader chose a language: the reasons in it
		for i := range out {
			c := byTenant[out[i].Tenant]
			fac := out[i].entry.factors(c.t.Locale, c.today)
			fac.Lang = f.Lang
			_, out[i].Reasons = Score(fac)
		}
	}
	return out, nil
}

// verifyParallel bounds the concurrent account reads of one queue request.
const verifyParallel = 4

// dueItems returns a collector's rows with an action due today in one
// tenant, sorted, from memory when the worklist has not changed.
func (s *Service) dueItems(ctx context.Context, c *ctxTenant, collector string) ([]Item, error) {
	items, err := s.lists.Rows(ctx, c.sc, collector, c.today, c.t.Locale, func(n int, each func(func(Entry)) error) ([]Item, error) {
		items := make([]Item, 0, n)
		err := each(func(e Entry) {
			if it, ok := itemOf(c, e, ""); ok {
				items = append(items, it)
			}
		})
		if err != nil {
			return nil, err
		}
		return sortedCopy(items), nil
	})
	if errors.Is(err, ErrStaleWorklist) { // an earlier release's: rebuilt, then read as current
		if _, err := s.RebuildWorklists(ctx, c.t.ID); err != nil {
			return nil, err
		}
		return s.dueItems(ctx, c, collector)
	}
	return items, err
}

// sortedCopy sorts rows through an index (moving the small indexes, not the
// rows, which are a few hundred bytes each).
func sortedCopy(items []Item) []Item {
	idx := make([]int32, len(items))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return compareItems(items[a], items[b]) })
	out := make([]Item, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out
}

// compareItems orders rows: highest priority first, then the oldest action,
// then the account id (stable across reads).
func compareItems(x, y Item) int {
	if x.Priority != y.Priority {
		return y.Priority - x.Priority
	}
	if c := x.due.Compare(y.due); c != 0 {
		return c
	}
	return strings.Compare(x.id, y.id)
}

// itemOf turns an entry into a queue row when its action is due today and
// of the wanted type; the score is recomputed for today.
func itemOf(c *ctxTenant, e Entry, typ string) (Item, bool) {
	n := e.NextAction
	if n == nil || n.Due.After(c.today) || (typ != "" && n.Type != typ) {
		return Item{}, false
	}
	p := Points(e.factors(c.t.Locale, c.today))
	flags := e.Flags
	if flags == nil {
		flags = []string{}
	}
	return Item{AccountID: c.sc.Key(e.AccountID), Tenant: c.t.ID, Invoice: e.Invoice, DebtorName: e.DebtorName, Balance: e.Balance,
		Currency: e.Currency, DaysPastDue: daysBetween(e.DueDate, c.today),
		NextAction: ItemStep{Type: n.Type, Due: n.Due.Format(time.DateOnly), Label: n.Label},
		Priority:   p, Flags: flags, due: n.Due, rev: e.Rev, id: e.AccountID, entry: e}, true
}

// verify checks a row against its account; when the account changed since
// the entry was built, the row is computed from the account (no write: the
// worklist projection rewrites the entry).
func (s *Service) verify(ctx context.Context, c *ctxTenant, collector string, it Item, typ string) (Item, bool, error) {
	current, found, err := s.lists.Current(ctx, c.sc, it.id, it.rev, collector)
	if err != nil || !found {
		return Item{}, false, err // gone: the projection drops its entry
	}
	if current {
		_, it.Reasons = it.entry.score(c.t.Locale, c.today)
		return it, true, nil
	}
	// Changed since its entry was built (or moved to another collector):
	// shown as it is now; the projection rewrites the entry.
	return s.freshItem(ctx, c.t.ID, collector, it.id, typ)
}

// RebuildWorklists recomputes every worklist of a tenant from its accounts
// (a scan: for the scheduler and for repair) and drops worklists of
// collectors left without accounts. It returns how many entries it wrote.
func (s *Service) RebuildWorklists(ctx context.Context, tenant string) (int, error) {
	c, err := s.load(ctx, tenant)
	if err != nil {
		return 0, err
	}
	w := newEdits() // its entries; each worklist is then written whole
	err = c.sc.C("accounts").Each(ctx, bson.D{{Key: "status", Value: accounts.StatusOpen}}, options.Find().SetProjection(accountProjection), func(raw bson.Raw) error {
		var a accountDoc
		if err := bson.Unmarshal(raw, &a); err != nil {
			return err
		}
		return s.stage(ctx, c, w, a)
	})
	if err != nil {
		return 0, fmt.Errorf("rebuild worklists: %w", err)
	}
	now, n := s.now(), 0
	for col, entries := range w.Set {
		n += len(entries)
		if err := s.lists.Replace(ctx, c.sc, col, entries, now); err != nil {
			return n, err
		}
	}
	// Every other worklist goes (its collector has no open account, or it
	// is not where this release keeps it), so none is left to read stale.
	return n, s.lists.Prune(ctx, c.sc, func(col string) bool { _, ok := w.Set[col]; return ok })
}
