package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// result is one Next outcome.
type result struct {
	rec  Record
	errs []FieldError
}

func readAll(t testing.TB, r *Reader) []result {
	t.Helper()
	var out []result
	for {
		rec, errs, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, result{rec, errs})
	}
}

func openCSV(t testing.TB, data string, opts Options) *Reader {
	t.Helper()
	r, err := NewReader(strings.NewReader(data), KindCSV, opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// readCSV reads a whole CSV and fails on any row error.
func readCSV(t testing.TB, data string, opts Options) []Record {
	t.Helper()
	var recs []Record
	for _, res := range readAll(t, openCSV(t, data, opts)) {
		if len(res.errs) > 0 {
			t.Fatalf("row %d: unexpected errors %+v", res.rec.Row, res.errs)
		}
		recs = append(recs, res.rec)
	}
	return recs
}

var co = Options{Locale: "es-CO"}

const coHeader = "documento;nombre;factura;fecha_vencimiento;valor\n"
