package reports

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"cartera/payments/calc"
	"cartera/portal/apperr"
	"cartera/portal/readside/tally"
	"cartera/portal/store"
	"cartera/tenants"
)

// Channels are the payment channels, in report order.
func Channels() []string { return []string{"online", "manual", "client_reported"} }

// Counters reads a tenant's report counters documents by key
// (tally.DayDoc, MonthDoc, StateDoc), once the reader's own changes are
// counted: tally.Tally, which keeps them.
type Counters interface {
	Read(ctx context.Context, tenant string, keys []string) (map[string]tally.Counts, error)
}

// ErrMultiCurrency refuses a report over accounts in several currencies.
func errMultiCurrency(cs []string) error {
	return &apperr.Refusal{Code: "multi_currency", Reason: "la cartera tiene cuentas en varias monedas (" + strings.Join(cs, ", ") + "): los informes se calculan en una sola moneda"}
}

// ratio is num/den in basis points rounded half up; 0 when den is 0.
func ratio(num, den int64) int64 {
	if den == 0 {
		return 0
	}
	return mulDivRound(num, 10000, den)
}

// mulDivRound is a*b/c rounded half away from zero, without overflow.
func mulDivRound(a, b, c int64) int64 {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	d := big.NewInt(c)
	neg := n.Sign()*d.Sign() < 0
	n.Abs(n)
	d.Abs(d)
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Lsh(r, 1).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

func rate(num, den int64) Rate { return Rate{Num: num, Den: den, BP: ratio(num, den)} }

// monthsBack is how many months the monthly series covers.
const monthsBack = 12

// vals is a set of counter values.
type vals map[string]int64

func (v vals) add(o map[string]int64, sign int64) {
	for k, x := range o {
		v[k] += sign * x
	}
}

// sumWith prefix adds the values whose key starts with prefix.
func (v vals) sumPrefix(prefix string) int64 {
	var n int64
	for k, x := range v {
		if strings.HasPrefix(k, prefix) {
			n += x
		}
	}
	return n
}

// plan says which counters documents a summary reads.
type plan struct {
	period   []string // documents that exactly cover the period
	afterTo  []string // documents dated after the period's last day
	cutTo    []string // days of the last month after to (in afterTo too)
	monthly  []string // the twelve month documents, oldest first
	months   []string // their months, "YYYY-MM"
	allKeys  []string
	toMonthK string
}

// civil is the civil day of t in loc, at midnight.
func civil(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

// readPlan decomposes the period into whole months and loose days, and
// lists what is dated after it up to today (never later: nothing is).
func readPlan(p Period, today time.Time) plan {
	var pl plan
	loc := p.Loc
	monthStart := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, loc) }
	days := func(from, to time.Time, out *[]string) {
		for d := from; !d.After(to) && !d.After(today); d = d.AddDate(0, 0, 1) {
			*out = append(*out, tally.DayDoc(d.Format("20060102")))
		}
	}
	for m := monthStart(p.From); !m.After(p.To); m = m.AddDate(0, 1, 0) {
		last := m.AddDate(0, 1, -1)
		if !m.Before(p.From) && !last.After(p.To) {
			pl.period = append(pl.period, tally.MonthDoc(m.Format("200601")))
			continue
		}
		from, to := m, last
		if from.Before(p.From) {
			from = p.From
		}
		if to.After(p.To) {
			to = p.To
		}
		days(from, to, &pl.period)
	}
	toMonth := monthStart(p.To)
	pl.toMonthK = tally.MonthDoc(toMonth.Format("200601"))
	days(p.To.AddDate(0, 0, 1), toMonth.AddDate(0, 1, -1), &pl.cutTo)
	pl.afterTo = append(pl.afterTo, pl.cutTo...)
	for m := toMonth.AddDate(0, 1, 0); !m.After(today); m = m.AddDate(0, 1, 0) {
		pl.afterTo = append(pl.afterTo, tally.MonthDoc(m.Format("200601")))
	}
	first := toMonth.AddDate(0, -(monthsBack - 1), 0)
	for i := 0; i < monthsBack; i++ {
		m := first.AddDate(0, i, 0)
		pl.monthly = append(pl.monthly, tally.MonthDoc(m.Format("200601")))
		pl.months = append(pl.months, m.Format("2006-01"))
	}
	pl.allKeys = append(append(append([]string{tally.StateDoc}, pl.period...), pl.afterTo...), pl.monthly...)
	return pl
}

// Summary computes every KPI of tenant t for period p from the report
// counters (package tally): the state, the documents covering the period and
// those dated after it, read by _id — a few dozen reads whatever the size
// of the portfolio.
func Summary(ctx context.Context, db *store.DB, t tenants.Tenant, p Period) (KPIs, error) {
	return summaryAt(ctx, tally.NewReader(db), t, p, "", time.Now(), findCollectors(db))
}

// SegmentSummary is Summary over the accounts of one portfolio segment
// (activities, promises, disputes and plans count under their account's
// segment). An unknown segment is a 400 on the field.
func SegmentSummary(ctx context.Context, db *store.DB, t tenants.Tenant, p Period, segment string) (KPIs, error) {
	return summaryAt(ctx, tally.NewReader(db), t, p, segment, time.Now(), findCollectors(db))
}

func findCollectors(db *store.DB) collectorsOf {
	return func(ctx context.Context, tenant string) ([]tenants.User, error) {
		return tenants.FindCollectors(ctx, db, tenant)
	}
}

// collectorsOf lists a tenant's collector users (tenants.Service.Collectors,
// or tenants.FindCollectors).
type collectorsOf func(ctx context.Context, tenant string) ([]tenants.User, error)

func summaryAt(ctx context.Context, c Counters, t tenants.Tenant, p Period, segment string, now time.Time, collectors collectorsOf) (KPIs, error) {
	loc := p.Loc
	today := civil(now, loc)
	pl := readPlan(p, today)
	docs, err := c.Read(ctx, t.ID, pl.allKeys)
	if err != nil {
		return KPIs{}, fmt.Errorf("report counters: %w", err)
	}
	segments := tally.Segments(docs[tally.StateDoc].N)
	if segment != "" && !slices.Contains(segments, segment) {
		return KPIs{}, apperr.Field("segment", "la cartera no tiene el segmento "+strconv.Quote(segment))
	}
	for k, d := range docs {
		docs[k] = d.Of(segment)
	}
	state := vals{}
	state.add(docs[tally.StateDoc].N, 1)
	in, after, cut := vals{}, vals{}, vals{}
	sets := map[string]*roaring.Bitmap{}
	for _, k := range pl.period {
		d := docs[k]
		in.add(d.N, 1)
		for name, bm := range d.Sets {
			if sets[name] == nil {
				sets[name] = roaring.New()
			}
			sets[name].Or(bm)
		}
	}
	for _, k := range pl.afterTo {
		after.add(docs[k].N, 1)
	}
	for _, k := range pl.cutTo {
		cut.add(docs[k].N, 1)
	}
	asOf := vals{} // the state at the end of the period's last day
	asOf.add(state, 1)
	asOf.add(after, -1)

	k := KPIs{
		Tenant: t.ID, TenantName: t.Name, Currency: t.Currency, Locale: t.Locale,
		From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly),
		Recovered: Recovered{ByChannel: map[string]int64{}}, GeneratedAt: now.UTC(), period: p,
		Segment: segment, Segments: segments,
	}
	var currencies []string
	for key, n := range state {
		if strings.HasPrefix(key, tally.CurrencyPrefix) && n > 0 {
			currencies = append(currencies, strings.TrimPrefix(key, tally.CurrencyPrefix))
		}
	}
	sort.Strings(currencies)
	if len(currencies) > 1 {
		return KPIs{}, errMultiCurrency(currencies)
	}
	if len(currencies) == 1 {
		k.Currency = currencies[0]
	}

	k.Placed = Amount{Count: in[tally.PlacedCount], Amount: in[tally.PlacedAmount] + in[tally.Adjustments]}
	for _, ch := range Channels() {
		k.Recovered.ByChannel[ch] = in[tally.RecoveredPrefix+ch]
		k.Recovered.Amount += in[tally.RecoveredPrefix+ch]
	}
	k.Recovered.Payments, k.Recovered.Reversals = in[tally.PaymentCount], in[tally.Reversed]
	k.Collected = in[tally.Collected]
	k.RecoveryRate = rate(asOf[tally.RateRecovered], asOf[tally.RatePlaced])

	// Outstanding and aging as of to, by due date.
	for _, b := range calc.Buckets() {
		k.Aging = append(k.Aging, Bucket{Bucket: b})
	}
	byBucket := map[string]*Bucket{}
	for i := range k.Aging {
		byBucket[k.Aging[i].Bucket] = &k.Aging[i]
	}
	endOfTo := p.To.Add(12 * time.Hour)
	var openAtStart int64
	for key, n := range asOf {
		if !strings.HasPrefix(key, tally.OutstandingPrefix) || n == 0 {
			continue
		}
		due, err := time.Parse("20060102", key[len(tally.OutstandingPrefix):len(tally.OutstandingPrefix)+8])
		if err != nil {
			continue
		}
		b := byBucket[calc.Bucket(calc.DaysPastDue(due, endOfTo, loc))]
		if strings.HasSuffix(key, "_n") {
			b.Count += n
			k.Outstanding.Count += n
		} else {
			b.Amount += n
			k.Outstanding.Amount += n
		}
	}
	k.Roll = roll(asOf, in, p)

	// Open at the start: as of to, less the period's changes.
	openAtStart = k.Outstanding.Count
	for key, n := range in {
		if strings.HasPrefix(key, tally.OutstandingPrefix) && strings.HasSuffix(key, "_n") {
			openAtStart -= n
		}
	}
	if k.Placed.Amount > 0 {
		d := float64(k.Outstanding.Amount) * float64(p.Days()) / float64(k.Placed.Amount)
		d = float64(int64(d*10+0.5)) / 10
		k.DSO.Days = &d
	}

	// Monthly: the last month cut at to; the rate as of each month's end
	// walks back from the state as of to.
	k.Monthly = make([]Month, monthsBack)
	cum := vals{}
	cum.add(asOf, 1)
	for i := monthsBack - 1; i >= 0; i-- {
		key := pl.monthly[i]
		m := vals{}
		m.add(docs[key].N, 1)
		if key == pl.toMonthK {
			m.add(cut, -1)
		}
		k.Monthly[i] = Month{Month: pl.months[i],
			Placed: m[tally.PlacedAmount] + m[tally.Adjustments], Recovered: m.sumPrefix(tally.RecoveredPrefix), RateBP: ratio(cum[tally.RateRecovered], cum[tally.RatePlaced])}
		cum.add(m, -1)
	}

	k.Promises = Promises{Made: in[tally.PromisesMade], MadeAmount: in[tally.PromisedAmount], Kept: in[tally.PromisesKept], Broken: in[tally.PromisesBroken]}
	k.Promises.KeptRate = rate(k.Promises.Kept, k.Promises.Kept+k.Promises.Broken)
	k.Disputes = Disputes{Opened: in[tally.DisputesOpened], Accepted: in[tally.DisputesAccepted], Rejected: in[tally.DisputesRejected], Credited: in[tally.DisputesCredited]}
	k.Disputes.MedianDaysToResolve = medianTenths(in)
	k.Plans = Plans{Available: true, Created: in[tally.PlansCreated], Active: state[tally.PlansActive], Completed: in[tally.PlansCompleted], Defaulted: in[tally.PlansDefaulted]}

	card := func(name string) int64 {
		if bm := sets[name]; bm != nil {
			return int64(bm.GetCardinality())
		}
		return 0
	}
	inventory := openAtStart + k.Placed.Count
	k.ContactRate = Contact{Open: inventory, Contacted: card(tally.SetContacted), RightParty: card(tally.SetRightParty),
		BP: ratio(card(tally.SetContacted), inventory), RightBP: ratio(card(tally.SetRightParty), inventory)}

	// Collectors: the tenant's collector users plus anyone assigned now.
	names := map[string]string{}
	users, err := collectors(ctx, t.ID)
	if err != nil {
		return KPIs{}, fmt.Errorf("report collectors: %w", err)
	}
	for _, u := range users {
		names[u.ID] = u.Name
		if u.Name == "" {
			names[u.ID] = u.Email
		}
	}
	for key, n := range state {
		if id, ok := tally.AssignedTo(key); ok && n > 0 && names[id] == "" {
			names[id] = id
		}
	}
	k.Collectors = []Collector{}
	for id, name := range names {
		k.Collectors = append(k.Collectors, Collector{ID: id, Name: name, Accounts: state[tally.Assigned(id)],
			Worked: card(tally.Worked(id)), Contacts: in[tally.UserContacts(id)], Promises: in[tally.UserPromises(id)], Recovered: in[tally.UserRecovered(id)]})
	}
	sort.Slice(k.Collectors, func(i, j int) bool {
		a, b := k.Collectors[i], k.Collectors[j]
		if a.Recovered != b.Recovered {
			return a.Recovered > b.Recovered
		}
		return a.Name < b.Name
	})
	return k, nil
}

// medianTenths is the median of the days-to-resolve histogram (tenths of a
// day), one decimal; nil when nothing was resolved.
func medianTenths(v vals) *float64 {
	type bin struct{ tenths, n int64 }
	var bins []bin
	var total int64
	for key, n := range v {
		if !strings.HasPrefix(key, tally.DaysToResolvePrefix) || n <= 0 {
			continue
		}
		t, err := strconv.ParseInt(strings.TrimPrefix(key, tally.DaysToResolvePrefix), 10, 64)
		if err != nil {
			continue
		}
		bins = append(bins, bin{t, n})
		total += n
	}
	if total == 0 {
		return nil
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].tenths < bins[j].tenths })
	nth := func(i int64) int64 { // the i-th value (0-based) in order
		for _, b := range bins {
			if i < b.n {
				return b.tenths
			}
			i -= b.n
		}
		return bins[len(bins)-1].tenths
	}
	m := float64(nth(total / 2))
	if total%2 == 0 {
		m = float64(nth(total/2-1)+nth(total/2)) / 2
	}
	m = float64(int64(m+0.5)) / 10
	return &m
}

// roll follows each due date's outstanding balance from the day before the
// period (as of to, less the period's changes) to the period's end.
func roll(asOf, in vals, p Period) []Roll {
	out := make([]Roll, 0, len(calc.Buckets()))
	idx := map[string]int{}
	for i, b := range calc.Buckets() {
		out = append(out, Roll{Bucket: b})
		idx[b] = i
	}
	startAt, endAt := p.From.Add(-12*time.Hour), p.To.Add(12*time.Hour)
	seen := map[string]bool{}
	for _, v := range []vals{asOf, in} {
		for key := range v {
			if !strings.HasPrefix(key, tally.OutstandingPrefix) || !strings.HasSuffix(key, "_a") || seen[key] {
				continue
			}
			seen[key] = true
			start, end := asOf[key]-in[key], asOf[key]
			if start <= 0 {
				continue
			}
			due, err := time.Parse("20060102", key[len(tally.OutstandingPrefix):len(tally.OutstandingPrefix)+8])
			if err != nil {
				continue
			}
			from := idx[calc.Bucket(calc.DaysPastDue(due, startAt, p.Loc))]
			to := idx[calc.Bucket(calc.DaysPastDue(due, endAt, p.Loc))]
			left := min(max(end, 0), start)
			r := &out[from]
			r.Start += start
			if to == from {
				r.Stayed += left
			} else {
				r.Rolled += left
			}
		}
	}
	for i := range out {
		out[i].Resolved = out[i].Start - out[i].Stayed - out[i].Rolled
		out[i].RollBP = ratio(out[i].Rolled, out[i].Start)
	}
	return out
}
