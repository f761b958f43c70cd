package deploy

import (
	"bufio"
	"cartera/portal/testtool"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// nginxBinary is nginx from NGINX_BIN or the PATH (.ci/run installs it).
func nginxBinary(t *testing.T) string { return testtool.Bin(t, "nginx", "nginx", "NGINX_BIN") }

// TestNginxConfigServes runs deploy/nginx.conf for real in front of two
// stand-in replicas on loopback: both get traffic, X-Real-IP is the
// client's socket address whatever the client sends, a webhook still
// arrives when one replica is down, login guessing gets the portal's 429
// JSON with Retry-After, and an oversized body its 413 JSON.
func TestNginxConfigServes(t *testing.T) {
	bin := nginxBinary(t)
	var mu sync.Mutex
	hits := map[string]int{}
	realIPs := map[string]bool{}
	replica := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			mu.Lock()
			hits[name]++
			realIPs[r.Header.Get("X-Real-IP")] = true
			mu.Unlock()
			fmt.Fprint(w, name)
		}))
	}
	r1, r2 := replica("portal1"), replica("portal2")
	defer r2.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	dir := t.TempDir()
	conf := read(t, "deploy/nginx.conf")
	for old, repl := range map[string]string{
		"portal1:8080":            strings.TrimPrefix(r1.URL, "http://"),
		"portal2:8080":            strings.TrimPrefix(r2.URL, "http://"),
		"listen 80;":              "listen " + addr + ";",
		"pid /tmp/nginx.pid;":     "pid " + filepath.Join(dir, "nginx.pid") + ";",
		"access_log /dev/stdout;": "access_log off;",
		"http {": "http {\n  client_body_temp_path " + dir + "/body;\n  proxy_temp_path " + dir + "/proxy;\n" +
			"  fastcgi_temp_path " + dir + "/fcgi;\n  uwsgi_temp_path " + dir + "/uwsgi;\n  scgi_temp_path " + dir + "/scgi;",
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("nginx.conf lacks %q", old)
		}
		conf = strings.Replace(conf, old, repl, 1)
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-e", "stderr", "-c", path, "-g", "daemon off; master_process off;")
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		if res, err := http.Get(base + "/nginx-health"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not start: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	send := func(method, p, body string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+p, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, p, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}

	for i := 0; i < 10; i++ {
		if res, _ := send("GET", "/api/me", "", map[string]string{"X-Real-IP": "6.6.6.6", "X-Forwarded-For": "6.6.6.6"}); res.StatusCode != 200 {
			t.Fatalf("GET through the proxy: %d", res.StatusCode)
		}
	}
	mu.Lock()
	if hits["portal1"] < 3 || hits["portal2"] < 3 {
		t.Errorf("round robin: %v", hits)
	}
	if len(realIPs) != 1 || !realIPs["127.0.0.1"] {
		t.Errorf("X-Real-IP seen by the replicas: %v, want only the client's 127.0.0.1", realIPs)
	}
	mu.Unlock()

	// One replica down: webhooks still land.
	r1.Close()
	for i := 0; i < 4; i++ {
		if res, body := send("POST", "/api/webhooks/stripe", `{"id":"evt_1"}`, map[string]string{"Content-Type": "application/json"}); res.StatusCode != 200 || body != "portal2" {
			t.Fatalf("webhook with portal1 down: %d %q", res.StatusCode, body)
		}
	}

	// Login guessing: 1 + a burst of 20 pass, then the proxy answers.
	var limited *http.Response
	var limitedBody string
	for i := 0; i < 30 && limited == nil; i++ {
		res, body := send("POST", "/api/debtor/login", `{}`, map[string]string{"Content-Type": "application/json"})
		if res.StatusCode == 429 {
			limited, limitedBody = res, body
		}
	}
	if limited == nil || limited.Header.Get("Retry-After") != "60" || !strings.Contains(limitedBody, `"code":"too_many_attempts"`) ||
		limited.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("login limit: %v %q", limited, limitedBody)
	}
	if res, _ := send("GET", "/api/me", "", nil); res.StatusCode != 200 {
		t.Fatalf("other routes limited too: %d", res.StatusCode)
	}

	// A body past client_max_body_size: refused from its Content-Length.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/tenants/acme/imports HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\nabc", 60<<20)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 413 || !strings.Contains(string(b), `"code":"too_large"`) {
		t.Fatalf("oversized body: %d %s", res.StatusCode, b)
	}
}
