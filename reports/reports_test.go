package reports_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/readside/tally"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
	"cartera/reports"
	"cartera/tenants"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var bogota = time.FixedZone("COT", -5*3600)

func TestCommissionRounding(t *testing.T) {
	for _, c := range []struct{ amount, bp, want int64 }{
		{10000, 1500, 1500},
		{20000005, 1500, 3000001},   // 3.000.000,75 → up
		{-20000005, 1500, -3000001}, // a reversal mirrors it
		{3, 1500, 0},                // 0,45 → 0
		{10, 1500, 2},               // 1,5 → 2
		{-10, 1500, -2},
		{1 << 62, 10000, 1 << 62}, // no overflow
	} {
		if got := reports.Commission(c.amount, c.bp); got != c.want {
			t.Errorf("Commission(%d, %d) = %d, want %d", c.amount, c.bp, got, c.want)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC) // still 28 Feb in Bogotá
	p, err := reports.ParsePeriod("", "", now, bogota)
	if err != nil || p.From.Format(time.DateOnly) != "2026-02-01" || p.To.Format(time.DateOnly) != "2026-02-28" || p.Days() != 28 {
		t.Fatalf("default period %v %v", p, err)
	}
	if !p.Contains(time.Date(2026, 3, 1, 4, 59, 0, 0, time.UTC)) || p.Contains(time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)) {
		t.Error("the end of the period is midnight in Bogotá")
	}
	for _, bad := range [][2]string{{"2026-02-30", ""}, {"2026-03-02", "2026-03-01"}, {"2010-01-01", "2026-01-01"}} {
		if _, err := reports.ParsePeriod(bad[0], bad[1], now, bogota); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	es := func(k string) string { return map[string]string{"reports.month.3": "marzo"}[k] }
	if d := reports.Date(time.Date(2026, 3, 5, 0, 0, 0, 0, bogota), es, "es"); d != "5 de marzo de 2026" {
		t.Errorf("date %q", d)
	}
}

// seed writes n accounts with their placements, a payment on every fifth,
// an activity on every other and a promise on every tenth, in bulk, each
// account dated on one of days consecutive days from at.
func seed(tb testing.TB, db *store.DB, n, days int, at time.Time) {
	tb.Helper()
	sc := db.Tenant("acme")
	ctx := context.Background()
	var accs, ledger, acts, proms []any
	for i := 0; i < n; i++ {
		at := at.AddDate(0, 0, i%days)
		id := sc.ID(fmt.Sprintf("F-%06d", i))
		due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(i % 500))
		bal := int64(100000 + i)
		placeID := sc.ID("place:" + fmt.Sprint(i))
		hist := []accounts.Movement{{LedgerID: placeID, Kind: accounts.KindPlacement, Amount: bal, At: at}}
		ledger = append(ledger, accounts.LedgerEntry{ID: placeID, TenantID: "acme", AccountID: id, Kind: accounts.KindPlacement,
			Amount: bal, Currency: "COP", At: at})
		var payment int64
		if i%5 == 0 {
			payment = 50000
			e := accounts.LedgerEntry{ID: sc.ID(fmt.Sprintf("pay:%d", i)), TenantID: "acme", AccountID: id, Kind: accounts.KindPayment,
				Channel: []string{"online", "manual", "client_reported"}[i%3], Amount: -payment, Currency: "COP", At: at.Add(time.Hour)}
			ledger = append(ledger, e)
			hist = append(hist, accounts.Movement{LedgerID: e.ID, Kind: e.Kind, Channel: e.Channel, Amount: e.Amount, At: e.At})
		}
		status := accounts.StatusOpen
		if i%97 == 0 {
			status = accounts.StatusRecalled
		}
		accs = append(accs, accounts.Account{ID: id, TenantID: "acme", Invoice: fmt.Sprintf("F-%06d", i), DebtorID: sc.ID(fmt.Sprint(i % 3000)),
			DebtorName: "Deudor", DueDate: due, Original: bal, Balance: bal - payment, Currency: "COP", Status: status, CollectorID: fmt.Sprintf("c%d", i%8),
			Segment: []string{"hogares", "pymes y más"}[i%2], History: hist, CreatedAt: at, UpdatedAt: at})
		if i%2 == 0 {
			acts = append(acts, bson.D{{Key: "_id", Value: sc.ID(fmt.Sprintf("a%d", i))}, {Key: "tenantId", Value: "acme"}, {Key: "accountId", Value: id},
				{Key: "channel", Value: "call"}, {Key: "direction", Value: "outbound"}, {Key: "outcome", Value: "contacted"}, {Key: "by", Value: fmt.Sprintf("c%d", i%8)}, {Key: "at", Value: at}})
		}
		if i%10 == 0 {
			proms = append(proms, bson.D{{Key: "_id", Value: sc.ID(fmt.Sprintf("p%d", i))}, {Key: "tenantId", Value: "acme"}, {Key: "accountId", Value: id},
				{Key: "amount", Value: int64(1000)}, {Key: "status", Value: "kept"}, {Key: "by", Value: "c1"}, {Key: "createdAt", Value: at}, {Key: "settledAt", Value: at.Add(time.Hour)}})
		}
	}
	for _, name := range []string{"ledger", "accounts", "activities", "promises"} {
		docs := map[string][]any{"accounts": accs, "ledger": ledger, "activities": acts, "promises": proms}[name]
		for i := 0; i < len(docs); i += 1000 {
			if _, err := sc.C(name).InsertMany(ctx, docs[i:min(i+1000, len(docs))]); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// lookup is the one tenant of these tests.
type lookup struct{}

func (lookup) TenantByID(_ context.Context, slug string) (tenants.Tenant, error) {
	if slug != tenant.ID {
		return tenants.Tenant{}, fmt.Errorf("tenant %q: %w", slug, apperr.ErrNotFound)
	}
	return tenant, nil
}

// counted opens a store whose report counters are kept as writes happen.
func counted(tb testing.TB) (*store.DB, *tally.Tally) {
	db := storetest.New(tb)
	tl := tally.New(db, lookup{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tl.Watch()
	return db, tl
}

var tenant = tenants.Tenant{ID: "acme", Name: "Acme", Currency: "COP", Timezone: "America/Bogota", Locale: "es-CO", CommissionBP: 1500}

// Summary straight on the store: what happens after to does not count, a
// recalled account is out of the rate and the outstanding, and the
// remittance adds up to the ledger.
func TestSummaryOnStore(t *testing.T) {
	db, tl := counted(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	seed(t, db, 200, 1, at)
	// A payment after the period is ignored everywhere.
	sc := db.Tenant("acme")
	if err := accounts.Post(ctx, sc, accounts.LedgerEntry{ID: sc.ID("late"), TenantID: "acme", AccountID: sc.ID("F-000001"),
		Kind: accounts.KindPayment, Channel: "online", Amount: -7, Currency: "COP", At: time.Date(2026, 4, 1, 15, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	p := reports.NewPeriod(time.Date(2026, 3, 1, 0, 0, 0, 0, bogota), time.Date(2026, 3, 31, 0, 0, 0, 0, bogota), bogota)
	k, err := reports.Summary(ctx, db, tenant, p)
	if err != nil {
		t.Fatal(err)
	}
	// 200 accounts of 100000+i; 40 payments of 50000; accounts 0, 97 and 194 recalled.
	var placed, recalled int64
	for i := int64(0); i < 200; i++ {
		placed += 100000 + i
	}
	recalled = 100000 - 50000 + 100097 + 100194 // account 0 was paid 50000 before its recall
	if k.Placed.Count != 200 || k.Placed.Amount != placed || k.Recovered.Amount != 40*50000 {
		t.Errorf("placed %+v recovered %+v", k.Placed, k.Recovered)
	}
	if k.Outstanding.Count != 197 || k.Outstanding.Amount != placed-40*50000-recalled {
		t.Errorf("outstanding %+v", k.Outstanding)
	}
	if k.RecoveryRate.Num != 39*50000 || k.RecoveryRate.Den != placed-100000-100097-100194 {
		t.Errorf("rate %+v", k.RecoveryRate)
	}
	// 100 even accounts contacted (recalled ones too) of 200 placed in March.
	if k.Promises.Made != 20 || k.Promises.Kept != 20 || k.ContactRate.Contacted != 100 || k.ContactRate.Open != 200 || k.ContactRate.BP != 5000 {
		t.Errorf("promises %+v contact %+v", k.Promises, k.ContactRate)
	}
	var worked int64
	for _, c := range k.Collectors {
		worked += c.Worked
	}
	if len(k.Collectors) != 8 || worked != 100 {
		t.Errorf("collectors %+v", k.Collectors)
	}
	// By segment: the even accounts are "hogares" (all the contacts and
	// promises), the odd ones "pymes y más" (an accent and spaces in the name).
	if fmt.Sprint(k.Segments) != "[hogares pymes y más]" {
		t.Errorf("segments %v", k.Segments)
	}
	h, err := reports.SegmentSummary(ctx, db, tenant, p, "hogares")
	if err != nil {
		t.Fatal(err)
	}
	py, err := reports.SegmentSummary(ctx, db, tenant, p, "pymes y más")
	if err != nil {
		t.Fatal(err)
	}
	if h.Placed.Count != 100 || py.Placed.Count != 100 || h.Placed.Amount+py.Placed.Amount != k.Placed.Amount ||
		h.Recovered.Amount+py.Recovered.Amount != k.Recovered.Amount || h.Outstanding.Amount+py.Outstanding.Amount != k.Outstanding.Amount {
		t.Errorf("segments do not add up: %+v %+v / %+v %+v", h.Placed, py.Placed, h.Recovered, py.Recovered)
	}
	if h.ContactRate.Contacted != 100 || py.ContactRate.Contacted != 0 || h.Promises.Made != 20 || py.Promises.Made != 0 || h.Segment != "hogares" {
		t.Errorf("segment activity: %+v %+v / %+v %+v", h.ContactRate, h.Promises, py.ContactRate, py.Promises)
	}
	if _, err := reports.SegmentSummary(ctx, db, tenant, p, "nadie"); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("unknown segment: %v", err)
	}
	// April holds the late payment; March's figures did not move.
	april := reports.NewPeriod(time.Date(2026, 4, 1, 0, 0, 0, 0, bogota), time.Date(2026, 4, 30, 0, 0, 0, 0, bogota), bogota)
	ka, err := reports.Summary(ctx, db, tenant, april)
	if err != nil || ka.Recovered.Amount != 7 || ka.Outstanding.Amount != k.Outstanding.Amount-7 || ka.Monthly[10].Recovered != 40*50000 {
		t.Errorf("april %+v %+v %v", ka.Recovered, ka.Outstanding, err)
	}
	// Roll over April, by hand: each open account's balance on 31 March,
	// bucketed then and on 30 April (F-000001's 7 paid in April resolves).
	want := map[string]*reports.Roll{}
	for _, b := range calc.Buckets() {
		want[b] = &reports.Roll{Bucket: b}
	}
	for i := 0; i < 200; i++ {
		if i%97 == 0 {
			continue // recalled
		}
		bal := int64(100000 + i)
		if i%5 == 0 {
			bal -= 50000
		}
		due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(i % 500))
		from := calc.Bucket(calc.DaysPastDue(due, time.Date(2026, 3, 31, 12, 0, 0, 0, bogota), bogota))
		to := calc.Bucket(calc.DaysPastDue(due, time.Date(2026, 4, 30, 12, 0, 0, 0, bogota), bogota))
		w := want[from]
		w.Start += bal
		left := bal
		if i == 1 {
			left -= 7
		}
		if from == to {
			w.Stayed += left
		} else {
			w.Rolled += left
		}
		w.Resolved += bal - left
	}
	for _, r := range ka.Roll {
		w := want[r.Bucket]
		if r.Start != w.Start || r.Stayed != w.Stayed || r.Rolled != w.Rolled || r.Resolved != w.Resolved || (w.Start > 0 && r.RollBP != w.Rolled*10000/w.Start && r.RollBP != w.Rolled*10000/w.Start+1) {
			t.Errorf("roll %s: %+v, want %+v", r.Bucket, r, *w)
		}
	}
	if want["61-90"].Rolled == 0 || want["91-180"].Stayed == 0 {
		t.Fatalf("the hand-built roll is degenerate: %+v %+v", *want["61-90"], *want["91-180"])
	}

	r, err := reports.Remit(ctx, db, tenant, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Collected != 40*50000 || len(r.Lines) != 40 || r.Collected-r.ClientReported-r.Commission != r.Net {
		t.Errorf("remittance %+v", r)
	}

	// The counters kept live equal a rebuild from scratch, figure by figure.
	if drifts, err := tl.Compare(ctx, "acme"); err != nil || len(drifts) != 0 {
		t.Fatalf("live counters differ from a rebuild: %v %+v", err, drifts)
	}
	// A write that bypasses the store (or a crash after a write) leaves
	// them behind: the comparison sees it and the repair fixes it.
	raw := db.C("tallies").Raw()
	if _, err := raw.DeleteOne(ctx, bson.D{{Key: "_id", Value: "acme:t:d:20260310"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.UpdateOne(ctx, bson.D{{Key: "_id", Value: "acme:t:m:202603"}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "s.contacted", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	db.ForgetCached() // as the restart after a crash would
	drifts, err := tl.Compare(ctx, "acme")
	placedDrift := false
	for _, d := range drifts {
		placedDrift = placedDrift || d == (tally.Drift{Doc: "t:d:20260310", Key: "pl_n", Stored: 0, Rebuilt: 200})
	}
	if err != nil || !placedDrift {
		t.Errorf("%d drifts, lost placements not among them (%v)", len(drifts), err)
	}
	for _, d := range drifts {
		if d.Doc != "t:d:20260310" && d != (tally.Drift{Doc: "t:m:202603", Key: "s.contacted", Stored: 0, Rebuilt: 100}) {
			t.Errorf("unexpected drift %+v", d)
		}
	}
	if fixed, err := tl.Repair(ctx, "acme"); err != nil || len(fixed) != len(drifts) {
		t.Errorf("repair %+v %v", fixed, err)
	}
	if drifts, err := tl.Compare(ctx, "acme"); err != nil || len(drifts) != 0 {
		t.Errorf("after repair %+v %v", drifts, err)
	}
	if k2, err := reports.Summary(ctx, db, tenant, p); err != nil || k2.ContactRate != k.ContactRate || k2.Recovered.Amount != k.Recovered.Amount {
		t.Errorf("after repair %+v %v", k2.ContactRate, err)
	}
}

// BenchmarkSummary measures the summary and the recovery PDF of the last
// month for tenants whose accounts were placed over a year, against one
// raw streaming pass over the same collections (every document, no
// decoding) in the same run. Sizes: CARTERA_BENCH_SIZES (default
// 10000,100000).
func BenchmarkSummary(b *testing.B) {
	sizes := []int{10000, 100000}
	if env := os.Getenv("CARTERA_BENCH_SIZES"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			db, _ := counted(b)
			at := time.Date(2025, 4, 1, 15, 0, 0, 0, time.UTC)
			start := time.Now()
			seed(b, db, n, 365, at)
			b.Logf("seeded %d accounts with live counters in %s", n, time.Since(start).Round(time.Millisecond))
			p := reports.NewPeriod(time.Date(2026, 3, 1, 0, 0, 0, 0, bogota), time.Date(2026, 3, 31, 0, 0, 0, 0, bogota), bogota)
			ctx := context.Background()
			raw := func() time.Duration {
				start := time.Now()
				for _, c := range []string{"accounts", "ledger", "activities", "promises", "disputes"} {
					if err := db.Tenant("acme").C(c).Each(ctx, bson.D{}, nil, func(bson.Raw) error { return nil }); err != nil {
						b.Fatal(err)
					}
				}
				return time.Since(start)
			}
			T := func(k string) string { return k }
			var pdf time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k, err := reports.Summary(ctx, db, tenant, p)
				if err != nil {
					b.Fatal(err)
				}
				s := time.Now()
				if _, err := reports.RecoveryPDF(k, reports.PDFOptions{T: T, Lang: "es"}); err != nil {
					b.Fatal(err)
				}
				pdf += time.Since(s)
			}
			b.StopTimer()
			sum := b.Elapsed() - pdf
			rawTotal := raw()
			b.ReportMetric(float64(sum.Microseconds())/1000/float64(b.N), "summary-ms")
			b.ReportMetric(float64((sum+pdf).Microseconds())/1000/float64(b.N), "summary+pdf-ms")
			b.ReportMetric(float64(rawTotal.Milliseconds()), "raw-pass-ms")
			b.ReportMetric(float64(rawTotal)/(float64(sum)/float64(b.N)), "raw/summary")
		})
	}
}
