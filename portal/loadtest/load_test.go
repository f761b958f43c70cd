// Package loadtest drives a running portal (in this process, on loopback)
// with concurrent clients and reports, per endpoint class, throughput,
// latency percentiles, errors and memory. Run with `make bench` (go test
// -bench); never part of the test suite's timing.
//
// Every run is bounded twice: by time (each phase stops starting requests
// after its duration, and a request gives up after the client timeout) and
// by count (each phase starts at most maxRequests requests).
//
// LOADTEST_PROFILE=dir writes a CPU, a heap and a mutex-contention profile
// of each mixed-load phase (only the phase, not the fixture) to dir, e.g.
// cpu-users=100.pprof;
// read them with `go tool pprof -top -cum`.
package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const (
	// maxRequests bounds the requests one phase may start.
	maxRequests = 50_000
	// reqTimeout bounds one request; a slower answer counts as an error.
	reqTimeout = 60 * time.Second
)

// classStats holds the latencies and errors of one endpoint class.
type classStats struct {
	lat   []time.Duration
	errs  int64
	first []string // the first few errors, to say what failed
}

func (s *classStats) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	return s.lat[int(p*float64(len(s.lat)-1))]
}

// run is what one phase measured.
type run struct {
	mu      sync.Mutex
	classes map[string]*classStats
	started atomic.Int64
	wall    time.Duration
	peakMB  float64 // peak HeapInuse sampled during the phase
	allocMB float64 // bytes allocated during the phase
}

func (r *run) record(class string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.classes[class]
	if s == nil {
		s = &classStats{}
		r.classes[class] = s
	}
	s.lat = append(s.lat, d)
	if err != nil {
		s.errs++
		if len(s.first) < 3 {
			s.first = append(s.first, err.Error())
		}
	}
}

// all merges every class into one.
func (r *run) all() *classStats {
	t := &classStats{}
	for _, s := range r.classes {
		t.lat = append(t.lat, s.lat...)
		t.errs += s.errs
		t.first = append(t.first, s.first...)
	}
	sort.Slice(t.lat, func(i, j int) bool { return t.lat[i] < t.lat[j] })
	return t
}

func (r *run) errors() int64 { return r.all().errs }

// timed is a client of one phase: each request it makes is recorded under
// its endpoint class.
type timed struct {
	c *http.Client
	r *run
}

func (t timed) do(class, method, url, token, body string) (map[string]any, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	t0 := time.Now()
	res, err := t.c.Do(req)
	var m map[string]any
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			_ = json.Unmarshal(b, &m)
			err = fmt.Errorf("%s %s: %d %s", method, class, res.StatusCode, bytes.TrimSpace(b[:min(len(b), 200)]))
		} else if method == "POST" {
			_ = json.Unmarshal(b, &m)
		}
	}
	// An expected refusal (nothing left to pay) is an answer, not an error.
	if err != nil && m != nil && m["code"] == "nothing_owed" {
		err = nil
	}
	t.r.record(class, time.Since(t0), err)
	return m, err
}

// drive runs users concurrent clients, each looping over its script, until
// dur has passed or maxRequests have been started, and returns what it
// measured, with the memory of the process sampled while it ran. limit
// (at most maxRequests) bounds the scripts started.
func drive(users int, dur time.Duration, limit int64, script func(u int, t timed) error) *run {
	r := &run{classes: map[string]*classStats{}}
	limit = min(limit, maxRequests)
	tr := &http.Transport{MaxIdleConnsPerHost: users, MaxConnsPerHost: users}
	c := &http.Client{Transport: tr, Timeout: reqTimeout}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	var peak atomic.Uint64
	go func() {
		tk := time.NewTicker(250 * time.Millisecond)
		defer tk.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	start := time.Now()
	stop := start.Add(dur)
	var wg sync.WaitGroup
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			for time.Now().Before(stop) && r.started.Add(1) <= limit {
				_ = script(u, timed{c: c, r: r}) // errors are recorded per request
			}
		}(u)
	}
	wg.Wait()
	r.wall = time.Since(start)
	close(done)
	tr.CloseIdleConnections()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	r.peakMB = float64(peak.Load()) / (1 << 20)
	r.allocMB = float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
	for _, s := range r.classes {
		sort.Slice(s.lat, func(i, j int) bool { return s.lat[i] < s.lat[j] })
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// print writes the per-class table of a phase to standard output.
func (r *run) print(title string) {
	names := make([]string, 0, len(r.classes))
	for n := range r.classes {
		names = append(names, n)
	}
	sort.Strings(names)
	w := os.Stdout
	fmt.Fprintf(w, "\n%s (wall %.1fs, peak heap %.0f MB, allocated %.0f MB)\n", title, r.wall.Seconds(), r.peakMB, r.allocMB)
	fmt.Fprintf(w, "  %-12s %8s %8s %10s %10s %10s %10s %7s\n", "class", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
	row := func(n string, s *classStats) {
		fmt.Fprintf(w, "  %-12s %8d %8.1f %10.1f %10.1f %10.1f %10.1f %7d\n", n, len(s.lat), float64(len(s.lat))/r.wall.Seconds(),
			ms(s.pct(.5)), ms(s.pct(.95)), ms(s.pct(.99)), ms(s.pct(1)), s.errs)
	}
	for _, n := range names {
		row(n, r.classes[n])
	}
	all := r.all()
	row("ALL", all)
	if len(all.first) > 0 {
		fmt.Fprintf(w, "  first errors: %q\n", all.first)
	}
}

// report puts a phase's overall figures into the benchmark result line.
func (r *run) report(b *testing.B) {
	all := r.all()
	b.ReportMetric(float64(len(all.lat))/r.wall.Seconds(), "req/s")
	b.ReportMetric(ms(all.pct(.5)), "p50-ms")
	b.ReportMetric(ms(all.pct(.95)), "p95-ms")
	b.ReportMetric(ms(all.pct(.99)), "p99-ms")
	b.ReportMetric(float64(all.errs), "errors")
	b.ReportMetric(r.peakMB, "peak-heap-MB")
}

// fixture is a tenant with 2,000 invoices over 500 debtors, two collectors
// with worklists, a client, and debtor sessions for the first 200 debtors.
type fixture struct {
	e       *apptest.Env
	url     string
	client  string
	coll    []string
	debtors []string
	mine    [][]string // accounts assigned to each collector
}

// inflight sets the admission gate's capacity from LOADTEST_INFLIGHT
// (0: no gate) and the payments' cap from LOADTEST_MONEY_INFLIGHT, to
// compare; unset, the defaults of config.Load.
func inflight(c *config.Config) {
	if v := os.Getenv("LOADTEST_INFLIGHT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic("LOADTEST_INFLIGHT: " + err.Error())
		}
		c.MaxInFlight = n
	}
	if v := os.Getenv("LOADTEST_MONEY_INFLIGHT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic("LOADTEST_MONEY_INFLIGHT: " + err.Error())
		}
		c.MoneyInFlight = n
	}
}

func setup(b *testing.B) *fixture {
	e := apptest.New(b, apptest.Sandbox, inflight) // debtors pay in the sandbox
	e.Tenant("acme")
	f := &fixture{e: e}
	_, f.client = e.User("acme", "client")
	_, mgr := e.User("acme", "manager")
	for i := 0; i < 2; i++ {
		_, tok := e.User("acme", "collector")
		f.coll = append(f.coll, tok)
	}
	if r := e.Do("PUT", "/api/tenants/acme/assignment-rule", mgr, map[string]any{"mode": "round_robin"}); r.Status != 200 {
		b.Fatal(r.Status)
	}
	var csv bytes.Buffer
	csv.WriteString("documento;nombre;factura;vencimiento;valor\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&csv, "%d;Deudor %d;F-%05d;15/%02d/2026;%d\n", 10000+i/4, i/4, i, 1+i%12, 100000+i*37)
	}
	if m := e.Import("acme", mgr, "load.csv", csv.Bytes()); m["status"] != "done" {
		b.Fatalf("import %v", m)
	}
	for d := 0; d < 200; d++ {
		doc := fmt.Sprint(10000 + d)
		code := e.Do("POST", "/api/tenants/acme/debtors/"+doc+"/access-code", mgr, nil).JSON()["code"].(string)
		r := e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": doc, "code": code})
		if r.Status != 200 {
			b.Fatal(r.Status, string(r.Body))
		}
		f.debtors = append(f.debtors, r.JSON()["token"].(string))
	}
	for _, tok := range f.coll {
		var ids []string
		for _, it := range e.Do("GET", "/api/tenants/acme/accounts?limit=500", tok, nil).JSON()["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		if len(ids) == 0 {
			b.Fatal("collector has no accounts")
		}
		if r := e.Do("GET", "/api/work/queue?tenant=acme", tok, nil); r.Status != 200 {
			b.Fatalf("queue: %d %s", r.Status, r.Body)
		}
		f.mine = append(f.mine, ids)
	}
	if r := e.Do("GET", "/api/tenants/acme/reports/summary", f.client, nil); r.Status != 200 {
		b.Fatalf("summary: %d %s", r.Status, r.Body)
	}
	f.url = e.Listen()
	return f
}

// The classes of the mixed load and how many of every ten users do each:
// three collectors (queue, then an account of it), three debtors reading
// statements, two debtors paying in the sandbox (checkout, then complete),
// one client listing the portfolio and one reading the dashboard summary.
func (f *fixture) mixed(payN *atomic.Int64) func(u int, t timed) error {
	return func(u int, t timed) error {
		switch u % 10 {
		case 0, 3, 6: // collector works the queue and opens an account
			if _, err := t.do("queue", "GET", f.url+"/api/work/queue?tenant=acme", f.coll[u%2], ""); err != nil {
				return err
			}
			mine := f.mine[u%2]
			_, err := t.do("account", "GET", f.url+"/api/tenants/acme/accounts/"+mine[int(time.Now().UnixNano()/1000)%len(mine)], f.coll[u%2], "")
			return err
		case 1, 4, 7: // debtor reads the statement
			_, err := t.do("statement", "GET", f.url+"/api/debtor/statement", f.debtors[u%len(f.debtors)], "")
			return err
		case 2, 5: // debtor pays 1.000,00 in the sandbox (each payment recorded once)
			tok := f.debtors[(u+int(payN.Add(1)))%len(f.debtors)]
			m, err := t.do("checkout", "POST", f.url+"/api/debtor/checkout", tok, `{"amount":100000}`)
			if err != nil || m == nil || m["paymentId"] == nil {
				return err
			}
			_, err = t.do("pay-complete", "POST", f.url+"/api/payments/sandbox/"+m["paymentId"].(string)+"/complete", tok, "")
			return err
		case 8: // client lists a page of the portfolio
			_, err := t.do("portfolio", "GET", f.url+"/api/tenants/acme/accounts?limit=50&status=open", f.client, "")
			return err
		default: // client reads the dashboard summary
			_, err := t.do("dashboard", "GET", f.url+"/api/tenants/acme/reports/summary", f.client, "")
			return err
		}
	}
}

// profile starts a CPU profile of a phase when LOADTEST_PROFILE names a
// directory; the returned function stops it and writes a heap profile.
func profile(b *testing.B, name string) func() {
	dir := os.Getenv("LOADTEST_PROFILE")
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu-"+name+".pprof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		b.Fatal(err)
	}
	runtime.SetMutexProfileFraction(5)
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		if mu, err := os.Create(filepath.Join(dir, "mutex-"+name+".pprof")); err == nil {
			_ = pprof.Lookup("mutex").WriteTo(mu, 0)
			mu.Close()
		}
		runtime.SetMutexProfileFraction(0)
		heap, err := os.Create(filepath.Join(dir, "heap-"+name+".pprof"))
		if err != nil {
			b.Fatal(err)
		}
		defer heap.Close()
		_ = pprof.WriteHeapProfile(heap)
	}
}

// BenchmarkMixedLoad: collectors working their queues, debtors reading
// statements and paying in the sandbox, clients listing the portfolio and
// reading the dashboard, at 10 and 100 users; one table per phase.
func BenchmarkMixedLoad(b *testing.B) {
	f := setup(b)
	var payN atomic.Int64
	mix := f.mixed(&payN)
	// Alone first: each user kind's requests one at a time, so each class's
	// own cost (service time, no queueing) is known before they compete.
	solo := &run{classes: map[string]*classStats{}}
	for _, u := range []int{0, 1, 2, 8, 9} {
		r := drive(1, 30*time.Second, 6, func(_ int, t timed) error { return mix(u, t) })
		for n, s := range r.classes {
			solo.classes[n] = s
		}
		solo.wall += r.wall
		solo.peakMB = max(solo.peakMB, r.peakMB)
		solo.allocMB += r.allocMB
	}
	solo.print("each class alone, 1 user, 6 requests (service time; req/s over all these runs)")
	for _, users := range []int{10, 100} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runtime.GC()
				stop := profile(b, fmt.Sprintf("users=%d", users))
				r := drive(users, 8*time.Second, maxRequests, mix)
				stop()
				r.print(fmt.Sprintf("mixed load, %d users", users))
				r.report(b)
				if n := r.errors(); n != 0 {
					b.Errorf("%d errors under load, first: %v", n, r.all().first)
				}
			}
		})
	}
}

// BenchmarkStatementVsBare compares the portal's statement endpoint (auth,
// session check, reads by _id, interest) with a bare Fiber handler that
// returns the same JSON bytes, both on loopback, in the same run, and
// prints the two side by side.
func BenchmarkStatementVsBare(b *testing.B) {
	f := setup(b)
	res := f.e.Do("GET", "/api/debtor/statement", f.debtors[0], nil)
	if res.Status != 200 {
		b.Fatal(res.Status)
	}
	body := res.Body
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/statement", func(c *fiber.Ctx) error { c.Type("json"); return c.Send(body) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = bare.Listener(ln) }()
	defer func() { _ = bare.Shutdown() }()
	bareURL := "http://" + ln.Addr().String() + "/statement"
	for _, users := range []int{10, 100} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				dur := 3 * time.Second
				stop := profile(b, fmt.Sprintf("statement-users=%d", users))
				portal := drive(users, dur, maxRequests, func(u int, t timed) error {
					_, err := t.do("portal", "GET", f.url+"/api/debtor/statement", f.debtors[u%len(f.debtors)], "")
					return err
				})
				stop()
				base := drive(users, dur, maxRequests, func(u int, t timed) error {
					_, err := t.do("bare", "GET", bareURL, "x", "")
					return err
				})
				p, q := portal.all(), base.all()
				pr, br := float64(len(p.lat))/portal.wall.Seconds(), float64(len(q.lat))/base.wall.Seconds()
				fmt.Printf("\nstatement vs bare Fiber handler, same %d-byte JSON, %d users, %s each\n", len(body), users, dur)
				fmt.Printf("  %-28s %9s %9s %9s %9s %7s\n", "", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
				fmt.Printf("  %-28s %9.0f %9.2f %9.2f %9.2f %7d\n", "GET /api/debtor/statement", pr, ms(p.pct(.5)), ms(p.pct(.95)), ms(p.pct(.99)), p.errs)
				fmt.Printf("  %-28s %9.0f %9.2f %9.2f %9.2f %7d\n", "bare Fiber, same bytes", br, ms(q.pct(.5)), ms(q.pct(.95)), ms(q.pct(.99)), q.errs)
				fmt.Printf("  the portal serves %.1f%% of the bare handler's throughput (bare/portal %.1fx)\n", 100*pr/br, br/pr)
				b.ReportMetric(pr, "portal-req/s")
				b.ReportMetric(br, "bare-req/s")
				b.ReportMetric(br/pr, "bare/portal")
				b.ReportMetric(ms(p.pct(.95)), "portal-p95-ms")
				b.ReportMetric(ms(q.pct(.95)), "bare-p95-ms")
				b.ReportMetric(float64(p.errs+q.errs), "errors")
				if p.errs+q.errs != 0 {
					b.Errorf("errors: %v %v", p.first, q.first)
				}
			}
		})
	}
}
