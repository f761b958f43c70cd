// Package tally keeps the report counters ("tallies"), the read model the
// reports read their figures from, and defines them.
//
// On the embedded server a report cannot scan a tenant's collections in
// time (seconds at 100,000 accounts) and its aggregation is not to be
// trusted, so the figures come from counters kept as events happen and
// read by _id. The counters are defined by one pure function,
// contribution(doc): everything a source document (account, activity,
// promise, dispute, plan) adds to the counters over its whole life, each
// figure dated by the civil day (tenant zone) it happened on.
//
//   - live: on every committed write of a source document the store's
//     watcher (store.Watch) applies contribution(after) − contribution(before);
//   - rebuild: the counters of a tenant are Σ contribution(doc) over its
//     documents, which a reconciliation job and the tests compute from
//     scratch and compare figure by figure.
//
// Since the live sum telescopes to contribution(final document), both agree
// by construction; the comparison catches writes that bypass the store and
// the crash window between a write and its counters.
//
// Dated figures are kept per day (t:d:YYYYMMDD), per month (t:m:YYYYMM) and
// in the tenant's running state (t:state, every dated figure summed plus the
// undated ones such as accounts assigned now); a figure "as of" a past day
// is the state minus what is dated after it.
//
// The keys below are the read model's schema, named by its readers; how the
// counters are stored (packed figures, bitmaps of account numbers, batch
// guards) stays in this package (tally.go).
package tally

import (
	"encoding/hex"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/accounts"
	"cartera/portal/debtors"
	"cartera/portal/work"
)

// Counter keys (flat, so a whole delta is one $inc). A figure is dated
// (in the day, month and state documents) unless marked undated (state
// only).
const (
	PlacedCount         = "pl_n"   // placements (accounts placed)
	PlacedAmount        = "pl_a"   // placed amount
	Adjustments         = "adj"    // client adjustments
	Credits             = "cr"     // dispute credits (negative)
	PaymentCount        = "pay_n"  // payment entries
	Reversed            = "rev"    // reversed amount (positive)
	RecoveredPrefix     = "rec_"   // + channel (Channel): recovered, net of reversals
	Collected           = "col"    // all money collected net of what was given back: principal, interest, credit held
	RatePlaced          = "rt_pl"  // net placed of accounts not recalled
	RateRecovered       = "rt_rec" // recovered on accounts not recalled
	PromisesMade        = "pm_n"
	PromisedAmount      = "pm_a"
	PromisesKept        = "pm_k"
	PromisesBroken      = "pm_b"
	DisputesOpened      = "ds_o"
	DisputesAccepted    = "ds_a"
	DisputesRejected    = "ds_r"
	DisputesCredited    = "ds_c"
	DaysToResolvePrefix = "ds_d_" // + tenths of a day to resolve
	PlansCreated        = "pn_n"
	PlansCompleted      = "pn_c"
	PlansDefaulted      = "pn_d"
	PlansActive         = "pn_act" // undated: active now
	CurrencyPrefix      = "cur_"   // undated: + currency, accounts
	OutstandingPrefix   = "o_"     // + due day YYYYMMDD + _n / _a: outstanding by due date
	assignedPrefix      = "asg_"   // undated: + collector, open accounts assigned now (Assigned)
	// Per user (UserContacts, UserPromises, UserRecovered): c_<id>_ct
	// contacts, c_<id>_pm promises, c_<id>_rec recovered on the accounts
	// assigned to them.
)

// Sets of accounts, kept in the day and month documents.
const (
	SetContacted  = "contacted" // accounts with an outbound contact
	SetRightParty = "rpc"       // accounts where the right party was reached
	workedPrefix  = "w_"        // + user: accounts the user worked (Worked)
)

// Channel maps a ledger channel to a report channel (unknown: manual).
func Channel(ch string) string {
	switch ch {
	case "online", "client_reported":
		return ch
	}
	return "manual"
}

// safeID keeps an id usable inside a counter key (no dots, no dollars).
func safeID(id string) string {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "x" + hex.EncodeToString([]byte(id))
		}
	}
	return id
}

// idOf inverts safeID.
func idOf(key string) string {
	if len(key) > 1 && key[0] == 'x' {
		if b, err := hex.DecodeString(key[1:]); err == nil {
			return string(b)
		}
	}
	return key
}

func userKey(id, what string) string { return "c_" + safeID(id) + "_" + what }

// UserContacts is the counter of the contacts user made.
func UserContacts(user string) string { return userKey(user, "ct") }

// UserPromises is the counter of the promises user took.
func UserPromises(user string) string { return userKey(user, "pm") }

// UserRecovered is the counter of what was recovered on the accounts
// assigned to user.
func UserRecovered(user string) string { return userKey(user, "rec") }

// Assigned is the (undated) counter of the open accounts assigned to user.
func Assigned(user string) string { return assignedPrefix + safeID(user) }

// AssignedTo names the user whose Assigned counter key is.
func AssignedTo(key string) (user string, ok bool) {
	rest, ok := strings.CutPrefix(key, assignedPrefix)
	if !ok {
		return "", false
	}
	return idOf(rest), true
}

// Worked is the set of the accounts user worked.
func Worked(user string) string { return workedPrefix + safeID(user) }

// dayKey is a dated counter.
type dayKey struct{ day, key string }

// member says account acct belongs to set on day.
type member struct{ day, set, acct string }

// contrib is what one document contributes to the counters.
type contrib struct {
	dated   map[dayKey]int64
	state   map[string]int64
	members map[member]bool
	// seg is the portfolio segment of the document's account: every figure
	// is also counted under it (segKey), so a report can be filtered by
	// segment from the same documents.
	seg string
}

// segKey is key counted under a segment ("g_<segment>_<key>").
func segKey(seg, key string) string { return "g_" + safeID(seg) + "_" + key }

// Segments lists the segments that have counters in a set of keys.
func Segments(keys map[string]int64) []string {
	seen := map[string]bool{}
	for k := range keys {
		if rest, ok := strings.CutPrefix(k, "g_"); ok {
			if i := strings.IndexByte(rest, '_'); i > 0 {
				seen[idOf(rest[:i])] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// undated adds to a state (undated) figure, and under the segment.
func (c *contrib) undated(key string, v int64) {
	c.state[key] += v
	if c.seg != "" {
		c.state[segKey(c.seg, key)] += v
	}
}

// member adds an account to a day's set, and to the segment's.
func (c *contrib) member(day, set, acct string) {
	c.members[member{day, set, acct}] = true
	if c.seg != "" {
		c.members[member{day, segKey(c.seg, set), acct}] = true
	}
}

func newContrib() *contrib {
	return &contrib{dated: map[dayKey]int64{}, state: map[string]int64{}, members: map[member]bool{}}
}

func (c *contrib) add(day, key string, v int64) {
	if v != 0 {
		c.dated[dayKey{day, key}] += v
		if c.seg != "" {
			c.dated[dayKey{day, segKey(c.seg, key)}] += v
		}
	}
}

// minus returns c − o (members: those of c not in o; members are never
// withdrawn, as the documents that make them are append-only).
func (c *contrib) minus(o *contrib) *contrib {
	d := newContrib()
	subtract(d.dated, c.dated, o.dated)
	subtract(d.state, c.state, o.state)
	for m := range c.members {
		if !o.members[m] {
			d.members[m] = true
		}
	}
	return d
}

// subtract puts a − b into d (a key of a whose difference is zero left out).
func subtract[K comparable](d, a, b map[K]int64) {
	for k, v := range a {
		if v -= b[k]; v != 0 {
			d[k] = v
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			d[k] = -v
		}
	}
}

func (c *contrib) empty() bool { return len(c.dated) == 0 && len(c.state) == 0 && len(c.members) == 0 }

// dayOf is the tenant-local civil day of an instant.
func dayOf(t time.Time, loc *time.Location) string { return t.In(loc).Format("20060102") }

// Source collections and the fields whose change moves a counter.
var sources = map[string][]string{
	"accounts":   {"history", "balance", "status", "collectorId", "dueDate", "recalledAt", "currency", "segment"},
	"activities": {"by", "direction", "outcome", "at", "accountId"},
	"promises":   {"status", "settledAt", "amount", "createdAt", "by", "accountId"},
	"disputes":   {"status", "resolvedAt", "creditTotal", "createdAt", "accountIds"},
	"plans":      {"status", "closedAt", "createdAt", "kind", "accountIds"},
}

// SegmentOf names the portfolio segment of an account ("" for none).
type SegmentOf func(accountID string) string

// contribution is what raw (a document of coll) adds to the counters; nil
// raw adds nothing. segOf gives the segment of the account a non-account
// document is about (the account's own field for accounts).
func contribution(coll string, raw bson.Raw, loc *time.Location, segOf SegmentOf) (*contrib, error) {
	c := newContrib()
	if raw == nil {
		return c, nil
	}
	switch coll {
	case "accounts":
		c.seg, _ = raw.Lookup("segment").StringValueOK()
	case "activities", "promises":
		if id, ok := raw.Lookup("accountId").StringValueOK(); ok && segOf != nil {
			c.seg = segOf(id)
		}
	case "disputes", "plans":
		// A dispute or plan spanning segments counts under its first account's.
		if ids, ok := raw.Lookup("accountIds").ArrayOK(); ok && segOf != nil {
			if vs, err := ids.Values(); err == nil && len(vs) > 0 {
				if id, ok := vs[0].StringValueOK(); ok {
					c.seg = segOf(id)
				}
			}
		}
	}
	var err error
	switch coll {
	case "accounts":
		err = accountContrib(c, raw, loc)
	case "activities":
		err = activityContrib(c, raw, loc)
	case "promises":
		err = promiseContrib(c, raw, loc)
	case "disputes":
		err = disputeContrib(c, raw, loc)
	case "plans":
		err = planContrib(c, raw, loc)
	}
	return c, err
}

func accountContrib(c *contrib, raw bson.Raw, loc *time.Location) error {
	var a struct {
		Status      string              `bson:"status"`
		Currency    string              `bson:"currency"`
		CollectorID string              `bson:"collectorId"`
		DueDate     time.Time           `bson:"dueDate"`
		RecalledAt  *time.Time          `bson:"recalledAt"`
		UpdatedAt   time.Time           `bson:"updatedAt"`
		History     []accounts.Movement `bson:"history"`
	}
	if err := bson.Unmarshal(raw, &a); err != nil {
		return err
	}
	if a.Currency != "" {
		c.undated(CurrencyPrefix+a.Currency, 1)
	}
	recalled := a.Status == accounts.StatusRecalled
	recAt := a.UpdatedAt
	if a.RecalledAt != nil {
		recAt = *a.RecalledAt
	}
	due := a.DueDate.UTC().Format("20060102")
	outN, outA := OutstandingPrefix+due+"_n", OutstandingPrefix+due+"_a"
	hist := append([]accounts.Movement(nil), a.History...)
	sort.SliceStable(hist, func(i, j int) bool { return hist[i].At.Before(hist[j].At) })

	var bal, placed, rec int64
	out := false // recalled: no longer outstanding nor in the recovery rate
	recall := func() {
		day := dayOf(recAt, loc)
		c.add(day, RatePlaced, -placed)
		c.add(day, RateRecovered, -rec)
		if bal > 0 {
			c.add(day, outN, -1)
			c.add(day, outA, -bal)
		}
		out = true
	}
	for _, m := range hist {
		if recalled && !out && !m.At.Before(recAt) {
			recall()
		}
		day := dayOf(m.At, loc)
		if got := accounts.Collected(m.Kind, m.Amount); got != 0 && !out {
			c.add(day, Collected, got)
		}
		var p, r int64 // effect on placed and recovered
		switch m.Kind {
		case accounts.KindPlacement:
			c.add(day, PlacedCount, 1)
			c.add(day, PlacedAmount, m.Amount)
			p = m.Amount
		case accounts.KindAdjustment:
			c.add(day, Adjustments, m.Amount)
			p = m.Amount
		case accounts.KindCredit:
			c.add(day, Credits, m.Amount)
			p = m.Amount
		case accounts.KindPayment, accounts.KindReversal:
			r = -m.Amount
			if m.Kind == accounts.KindPayment {
				c.add(day, PaymentCount, 1)
			} else {
				c.add(day, Reversed, m.Amount)
			}
			c.add(day, RecoveredPrefix+Channel(m.Channel), r)
			if a.CollectorID != "" {
				c.add(day, UserRecovered(a.CollectorID), r)
			}
		}
		if accounts.Book(m.Kind) != accounts.BookPrincipal {
			continue // interest and credit held: not outstanding principal
		}
		old := bal
		bal += m.Amount
		if out {
			continue
		}
		placed += p
		rec += r
		c.add(day, RatePlaced, p)
		c.add(day, RateRecovered, r)
		c.add(day, outN, b2i(bal > 0)-b2i(old > 0))
		c.add(day, outA, max(bal, 0)-max(old, 0))
	}
	if recalled && !out {
		recall()
	}
	if !recalled && bal > 0 && a.CollectorID != "" {
		c.undated(Assigned(a.CollectorID), 1)
	}
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func activityContrib(c *contrib, raw bson.Raw, loc *time.Location) error {
	var a struct {
		AccountID string    `bson:"accountId"`
		Direction string    `bson:"direction"`
		Outcome   string    `bson:"outcome"`
		By        string    `bson:"by"`
		At        time.Time `bson:"at"`
	}
	if err := bson.Unmarshal(raw, &a); err != nil {
		return err
	}
	day := dayOf(a.At, loc)
	if a.By != "" {
		c.add(day, UserContacts(a.By), 1)
		c.member(day, Worked(a.By), a.AccountID)
	}
	if a.Direction == "outbound" {
		c.member(day, SetContacted, a.AccountID)
		if a.Outcome == work.OutcomeContacted || a.Outcome == work.OutcomePromise {
			c.member(day, SetRightParty, a.AccountID)
		}
	}
	return nil
}

func promiseContrib(c *contrib, raw bson.Raw, loc *time.Location) error {
	var p struct {
		Status    string     `bson:"status"`
		Amount    int64      `bson:"amount"`
		By        string     `bson:"by"`
		CreatedAt time.Time  `bson:"createdAt"`
		SettledAt *time.Time `bson:"settledAt"`
	}
	if err := bson.Unmarshal(raw, &p); err != nil {
		return err
	}
	day := dayOf(p.CreatedAt, loc)
	c.add(day, PromisesMade, 1)
	c.add(day, PromisedAmount, p.Amount)
	if p.By != "" {
		c.add(day, UserPromises(p.By), 1)
	}
	if p.SettledAt != nil {
		switch p.Status {
		case work.PromiseKept:
			c.add(dayOf(*p.SettledAt, loc), PromisesKept, 1)
		case work.PromiseBroken:
			c.add(dayOf(*p.SettledAt, loc), PromisesBroken, 1)
		}
	}
	return nil
}

func disputeContrib(c *contrib, raw bson.Raw, loc *time.Location) error {
	var d struct {
		Status      string     `bson:"status"`
		CreatedAt   time.Time  `bson:"createdAt"`
		ResolvedAt  *time.Time `bson:"resolvedAt"`
		CreditTotal int64      `bson:"creditTotal"`
	}
	if err := bson.Unmarshal(raw, &d); err != nil {
		return err
	}
	c.add(dayOf(d.CreatedAt, loc), DisputesOpened, 1)
	if d.ResolvedAt == nil {
		return nil
	}
	day := dayOf(*d.ResolvedAt, loc)
	switch d.Status {
	case debtors.DisputeAccepted:
		c.add(day, DisputesAccepted, 1)
		c.add(day, DisputesCredited, d.CreditTotal)
	case debtors.DisputeRejected:
		c.add(day, DisputesRejected, 1)
	}
	tenths := int64(math.Round(d.ResolvedAt.Sub(d.CreatedAt).Hours() / 24 * 10))
	c.add(day, DaysToResolvePrefix+strconv.FormatInt(max(tenths, 0), 10), 1)
	return nil
}

func planContrib(c *contrib, raw bson.Raw, loc *time.Location) error {
	var p struct {
		Kind      string     `bson:"kind"`
		Status    string     `bson:"status"`
		CreatedAt time.Time  `bson:"createdAt"`
		ClosedAt  *time.Time `bson:"closedAt"`
	}
	if err := bson.Unmarshal(raw, &p); err != nil {
		return err
	}
	if p.Kind != "plan" {
		return nil // the one-active-plan lock documents share the collection
	}
	c.add(dayOf(p.CreatedAt, loc), PlansCreated, 1)
	switch p.Status {
	case payments.PlanActive:
		c.undated(PlansActive, 1)
	case payments.PlanCompleted, payments.PlanDefaulted:
		at := p.CreatedAt
		if p.ClosedAt != nil {
			at = *p.ClosedAt
		}
		k := PlansCompleted
		if p.Status == payments.PlanDefaulted {
			k = PlansDefaulted
		}
		c.add(dayOf(at, loc), k, 1)
	}
	return nil
}
