package queue

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"time"
)

// The worklist's entries are stored in one binary field in a format of our
// own: a version byte, then each entry's fields in a fixed order as varints
// and length-prefixed strings, compressed with DEFLATE. It replaced gob+gzip,
// whose reflection-driven decoding of a 5,000-entry map took 15-29 ms per
// read (BenchmarkQueueParts); this one takes a few milliseconds. Reasons are
// not stored: the queue recomputes them for the day it is read.
const codecV1 = 'W'

// errCodec reports a worklist whose data cannot be read.
var errCodec = errors.New("worklist data corrupt")

type wbuf struct{ bytes.Buffer }

func (w *wbuf) uvarint(v uint64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutUvarint(b[:], v)])
}

func (w *wbuf) varint(v int64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutVarint(b[:], v)])
}

func (w *wbuf) str(s string) {
	w.uvarint(uint64(len(s)))
	w.WriteString(s)
}

// civilDays stores a date as days since the Unix epoch (dates are UTC
// midnights); instants keep seconds.
func civilDays(t time.Time) int64 { return t.Unix() / 86400 }

func encodeV1(entries map[string]Entry) ([]byte, error) {
	var raw wbuf
	raw.uvarint(uint64(len(entries)))
	for k, e := range entries {
		raw.str(k)
		raw.str(e.AccountID)
		raw.str(e.Invoice)
		raw.str(e.DebtorName)
		raw.varint(e.Balance)
		raw.str(e.Currency)
		raw.varint(civilDays(e.DueDate))
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
			raw.varint(civilDays(n.Due))
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
	out.WriteByte(codecV1)
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

type rbuf struct {
	b   []byte
	err error
	// strs interns repeated short strings (currency, action types, labels,
	// flags), so 5,000 entries do not allocate 5,000 copies of each.
	strs map[string]string
}

func (r *rbuf) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCodec
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rbuf) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errCodec
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rbuf) byte1() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errCodec
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *rbuf) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errCodec
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *rbuf) interned() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errCodec
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

func decodeV1(data []byte) (map[string]Entry, error) {
	m := map[string]Entry{}
	err := eachV1(data, func(k string, e Entry) { m[k] = e })
	return m, err
}

// eachV1 decodes the entries one by one (the queue needs no map).
func eachV1(data []byte, fn func(key string, e Entry)) error {
	var buf bytes.Buffer
	buf.Grow(len(data) * 6)
	if _, err := io.Copy(&buf, flate.NewReader(bytes.NewReader(data))); err != nil {
		return err
	}
	raw := buf.Bytes()
	r := &rbuf{b: raw, strs: map[string]string{}}
	n := r.uvarint()
	if n > uint64(len(raw)) {
		return errCodec
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
			r.err = errCodec
		}
		e.Rev = r.varint()
		if r.err == nil {
			fn(k, e)
		}
	}
	return r.err
}
