package queue_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apptest"
	"cartera/portal/queue"
	"cartera/portal/readside"
	"cartera/tenants"
)

// populate inserts n open accounts of tenant "bench" (the first mine of
// them assigned to collector "c-mine", the rest spread over others) in
// batches of 1,000, and, when withWorklist, the worklist of c-mine with an
// entry per account of theirs, every one with a call due.
func populate(b *testing.B, e *apptest.Env, n, mine int, withWorklist bool) {
	b.Helper()
	ctx := context.Background()
	sc := e.App.DB.Tenant("bench")
	due := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	entries := map[string]queue.Entry{}
	batch := make([]any, 0, 1000)
	for i := 0; i < n; i++ {
		col := fmt.Sprintf("c-%d", i%40)
		if i < mine {
			col = "c-mine"
		}
		key := fmt.Sprintf("F-%06d", i)
		bal := int64(100000 + (i*7919)%50_000_000)
		batch = append(batch, bson.D{{Key: "_id", Value: sc.ID(key)}, {Key: "tenantId", Value: "bench"}, {Key: "invoice", Value: key},
			{Key: "debtorId", Value: sc.ID(fmt.Sprint(900000000 + i))}, {Key: "debtorName", Value: fmt.Sprintf("Cliente %d S.A.S.", i)},
			{Key: "dueDate", Value: due.AddDate(0, 0, i%60)}, {Key: "original", Value: bal}, {Key: "balance", Value: bal}, {Key: "currency", Value: "COP"},
			{Key: "status", Value: "open"}, {Key: "collectorId", Value: col}, {Key: "history", Value: bson.A{}}, {Key: "rev", Value: int64(0)}})
		if i < mine {
			entries[key] = queue.Entry{AccountID: sc.ID(key), Invoice: key, DebtorName: fmt.Sprintf("Cliente %d S.A.S.", i), Balance: bal, Currency: "COP",
				DueDate: due.AddDate(0, 0, i%60), BrokenPromises: i % 3, ValidContacts: 2, Channels: 2,
				NextAction: &queue.NextAction{Type: "call", Due: due.AddDate(0, 0, 10), Label: "Llamada de seguimiento"},
				Reasons:    []string{"saldo", "mora"}}
		}
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := sc.C("accounts").InsertMany(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if withWorklist {
		data, err := readside.EncodeWorklist(entries)
		if err != nil {
			b.Fatal(err)
		}
		if err := sc.C("worklists").Insert(ctx, readside.Worklist{ID: sc.ID("c-mine"), TenantID: "bench", CollectorID: "c-mine",
			Count: len(entries), Data: data, UpdatedAt: time.Now(), Token: "bench"}); err != nil {
			b.Fatal(err)
		}
		setStamp(b, e, "bench")
	}
}

// setStamp writes the token the queue's cache compares with the worklist's
// (a worklist write does it; populate writes the worklist directly).
func setStamp(b *testing.B, e *apptest.Env, token string) {
	sc := e.App.DB.Tenant("bench")
	if _, err := sc.C("counters").Upsert(context.Background(), sc.ID("wl:c-mine"), bson.D{{Key: "$set", Value: bson.D{{Key: "token", Value: token}}}}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkQueue reads the queue (top 50) of a collector with 5,000
// accounts in tenants of 10,000 and 100,000 accounts: the cost should not
// depend on the tenant's size. "hit" is the usual read (the worklist has
// not changed since the last read); "own-write" reads right after this
// process changed the worklist (an account's entry rebuilt, as after a
// collector's action: scored again from the entries it wrote); "miss" reads
// after another process wrote it (read, decode and score again). The baseline in the same run is one raw
// read of the worklist document by _id; the ratios are p95 over it.
func BenchmarkQueue(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		for _, mode := range []string{"hit", "own-write", "miss"} {
			b.Run(fmt.Sprintf("tenant=%d/%s", n, mode), func(b *testing.B) {
				e := benchEnv(b)
				populate(b, e, n, 5000, true)
				q := e.App.Web.Queue
				sc := e.App.DB.Tenant("bench")
				ctx := actor.With(context.Background(), actor.Actor{UserID: "c-mine", Role: tenants.RoleCollector, Tenants: []string{"bench"}})
				base := make([]time.Duration, 0, b.N)
				for i := 0; i < max(b.N, 20); i++ {
					var raw bson.Raw
					start := time.Now()
					if err := sc.C("worklists").Get(ctx, sc.ID("c-mine"), &raw); err != nil {
						b.Fatal(err)
					}
					base = append(base, time.Since(start))
				}
				if _, err := q.Queue(ctx, queue.QueueFilter{Tenant: "bench"}); err != nil { // warm
					b.Fatal(err)
				}
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					switch mode {
					case "miss":
						b.StopTimer()
						setStamp(b, e, fmt.Sprint("t", i))
						b.StartTimer()
					case "own-write":
						b.StopTimer()
						q.AccountChanged(ctx, "bench", sc.ID(fmt.Sprintf("F-%06d", i%5000)))
						b.StartTimer()
					}
					start := time.Now()
					items, err := q.Queue(ctx, queue.QueueFilter{Tenant: "bench"})
					lat = append(lat, time.Since(start))
					if err != nil || len(items) != 50 {
						b.Fatalf("queue: %d items, %v", len(items), err)
					}
				}
				b.StopTimer()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				sort.Slice(base, func(i, j int) bool { return base[i] < base[j] })
				p95 := lat[len(lat)*95/100]
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(p95.Nanoseconds()), "p95-ns")
				b.ReportMetric(float64(base[len(base)/2].Nanoseconds()), "rawget-p50-ns")
				b.ReportMetric(float64(p95)/float64(base[len(base)/2]), "p95/rawget")
			})
		}
	}
}

// benchEnv is an app with tenant "bench" and no background jobs: the
// scheduler's own ladder pass and daily worklist rebuild would otherwise run
// on the benchmark's tenant a minute in and distort its figures.
func benchEnv(b *testing.B) *apptest.Env {
	e := apptest.New(b)
	e.App.StopBackground()
	e.Tenant("bench")
	return e
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkQueueParts measures the pieces of a queue read on the same data
// as BenchmarkQueue, as baselines for its figures: one raw read of the
// worklist document by _id, one read of an account by _id, and decoding
// the worklist's entries.
func BenchmarkQueueParts(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("tenant=%d", n), func(b *testing.B) {
			e := benchEnv(b)
			populate(b, e, n, 5000, true)
			sc := e.App.DB.Tenant("bench")
			ctx := context.Background()
			var wl readside.Worklist
			timeIt := func(name string, fn func() error) {
				lat := make([]time.Duration, 0, b.N)
				for i := 0; i < b.N; i++ {
					start := time.Now()
					if err := fn(); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), name+"-p50-ns")
			}
			b.ResetTimer()
			timeIt("worklist-get", func() error {
				var raw bson.Raw
				return sc.C("worklists").Get(ctx, sc.ID("c-mine"), &raw)
			})
			if err := sc.C("worklists").Get(ctx, sc.ID("c-mine"), &wl); err != nil {
				b.Fatal(err)
			}
			timeIt("decode", func() error { _, err := wl.Entries(); return err })
			timeIt("account-get", func() error {
				var raw bson.Raw
				return sc.C("accounts").Get(ctx, sc.ID("F-004999"), &raw)
			})
			b.ReportMetric(float64(len(wl.Data)), "worklist-bytes")
		})
	}
}
