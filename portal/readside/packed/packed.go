// Package packed is the binary form of the read models' rows: one
// versioned envelope and typed writers and readers, with which each model
// writes its own record layout field by field, in a fixed order, without
// reflection.
//
// A blob is
//
//	0xC5 | kind | version | compression | body
//
// kind names the model (a reader asks for its own, so one model's blob is
// never read as another's); version is the model's record layout, which the
// model bumps and switches on; compression is 0 (none: bodies up to RawMax
// bytes) or 1 (DEFLATE). The body holds uvarints, zig-zag varints,
// length-prefixed strings and instants (Unix seconds and nanoseconds).
//
// Anything that does not begin with 0xC5 (the gob+gzip blobs of earlier
// releases begin 0x1f 0x8b) is ErrStale, as is a layout version the model
// does not read: the model rebuilds it from its source. A blob of another
// kind, or one whose body does not parse, is ErrCorrupt.
package packed

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Kind names what a blob holds (one per model).
type Kind byte

const (
	magic     = 0xC5
	headerLen = 4
	none      = 0
	deflate   = 1
)

// RawMax is the largest body stored uncompressed. DEFLATE costs about
// 6 µs plus 15 µs a KB to pack and unpack (BenchmarkCompression), and the
// embedded server takes about 100 µs a KB longer to read a bigger
// document (readside's BenchmarkViewRead): it pays past a few hundred
// bytes.
const RawMax = 256

var (
	// ErrStale is data in an older format or a layout version the model does
	// not read: rebuild it from the source.
	ErrStale = errors.New("packed: older format")
	// ErrCorrupt is data in this format that cannot be read.
	ErrCorrupt = errors.New("packed: data corrupt")
)

// Writer builds one blob.
type Writer struct {
	b    []byte
	syms map[string]int // Sym's table: string → its number
}

// NewWriter starts a blob of kind written in layout version; size is a
// guess of the body's length.
func NewWriter(k Kind, version byte, size int) *Writer {
	b := make([]byte, headerLen, headerLen+size)
	b[0], b[1], b[2] = magic, byte(k), version
	return &Writer{b: b}
}

// Uvarint writes v.
func (w *Writer) Uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }

// Varint writes v (zig-zag: small negatives stay short).
func (w *Writer) Varint(v int64) { w.b = binary.AppendVarint(w.b, v) }

// Int writes v as a varint.
func (w *Writer) Int(v int) { w.Varint(int64(v)) }

// Len writes a count (of records: each must take at least a byte).
func (w *Writer) Len(n int) { w.Uvarint(uint64(n)) }

// String writes s, length first.
func (w *Writer) String(s string) {
	w.Uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
}

// Sym writes a string that repeats across records (a currency, a status,
// a label): the first time as String, after that as its number in the
// blob's table, so a 5,000-entry worklist does not carry "COP" 5,000
// times (and DEFLATE has less to do).
func (w *Writer) Sym(s string) {
	if n, ok := w.syms[s]; ok {
		w.Uvarint(uint64(n))
		return
	}
	if w.syms == nil {
		w.syms = map[string]int{}
	}
	w.syms[s] = len(w.syms) + 1
	w.Uvarint(0)
	w.String(s)
}

// Bool writes v as one byte.
func (w *Writer) Bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// Time writes t's instant; it reads back in UTC (as the driver decodes
// BSON dates), without a monotonic reading.
func (w *Writer) Time(t time.Time) {
	w.Varint(t.Unix())
	w.Uvarint(uint64(t.Nanosecond()))
}

// OptTime writes t, nil kept apart from any instant.
func (w *Writer) OptTime(t *time.Time) {
	w.Bool(t != nil)
	if t != nil {
		w.Time(*t)
	}
}

// WriteSlice writes s with put for each element, nil kept apart from empty.
func WriteSlice[T any](w *Writer, s []T, put func(*Writer, T)) {
	if s == nil {
		w.Uvarint(0)
		return
	}
	w.Uvarint(uint64(len(s)) + 1)
	for _, v := range s {
		put(w, v)
	}
}

// Finish returns the blob; the Writer is not used afterwards.
func (w *Writer) Finish() ([]byte, error) {
	body := w.b[headerLen:]
	if len(body) <= RawMax {
		w.b[3] = none
		return w.b, nil
	}
	return w.finishDeflate()
}

// finishDeflate is Finish with the body compressed.
func (w *Writer) finishDeflate() ([]byte, error) {
	body := w.b[headerLen:]
	out := bytes.NewBuffer(make([]byte, 0, headerLen+len(body)/3))
	out.Write(w.b[:3])
	out.WriteByte(deflate)
	zw, _ := compressors.Get().(*flate.Writer)
	if zw == nil {
		var err error
		if zw, err = flate.NewWriter(out, flate.BestSpeed); err != nil {
			return nil, err
		}
	} else {
		zw.Reset(out)
	}
	defer compressors.Put(zw)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// The compressor and decompressor hold tables of tens to hundreds of
// kilobytes: made once, not per blob (gzip.NewWriter per write was).
var (
	compressors   sync.Pool // *flate.Writer
	decompressors sync.Pool // io.ReadCloser, a flate.Resetter
	inflated      sync.Pool // *bytes.Buffer
)

// Reader reads one blob's body. Its first error sticks: the readers then
// return zero values, and End reports it.
type Reader struct {
	s       string // the body; strings read are substrings of it (one allocation a blob)
	off     int
	version byte
	err     error
	syms    []string // Sym's table
}

// Open checks the envelope of data, written as kind k, and returns a
// Reader of its body. The caller checks Version.
func Open(data []byte, k Kind) (*Reader, error) {
	if len(data) == 0 || data[0] != magic {
		return nil, ErrStale
	}
	if len(data) < headerLen {
		return nil, ErrCorrupt
	}
	if Kind(data[1]) != k {
		return nil, fmt.Errorf("%w: a blob of kind %q read as %q", ErrCorrupt, data[1], byte(k))
	}
	if data[3] != none && data[3] != deflate {
		return nil, fmt.Errorf("%w: compression %d", ErrCorrupt, data[3])
	}
	return OpenBody(data[headerLen:], data[2], data[3] == deflate)
}

// Records reads the usual body of a blob of kind k in layout version: a
// count (Writer.Len), then the records, each read with get and handed to
// fn once it read whole. Empty data holds no records; a blob of another
// layout is ErrStale.
func Records[T any](data []byte, k Kind, version byte, get func(*Reader) T, fn func(T)) error {
	if len(data) == 0 {
		return nil
	}
	r, err := Open(data, k)
	if err != nil {
		return err
	}
	if r.version != version {
		return fmt.Errorf("%w: kind %q layout %d", ErrStale, byte(k), r.version)
	}
	for n := r.Len(); n > 0; n-- {
		v := get(r)
		if r.err != nil {
			return r.err
		}
		fn(v)
	}
	return r.End()
}

// OpenBody reads a body without this envelope (the report counters' own
// field), as layout version, compressed with DEFLATE or not.
func OpenBody(body []byte, version byte, compressed bool) (*Reader, error) {
	if !compressed {
		return &Reader{s: string(body), version: version}, nil
	}
	s, err := inflate(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &Reader{s: s, version: version}, nil
}

func inflate(p []byte) (string, error) {
	src := bytes.NewReader(p)
	zr, _ := decompressors.Get().(io.ReadCloser)
	if zr == nil {
		zr = flate.NewReader(src)
	} else if err := zr.(flate.Resetter).Reset(src, nil); err != nil {
		return "", err
	}
	defer decompressors.Put(zr)
	buf, _ := inflated.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer inflated.Put(buf)
	buf.Reset()
	buf.Grow(len(p) * 4)
	if _, err := buf.ReadFrom(zr); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// Version is the layout version the blob was written in.
func (r *Reader) Version() byte { return r.version }

// Err returns the first error.
func (r *Reader) Err() error { return r.err }

// End returns the first error, or ErrCorrupt when bytes are left over.
func (r *Reader) End() error {
	if r.err == nil && r.off != len(r.s) {
		r.err = fmt.Errorf("%w: %d bytes left over", ErrCorrupt, len(r.s)-r.off)
	}
	return r.err
}

func (r *Reader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d", ErrCorrupt, r.off)
	}
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	var x uint64
	for i, shift := 0, uint(0); i < binary.MaxVarintLen64 && r.off < len(r.s); i, shift = i+1, shift+7 {
		c := r.s[r.off]
		r.off++
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflow
			}
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
	}
	r.fail()
	return 0
}

// Varint reads a zig-zag varint.
func (r *Reader) Varint() int64 {
	ux := r.Uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

// Int reads a varint as an int.
func (r *Reader) Int() int { return int(r.Varint()) }

// Len reads a count of records, each at least a byte long, so a corrupt
// count never allocates more than the blob could hold.
func (r *Reader) Len() int {
	n := r.Uvarint()
	if n > uint64(len(r.s)-r.off) {
		r.fail()
		return 0
	}
	return int(n)
}

// String reads a string (no copy: a substring of the body).
func (r *Reader) String() string {
	n := r.Uvarint()
	if r.err != nil || n > uint64(len(r.s)-r.off) {
		r.fail()
		return ""
	}
	s := r.s[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

// Sym reads what Sym wrote.
func (r *Reader) Sym() string {
	n := r.Uvarint()
	switch {
	case r.err != nil:
		return ""
	case n == 0:
		s := r.String()
		r.syms = append(r.syms, s)
		return s
	case n > uint64(len(r.syms)):
		r.fail()
		return ""
	}
	return r.syms[n-1]
}

// Bool reads one byte, 0 or 1.
func (r *Reader) Bool() bool {
	if r.err != nil || r.off >= len(r.s) || r.s[r.off] > 1 {
		r.fail()
		return false
	}
	r.off++
	return r.s[r.off-1] == 1
}

// Time reads an instant, in UTC.
func (r *Reader) Time() time.Time {
	sec := r.Varint()
	ns := r.Uvarint()
	if r.err != nil || ns >= 1e9 {
		r.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

// OptTime reads what OptTime wrote.
func (r *Reader) OptTime() *time.Time {
	if !r.Bool() {
		return nil
	}
	t := r.Time()
	if r.err != nil {
		return nil
	}
	return &t
}

// ReadSlice reads what WriteSlice wrote, each element with get.
func ReadSlice[T any](r *Reader, get func(*Reader) T) []T {
	n := r.Uvarint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n-1 > uint64(len(r.s)-r.off) {
		r.fail()
		return nil
	}
	s := make([]T, n-1)
	for i := range s {
		s[i] = get(r)
	}
	if r.err != nil {
		return nil
	}
	return s
}
