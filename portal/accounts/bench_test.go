package accounts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/tenants"
)

// peakHeap samples the live heap (as marked by the last GC, so garbage
// between collections does not count) every 5 ms until stopped and returns
// the highest value seen. Given a path, it also writes a heap profile there
// each time the peak grows by a fiftieth, so the last one written shows
// what the peak held (the profile is as of a recent GC, as the live figure
// is).
func peakHeap(profile string) func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var profiled uint64
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
				if profile != "" && v > profiled+profiled/50 {
					profiled = v
					if f, err := os.Create(profile); err == nil {
						_ = pprof.WriteHeapProfile(f)
						f.Close()
					}
				}
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
	for _, c := range []struct {
		rows   int
		spread bool
	}{{10_000, false}, {10_000, true}, {100_000, false}, {100_000, true}} {
		rows := c.rows
		order := "debtor"
		if c.spread {
			order = "invoice"
		}
		b.Run(fmt.Sprintf("rows=%d/order=%s", rows, order), func(b *testing.B) {
			if s := benchSizes(); s != 0 && s != rows {
				b.Skip("CARTERA_BENCH_SIZES")
			}
			// The request is written to disk first and sent from there over
			// a real socket, so the peak heap is the portal's, not the
			// test's copies of the file.
			body, contentType, fileMB := multipartOnDisk(b, portfolioFile(rows, c.spread))
			for i := 0; i < b.N; i++ {
				e := apptest.New(b, func(c *config.Config) { c.ImportMaxBytes = 64 << 20 })
				e.Tenant("acme")
				_, mgr := e.User("acme", "manager")
				url := e.Listen()
				runtime.GC()
				// CARTERA_BENCH_HEAPPROFILE=path writes profiles of the peaks:
				// the whole request's at path, the job's at path.job.
				profile, jobProfile := os.Getenv("CARTERA_BENCH_HEAPPROFILE"), ""
				if profile != "" {
					jobProfile = profile + ".job"
				}
				stop := peakHeap(profile)
				var stopJob func() uint64
				start := time.Now()
				m := uploadFrom(b, e, url+"/api/tenants/acme/imports", mgr, body, contentType, func() {
					// A collection first, so the job's figure does not start
					// from the upload's last one.
					runtime.GC()
					stopJob = peakHeap(jobProfile)
				})
				apiDur := time.Since(start)
				peak, jobPeak := stop(), stopJob()
				if int(m["inserted"].(float64)) != rows {
					b.Fatalf("import: %v", m)
				}

				// Baseline: the same documents straight into the driver's
				// InsertMany (no read models kept: the import pays for the
				// report counters and the portfolio index, the baseline not).
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
							if _, err := e2.App.DB.C(c.n).Raw().InsertMany(e2.Ctx(), *c.d, options.InsertMany().SetOrdered(false)); err != nil {
								b.Fatal(err)
							}
							*c.d = (*c.d)[:0]
						}
					}
				}
				start = time.Now()
				for r := 0; r < rows; r++ {
					d := r / 3
					if c.spread {
						d = r % max(rows/3, 1)
					}
					inv, doc := fmt.Sprintf("F-%06d", r), fmt.Sprint(5000+d)
					due := time.Date(2026, time.Month(1+r%12), 15, 0, 0, 0, 0, time.UTC)
					ledg = append(ledg, accounts.LedgerEntry{ID: sc.ID("place:" + inv), TenantID: "raw", AccountID: sc.ID(inv), DebtorID: sc.ID(doc), Kind: accounts.KindPlacement, Amount: int64(r), Currency: "COP", At: now})
					accs = append(accs, accounts.Account{ID: sc.ID(inv), TenantID: "raw", Invoice: inv, DebtorID: sc.ID(doc), Document: doc, DebtorName: "Deudor", DueDate: due, Original: int64(r), Balance: int64(r), Currency: "COP", Status: "open",
						History: []accounts.Movement{{LedgerID: sc.ID("place:" + inv), Kind: accounts.KindPlacement, Amount: int64(r), At: now}}, CreatedAt: now, UpdatedAt: now})
					if (!c.spread && r%3 == 0) || (c.spread && r < rows/3) {
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
				b.ReportMetric(float64(jobPeak)/(1<<20), "job-peak-live-heap-MB")
				b.ReportMetric(fileMB, "file-MB")
			}
		})
	}
}

// multipartOnDisk writes an import request's multipart body (the file as
// field "file") to a temporary file and returns its path, content type and
// the file's size in MB.
func multipartOnDisk(b *testing.B, csv []byte) (path, contentType string, fileMB float64) {
	f, err := os.CreateTemp(b.TempDir(), "import-*.body")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := multipart.NewWriter(f)
	fw, err := w.CreateFormFile("file", "big.csv")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := fw.Write(csv); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return f.Name(), w.FormDataContentType(), float64(len(csv)) / (1 << 20)
}

// uploadFrom posts the body in path (its length known, as a browser sends
// a form) and waits for the import, calling stored once the file is stored
// (the upload answered) and the job runs.
func uploadFrom(b *testing.B, e *apptest.Env, url, token, path, contentType string, stored func()) map[string]any {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	req, _ := http.NewRequest("POST", url, f)
	req.ContentLength = st.Size()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 202 {
		b.Fatalf("upload: %d %v %v", res.StatusCode, m, err)
	}
	stored()
	return e.WaitImport("acme", m["id"].(string), token)
}

// BenchmarkAccountList times the client's account list through HTTP (first
// page, a search, a status and bucket filter, a later page) for tenants of
// 10,000 and 100,000 accounts, served from the portfolio index, against one
// raw Get by _id and against the scan the index replaced, in the same run.
func BenchmarkAccountList(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			e := apptest.New(b)
			e.Tenant("acme")
			_, client := e.User("acme", "client")
			sc := e.App.DB.Tenant("acme")
			now := time.Now().UTC()
			for start := 0; start < n; start += 1000 {
				var docs []any
				for r := start; r < start+1000; r++ {
					inv := fmt.Sprintf("F-%06d", r)
					docs = append(docs, accounts.Account{ID: sc.ID(inv), TenantID: "acme", Invoice: inv, DebtorID: sc.ID(fmt.Sprint(r / 3)), Document: fmt.Sprint(5000 + r/3),
						DebtorName: fmt.Sprintf("Deudor %d", r/3), DueDate: time.Date(2026, time.Month(1+r%12), 15, 0, 0, 0, 0, time.UTC), Original: int64(r), Balance: int64(r),
						Currency: "COP", Status: []string{"open", "open", "paid", "recalled"}[r%4], History: []accounts.Movement{}, CreatedAt: now, UpdatedAt: now})
				}
				if _, err := sc.C("accounts").InsertMany(e.Ctx(), docs); err != nil {
					b.Fatal(err)
				}
			}
			queries := []string{"", "q=deudor%201234", "status=paid&bucket=31-60", "cursor=F-050000&limit=100"}
			pct := func(d []time.Duration, p float64) float64 {
				sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
				return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000
			}
			run := func(f func(i int)) []time.Duration {
				var ds []time.Duration
				for i := 0; i < 40; i++ {
					s := time.Now()
					f(i)
					ds = append(ds, time.Since(s))
				}
				return ds
			}
			b.ResetTimer()
			list := run(func(i int) {
				if r := e.Do("GET", "/api/tenants/acme/accounts?"+queries[i%len(queries)], client, nil); r.Status != 200 {
					b.Fatalf("list %d", r.Status)
				}
			})
			b.StopTimer()
			raw := run(func(i int) {
				var a accounts.Account
				if err := sc.C("accounts").Get(e.Ctx(), sc.ID(fmt.Sprintf("F-%06d", i*97)), &a); err != nil {
					b.Fatal(err)
				}
			})
			// The scan the index replaced: the same service built without
			// it, called as the handler calls it.
			scanner := accounts.NewService(accounts.Options{DB: e.App.DB, Audit: e.App.Audit, Tenants: e.App.Tenants})
			filters := []accounts.Filter{{}, {Q: "deudor 1234"}, {Status: "paid", Bucket: "31-60"}, {Cursor: "F-050000", Limit: 100}}
			clientCtx := actor.With(context.Background(), actor.Actor{UserID: "bench-client", Role: tenants.RoleClient, Tenants: []string{"acme"}})
			scanFailed := 0
			scan := run(func(i int) {
				if i >= 4 {
					return
				}
				// At 100,000 the scan can outlast the request timeout.
				ctx, cancel := context.WithTimeout(clientCtx, 60*time.Second)
				defer cancel()
				if _, err := scanner.List(ctx, "acme", filters[i%len(filters)]); err != nil {
					scanFailed++
				}
			})[:4]
			b.ReportMetric(pct(list, 0.5), "list-p50-ms")
			b.ReportMetric(pct(list, 0.95), "list-p95-ms")
			b.ReportMetric(pct(raw, 0.5), "raw-get-p50-ms")
			b.ReportMetric(pct(scan, 0.5), "scan-p50-ms")
			b.ReportMetric(float64(scanFailed), "scan-failed")
		})
	}
}

// benchSizes is CARTERA_BENCH_SIZES as one size (0: every size).
func benchSizes() int {
	n, _ := strconv.Atoi(os.Getenv("CARTERA_BENCH_SIZES"))
	return n
}
