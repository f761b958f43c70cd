package debtors_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/apptest"
)

// benchDay is "today" in the statement benchmark: the 50 invoices fall due
// between August and December 2025, so interest crosses cap periods.
var benchDay = time.Date(2025, time.November, 20, 15, 0, 0, 0, time.UTC)

// statementFixture is a tenant of size accounts: one debtor with 50
// invoices placed through the import API, and size-50 other accounts (four
// per debtor) inserted in bulk, as a large placement leaves them.
func statementFixture(b *testing.B, size int) (e *apptest.Env, token, debtorID string) {
	e = apptest.New(b)
	e.Tenant("big")
	_, mgr := e.User("big", "manager")
	var csv bytes.Buffer
	csv.WriteString("documento,nombre,factura,vencimiento,valor\n")
	for i := 0; i < 50; i++ {
		due := time.Date(2025, time.August, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*3)
		fmt.Fprintf(&csv, "55501234,Cliente Cincuenta,T-%03d,%s,%d\n", i, due.Format(time.DateOnly), 100000+i*1237)
	}
	if m := e.Import("big", mgr, "fifty.csv", csv.Bytes()); m["inserted"].(float64) != 50 {
		b.Fatalf("import: %v", m)
	}
	sc := e.App.DB.Tenant("big")
	ctx := context.Background()
	now := time.Now().UTC()
	var accs, debs []any
	flush := func() {
		if _, err := sc.C("accounts").InsertMany(ctx, accs); err != nil {
			b.Fatal(err)
		}
		if len(debs) > 0 {
			if _, err := sc.C("debtors").InsertMany(ctx, debs); err != nil {
				b.Fatal(err)
			}
		}
		accs, debs = accs[:0], debs[:0]
	}
	for i := 0; i < size-50; i++ {
		d := i / 4
		did := sc.ID(fmt.Sprintf("9%08d", d))
		accs = append(accs, accounts.Account{ID: sc.ID(fmt.Sprintf("F-%07d", i)), TenantID: "big", Invoice: fmt.Sprintf("F-%07d", i),
			DebtorID: did, Document: fmt.Sprintf("9%08d", d), DebtorName: "Deudor", DueDate: now.AddDate(0, 0, -i%200),
			Original: 500000, Balance: 500000, Currency: "COP", Status: accounts.StatusOpen, History: []accounts.Movement{}, CreatedAt: now, UpdatedAt: now})
		if i%4 == 0 {
			ids := []string{}
			for k := 0; k < 4 && i+k < size-50; k++ {
				ids = append(ids, sc.ID(fmt.Sprintf("F-%07d", i+k)))
			}
			debs = append(debs, accounts.Debtor{ID: did, TenantID: "big", Document: fmt.Sprintf("9%08d", d), Name: "Deudor",
				Contacts: []accounts.Contact{}, AccountIDs: ids, CreatedAt: now, UpdatedAt: now})
		}
		if len(accs) == 1000 {
			flush()
		}
	}
	if len(accs) > 0 {
		flush()
	}
	// Counting 100,000 documents scans them all; the last one by _id will do.
	var last accounts.Account
	if err := sc.C("accounts").Get(ctx, sc.ID(fmt.Sprintf("F-%07d", size-51)), &last); err != nil {
		b.Fatalf("filler accounts: %v", err)
	}
	code := e.Do("POST", "/api/tenants/big/debtors/55501234/access-code", mgr, nil).JSON()["code"].(string)
	r := e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "big", "document": "55501234", "code": code})
	if r.Status != 200 {
		b.Fatalf("login: %d %s", r.Status, r.Body)
	}
	e.App.DebtorsSvc.Now = func() time.Time { return benchDay }
	return e, r.JSON()["token"].(string), "big:55501234"
}

func pct(lat []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkStatement measures GET /api/debtor/statement and statement.pdf
// over loopback HTTP for a debtor with 50 invoices in tenants of 10,000
// and 100,000 accounts, against a baseline taken in the same run: one raw
// Get by _id of the debtor's document. Each request is timed alone
// (sequential, p50/p95), then 10 users read statements at once.
//
//	go test -run '^$' -bench Statement -benchtime 1x ./portal/debtors/
func BenchmarkStatement(b *testing.B) {
	for _, size := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("accounts=%d", size), func(b *testing.B) {
			e, tok, debtorID := statementFixture(b, size)
			url := e.Listen()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			get := func(path string) error {
				req, _ := http.NewRequest("GET", url+path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := client.Do(req)
				if err != nil {
					return err
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || n < 100 {
					return fmt.Errorf("GET %s: %d (%d bytes)", path, res.StatusCode, n)
				}
				return nil
			}
			// The driver's read, not the store's: the store answers from the
			// document cache.
			debtorsRaw := e.App.DB.C("debtors").Raw()
			raw := func() error {
				var d accounts.Debtor
				if err := debtorsRaw.FindOne(context.Background(), bson.D{{Key: "_id", Value: debtorID}}).Decode(&d); err != nil {
					return err
				}
				if len(d.AccountIDs) != 50 {
					return fmt.Errorf("debtor has %d accounts", len(d.AccountIDs))
				}
				return nil
			}
			for i := 0; i < b.N; i++ {
				const n = 200
				var base, js, pdf []time.Duration
				for k := 0; k < 10; k++ { // warm up connections and caches
					_ = get("/api/debtor/statement")
				}
				for k := 0; k < n; k++ { // interleaved, so noise hits all three alike
					for _, m := range []struct {
						into *[]time.Duration
						run  func() error
					}{{&base, raw}, {&js, func() error { return get("/api/debtor/statement") }}, {&pdf, func() error { return get("/api/debtor/statement.pdf") }}} {
						t0 := time.Now()
						if err := m.run(); err != nil {
							b.Fatal(err)
						}
						*m.into = append(*m.into, time.Since(t0))
					}
				}
				// 10 users at once, each reading statements for 3 s.
				var mu sync.Mutex
				var conc []time.Duration
				var wg sync.WaitGroup
				stop := time.Now().Add(3 * time.Second)
				for u := 0; u < 10; u++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for time.Now().Before(stop) {
							t0 := time.Now()
							if err := get("/api/debtor/statement"); err != nil {
								b.Error(err)
								return
							}
							mu.Lock()
							conc = append(conc, time.Since(t0))
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(ms(pct(base, 0.5)), "base-p50-ms")
				b.ReportMetric(ms(pct(base, 0.95)), "base-p95-ms")
				b.ReportMetric(ms(pct(js, 0.5)), "json-p50-ms")
				b.ReportMetric(ms(pct(js, 0.95)), "json-p95-ms")
				b.ReportMetric(ms(pct(pdf, 0.5)), "pdf-p50-ms")
				b.ReportMetric(ms(pct(pdf, 0.95)), "pdf-p95-ms")
				b.ReportMetric(float64(pct(js, 0.5))/float64(pct(base, 0.5)), "json/base-p50")
				b.ReportMetric(float64(pct(pdf, 0.5))/float64(pct(base, 0.5)), "pdf/base-p50")
				b.ReportMetric(ms(pct(conc, 0.5)), "json-10users-p50-ms")
				b.ReportMetric(ms(pct(conc, 0.95)), "json-10users-p95-ms")
				b.ReportMetric(float64(len(conc))/3, "json-10users-req/s")
			}
		})
	}
}
