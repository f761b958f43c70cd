package accounts

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
)

// An import writes each debtor once, after the accounts: a debtor whose
// invoices are spread over the file (ERPs export by date) is then one row
// of one InsertMany, as if the file were sorted by debtor. Until then the
// debtors wait in a debtorStage, which keeps at most stageLimit of them in
// memory: past that it sorts them by id and spills them to a temporary file
// as a run, and at the end merges the runs by id (merging a debtor's parts
// in file order), so the memory an import needs does not grow with the file.
// The accounts assigned meanwhile wait in a moveSpill the same way, until
// the debtors their worklist entries show are written.
const (
	// stageLimit is how many debtors an import keeps in memory (a few
	// hundred bytes each).
	stageLimit = 5_000
	// maxRuns is how many spilled runs are merged at once; reaching it,
	// they are first merged into one.
	maxRuns = 32
	// writeChunk is how many debtors, and how many assigned accounts for
	// the worklists, go to the database at once.
	writeChunk = 1_000
)

// stagedDebtor is what the rows read so far say about a debtor: the latest
// name and document type, the contacts seen, the accounts it owns.
type stagedDebtor struct {
	ID           string    `bson:"i"`
	Document     string    `bson:"d"`
	Name         string    `bson:"n"`
	DocumentType string    `bson:"t,omitempty"`
	Contacts     []Contact `bson:"c,omitempty"`
	AccountIDs   []string  `bson:"a,omitempty"`
}

// absorb merges what later rows say about the same debtor.
func (d *stagedDebtor) absorb(later *stagedDebtor) {
	d.Name = later.Name
	if later.DocumentType != "" {
		d.DocumentType = later.DocumentType
	}
	d.Contacts = mergeContacts(d.Contacts, later.Contacts)
	for _, a := range later.AccountIDs {
		if !containsStr(d.AccountIDs, a) {
			d.AccountIDs = append(d.AccountIDs, a)
		}
	}
}

// debtorStage holds an import's debtors until they are written.
type debtorStage struct {
	limit int // stageLimit, or smaller in tests
	byID  map[string]*stagedDebtor
	spill *spillFile // nil until the first run
	runs  []spillRun
	held  func(n int) // tests: told how many are held after each add
}

type spillRun struct{ off, n int64 }

func newDebtorStage(limit int) *debtorStage {
	if limit <= 0 {
		limit = stageLimit
	}
	return &debtorStage{limit: limit, byID: map[string]*stagedDebtor{}}
}

// add merges one row's debtor, spilling the held ones first when a new
// debtor would pass the limit.
func (st *debtorStage) add(row *stagedDebtor) error {
	if d := st.byID[row.ID]; d != nil {
		d.absorb(row)
		return nil
	}
	if len(st.byID) >= st.limit {
		if err := st.spillRun(); err != nil {
			return err
		}
	}
	st.byID[row.ID] = row
	if st.held != nil {
		st.held(len(st.byID))
	}
	return nil
}

// spillRun writes the held debtors, sorted by id, as one run.
func (st *debtorStage) spillRun() error {
	if len(st.byID) == 0 {
		return nil
	}
	if st.spill == nil {
		f, err := newSpillFile("cartera-debtors-*")
		if err != nil {
			return err
		}
		st.spill = f
	}
	start := st.spill.end
	for _, id := range slices.Sorted(maps.Keys(st.byID)) {
		if err := st.spill.put(st.byID[id]); err != nil {
			return err
		}
	}
	clear(st.byID)
	st.runs = append(st.runs, spillRun{off: start, n: st.spill.end - start})
	if len(st.runs) < maxRuns {
		return nil
	}
	// Merge the runs into one at the end of the file, so the final merge
	// reads a bounded number of runs at once.
	start = st.spill.end
	err := st.merge(func(d *stagedDebtor) error { return st.spill.put(d) })
	if err != nil {
		return err
	}
	st.runs = []spillRun{{off: start, n: st.spill.end - start}}
	return nil
}

// each calls fn with every debtor staged, merged, in id order, then drops
// them (and the file).
func (st *debtorStage) each(fn func(*stagedDebtor) error) error {
	defer st.close()
	if st.spill == nil {
		for _, id := range slices.Sorted(maps.Keys(st.byID)) {
			if err := fn(st.byID[id]); err != nil {
				return err
			}
			delete(st.byID, id)
		}
		return nil
	}
	if err := st.spillRun(); err != nil {
		return err
	}
	return st.merge(fn)
}

// merge reads the runs side by side and calls fn once per debtor, its
// parts merged in run order (the file's order).
func (st *debtorStage) merge(fn func(*stagedDebtor) error) error {
	if err := st.spill.w.Flush(); err != nil {
		return fmt.Errorf("stage debtors: %w", err)
	}
	h := make(runHeap, 0, len(st.runs))
	for i, run := range st.runs {
		rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(st.spill.f, run.off, run.n), 4096), run: i}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, rr)
		}
	}
	heap.Init(&h)
	advance := func() error {
		ok, err := h[0].next()
		switch {
		case err != nil:
			return err
		case ok:
			heap.Fix(&h, 0)
		default:
			heap.Pop(&h)
		}
		return nil
	}
	for len(h) > 0 {
		d := h[0].cur
		if err := advance(); err != nil {
			return err
		}
		for len(h) > 0 && h[0].cur.ID == d.ID {
			d.absorb(&h[0].cur)
			if err := advance(); err != nil {
				return err
			}
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	return nil
}

func (st *debtorStage) close() {
	if st.spill != nil {
		st.spill.close()
		st.spill = nil
	}
	st.runs = nil
	clear(st.byID)
}

// runReader is the next debtor of one run.
type runReader struct {
	r   *bufio.Reader
	run int
	cur stagedDebtor
	buf []byte
}

func (rr *runReader) next() (bool, error) {
	rr.cur = stagedDebtor{}
	var ok bool
	var err error
	rr.buf, ok, err = readDoc(rr.r, rr.buf, &rr.cur)
	return ok, err
}

// runHeap orders the runs by their next debtor, then by run.
type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if h[i].cur.ID != h[j].cur.ID {
		return h[i].cur.ID < h[j].cur.ID
	}
	return h[i].run < h[j].run
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// moveSpill holds the accounts an import assigned, for the worklists, until
// the debtors are written: writeChunk of them in memory, the rest on disk.
type moveSpill struct {
	held  []Move
	spill *spillFile
}

func (ms *moveSpill) add(m Move) error {
	if len(ms.held) < writeChunk {
		ms.held = append(ms.held, m)
		return nil
	}
	if ms.spill == nil {
		f, err := newSpillFile("cartera-moves-*")
		if err != nil {
			return err
		}
		ms.spill = f
	}
	for _, h := range ms.held {
		if err := ms.spill.put(h); err != nil {
			return err
		}
	}
	ms.held = append(ms.held[:0], m)
	return nil
}

// each calls fn with the moves in order, writeChunk at a time, then drops
// them (and the file).
func (ms *moveSpill) each(fn func([]Move)) error {
	defer ms.close()
	if ms.spill != nil {
		if err := ms.spill.w.Flush(); err != nil {
			return fmt.Errorf("stage moves: %w", err)
		}
		r := bufio.NewReaderSize(io.NewSectionReader(ms.spill.f, 0, ms.spill.end), 16<<10)
		chunk := make([]Move, 0, writeChunk)
		var buf []byte
		for {
			var m Move
			var ok bool
			var err error
			if buf, ok, err = readDoc(r, buf, &m); err != nil {
				return err
			}
			if ok {
				chunk = append(chunk, m)
			}
			if len(chunk) == writeChunk || (!ok && len(chunk) > 0) {
				fn(chunk)
				chunk = chunk[:0]
			}
			if !ok {
				break
			}
		}
	}
	if len(ms.held) > 0 {
		fn(ms.held)
	}
	return nil
}

func (ms *moveSpill) close() {
	if ms.spill != nil {
		ms.spill.close()
		ms.spill = nil
	}
	ms.held = nil
}

// spillFile is a temporary file of BSON documents, one after another,
// removed when closed.
type spillFile struct {
	f   *os.File
	w   *bufio.Writer
	end int64 // bytes written
	buf []byte
}

func newSpillFile(pattern string) (*spillFile, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return nil, fmt.Errorf("import spill: %w", err)
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, 32<<10)}, nil
}

func (sf *spillFile) put(v any) error {
	var err error
	if sf.buf, err = bson.MarshalAppend(sf.buf[:0], v); err != nil {
		return fmt.Errorf("import spill: %w", err)
	}
	n, err := sf.w.Write(sf.buf)
	sf.end += int64(n)
	if err != nil {
		return fmt.Errorf("import spill: %w", err)
	}
	return nil
}

func (sf *spillFile) close() {
	sf.f.Close()
	os.Remove(sf.f.Name())
}

// readDoc reads the next BSON document of r into v (false at the end),
// reusing buf.
func readDoc(r *bufio.Reader, buf []byte, v any) ([]byte, bool, error) {
	head, err := r.Peek(4)
	if errors.Is(err, io.EOF) && len(head) == 0 {
		return buf, false, nil
	}
	if err != nil {
		return buf, false, fmt.Errorf("import spill: %w", err)
	}
	n := int(binary.LittleEndian.Uint32(head))
	if n < 5 {
		return buf, false, errors.New("import spill: damaged")
	}
	buf = slices.Grow(buf[:0], n)[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return buf, false, fmt.Errorf("import spill: %w", err)
	}
	if err := bson.Unmarshal(buf, v); err != nil {
		return buf, false, fmt.Errorf("import spill: %w", err)
	}
	return buf, true, nil
}
