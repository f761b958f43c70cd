package reports

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/debtors"
	"cartera/portal/store"
	"cartera/portal/work"
	"cartera/tenants"
)

// Channels are the payment channels, in report order.
func Channels() []string { return []string{"online", "manual", "client_reported"} }

// channelOf maps a ledger channel to a report channel (unknown: manual).
func channelOf(ch string) string {
	switch ch {
	case "online", "client_reported":
		return ch
	}
	return "manual"
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

// acct is the part of an account the summary needs.
type acct struct {
	ID          string    `bson:"_id"`
	DueDate     time.Time `bson:"dueDate"`
	Status      string    `bson:"status"`
	CollectorID string    `bson:"collectorId"`
	Currency    string    `bson:"currency"`
	balance     int64     // rebuilt from the ledger as of the period's end
}

// monthsBack is how many months the monthly series covers.
const monthsBack = 12

// Summary computes every KPI of tenant t for period p: one streamed,
// projected pass over each of accounts, ledger, activities, promises and
// disputes of the tenant.
func Summary(ctx context.Context, db *store.DB, t tenants.Tenant, p Period) (KPIs, error) {
	sc := db.Tenant(t.ID)
	loc := p.Loc
	k := KPIs{
		Tenant: t.ID, TenantName: t.Name, Currency: t.Currency, Locale: t.Locale,
		From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly),
		Recovered: Recovered{ByChannel: map[string]int64{}}, GeneratedAt: time.Now().UTC(), period: p,
	}
	for _, ch := range Channels() {
		k.Recovered.ByChannel[ch] = 0
	}

	// 1. Accounts: due date, status, collector, currency.
	accs := map[string]*acct{}
	currencies := map[string]bool{}
	proj := bson.D{{Key: "dueDate", Value: 1}, {Key: "status", Value: 1}, {Key: "collectorId", Value: 1}, {Key: "currency", Value: 1}}
	err := sc.C("accounts").Each(ctx, bson.D{}, options.Find().SetProjection(proj), func(raw bson.Raw) error {
		a := &acct{}
		if err := bson.Unmarshal(raw, a); err != nil {
			return err
		}
		accs[a.ID] = a
		if a.Currency != "" {
			currencies[a.Currency] = true
		}
		return nil
	})
	if err != nil {
		return KPIs{}, fmt.Errorf("report accounts: %w", err)
	}
	if len(currencies) > 1 {
		cs := make([]string, 0, len(currencies))
		for c := range currencies {
			cs = append(cs, c)
		}
		sort.Strings(cs)
		return KPIs{}, errMultiCurrency(cs)
	}
	for c := range currencies {
		k.Currency = c
	}

	// The monthly window: 12 months ending with the month of to, cut at to.
	first := time.Date(p.To.Year(), p.To.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -(monthsBack - 1), 0)
	k.Monthly = make([]Month, monthsBack)
	for i := range k.Monthly {
		m := first.AddDate(0, i, 0)
		k.Monthly[i].Month = m.Format("2006-01")
	}
	monthOf := func(at time.Time) int {
		if at.Before(first) || !at.Before(p.End) {
			return -1
		}
		l := at.In(loc)
		return (l.Year()-first.Year())*12 + int(l.Month()) - int(first.Month())
	}
	// Net placed and recovered of non-recalled accounts, cumulative: before
	// the window, then per month.
	var ratePlacedBefore, rateRecBefore int64
	ratePlaced := make([]int64, monthsBack)
	rateRec := make([]int64, monthsBack)
	collRec := map[string]int64{}

	// 2. Ledger: balances as of to, placed and recovered.
	proj = bson.D{{Key: "accountId", Value: 1}, {Key: "kind", Value: 1}, {Key: "channel", Value: 1}, {Key: "amount", Value: 1}, {Key: "at", Value: 1}}
	err = sc.C("ledger").Each(ctx, bson.D{}, options.Find().SetProjection(proj), func(raw bson.Raw) error {
		var e struct {
			AccountID string    `bson:"accountId"`
			Kind      string    `bson:"kind"`
			Channel   string    `bson:"channel"`
			Amount    int64     `bson:"amount"`
			At        time.Time `bson:"at"`
		}
		if err := bson.Unmarshal(raw, &e); err != nil {
			return err
		}
		if !e.At.Before(p.End) {
			return nil // after the period: not yet happened as of to
		}
		a := accs[e.AccountID]
		if a != nil {
			a.balance += e.Amount
		}
		in := !e.At.Before(p.Start)
		var placed, rec int64 // effect on placed and recovered
		switch e.Kind {
		case accounts.KindPlacement, accounts.KindAdjustment:
			placed = e.Amount
			if in {
				if e.Kind == accounts.KindPlacement {
					k.Placed.Count++
				}
				k.Placed.Amount += e.Amount
			}
		case accounts.KindPayment, accounts.KindReversal:
			rec = -e.Amount
			if in {
				k.Recovered.Amount += rec
				k.Recovered.ByChannel[channelOf(e.Channel)] += rec
				if e.Kind == accounts.KindPayment {
					k.Recovered.Payments++
				} else {
					k.Recovered.Reversals += e.Amount
				}
				if a != nil && a.CollectorID != "" {
					collRec[a.CollectorID] += rec
				}
			}
		case accounts.KindCredit:
			placed = e.Amount // a dispute credit lowers what could be recovered
		}
		if i := monthOf(e.At); i >= 0 && e.Kind != accounts.KindCredit {
			k.Monthly[i].Placed += placed
			k.Monthly[i].Recovered += rec
		}
		if a != nil && a.Status == accounts.StatusRecalled {
			return nil
		}
		if i := monthOf(e.At); i >= 0 {
			ratePlaced[i] += placed
			rateRec[i] += rec
		} else {
			ratePlacedBefore += placed
			rateRecBefore += rec
		}
		return nil
	})
	if err != nil {
		return KPIs{}, fmt.Errorf("report ledger: %w", err)
	}
	cumP, cumR := ratePlacedBefore, rateRecBefore
	for i := range k.Monthly {
		cumP += ratePlaced[i]
		cumR += rateRec[i]
		k.Monthly[i].RateBP = ratio(cumR, cumP)
	}
	k.RecoveryRate = rate(cumR, cumP)

	// Outstanding and aging as of to.
	byBucket := map[string]*Bucket{}
	for _, b := range calc.Buckets() {
		k.Aging = append(k.Aging, Bucket{Bucket: b})
	}
	for i := range k.Aging {
		byBucket[k.Aging[i].Bucket] = &k.Aging[i]
	}
	asOf := p.To.Add(12 * time.Hour)
	open := map[string]bool{}
	assigned := map[string]int64{}
	for _, a := range accs {
		if a.Status == accounts.StatusRecalled || a.balance <= 0 {
			continue
		}
		open[a.ID] = true
		k.Outstanding.Count++
		k.Outstanding.Amount += a.balance
		b := byBucket[calc.Bucket(calc.DaysPastDue(a.DueDate, asOf, loc))]
		b.Count++
		b.Amount += a.balance
		if a.CollectorID != "" {
			assigned[a.CollectorID]++
		}
	}
	if k.Placed.Amount > 0 {
		d := float64(k.Outstanding.Amount) * float64(p.Days()) / float64(k.Placed.Amount)
		d = float64(int64(d*10+0.5)) / 10
		k.DSO.Days = &d
	}

	// 3. Activities in the period.
	type tally struct{ contacts, promises int64 }
	byUser := map[string]*tally{}
	worked := map[string]map[string]bool{}
	user := func(id string) *tally {
		if byUser[id] == nil {
			byUser[id] = &tally{}
		}
		return byUser[id]
	}
	contacted, rightParty := map[string]bool{}, map[string]bool{}
	inPeriod := bson.D{{Key: "at", Value: bson.D{{Key: "$gte", Value: p.Start}, {Key: "$lt", Value: p.End}}}}
	proj = bson.D{{Key: "accountId", Value: 1}, {Key: "direction", Value: 1}, {Key: "outcome", Value: 1}, {Key: "by", Value: 1}, {Key: "at", Value: 1}}
	err = sc.C("activities").Each(ctx, inPeriod, options.Find().SetProjection(proj), func(raw bson.Raw) error {
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
		if !p.Contains(a.At) {
			return nil
		}
		if a.By != "" {
			user(a.By).contacts++
			if worked[a.By] == nil {
				worked[a.By] = map[string]bool{}
			}
			worked[a.By][a.AccountID] = true
		}
		if a.Direction == "outbound" && open[a.AccountID] {
			contacted[a.AccountID] = true
			if a.Outcome == work.OutcomeContacted || a.Outcome == work.OutcomePromise {
				rightParty[a.AccountID] = true
			}
		}
		return nil
	})
	if err != nil {
		return KPIs{}, fmt.Errorf("report activities: %w", err)
	}
	k.ContactRate = Contact{Open: k.Outstanding.Count, Contacted: int64(len(contacted)), RightParty: int64(len(rightParty)),
		BP: ratio(int64(len(contacted)), k.Outstanding.Count), RightBP: ratio(int64(len(rightParty)), k.Outstanding.Count)}

	// 4. Promises made or settled in the period.
	proj = bson.D{{Key: "status", Value: 1}, {Key: "amount", Value: 1}, {Key: "by", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "settledAt", Value: 1}}
	err = sc.C("promises").Each(ctx, bson.D{}, options.Find().SetProjection(proj), func(raw bson.Raw) error {
		var pr struct {
			Status    string     `bson:"status"`
			Amount    int64      `bson:"amount"`
			By        string     `bson:"by"`
			CreatedAt time.Time  `bson:"createdAt"`
			SettledAt *time.Time `bson:"settledAt"`
		}
		if err := bson.Unmarshal(raw, &pr); err != nil {
			return err
		}
		if p.Contains(pr.CreatedAt) {
			k.Promises.Made++
			k.Promises.MadeAmount += pr.Amount
			if pr.By != "" {
				user(pr.By).promises++
			}
		}
		if pr.SettledAt != nil && p.Contains(*pr.SettledAt) {
			switch pr.Status {
			case work.PromiseKept:
				k.Promises.Kept++
			case work.PromiseBroken:
				k.Promises.Broken++
			}
		}
		return nil
	})
	if err != nil {
		return KPIs{}, fmt.Errorf("report promises: %w", err)
	}
	k.Promises.KeptRate = rate(k.Promises.Kept, k.Promises.Kept+k.Promises.Broken)

	// 5. Disputes opened or resolved in the period.
	var days []float64
	proj = bson.D{{Key: "status", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "resolvedAt", Value: 1}, {Key: "creditTotal", Value: 1}}
	err = sc.C("disputes").Each(ctx, bson.D{}, options.Find().SetProjection(proj), func(raw bson.Raw) error {
		var d struct {
			Status      string     `bson:"status"`
			CreatedAt   time.Time  `bson:"createdAt"`
			ResolvedAt  *time.Time `bson:"resolvedAt"`
			CreditTotal int64      `bson:"creditTotal"`
		}
		if err := bson.Unmarshal(raw, &d); err != nil {
			return err
		}
		if p.Contains(d.CreatedAt) {
			k.Disputes.Opened++
		}
		if d.ResolvedAt != nil && p.Contains(*d.ResolvedAt) {
			switch d.Status {
			case debtors.DisputeAccepted:
				k.Disputes.Accepted++
				k.Disputes.Credited += d.CreditTotal
			case debtors.DisputeRejected:
				k.Disputes.Rejected++
			}
			days = append(days, d.ResolvedAt.Sub(d.CreatedAt).Hours()/24)
		}
		return nil
	})
	if err != nil {
		return KPIs{}, fmt.Errorf("report disputes: %w", err)
	}
	if len(days) > 0 {
		sort.Float64s(days)
		m := days[len(days)/2]
		if len(days)%2 == 0 {
			m = (days[len(days)/2-1] + days[len(days)/2]) / 2
		}
		m = float64(int64(m*10+0.5)) / 10
		k.Disputes.MedianDaysToResolve = &m
	}

	// Collectors: the tenant's collector users plus anyone assigned.
	names := map[string]string{}
	var users []struct {
		ID    string `bson:"_id"`
		Name  string `bson:"name"`
		Email string `bson:"email"`
	}
	err = db.C("users").Find(ctx, bson.D{{Key: "tenants", Value: t.ID}, {Key: "role", Value: tenants.RoleCollector}}, &users,
		options.Find().SetProjection(bson.D{{Key: "name", Value: 1}, {Key: "email", Value: 1}}))
	if err != nil {
		return KPIs{}, fmt.Errorf("report collectors: %w", err)
	}
	for _, u := range users {
		names[u.ID] = u.Name
		if u.Name == "" {
			names[u.ID] = u.Email
		}
	}
	for id := range assigned {
		if _, ok := names[id]; !ok {
			names[id] = id
		}
	}
	k.Collectors = []Collector{}
	for id, name := range names {
		c := Collector{ID: id, Name: name, Accounts: assigned[id], Worked: int64(len(worked[id])), Recovered: collRec[id]}
		if w := byUser[id]; w != nil {
			c.Contacts, c.Promises = w.contacts, w.promises
		}
		k.Collectors = append(k.Collectors, c)
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
