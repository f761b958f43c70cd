// Command healthcheck asks a portal on this host whether it is ready. The
// portal image is distroless (no shell, no curl), so docker-compose.yml's
// healthcheck runs this static binary: exit 0 when GET /readyz answers 200
// within the timeout, 1 otherwise.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	url := "http://127.0.0.1:8080/readyz"
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	if err := check(url, 3*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

// check succeeds when url answers 200 within timeout.
func check(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout}
	res, err := c.Get(url)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, res.Status)
	}
	return nil
}
