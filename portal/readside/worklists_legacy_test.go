package readside

// The worklist encodings of earlier releases (the 'W' format, layout 1, and
// gob+gzip before it), kept for the tests: data this release reads as stale.

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"encoding/gob"
	"time"

	"cartera/portal/queue"
)

// LegacyV1 is the Data the previous release wrote ('W', layout 1).
func LegacyV1(entries map[string]queue.Entry) ([]byte, error) { return legacyEncodeV1(entries) }

// LegacyGob is the Data of worklists written before 2026-11-22.
func LegacyGob(entries map[string]queue.Entry) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := gob.NewEncoder(zw).Encode(entries); err != nil {
		return nil, err
	}
	err := zw.Close()
	return b.Bytes(), err
}

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

func legacyEncodeV1(entries map[string]queue.Entry) ([]byte, error) {
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
	out.WriteByte('W')
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
