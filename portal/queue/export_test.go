package queue

// The worklist codec as it was before readside/packed (the 'W' format,
// layout 1, and gob+gzip before it), kept for the tests: legacy data in a
// store, and the benchmark's old figures.

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"io"
	"time"
)

// LegacyV1 is the Data the previous release wrote ('W', layout 1).
func LegacyV1(entries map[string]Entry) ([]byte, error) { return legacyEncodeV1(entries) }

// LegacyGob is the Data of worklists written before 2026-11-22.
func LegacyGob(entries map[string]Entry) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := gob.NewEncoder(zw).Encode(entries); err != nil {
		return nil, err
	}
	err := zw.Close()
	return b.Bytes(), err
}

// errLegacyV1 reports a worklist whose data cannot be read.
var errLegacyV1 = errors.New("worklist data corrupt")

type legacyWbuf struct{ bytes.Buffer }

func (w *legacyWbuf) uvarint(v uint64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutUvarint(b[:], v)])
}

func (w *legacyWbuf) varint(v int64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutVarint(b[:], v)])
}

func (w *legacyWbuf) str(s string) {
	w.uvarint(uint64(len(s)))
	w.WriteString(s)
}

// legacyDays stores a date as days since the Unix epoch (dates are UTC
// midnights); instants keep seconds.
func legacyDays(t time.Time) int64 { return t.Unix() / 86400 }

func legacyEncodeV1(entries map[string]Entry) ([]byte, error) {
	var raw legacyWbuf
	raw.uvarint(uint64(len(entries)))
	for k, e := range entries {
		raw.str(k)
		raw.str(e.AccountID)
		raw.str(e.Invoice)
		raw.str(e.DebtorName)
		raw.varint(e.Balance)
		raw.str(e.Currency)
		raw.varint(legacyDays(e.DueDate))
		raw.str(e.Segment)
		raw.uvarint(uint64(e.BrokenPromises))
		raw.uvarint(uint64(e.UnansweredCalls))
		raw.uvarint(uint64(e.ValidContacts))
		raw.uvarint(uint64(e.Channels))
		if e.LastContactAt == nil {
			raw.varint(0)
		} else {
			raw.varint(max(e.LastContactAt.Unix(), 1)) // 0 means none
		}
		if n := e.NextAction; n == nil {
			raw.WriteByte(0)
		} else {
			raw.WriteByte(1)
			raw.str(n.Type)
			raw.varint(legacyDays(n.Due))
			raw.str(n.Step)
			raw.str(n.Label)
		}
		raw.varint(int64(e.Priority))
		raw.uvarint(uint64(len(e.Flags)))
		for _, f := range e.Flags {
			raw.str(f)
		}
		raw.varint(e.Rev)
	}
	var out bytes.Buffer
	out.WriteByte(headerV1)
	zw, err := flate.NewWriter(&out, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type legacyRbuf struct {
	b   []byte
	err error
	// strs interns repeated short strings (currency, action types, labels,
	// flags), so 5,000 entries do not allocate 5,000 copies of each.
	strs map[string]string
}

func (r *legacyRbuf) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errLegacyV1
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *legacyRbuf) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errLegacyV1
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *legacyRbuf) byte1() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errLegacyV1
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *legacyRbuf) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errLegacyV1
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *legacyRbuf) interned() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errLegacyV1
		return ""
	}
	raw := r.b[:n]
	r.b = r.b[n:]
	if s, ok := r.strs[string(raw)]; ok { // no allocation for the lookup
		return s
	}
	s := string(raw)
	r.strs[s] = s
	return s
}

func legacyDecodeV1(data []byte) (map[string]Entry, error) {
	m := map[string]Entry{}
	err := legacyEachV1(data, func(k string, e Entry) { m[k] = e })
	return m, err
}

// legacyEachV1 decodes the entries one by one (the queue needs no map).
func legacyEachV1(data []byte, fn func(key string, e Entry)) error {
	var buf bytes.Buffer
	buf.Grow(len(data) * 6)
	if _, err := io.Copy(&buf, flate.NewReader(bytes.NewReader(data))); err != nil {
		return err
	}
	raw := buf.Bytes()
	r := &legacyRbuf{b: raw, strs: map[string]string{}}
	n := r.uvarint()
	if n > uint64(len(raw)) {
		return errLegacyV1
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.str()
		var e Entry
		e.AccountID = r.str()
		e.Invoice = r.str()
		e.DebtorName = r.str()
		e.Balance = r.varint()
		e.Currency = r.interned()
		e.DueDate = time.Unix(r.varint()*86400, 0).UTC()
		e.Segment = r.interned()
		e.BrokenPromises = int(r.uvarint())
		e.UnansweredCalls = int(r.uvarint())
		e.ValidContacts = int(r.uvarint())
		e.Channels = int(r.uvarint())
		if s := r.varint(); s != 0 {
			t := time.Unix(s, 0).UTC()
			e.LastContactAt = &t
		}
		if r.byte1() == 1 {
			e.NextAction = &NextAction{Type: r.interned(), Due: time.Unix(r.varint()*86400, 0).UTC(), Step: r.interned(), Label: r.interned()}
		}
		e.Priority = int(r.varint())
		if nf := r.uvarint(); nf > 0 && nf < 16 {
			e.Flags = make([]string, nf)
			for j := range e.Flags {
				e.Flags[j] = r.interned()
			}
		} else if nf >= 16 {
			r.err = errLegacyV1
		}
		e.Rev = r.varint()
		if r.err == nil {
			fn(k, e)
		}
	}
	return r.err
}
