package accounts_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson/primitive"

	"cartera/portal/accounts"
	"cartera/portal/apptest"
	"cartera/portal/config"
)

// peakHeap samples the live heap (as marked by the last GC, so garbage
// between collections does not count) every 5 ms until stopped and returns
// the highest value seen.
func peakHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}

// BenchmarkImport uploads a portfolio through the HTTP API and waits for the
// job, then inserts the same documents (accounts, debtors, placements) with
// raw InsertMany batches into the same embedded database: the ratio is the
// import's overhead over the fastest possible write.
func BenchmarkImport(b *testing.B) {
	for _, rows := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			csv := portfolioCSV(rows)
			for i := 0; i < b.N; i++ {
				e := apptest.New(b, func(c *config.Config) { c.ImportMaxBytes = 64 << 20 })
				e.Tenant("acme")
				_, mgr := e.User("acme", "manager")
				runtime.GC()
				stop := peakHeap()
				start := time.Now()
				m := e.Import("acme", mgr, "big.csv", csv)
				apiDur := time.Since(start)
				peak := stop()
				if int(m["inserted"].(float64)) != rows {
					b.Fatalf("import: %v", m)
				}

				// Baseline: the same documents straight into InsertMany.
				e2 := apptest.New(b)
				sc := e2.App.DB.Tenant("raw")
				now := time.Now().UTC()
				var accs, debts, ledg []any
				flush := func() {
					for _, c := range []struct {
						n string
						d *[]any
					}{{"ledger", &ledg}, {"accounts", &accs}, {"debtors", &debts}} {
						if len(*c.d) > 0 {
							if _, err := sc.C(c.n).InsertMany(e2.Ctx(), *c.d); err != nil {
								b.Fatal(err)
							}
							*c.d = (*c.d)[:0]
						}
					}
				}
				start = time.Now()
				for r := 0; r < rows; r++ {
					inv, doc := fmt.Sprintf("F-%06d", r), fmt.Sprint(5000+r/3)
					due := time.Date(2026, time.Month(1+r%12), 15, 0, 0, 0, 0, time.UTC)
					ledg = append(ledg, accounts.LedgerEntry{ID: sc.ID("place:" + inv), TenantID: "raw", AccountID: sc.ID(inv), DebtorID: sc.ID(doc), Kind: accounts.KindPlacement, Amount: int64(r), Currency: "COP", At: now})
					accs = append(accs, accounts.Account{ID: sc.ID(inv), TenantID: "raw", Invoice: inv, DebtorID: sc.ID(doc), Document: doc, DebtorName: "Deudor", DueDate: due, Original: int64(r), Balance: int64(r), Currency: "COP", Status: "open",
						History: []accounts.Movement{{LedgerID: sc.ID("place:" + inv), Kind: accounts.KindPlacement, Amount: int64(r), At: now}}, CreatedAt: now, UpdatedAt: now})
					if r%3 == 0 {
						debts = append(debts, accounts.Debtor{ID: sc.ID(doc), TenantID: "raw", Document: doc, Name: "Deudor", Contacts: []accounts.Contact{{Kind: "email", Value: "d@x.co", Source: "import", AddedAt: now}},
							AccountIDs: []string{sc.ID(inv)}, AccessCodeHash: primitive.NewObjectID().Hex(), CreatedAt: now, UpdatedAt: now})
					}
					if len(accs) == 1000 {
						flush()
					}
				}
				flush()
				rawDur := time.Since(start)
				b.ReportMetric(float64(rows)/apiDur.Seconds(), "api-rows/s")
				b.ReportMetric(float64(rows)/rawDur.Seconds(), "raw-rows/s")
				b.ReportMetric(apiDur.Seconds()/rawDur.Seconds(), "api/raw")
				b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-MB")
				b.ReportMetric(float64(len(csv))/(1<<20), "file-MB")
			}
		})
	}
}
