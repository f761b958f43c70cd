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
		data, err := queue.EncodeEntries(entries)
		if err != nil {
			b.Fatal(err)
		}
		if err := sc.C("worklists").Insert(ctx, queue.Worklist{ID: sc.ID("c-mine"), TenantID: "bench", CollectorID: "c-mine",
			Count: len(entries), Data: data, UpdatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueue reads the queue (top 50) of a collector with 5,000
// accounts in tenants of 10,000 and 100,000 accounts: the cost should not
// depend on the tenant's size.
func BenchmarkQueue(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("tenant=%d", n), func(b *testing.B) {
			e := apptest.New(b)
			e.Tenant("bench")
			populate(b, e, n, 5000, true)
			q := e.App.Web.Queue
			ctx := actor.With(context.Background(), actor.Actor{UserID: "c-mine", Role: tenants.RoleCollector, Tenants: []string{"bench"}})
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				items, err := q.Queue(ctx, queue.QueueFilter{Tenant: "bench"})
				lat = append(lat, time.Since(start))
				if err != nil || len(items) != 50 {
					b.Fatalf("queue: %d items, %v", len(items), err)
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*95/100].Nanoseconds()), "p95-ns")
		})
	}
}

// ladderN is the tenant size of BenchmarkLadderPass.
var ladderN = envInt("LADDER_N", 10_000)

// BenchmarkLadderPass runs the ladder over a tenant of 10,000 open
// accounts: the first pass queues the due steps and builds the worklists;
// the second (nothing changed) only reads.
func BenchmarkLadderPass(b *testing.B) {
	e := apptest.New(b)
	e.Tenant("bench")
	populate(b, e, ladderN, ladderN/2, false)
	q := e.App.Web.Queue
	q.Now = func() time.Time { return time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC) }
	ctx := e.Ctx()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		st, err := q.RunLadder(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		first := time.Since(start)
		start = time.Now()
		st2, err := q.RunLadder(ctx, "bench")
		if err != nil || st2.Queued != 0 {
			b.Fatalf("second pass %+v %v", st2, err)
		}
		b.ReportMetric(first.Seconds(), "first-pass-s")
		b.ReportMetric(time.Since(start).Seconds(), "steady-pass-s")
		b.ReportMetric(float64(st.Queued), "queued")
		b.Logf("first %+v second %+v", st, st2)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
