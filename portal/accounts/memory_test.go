package accounts_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/store"
)

// monthFile is one month's file of a client: rows new invoices (numbered
// by month) of the same debtors, in invoice order (each debtor's invoices
// spread over the file, as ERPs export them).
func monthFile(month, rows int) []byte {
	var b bytes.Buffer
	b.WriteString("documento;nombre;factura;vencimiento;valor;correo\n")
	debtors := max(rows/3, 1)
	for i := 0; i < rows; i++ {
		d := i % debtors
		fmt.Fprintf(&b, "%d;Deudor %d;M%02d-%06d;15/%02d/2026;%d.%03d,50;d%d@x.co\n", 5000+d, d, month, i, 1+i%12, 1+i%900, i%1000, d)
	}
	return b.Bytes()
}

// liveHeap is the heap after a collection, less what the document cache
// holds (bounded on its own: store.DefaultCacheBytes): the least of five
// readings 20 ms apart, so work still finishing in the background (a
// batch of the projections, a job's last step) does not count.
func liveHeap(db *store.DB) int {
	least := 0
	for i := 0; i < 5; i++ {
		time.Sleep(20 * time.Millisecond)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if v := int(ms.HeapAlloc) - db.CacheStats().Bytes; i == 0 || v < least {
			least = v
		}
	}
	return least
}

// importMonths imports files of rows each into one tenant through the
// HTTP API, reading the portfolio after each (so its index is in memory),
// and returns the live heap (less the document cache) after each file.
func importMonths(tb testing.TB, files, rows int) []int {
	e := apptest.New(tb, func(c *config.Config) { c.ImportMaxBytes = 64 << 20 })
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	var out []int
	for m := 0; m < files; m++ {
		if r := e.Import("acme", mgr, fmt.Sprintf("month-%02d.csv", m), monthFile(m, rows)); int(r["inserted"].(float64)) != rows {
			tb.Fatalf("file %d: %v", m, r)
		}
		if err := e.App.DB.Drain(e.Ctx()); err != nil {
			tb.Fatal(err)
		}
		if r := e.Do("GET", "/api/tenants/acme/accounts?limit=50&status=open", mgr, nil); r.Status != 200 {
			tb.Fatalf("portfolio: %d %s", r.Status, r.Body)
		}
		out = append(out, liveHeap(e.App.DB))
	}
	return out
}

// A portal that keeps importing files keeps in memory, besides its bounded
// caches, only what its accounts cost while cached: past the first files
// the live heap grows by at most bytesPerAccount a new account, however
// many files came before (no import leaves anything behind).
func TestMemoryBoundedAcrossImports(t *testing.T) {
	const files, rows = 10, 1000
	heaps := importMonths(t, files, rows)
	grown := heaps[files-1] - heaps[2]
	per := grown / ((files - 3) * rows)
	t.Logf("live heap less the document cache after each file (KB): %v; %d bytes a new account", kb(heaps), per)
	if per > bytesPerAccount {
		t.Fatalf("the live heap grew %d bytes a new account over %d files, bound %d", per, files-3, bytesPerAccount)
	}
}

// bytesPerAccount bounds what an account costs in memory on the embedded
// server: its row in the tenant's portfolio index view (about 540 bytes
// measured over 500,000 accounts, 2026-12-08; views are kept for the 8
// tenants read last, readside.indexCacheTenants) and its entry in the
// worklists' check memo (until that memo's bound of 200,000 accounts).
// Everything else is bounded by a constant: the document cache
// (store.DefaultCacheBytes), the import's staging, the projections' backlog.
const bytesPerAccount = 768

func kb(v []int) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = x >> 10
	}
	return out
}

// BenchmarkImportFiles imports 50 files of 10,000 rows (CARTERA_BENCH_FILES,
// CARTERA_BENCH_ROWS to change) into one tenant and reports the live heap
// after the first and the last file.
func BenchmarkImportFiles(b *testing.B) {
	files, rows := envInt("CARTERA_BENCH_FILES", 50), envInt("CARTERA_BENCH_ROWS", 10_000)
	for i := 0; i < b.N; i++ {
		heaps := importMonths(b, files, rows)
		b.ReportMetric(float64(heaps[0])/(1<<20), "first-file-live-MB")
		b.ReportMetric(float64(heaps[files-1])/(1<<20), "last-file-live-MB")
		b.ReportMetric(float64(heaps[files-1]-heaps[0])/float64((files-1)*rows), "B/account")
		fmt.Printf("live heap less the document cache after each file (KB): %v\n", kb(heaps))
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
