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
	"cartera/portal/store"
	"cartera/tenants"
)

// Channels are the payment channels, in report order.
func Channels() []string { return []string{"online", "manual", "client_reported"} }

// channelOf maps a ledger channel to a report channel (unknown: manual).
func channelOf(ch string) string { return recChannel(ch) }

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
			*out = append(*out, dayDocKey(d.Format("20060102")))
		}
	}
	for m := monthStart(p.From); !m.After(p.To); m = m.AddDate(0, 1, 0) {
		last := m.AddDate(0, 1, -1)
		if !m.Before(p.From) && !last.After(p.To) {
			pl.period = append(pl.period, monthDocKey(m.Format("200601")))
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
	pl.toMonthK = monthDocKey(toMonth.Format("200601"))
	days(p.To.AddDate(0, 0, 1), toMonth.AddDate(0, 1, -1), &pl.cutTo)
	pl.afterTo = append(pl.afterTo, pl.cutTo...)
	for m := toMonth.AddDate(0, 1, 0); !m.After(today); m = m.AddDate(0, 1, 0) {
		pl.afterTo = append(pl.afterTo, monthDocKey(m.Format("200601")))
	}
	first := toMonth.AddDate(0, -(monthsBack - 1), 0)
	for i := 0; i < monthsBack; i++ {
		pl.monthly = append(pl.monthly, monthDocKey(first.AddDate(0, i, 0).Format("200601")))
	}
	pl.allKeys = append(append(append([]string{stateDocKey}, pl.period...), pl.afterTo...), pl.monthly...)
	return pl
}

// Summary computes every KPI of tenant t for period p from the report
// counters (tally.go): the state, the documents covering the period and
// those dated after it, read by _id — a few dozen reads whatever the size
// of the portfolio.
func Summary(ctx context.Context, db *store.DB, t tenants.Tenant, p Period) (KPIs, error) {
	return summaryAt(ctx, db, t, p, "", time.Now(), findCollectors(db))
}

// SegmentSummary is Summary over the accounts of one portfolio segment
// (activities, promises, disputes and plans count under their account's
// segment). An unknown segment is a 400 on the field.
func SegmentSummary(ctx context.Context, db *store.DB, t tenants.Tenant, p Period, segment string) (KPIs, error) {
	return summaryAt(ctx, db, t, p, segment, time.Now(), findCollectors(db))
}

func findCollectors(db *store.DB) collectorsOf {
	return func(ctx context.Context, tenant string) ([]tenants.User, error) {
		return tenants.FindCollectors(ctx, db, tenant)
	}
}

// scoped keeps a segment's counters under their plain names ("" keeps
// everything as it is).
func scoped(d *tallyDoc, segment string) (map[string]int64, map[string][]byte) {
	if segment == "" {
		return d.N, d.S
	}
	prefix := segKey(segment, "")
	n := map[string]int64{}
	for k, v := range d.N {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			n[rest] = v
		}
	}
	s := map[string][]byte{}
	for k, v := range d.S {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			s[rest] = v
		}
	}
	return n, s
}

// collectorsOf lists a tenant's collector users (tenants.Service.Collectors,
// or tenants.FindCollectors).
type collectorsOf func(ctx context.Context, tenant string) ([]tenants.User, error)

func summaryAt(ctx context.Context, db *store.DB, t tenants.Tenant, p Period, segment string, now time.Time, collectors collectorsOf) (KPIs, error) {
	sc := db.Tenant(t.ID)
	loc := p.Loc
	today := civil(now, loc)
	pl := readPlan(p, today)
	docs, err := readDocs(ctx, sc, pl.allKeys)
	if err != nil {
		return KPIs{}, fmt.Errorf("report counters: %w", err)
	}
	segments := segmentsOf(docs[stateDocKey].N)
	if segment != "" && !slices.Contains(segments, segment) {
		return KPIs{}, apperr.Field("segment", "la cartera no tiene el segmento "+strconv.Quote(segment))
	}
	for k, d := range docs {
		n, s := scoped(d, segment)
		docs[k] = &tallyDoc{ID: d.ID, N: n, S: s}
	}
	state := vals{}
	state.add(docs[stateDocKey].N, 1)
	in, after, cut := vals{}, vals{}, vals{}
	sets := map[string]*roaring.Bitmap{}
	for _, k := range pl.period {
		d := docs[k]
		in.add(d.N, 1)
		for name, b := range d.S {
			bm := roaring.New()
			if _, err := bm.FromBuffer(b); err != nil {
				return KPIs{}, fmt.Errorf("report counters %s: %w", k, err)
			}
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
		if strings.HasPrefix(key, kCurrency) && n > 0 {
			currencies = append(currencies, strings.TrimPrefix(key, kCurrency))
		}
	}
	sort.Strings(currencies)
	if len(currencies) > 1 {
		return KPIs{}, errMultiCurrency(currencies)
	}
	if len(currencies) == 1 {
		k.Currency = currencies[0]
	}

	k.Placed = Amount{Count: in[kPlacedN], Amount: in[kPlacedAmt] + in[kAdjust]}
	for _, ch := range Channels() {
		k.Recovered.ByChannel[ch] = in[kRecPrefix+ch]
		k.Recovered.Amount += in[kRecPrefix+ch]
	}
	k.Recovered.Payments, k.Recovered.Reversals = in[kPayN], in[kReversed]
	k.Collected = in[kCollected]
	k.RecoveryRate = rate(asOf[kRateRec], asOf[kRatePlace])

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
		if !strings.HasPrefix(key, kOutPrefix) || n == 0 {
			continue
		}
		due, err := time.Parse("20060102", key[len(kOutPrefix):len(kOutPrefix)+8])
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
		if strings.HasPrefix(key, kOutPrefix) && strings.HasSuffix(key, "_n") {
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
		k.Monthly[i] = Month{Month: key[len("t:m:"):len("t:m:")+4] + "-" + key[len("t:m:")+4:],
			Placed: m[kPlacedAmt] + m[kAdjust], Recovered: m.sumPrefix(kRecPrefix), RateBP: ratio(cum[kRateRec], cum[kRatePlace])}
		cum.add(m, -1)
	}

	k.Promises = Promises{Made: in[kPromN], MadeAmount: in[kPromAmt], Kept: in[kPromKept], Broken: in[kPromBroke]}
	k.Promises.KeptRate = rate(k.Promises.Kept, k.Promises.Kept+k.Promises.Broken)
	k.Disputes = Disputes{Opened: in[kDispOpen], Accepted: in[kDispAcc], Rejected: in[kDispRej], Credited: in[kDispCred]}
	k.Disputes.MedianDaysToResolve = medianTenths(in)
	k.Plans = Plans{Available: true, Created: in[kPlanNew], Active: state[kPlanAct], Completed: in[kPlanDone], Defaulted: in[kPlanDef]}

	card := func(name string) int64 {
		if bm := sets[name]; bm != nil {
			return int64(bm.GetCardinality())
		}
		return 0
	}
	inventory := openAtStart + k.Placed.Count
	k.ContactRate = Contact{Open: inventory, Contacted: card(setContacted), RightParty: card(setRPC),
		BP: ratio(card(setContacted), inventory), RightBP: ratio(card(setRPC), inventory)}

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
		if id := idOf(strings.TrimPrefix(key, kAssigned)); strings.HasPrefix(key, kAssigned) && n > 0 && names[id] == "" {
			names[id] = id
		}
	}
	k.Collectors = []Collector{}
	for id, name := range names {
		k.Collectors = append(k.Collectors, Collector{ID: id, Name: name, Accounts: state[kAssigned+safeID(id)],
			Worked: card(setWorked + safeID(id)), Contacts: in[userKey(id, "ct")], Promises: in[userKey(id, "pm")], Recovered: in[userKey(id, "rec")]})
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
		if !strings.HasPrefix(key, kDispDays) || n <= 0 {
			continue
		}
		t, err := strconv.ParseInt(strings.TrimPrefix(key, kDispDays), 10, 64)
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
			if !strings.HasPrefix(key, kOutPrefix) || !strings.HasSuffix(key, "_a") || seen[key] {
				continue
			}
			seen[key] = true
			start, end := asOf[key]-in[key], asOf[key]
			if start <= 0 {
				continue
			}
			due, err := time.Parse("20060102", key[len(kOutPrefix):len(kOutPrefix)+8])
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
