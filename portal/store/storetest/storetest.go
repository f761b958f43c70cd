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
	return open(tb, store.Config{Server: Server(tb)})
}

// ByURI opens a fresh database on the package's embedded server through
// its URI, as a store that is not embedded (db.Embedded() false: no write
// lock, the read side of MongoDB proper). Single-writer tests only: the
// server's updates are not atomic without the lock.
func ByURI(tb testing.TB) *store.DB {
	tb.Helper()
	return open(tb, store.Config{URI: Server(tb).URI()})
}

// Mongo opens a fresh database on the MongoDB server of MONGODB_URI, and
// skips the test when it is not set.
func Mongo(tb testing.TB) *store.DB {
	tb.Helper()
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		tb.Skip("MONGODB_URI not set: this leg runs on MongoDB proper")
	}
	return open(tb, store.Config{URI: uri})
}

func open(tb testing.TB, cfg store.Config) *store.DB {
	tb.Helper()
	cfg.Database = fmt.Sprintf("t%d_%d", os.Getpid()%10000, seq.Add(1))
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", cfg.Database, err)
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
