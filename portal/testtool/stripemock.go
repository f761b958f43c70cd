package testtool

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"
)

// StripeMock starts Stripe's official mock server from the Go tool
// dependency pinned in go.mod (go tool stripe-mock) on free loopback ports
// and returns its HTTP base URL; it is stopped when the test ends.
func StripeMock(t testing.TB) string {
	t.Helper()
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	port, tls := free(), free()
	cmd := exec.Command("go", "tool", "stripe-mock", "-http-port", fmt.Sprint(port), "-https-port", fmt.Sprint(tls))
	if err := cmd.Start(); err != nil {
		t.Fatalf("stripe-mock: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
	}
	t.Fatal("stripe-mock did not start")
	return ""
}
