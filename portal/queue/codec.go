package queue

import "cartera/portal/readside/packed"

// A worklist's entries are stored in one binary field in the read models'
// codec (readside/packed, kind 'W', layout 2): a count, then each entry,
// key first, its fields in a fixed order; instants exact, flags nil apart
// from empty, so an entry reads back as built. Reasons are not stored: the
// queue recomputes them for the day it is read.
//
// The formats of earlier releases (a 'W' header and DEFLATE, gob+gzip
// before it) read as packed.ErrStale: the queue rebuilds that tenant's
// worklists from the accounts (Service.write, dueItems, StartPass).
const (
	entriesKind   packed.Kind = 'W'
	entriesLayout             = 2
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

// keyed is an entry with its account key, as a worklist stores it.
type keyed struct {
	key string
	e   Entry
}

// eachEntry decodes the entries one by one (the queue needs no map).
func eachEntry(data []byte, fn func(key string, e Entry)) error {
	return packed.Records(data, entriesKind, entriesLayout, readEntry, func(k keyed) { fn(k.key, k.e) })
}

func readEntry(r *packed.Reader) keyed {
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
	return keyed{k, e}
}
