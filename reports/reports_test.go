package reports_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
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
// an activity on every other and a promise on every tenth, in bulk.
func seed(tb testing.TB, db *store.DB, n int, at time.Time) {
	tb.Helper()
	sc := db.Tenant("acme")
	ctx := context.Background()
	var accs, ledger, acts, proms []any
	for i := 0; i < n; i++ {
		id := sc.ID(fmt.Sprintf("F-%06d", i))
		due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(i % 500))
		bal := int64(100000 + i)
		var payment int64
		if i%5 == 0 {
			payment = 50000
			ledger = append(ledger, accounts.LedgerEntry{ID: sc.ID(fmt.Sprintf("pay:%d", i)), TenantID: "acme", AccountID: id, Kind: accounts.KindPayment,
				Channel: []string{"online", "manual", "client_reported"}[i%3], Amount: -payment, Currency: "COP", At: at.Add(time.Hour)})
		}
		status := accounts.StatusOpen
		if i%97 == 0 {
			status = accounts.StatusRecalled
		}
		accs = append(accs, accounts.Account{ID: id, TenantID: "acme", Invoice: fmt.Sprintf("F-%06d", i), DebtorID: sc.ID(fmt.Sprint(i % 3000)),
			DebtorName: "Deudor", DueDate: due, Original: bal, Balance: bal - payment, Currency: "COP", Status: status, CollectorID: fmt.Sprintf("c%d", i%8),
			History: []accounts.Movement{}, CreatedAt: at, UpdatedAt: at})
		ledger = append(ledger, accounts.LedgerEntry{ID: sc.ID("place:" + fmt.Sprint(i)), TenantID: "acme", AccountID: id, Kind: accounts.KindPlacement,
			Amount: bal, Currency: "COP", At: at})
		if i%2 == 0 {
			acts = append(acts, bson.D{{Key: "_id", Value: sc.ID(fmt.Sprintf("a%d", i))}, {Key: "tenantId", Value: "acme"}, {Key: "accountId", Value: id},
				{Key: "channel", Value: "call"}, {Key: "direction", Value: "outbound"}, {Key: "outcome", Value: "contacted"}, {Key: "by", Value: fmt.Sprintf("c%d", i%8)}, {Key: "at", Value: at}})
		}
		if i%10 == 0 {
			proms = append(proms, bson.D{{Key: "_id", Value: sc.ID(fmt.Sprintf("p%d", i))}, {Key: "tenantId", Value: "acme"}, {Key: "accountId", Value: id},
				{Key: "amount", Value: int64(1000)}, {Key: "status", Value: "kept"}, {Key: "by", Value: "c1"}, {Key: "createdAt", Value: at}, {Key: "settledAt", Value: at.Add(time.Hour)}})
		}
	}
	for name, docs := range map[string][]any{"accounts": accs, "ledger": ledger, "activities": acts, "promises": proms} {
		for i := 0; i < len(docs); i += 1000 {
			if _, err := sc.C(name).InsertMany(ctx, docs[i:min(i+1000, len(docs))]); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

var tenant = tenants.Tenant{ID: "acme", Name: "Acme", Currency: "COP", Timezone: "America/Bogota", Locale: "es-CO", CommissionBP: 1500}

// Summary straight on the store: what happens after to does not count, a
// recalled account is out of the rate and the outstanding, and the
// remittance adds up to the ledger.
func TestSummaryOnStore(t *testing.T) {
	db := storetest.New(t)
	at := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	seed(t, db, 200, at)
	// A payment after the period is ignored everywhere.
	sc := db.Tenant("acme")
	if err := sc.C("ledger").Insert(context.Background(), accounts.LedgerEntry{ID: sc.ID("late"), TenantID: "acme", AccountID: sc.ID("F-000001"),
		Kind: accounts.KindPayment, Channel: "online", Amount: -7, Currency: "COP", At: time.Date(2026, 4, 1, 15, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	p := reports.NewPeriod(time.Date(2026, 3, 1, 0, 0, 0, 0, bogota), time.Date(2026, 3, 31, 0, 0, 0, 0, bogota), bogota)
	k, err := reports.Summary(context.Background(), db, tenant, p)
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
	if k.Promises.Made != 20 || k.Promises.Kept != 20 || k.ContactRate.Contacted != 98 { // 100 even accounts, 0 and 194 recalled
		t.Errorf("promises %+v contact %+v", k.Promises, k.ContactRate)
	}
	r, err := reports.Remit(context.Background(), db, tenant, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Collected != 40*50000 || len(r.Lines) != 40 || r.Collected-r.ClientReported-r.Commission != r.Net {
		t.Errorf("remittance %+v", r)
	}
}

// BenchmarkSummary measures the summary at 10,000 accounts against one raw
// streaming pass over the same collections (every document, no decoding):
// the ratio is what computing the figures costs beyond reading.
func BenchmarkSummary(b *testing.B) {
	db := storetest.New(b)
	at := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	seed(b, db, 10000, at)
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
	raw() // warm up
	var rawTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := reports.Summary(ctx, db, tenant, p); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sum := b.Elapsed()
	for i := 0; i < b.N; i++ {
		rawTotal += raw()
	}
	b.ReportMetric(float64(sum.Milliseconds())/float64(b.N), "summary-ms")
	b.ReportMetric(float64(rawTotal.Milliseconds())/float64(b.N), "raw-ms")
	b.ReportMetric(float64(sum)/float64(rawTotal), "ratio")
}
