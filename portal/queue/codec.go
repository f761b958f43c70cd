package queue

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"fmt"
	"time"

	"cartera/portal/readside/packed"
)

// A worklist's entries are stored in one binary field in the read models'
// codec (readside/packed, kind 'W'): a count, then each entry, key first,
// its fields in a fixed order. Reasons are not stored: the queue
// recomputes them for the day it is read.
//
// Layouts:
//   - 2, written: instants exact (seconds and nanoseconds), counts as
//     varints, flags nil apart from empty: an entry reads back as built.
//   - 1, read only: the worklists' earlier format of their own, a one-byte
//     header 'W' and the DEFLATE of the same fields, dates as days since
//     the epoch, the last contact in whole seconds.
//
// Older still (before 2026-11-22), gob+gzip: read by entriesGob.
const (
	entriesKind   packed.Kind = 'W'
	entriesLayout             = 2
	headerV1                  = 'W'
)

func encodeEntries(entries map[string]Entry) ([]byte, error) {
	w := packed.NewWriter(entriesKind, entriesLayout, len(entries)*128)
	w.Len(len(entries))
	for k, e := range entries {
		w.String(k)
		w.String(e.AccountID)
		w.String(e.Invoice)
		w.String(e.DebtorName)
		w.Varint(e.Balance)
		w.Sym(e.Currency)
		w.Time(e.DueDate)
		w.Sym(e.Segment)
		w.Int(e.BrokenPromises)
		w.Int(e.UnansweredCalls)
		w.Int(e.ValidContacts)
		w.Int(e.Channels)
		w.OptTime(e.LastContactAt)
		w.Bool(e.NextAction != nil)
		if n := e.NextAction; n != nil {
			w.Sym(n.Type)
			w.Time(n.Due)
			w.Sym(n.Step)
			w.Sym(n.Label)
		}
		w.Int(e.Priority)
		packed.WriteSlice(w, e.Flags, (*packed.Writer).Sym)
		w.Varint(e.Rev)
	}
	return w.Finish()
}

// eachEntry decodes the entries one by one (the queue needs no map), in
// whichever format data is.
func eachEntry(data []byte, fn func(key string, e Entry)) error {
	if len(data) == 0 {
		return nil
	}
	var r *packed.Reader
	var err error
	switch data[0] {
	case headerV1:
		r, err = packed.OpenBody(data[1:], 1, true)
	case 0x1f: // gzip
		return entriesGob(data, fn)
	default:
		r, err = packed.Open(data, entriesKind)
	}
	if err != nil {
		return err
	}
	read := readEntryV2
	switch r.Version() {
	case 1:
		read = readEntryV1
	case entriesLayout:
	default:
		return fmt.Errorf("%w: worklist layout %d", packed.ErrStale, r.Version())
	}
	for n := r.Len(); n > 0; n-- {
		k, e := read(r)
		if err := r.Err(); err != nil {
			return err
		}
		fn(k, e)
	}
	return r.End()
}

func readEntryV2(r *packed.Reader) (string, Entry) {
	k := r.String()
	e := Entry{AccountID: r.String(), Invoice: r.String(), DebtorName: r.String(), Balance: r.Varint(), Currency: r.Sym(),
		DueDate: r.Time(), Segment: r.Sym(), BrokenPromises: r.Int(), UnansweredCalls: r.Int(), ValidContacts: r.Int(), Channels: r.Int(),
		LastContactAt: r.OptTime()}
	if r.Bool() {
		e.NextAction = &NextAction{Type: r.Sym(), Due: r.Time(), Step: r.Sym(), Label: r.Sym()}
	}
	e.Priority = r.Int()
	e.Flags = packed.ReadSlice(r, (*packed.Reader).Sym)
	e.Rev = r.Varint()
	return k, e
}

func readEntryV1(r *packed.Reader) (string, Entry) {
	days := func() time.Time { return time.Unix(r.Varint()*86400, 0).UTC() }
	k := r.String()
	e := Entry{AccountID: r.String(), Invoice: r.String(), DebtorName: r.String(), Balance: r.Varint(), Currency: r.String(),
		DueDate: days(), Segment: r.String(), BrokenPromises: int(r.Uvarint()), UnansweredCalls: int(r.Uvarint()),
		ValidContacts: int(r.Uvarint()), Channels: int(r.Uvarint())}
	if s := r.Varint(); s != 0 {
		t := time.Unix(s, 0).UTC()
		e.LastContactAt = &t
	}
	if r.Bool() {
		e.NextAction = &NextAction{Type: r.String(), Due: days(), Step: r.String(), Label: r.String()}
	}
	e.Priority = int(r.Varint())
	if nf := r.Len(); nf > 0 {
		e.Flags = make([]string, nf)
		for j := range e.Flags {
			e.Flags[j] = r.String()
		}
	}
	e.Rev = r.Varint()
	return k, e
}

// entriesGob reads a worklist written before 2026-11-22. The daily
// rebuild has rewritten every worklist of a portal that ran a day since;
// a data dir older than that still reads (the queue has no rebuild on a
// stale worklist yet).
func entriesGob(data []byte, fn func(key string, e Entry)) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	var m map[string]Entry
	if err := gob.NewDecoder(zr).Decode(&m); err != nil {
		return err
	}
	for k, e := range m {
		fn(k, e)
	}
	return nil
}
