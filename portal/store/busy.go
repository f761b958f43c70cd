package store

import (
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The embedded server's busy handler.
//
// SQLite has one writer at a time; a connection that finds the write lock
// taken calls its busy handler until the lock is free. The default one
// (sqlite3_busy_timeout, which FerretDB sets) sleeps 1, 2, 5, 10, 15, 20,
// 25 ms… between tries, while a FerretDB write holds the lock for about a
// millisecond: under load a writer that lost one race slept ten times
// longer than it had to wait, with the lock often free meanwhile. This one
// retries after 20 µs, doubling to at most about a millisecond, and gives
// up after busyGiveUp, as FerretDB's 10 s timeout did.
//
// It is installed on every connection the SQLite driver opens (a driver
// connection hook: FerretDB opens its own). The driver does not expose the
// connection's handle, so installBusy reads it from the connection's
// fields; if a driver upgrade moves them, the default handler stays (it is
// correct, only slower), the log says so once and TestBusyHandlerInstalled
// fails.

const (
	busyFirst  = 20 * time.Microsecond
	busyMax    = 1280 * time.Microsecond
	busyGiveUp = 10 * time.Second
)

// busyWaits counts the handler's calls (tests).
var busyWaits atomic.Int64

var busyLayoutWarning sync.Once

func init() {
	sqlite.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		installBusy(c)
		return nil
	})
}

// installBusy sets busyWait as the busy handler of a driver connection
// (a *sqlite.conn, whose db and tls fields are the handle and its thread
// state).
func installBusy(c any) bool {
	v := reflect.ValueOf(c)
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		s := v.Elem()
		fdb, ftls := s.FieldByName("db"), s.FieldByName("tls")
		if fdb.IsValid() && fdb.Kind() == reflect.Uintptr && ftls.IsValid() && ftls.Type() == reflect.TypeOf((*libc.TLS)(nil)) {
			db := *(*uintptr)(unsafe.Pointer(fdb.UnsafeAddr()))
			tls := *(**libc.TLS)(unsafe.Pointer(ftls.UnsafeAddr()))
			if sqlite3.Xsqlite3_busy_handler(tls, db, cFunc(busyWait), 0) == sqlite3.SQLITE_OK {
				return true
			}
		}
	}
	busyLayoutWarning.Do(func() {
		slog.Warn("store: SQLite's default busy handler stays (the driver's connection is not as expected)", "conn", reflect.TypeOf(c).String())
	})
	return false
}

// busyWait is called with how many times it was called for this wait
// already; it returns 1 to try again, 0 to give up (SQLITE_BUSY).
func busyWait(_ *libc.TLS, _ uintptr, count int32) int32 {
	busyWaits.Add(1)
	if busySlept(int(count)) >= busyGiveUp {
		return 0
	}
	time.Sleep(busyDelay(int(count)))
	return 1
}

// busyDelay is the sleep before try n+1 (n counted from 0).
func busyDelay(n int) time.Duration {
	if n >= 6 {
		return busyMax
	}
	return busyFirst << n
}

// busySlept is the time slept before try n.
func busySlept(n int) time.Duration {
	if n <= 6 {
		return busyFirst * (1<<n - 1)
	}
	return busyFirst*(1<<6-1) + time.Duration(n-6)*busyMax
}

// cFunc is a Go function as the driver's C code calls it (the driver's own
// conversion, https://golang.org/s/go11func): a pointer to the function's
// code pointer, which lives in read-only data and never moves.
func cFunc[T any](f T) uintptr { return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f})) }
