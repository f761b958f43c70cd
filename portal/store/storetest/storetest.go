// Package storetest starts one embedded FerretDB per test package and gives
// each test a fresh database on it, dropped when the test ends.
package storetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"cartera/portal/store"
)

var (
	once   sync.Once
	srv    *store.Embedded
	srvErr error
	dir    string
	seq    atomic.Int64
)

// Server returns the package's embedded server, starting it on first use in
// a short temporary directory (Unix socket paths are limited to ~100 bytes).
func Server(tb testing.TB) *store.Embedded {
	tb.Helper()
	once.Do(func() {
		dir, srvErr = os.MkdirTemp("", "ct")
		if srvErr != nil {
			return
		}
		srv, srvErr = store.StartEmbedded(context.Background(), dir, nil)
	})
	if srvErr != nil {
		tb.Fatalf("storetest: start embedded server: %v", srvErr)
	}
	return srv
}

// New opens a fresh database for this test.
func New(tb testing.TB) *store.DB {
	tb.Helper()
	s := Server(tb)
	name := fmt.Sprintf("t%d_%d", os.Getpid()%10000, seq.Add(1))
	db, err := store.Open(context.Background(), store.Config{Server: s, Database: name, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", name, err)
	}
	tb.Cleanup(func() {
		_ = db.Drop(context.Background())
		db.Close(context.Background())
	})
	return db
}

// Main runs the package's tests and then stops the shared server and removes
// its directory. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if srv != nil {
		srv.Close()
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}
