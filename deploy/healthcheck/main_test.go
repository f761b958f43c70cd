package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Ready only on 200, within the timeout; a portal without its database
// (503), a slow one or none at all is unhealthy.
func TestCheck(t *testing.T) {
	status := http.StatusOK
	delay := time.Duration(0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if err := check(srv.URL+"/readyz", time.Second); err != nil {
		t.Fatalf("ready portal: %v", err)
	}
	status = http.StatusServiceUnavailable
	if err := check(srv.URL+"/readyz", time.Second); err == nil {
		t.Fatal("503 counted as healthy")
	}
	status, delay = http.StatusOK, 300*time.Millisecond
	if err := check(srv.URL+"/readyz", 100*time.Millisecond); err == nil {
		t.Fatal("a portal slower than the timeout counted as healthy")
	}
	if err := check("http://127.0.0.1:1/readyz", time.Second); err == nil {
		t.Fatal("no portal counted as healthy")
	}
}
