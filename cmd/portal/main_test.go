package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles the portal once for the process tests.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portal")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd    *exec.Cmd
	out    *bytes.Buffer
	stdout *bufio.Reader
}

func start(t *testing.T, bin, dir, addr string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORTAL_DATA="+dir, "PORTAL_ADDR="+addr,
		"PORTAL_ADMIN_EMAIL=admin@proc.test", "PORTAL_ADMIN_PASSWORD=proc-password-1", "PORTAL_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: &errb, stdout: bufio.NewReader(pr)}
	t.Cleanup(func() { _ = cmd.Process.Kill(); pw.Close() })
	// Wait for the "serving" line.
	deadline := time.After(60 * time.Second)
	lines := make(chan string)
	go func() {
		for {
			l, err := p.stdout.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- l
		}
	}()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("portal exited before serving: %s", errb.String())
			}
			if strings.Contains(l, "serving on http://") {
				go func() {
					for range lines {
					}
				}()
				return p
			}
		case <-deadline:
			t.Fatalf("portal did not start: %s", errb.String())
		}
	}
}

func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// The portal stops gracefully on SIGTERM and a second start on the same
// data directory finds everything; a second process on a locked directory
// is refused with a clear error.
func TestRestartKeepsDataAndSecondProcessRefused(t *testing.T) {
	bin := build(t)
	dir, err := os.MkdirTemp("", "cp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, bin, dir, addr)

	st, m := call(t, "POST", base+"/api/auth/login", "", `{"email":"admin@proc.test","password":"proc-password-1"}`)
	if st != 200 {
		t.Fatalf("login %d %v", st, m)
	}
	tok := m["token"].(string)
	if st, m := call(t, "POST", base+"/api/tenants", tok, `{"slug":"kept","name":"Kept S.A.","country":"PE"}`); st != 201 {
		t.Fatalf("create tenant %d %v", st, m)
	}

	second := exec.Command(bin)
	second.Env = append(os.Environ(), "PORTAL_DATA="+dir, "PORTAL_ADDR="+freeAddr(t))
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another process") {
		t.Fatalf("second process on the same dir: err=%v out=%s", err, out)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.out.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("portal did not stop on SIGTERM")
	}

	start(t, bin, dir, addr)
	// The signing secret was kept in the data dir: the old token still works.
	st, m = call(t, "GET", base+"/api/tenants/kept", tok, "")
	if st != 200 || m["name"] != "Kept S.A." || m["currency"] != "PEN" {
		t.Fatalf("after restart: %d %v", st, m)
	}
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
