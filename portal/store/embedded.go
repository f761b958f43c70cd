package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // the driver FerretDB's SQLite backend already uses; we open the same files to add the _id index
)

// maxSocketPath is the limit of a Unix socket path (sun_path is 108 bytes on Linux).
const maxSocketPath = 100

// ErrLocked means another process holds the data directory.
var ErrLocked = errors.New("data directory is in use by another process")

// Embedded is a FerretDB v1.24 server running inside this process on SQLite
// files, reachable only through a Unix socket inside the data directory.
type Embedded struct {
	dir    string
	uri    string
	sock   string // the Unix socket FerretDB listens on
	lock   *os.File
	cancel context.CancelFunc
	done   chan struct{}
	// locks are shared by every DB handle on this server.
	locks writeLocks
	// docs is the document cache, shared like the locks.
	docs *docCache
}

// StartEmbedded locks dir, starts FerretDB on it and returns once it accepts
// connections. logger may be nil (FerretDB stays quiet). Commits reach the
// disk as SyncNormal says.
func StartEmbedded(ctx context.Context, dir string, logger *slog.Logger) (*Embedded, error) {
	return StartEmbeddedSync(ctx, dir, logger, false)
}

// StartEmbeddedSync is StartEmbedded choosing how commits reach the disk:
// with syncFull every commit waits for the disk (SQLite synchronous=FULL);
// otherwise (synchronous=NORMAL, the default) a commit is in the
// write-ahead log when it returns and the log is synced at checkpoints.
//
// Why NORMAL by default: SQLite's one writer commits one transaction per
// FerretDB command, and under load a payment's ten or so commits each
// waited for the disk. In WAL mode NORMAL stays consistent always and
// durable across a crash of this process (the log is in the OS's hands);
// only an OS crash or power loss may roll back the last commits before a
// checkpoint (https://www.sqlite.org/pragma.html#pragma_synchronous).
// Rails 8 and PocketBase ship the same default for SQLite. A single-box
// install that must survive power loss commit by commit sets
// PORTAL_EMBEDDED_SYNC=full; MongoDB proper (the production path) keeps
// its own journaled write concern.
func StartEmbeddedSync(ctx context.Context, dir string, logger *slog.Logger, syncFull bool) (*Embedded, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: data dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: create data dir: %w", err)
	}
	// The socket is the only way in: keep the directory private.
	if err := os.Chmod(abs, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: chmod data dir: %w", err)
	}
	lock, err := lockDir(abs)
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(abs, "mongo.sock")
	if len(sock) > maxSocketPath {
		lock.Close()
		return nil, fmt.Errorf("embedded: socket path %q is longer than %d bytes; choose a shorter PORTAL_DATA", sock, maxSocketPath)
	}
	_ = os.Remove(sock) // a stale socket from a killed process; the lock proves nobody uses it
	if logger == nil {
		// Not a text handler on io.Discard: FerretDB derives a logger with
		// every SQL statement's arguments (fsql.Tx.ExecContext), and a text
		// handler formats them then, discarded or not: a copy as text of
		// every document written.
		logger = slog.New(slog.DiscardHandler)
	}
	sync := "normal"
	if syncFull {
		sync = "full"
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/?_pragma=synchronous(" + sync + ")",
		Logger:    logger,
	})
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded: start ferretdb: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e := &Embedded{dir: abs, lock: lock, cancel: cancel, done: make(chan struct{}), docs: newDocCache(DefaultCacheBytes)}
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx)
	}()
	e.uri, e.sock = "mongodb://"+url.PathEscape(sock)+"/", sock
	// Wait for the socket to exist so the first driver call does not race the listener.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			e.Close()
			return nil, errors.New("embedded: ferretdb did not start listening")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = os.Chmod(sock, 0o600)
	return e, nil
}

// socketDialer dials the embedded server's socket by its real path: the
// driver lower-cases the hosts of a connection string, a socket path
// included, so a data directory with capitals (/home/Ana/cartera) would
// be dialled at a path that does not exist.
type socketDialer struct{ path string }

func (s socketDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if network == "unix" && strings.EqualFold(address, s.path) {
		address = s.path
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// URI is the connection string for mongo-driver.
func (e *Embedded) URI() string { return e.uri }

// Dir is the absolute data directory.
func (e *Embedded) Dir() string { return e.dir }

// Close stops FerretDB (which closes its SQLite backend) and releases the lock.
func (e *Embedded) Close() {
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
	}
	_ = e.lock.Close()
}

func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded: open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("embedded: %s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("embedded: lock %s: %w", dir, err)
	}
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}

// idIndexSQL is the expression FerretDB v1.24 queries for _id equality
// (metadata.IDColumn); its own unique index uses a different spelling, so
// SQLite cannot use it for reads. Frozen with the pinned FerretDB version.
const idExpr = `_ferretdb_sjson->'$._id'`

// ensureIDIndexes adds the _id expression index to every collection table of
// database db that lacks it. Safe to run repeatedly.
func ensureIDIndexes(ctx context.Context, dir, db string) error {
	path := filepath.Join(dir, db+".sqlite")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("id index: %w", err)
	}
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("id index: open sqlite: %w", err)
	}
	defer sdb.Close()
	rows, err := sdb.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return fmt.Errorf("id index: list tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("id index: scan: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS "%s" ON "%s" (%s)`, t+"_id_expr", t, idExpr)
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("id index on %s: %w", t, err)
		}
	}
	return nil
}

// explainIDLookup returns SQLite's plan for an _id lookup on collection's
// table; tests use it to prove the index is used.
func explainIDLookup(ctx context.Context, dir, db, collection string) (string, error) {
	sdb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, db+".sqlite"))
	if err != nil {
		return "", err
	}
	defer sdb.Close()
	var table string
	if err := sdb.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table); err != nil {
		return "", fmt.Errorf("explain: table of %s: %w", collection, err)
	}
	rows, err := sdb.QueryContext(ctx, fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "%s" WHERE %s = ?`, table, idExpr), `"x"`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n"), rows.Err()
}

// ExplainIDLookup is SQLite's query plan for an _id lookup on collection in
// db (embedded only); tests use it to prove the expression index is used.
func ExplainIDLookup(ctx context.Context, db *DB, collection string) (string, error) {
	if db.embedded == nil {
		return "", errors.New("explain: not embedded")
	}
	return explainIDLookup(ctx, db.embedded.Dir(), db.db.Name(), collection)
}
