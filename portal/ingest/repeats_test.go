package ingest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The duplicate-invoice check limited to the counted repeats reports
// exactly what the full check does: same rows, fields and messages,
// including a first row that was rejected (it is not taken as the first),
// a third occurrence, and invoices differing only in case.
func TestRepeatsSameErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(coHeader)
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "1;Ana;F%d;31/01/2025;100\n", i)
	}
	b.WriteString("1;Ana;F7;31/01/2025;100\n" + // duplicate of an early row
		"1;Ana;G1;31/02/2025;100\n" + // rejected: G1 not taken
		"1;Ana;G1;31/01/2025;100\n" + // so this one is the first
		"1;Ana;G1;31/01/2025;100\n" + // duplicate
		"1;Ana;F7;31/01/2025;100\n" + // a third F7
		"1;Ana;f7;31/01/2025;100\n" + // another invoice
		"1;Ana;;31/01/2025;100\n" + // no invoice at all
		"1;Ana;;31/01/2025;100\n")
	data := b.String()

	full := readAll(t, openCSV(t, data, co))
	n, rep, err := openCSV(t, data, co).Count()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(full) {
		t.Errorf("counted %d rows, read %d", n, len(full))
	}
	if rep.Len() != 2 { // F7 and G1
		t.Errorf("repeats %d, want 2", rep.Len())
	}
	opts := co
	opts.Repeats = rep
	limited := readAll(t, openCSV(t, data, opts))
	// A hash that collides only makes more candidates: every invoice one.
	all := &Repeats{set: map[uint64]struct{}{}}
	for _, res := range full {
		all.set[invoiceHash(res.rec.Invoice)] = struct{}{}
	}
	opts.Repeats = all
	colliding := readAll(t, openCSV(t, data, opts))

	dups := 0
	for _, res := range full {
		for _, e := range res.errs {
			if e.Code == CodeDuplicateInvoice {
				dups++
			}
		}
	}
	if dups != 3 {
		t.Fatalf("full check found %d duplicates, want 3", dups)
	}
	if !reflect.DeepEqual(full, limited) {
		t.Errorf("with counted repeats the rows differ")
	}
	if !reflect.DeepEqual(full, colliding) {
		t.Errorf("with every invoice a candidate the rows differ")
	}
	if got := len(openCSV(t, data, Options{Locale: "es-CO", Repeats: rep}).seen); got != 0 {
		t.Errorf("seen before reading %d", got)
	}
}

// The reading pass keeps only the repeating invoices.
func TestRepeatsKeepOnlyCandidates(t *testing.T) {
	data := coHeader + "1;Ana;F1;31/01/2025;100\n1;Ana;F2;31/01/2025;100\n1;Ana;F1;31/01/2025;100\n"
	_, rep, err := openCSV(t, data, co).Count()
	if err != nil {
		t.Fatal(err)
	}
	r := openCSV(t, data, Options{Locale: "es-CO", Repeats: rep})
	readAll(t, r)
	if len(r.seen) != 1 {
		t.Errorf("kept %d invoices, want 1 (F1)", len(r.seen))
	}
}
