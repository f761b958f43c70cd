package readside

import (
	"errors"
	"fmt"
	"time"

	"cartera/portal/queue"
	"cartera/portal/readside/packed"
)

// A worklist's entries are stored in one binary field in the read models'
// codec (readside/packed, kind 'W', layout 2): a count, then each entry,
// key first, its fields in a fixed order; instants exact, flags nil apart
// from empty, so an entry reads back as built. Reasons are not stored: the
// queue recomputes them for the day it is read.
//
// The formats of earlier releases (a 'W' header and DEFLATE, gob+gzip
// before it) read as packed.ErrStale, which is also queue.ErrStaleWorklist:
// the queue rebuilds that tenant's worklists from the accounts.
const (
	entriesKind   packed.Kind = 'W'
	entriesLayout             = 2
)

// Worklist is a collector's worklist document within one tenant. _id is
// "<tenant>:<collectorId>". The entries, keyed by account key, are stored
// encoded in one binary field: the embedded server converts every
// nested field of a document on each read and write (a 5,000-entry
// worklist as nested documents took seconds to read), while a binary value
// is one string to it. Nothing ever queries inside a worklist: it is read
// and written whole, by _id, with a compare-and-set (rev).
type Worklist struct {
	ID          string    `bson:"_id"`
	TenantID    string    `bson:"tenantId"`
	CollectorID string    `bson:"collectorId"`
	Count       int       `bson:"count"`
	Data        []byte    `bson:"data"`
	UpdatedAt   time.Time `bson:"updatedAt"`
	Token       string    `bson:"token"` // changes with every write (worklists_cache.go)
	Rev         int64     `bson:"rev"`
}

// Entries decodes the worklist's entries (account key -> entry);
// packed.ErrStale (and queue.ErrStaleWorklist) for a worklist an earlier
// release wrote.
func (w *Worklist) Entries() (map[string]queue.Entry, error) {
	m := make(map[string]queue.Entry, min(max(w.Count, 0), 1<<16)) // Count: a hint, not trusted
	if err := w.each(func(k string, e queue.Entry) { m[k] = e }); err != nil {
		return nil, err
	}
	return m, nil
}

// each calls fn for every entry, without building a map.
func (w *Worklist) each(fn func(key string, e queue.Entry)) error {
	err := eachEntry(w.Data, fn)
	if errors.Is(err, packed.ErrStale) {
		return fmt.Errorf("worklist %s: %w (%w)", w.ID, queue.ErrStaleWorklist, err)
	} else if err != nil {
		return fmt.Errorf("worklist %s: %w", w.ID, err)
	}
	return nil
}

// EncodeWorklist is the Data of a worklist holding entries (the store's
// own writes, and tests and benchmarks that write a worklist directly).
func EncodeWorklist(entries map[string]queue.Entry) ([]byte, error) {
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

// keyed is an entry with its account key, as a worklist stores it.
type keyed struct {
	key string
	e   queue.Entry
}

// eachEntry decodes the entries one by one (the queue needs no map).
func eachEntry(data []byte, fn func(key string, e queue.Entry)) error {
	return packed.Records(data, entriesKind, entriesLayout, readEntry, func(k keyed) { fn(k.key, k.e) })
}

func readEntry(r *packed.Reader) keyed {
	k := r.String()
	e := queue.Entry{AccountID: r.String(), Invoice: r.String(), DebtorName: r.String(), Balance: r.Varint(), Currency: r.Sym(),
		DueDate: r.Time(), Segment: r.Sym(), BrokenPromises: r.Int(), UnansweredCalls: r.Int(), ValidContacts: r.Int(), Channels: r.Int(),
		LastContactAt: r.OptTime()}
	if r.Bool() {
		e.NextAction = &queue.NextAction{Type: r.Sym(), Due: r.Time(), Step: r.Sym(), Label: r.Sym()}
	}
	e.Priority = r.Int()
	e.Flags = packed.ReadSlice(r, (*packed.Reader).Sym)
	e.Rev = r.Varint()
	return keyed{k, e}
}
