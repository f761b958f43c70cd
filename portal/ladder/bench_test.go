package ladder_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
)

// populate inserts n open accounts of tenant "bench" (the first mine of
// them assigned to collector "c-mine", the rest spread over others) in
// batches of 1,000.
func populate(b *testing.B, e *apptest.Env, n, mine int) {
	b.Helper()
	ctx := context.Background()
	sc := e.App.DB.Tenant("bench")
	due := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
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
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := sc.C("accounts").InsertMany(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// ladderN is the tenant size of BenchmarkLadderPass.
var ladderN = envInt("LADDER_N", 10_000)

// BenchmarkLadderPass runs the ladder over a tenant of LADDER_N (10,000 by
// default) open accounts: the first pass queues the due steps and builds the
// worklists; the second (nothing changed) only reads. During the first pass
// a prober makes a small write every 20 ms, as a request would, and the
// latencies it saw say whether the pass blocks requests.
func BenchmarkLadderPass(b *testing.B) {
	e := benchEnv(b)
	populate(b, e, ladderN, ladderN/2)
	l := e.App.Ladder
	l.Now = func() time.Time { return time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC) }
	ctx := e.Ctx()
	sc := e.App.DB.Tenant("bench")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stop := make(chan struct{})
		probes := make(chan []time.Duration)
		go func() {
			var lat []time.Duration
			for {
				select {
				case <-stop:
					probes <- lat
					return
				case <-time.After(20 * time.Millisecond):
				}
				start := time.Now()
				if _, err := sc.C("counters").Upsert(ctx, sc.ID("probe"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
					b.Error(err)
				}
				lat = append(lat, time.Since(start))
			}
		}()
		start := time.Now()
		st, err := l.Run(ctx, "bench")
		first := time.Since(start)
		close(stop)
		lat := <-probes
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		st2, err := l.Run(ctx, "bench")
		if err != nil || st2.Queued != 0 {
			b.Fatalf("second pass %+v %v", st2, err)
		}
		b.ReportMetric(first.Seconds(), "first-pass-s")
		b.ReportMetric(time.Since(start).Seconds(), "steady-pass-s")
		b.ReportMetric(float64(st.Queued), "queued")
		if len(lat) > 0 {
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "write-during-pass-p95-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "write-during-pass-max-ms")
		}
		b.Logf("first %+v second %+v; %d probe writes", st, st2, len(lat))
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
