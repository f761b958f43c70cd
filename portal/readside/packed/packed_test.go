package packed

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testKind Kind = 't'

// record exercises every writer and reader.
type record struct {
	U     uint64
	V     int64
	N     int
	S     string
	Y     string // a Sym
	B     bool
	T     time.Time
	P     *time.Time
	Names []string
}

func put(w *Writer, r record) {
	w.Uvarint(r.U)
	w.Varint(r.V)
	w.Int(r.N)
	w.String(r.S)
	w.Sym(r.Y)
	w.Bool(r.B)
	w.Time(r.T)
	w.OptTime(r.P)
	WriteSlice(w, r.Names, (*Writer).String)
}

func get(r *Reader) record {
	return record{U: r.Uvarint(), V: r.Varint(), N: r.Int(), S: r.String(), Y: r.Sym(), B: r.Bool(), T: r.Time(), P: r.OptTime(), Names: ReadSlice(r, (*Reader).String)}
}

func encode(t testing.TB, recs []record) []byte {
	t.Helper()
	w := NewWriter(testKind, 1, 0)
	WriteSlice(w, recs, put)
	b, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(b []byte) ([]record, error) {
	r, err := Open(b, testKind)
	if err != nil {
		return nil, err
	}
	recs := ReadSlice(r, get)
	return recs, r.End()
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func ptr(t time.Time) *time.Time { return &t }

func TestRoundTrip(t *testing.T) {
	bogota := time.FixedZone("COT", -5*3600)
	at := time.Date(2026, 3, 10, 15, 4, 5, 123456789, time.UTC)
	long := strings.Repeat("cartera ", 200) // past RawMax: compressed
	cases := []struct {
		name string
		recs []record
		want []record // nil: recs
	}{
		{name: "nil slice", recs: nil},
		{name: "empty slice", recs: []record{}},
		{name: "zero record", recs: []record{{}}},
		{name: "extremes", recs: []record{
			{U: math.MaxUint64, V: math.MinInt64, N: math.MaxInt, S: "ñandú €", B: true, T: at, P: ptr(time.Time{}), Names: []string{}},
			{V: math.MaxInt64, N: math.MinInt, T: time.Unix(-1, 999_999_999).UTC(), P: ptr(time.Unix(0, 0).UTC()), Names: []string{"", "a"}},
		}},
		{name: "symbols", recs: []record{{Y: "COP"}, {Y: "USD"}, {Y: "COP"}, {Y: ""}, {Y: ""}, {Y: "USD"}}},
		{name: "compressed", recs: []record{{S: long, Names: []string{long, long}}, {S: long}}},
		{name: "times come back in UTC, same instant",
			recs: []record{{T: at.In(bogota), P: ptr(at.In(bogota))}},
			want: []record{{T: at, P: ptr(at)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := encode(t, c.recs)
			got, err := decode(b)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want == nil {
				want = c.recs
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
			if compressed := b[3] == deflate; compressed != (len(b) > 100 && c.name == "compressed") {
				t.Fatalf("compressed %v for %d bytes", compressed, len(b))
			}
		})
	}
}

// Data from before this codec, or of another kind, or cut short anywhere,
// is an error, never a misread (and never a panic).
func TestRejects(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("gob"))
	zw.Close()
	if _, err := decode(gz.Bytes()); !errors.Is(err, ErrStale) {
		t.Fatalf("gob+gzip: %v", err)
	}
	if _, err := decode([]byte("W\x00")); !errors.Is(err, ErrStale) {
		t.Fatalf("another header: %v", err)
	}
	good := encode(t, []record{{S: "abc", Names: []string{"x"}, P: ptr(time.Now())}})
	other := append([]byte(nil), good...)
	other[1] = 'z'
	if _, err := decode(other); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("another kind: %v", err)
	}
	for n := 1; n < len(good); n++ {
		if _, err := decode(good[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut at %d of %d: %v", n, len(good), err)
		}
	}
	w := NewWriter(testKind, 1, 0)
	w.Uvarint(2) // one record
	w.Uvarint(0)
	w.Varint(0)
	w.Int(0)
	w.String("")
	w.Uvarint(1) // a Sym before any
	if _, err := decode(must(w.Finish())); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a symbol never defined: %v", err)
	}
	if _, err := decode(append(good, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a byte left over: %v", err)
	}
	big := encode(t, []record{{S: strings.Repeat("z", 4*RawMax)}})
	if big[3] != deflate {
		t.Fatal("not compressed")
	}
	for _, n := range []int{headerLen + 1, len(big) / 2, len(big) - 1} {
		if _, err := decode(big[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("compressed, cut at %d of %d: %v", n, len(big), err)
		}
	}
}

// Arbitrary bytes behind a valid header never panic nor allocate past
// their length.
func FuzzOpen(f *testing.F) {
	f.Add(encode(f, []record{{S: "abc", Names: []string{"x", "y"}}}))
	f.Add(encode(f, []record{{S: strings.Repeat("q", 2*RawMax)}}))
	f.Add([]byte{magic, byte(testKind), 1, none, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decode(b)
	})
}

// BenchmarkCompression packs and unpacks bodies of 100 bytes to 2.5 KB
// stored raw and compressed (what RawMax weighs).
func BenchmarkCompression(b *testing.B) {
	for _, n := range []int{2, 5, 10, 20, 50} {
		recs := make([]record, n)
		for i := range recs {
			recs[i] = record{U: uint64(i), V: int64(i * 1000), S: fmt.Sprintf("acme:FE-%06d Factura", i), Y: "COP", Names: []string{"acme:900123"}}
		}
		w := NewWriter(testKind, 1, 0)
		WriteSlice(w, recs, put)
		body := w.b
		for _, compressed := range []bool{false, true} {
			b.Run(fmt.Sprintf("body=%d/deflate=%v", len(body)-headerLen, compressed), func(b *testing.B) {
				var size int
				for b.Loop() {
					out := append([]byte(nil), body...)
					if compressed {
						out = must((&Writer{b: out}).finishDeflate())
					}
					size = len(out)
					if _, err := decode(out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(size), "bytes")
			})
		}
	}
}
