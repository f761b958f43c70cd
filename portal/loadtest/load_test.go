// Package loadtest drives a running portal (in this process, on loopback)
// with concurrent clients and reports throughput, latency percentiles,
// errors and memory. Run with `make bench` (go test -bench); never part of
// the test suite's timing.
package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/apptest"
	"cartera/portal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

type stats struct {
	mu    sync.Mutex
	lat   []time.Duration
	errs  atomic.Int64
	first []string // the first few errors, to say what failed
}

func (s *stats) add(d time.Duration) { s.mu.Lock(); s.lat = append(s.lat, d); s.mu.Unlock() }

func (s *stats) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	i := int(p * float64(len(s.lat)-1))
	return s.lat[i]
}

// drive runs users concurrent clients for dur, each looping over its
// script, and returns the stats.
func drive(users int, dur time.Duration, script func(u int, c *http.Client) error) *stats {
	st := &stats{}
	tr := &http.Transport{MaxIdleConnsPerHost: users, MaxConnsPerHost: users}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				if err := script(u, c); err != nil {
					if st.errs.Add(1) <= 5 {
						st.mu.Lock()
						st.first = append(st.first, err.Error())
						st.mu.Unlock()
					}
				}
				st.add(time.Since(t0))
			}
		}(u)
	}
	wg.Wait()
	tr.CloseIdleConnections()
	sort.Slice(st.lat, func(i, j int) bool { return st.lat[i] < st.lat[j] })
	return st
}

func get(c *http.Client, url, token string) error {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d", url, res.StatusCode)
	}
	return nil
}

func post(c *http.Client, url, token, body string) (map[string]any, error) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	if res.StatusCode != 200 && res.StatusCode != 201 {
		return m, fmt.Errorf("POST %s: %d %v", url, res.StatusCode, m)
	}
	return m, nil
}

// fixture is a tenant with 2,000 invoices over 500 debtors, two collectors,
// a client, and debtor sessions for the first 200 debtors.
type fixture struct {
	e       *apptest.Env
	url     string
	client  string
	coll    []string
	debtors []string
	accts   []string
	mine    [][]string // accounts assigned to each collector
}

func setup(b *testing.B) *fixture {
	e := apptest.New(b)
	e.Tenant("acme")
	f := &fixture{e: e}
	_, f.client = e.User("acme", "client")
	_, mgr := e.User("acme", "manager")
	var ids []string
	for i := 0; i < 2; i++ {
		id, tok := e.User("acme", "collector")
		ids = append(ids, id)
		f.coll = append(f.coll, tok)
	}
	if r := e.Do("PUT", "/api/tenants/acme/assignment-rule", mgr, map[string]any{"mode": "round_robin"}); r.Status != 200 {
		b.Fatal(r.Status)
	}
	var csv bytes.Buffer
	csv.WriteString("documento;nombre;factura;vencimiento;valor\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&csv, "%d;Deudor %d;F-%05d;15/%02d/2026;%d\n", 10000+i/4, i/4, i, 1+i%12, 100000+i*37)
		f.accts = append(f.accts, fmt.Sprintf("F-%05d", i))
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
		f.mine = append(f.mine, ids)
	}
	f.url = e.Listen()
	return f
}

func heapMB() float64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// BenchmarkMixedLoad: collectors working accounts, debtors reading
// statements and paying in the sandbox, clients listing the portfolio.
func BenchmarkMixedLoad(b *testing.B) {
	f := setup(b)
	var payN atomic.Int64
	script := func(u int, c *http.Client) error {
		switch u % 4 {
		case 0: // collector opens an account
			mine := f.mine[u%2]
			return get(c, f.url+"/api/tenants/acme/accounts/"+mine[int(time.Now().UnixNano()/1000)%len(mine)], f.coll[u%2])
		case 1: // debtor reads the statement
			return get(c, f.url+"/api/debtor/statement", f.debtors[u%len(f.debtors)])
		case 2: // debtor pays 1.000,00 in the sandbox (each payment recorded once)
			tok := f.debtors[(u+int(payN.Add(1)))%len(f.debtors)]
			m, err := post(c, f.url+"/api/debtor/checkout", tok, `{"amount":100000}`)
			if err != nil {
				if m != nil && m["code"] == "nothing_owed" {
					return nil
				}
				return err
			}
			_, err = post(c, f.url+"/api/payments/sandbox/"+m["paymentId"].(string)+"/complete", tok, "")
			return err
		default: // client lists a page of the portfolio
			return get(c, f.url+"/api/tenants/acme/accounts?limit=50&status=open", f.client)
		}
	}
	for _, users := range []int{10, 100} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runtime.GC()
				dur := 5 * time.Second
				st := drive(users, dur, script)
				b.ReportMetric(float64(len(st.lat))/dur.Seconds(), "req/s")
				b.ReportMetric(float64(st.pct(0.50).Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(st.pct(0.95).Microseconds())/1000, "p95-ms")
				b.ReportMetric(float64(st.pct(0.99).Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(st.errs.Load()), "errors")
				b.ReportMetric(heapMB(), "heap-MB")
				if st.errs.Load() != 0 {
					b.Errorf("%d errors under load, first: %v", st.errs.Load(), st.first)
				}
			}
		})
	}
}

// BenchmarkStatementVsBare compares the portal's statement endpoint (auth,
// session check, reads by _id, interest) with a bare Fiber handler that
// returns the same JSON bytes, both on loopback, in the same run.
func BenchmarkStatementVsBare(b *testing.B) {
	f := setup(b)
	tok := f.debtors[0]
	res := f.e.Do("GET", "/api/debtor/statement", tok, nil)
	if res.Status != 200 {
		b.Fatal(res.Status)
	}
	body := res.Body
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/statement", func(c *fiber.Ctx) error { c.Type("json"); return c.Send(body) })
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = bare.Listener(ln) }()
	defer bare.Shutdown()
	bareURL := "http://" + ln.Addr().String() + "/statement"
	for _, users := range []int{10, 100} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				dur := 3 * time.Second
				portal := drive(users, dur, func(u int, c *http.Client) error {
					return get(c, f.url+"/api/debtor/statement", f.debtors[u%len(f.debtors)])
				})
				base := drive(users, dur, func(u int, c *http.Client) error { return get(c, bareURL, "x") })
				pr, br := float64(len(portal.lat))/dur.Seconds(), float64(len(base.lat))/dur.Seconds()
				b.ReportMetric(pr, "portal-req/s")
				b.ReportMetric(br, "bare-req/s")
				b.ReportMetric(br/pr, "bare/portal")
				b.ReportMetric(float64(portal.pct(0.95).Microseconds())/1000, "portal-p95-ms")
				b.ReportMetric(float64(base.pct(0.95).Microseconds())/1000, "bare-p95-ms")
				b.ReportMetric(float64(portal.errs.Load()+base.errs.Load()), "errors")
			}
		})
	}
}
