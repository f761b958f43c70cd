package ingest

import (
	"errors"
	"hash/fnv"
	"io"
	"slices"
	"strings"
)

// Repeats is the set of invoices that a file names more than once, as
// 8-byte hashes, found by a counting pass (Reader.Count). Given to the
// reading pass (Options.Repeats), it lets the duplicate-invoice check keep
// exact invoices only for these candidates instead of for every row: at
// 100,000 rows the full map of invoices was several megabytes of the
// import's peak, the hashes are 800 KB while counting and almost nothing
// after. A hash names a candidate, never a verdict: the check still compares
// the invoices themselves, so a collision costs one more map entry and the
// errors are exactly those of a full check.
type Repeats struct {
	set map[uint64]struct{}
}

func invoiceHash(invoice string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(invoice))
	return h.Sum64()
}

// has reports whether invoice may appear more than once.
func (p *Repeats) has(invoice string) bool {
	_, ok := p.set[invoiceHash(invoice)]
	return ok
}

// Len is how many invoice hashes repeat.
func (p *Repeats) Len() int { return len(p.set) }

// Count reads the rest of the file, returning how many rows it has and the
// invoices among them that repeat. Rows with errors count too (whether an
// earlier row goes in is decided by the reading pass), so the set is a
// superset of the duplicates that pass reports.
func (r *Reader) Count() (int, *Repeats, error) {
	r.seen = nil // no duplicate check while counting: that is what this pass prepares
	var hashes []uint64
	n := 0
	for {
		rec, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, err
		}
		n++
		if rec.Invoice != "" {
			hashes = append(hashes, invoiceHash(rec.Invoice))
		}
	}
	slices.Sort(hashes)
	rep := &Repeats{set: map[uint64]struct{}{}}
	for i := 1; i < len(hashes); i++ {
		if hashes[i] == hashes[i-1] {
			rep.set[hashes[i]] = struct{}{}
		}
	}
	return n, rep, nil
}

// checkRepeat is the duplicate-invoice check of one row: the later of two
// rows with the same invoice is an error; only a row without errors is
// taken as the first.
func (r *Reader) checkRepeat(invoice string, row int, e *rowErrors) {
	if invoice == "" || r.seen == nil || (r.repeats != nil && !r.repeats.has(invoice)) {
		return
	}
	if first, ok := r.seen[invoice]; ok {
		e.add(fInvoice, CodeDuplicateInvoice, "la factura %s ya aparece en la fila %d", invoice, first)
	} else if len(e.errs) == 0 {
		// Cloned so the map does not pin the whole CSV line.
		r.seen[strings.Clone(invoice)] = row
	}
}
