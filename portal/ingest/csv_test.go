package ingest

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

func TestCSVEncodings(t *testing.T) {
	const text = "Cédula;Razón Social;Factura;Vencimiento;Valor;Ciudad\n" +
		"1.020.304.050;José Peña Ñúñez;FE-1;31/01/2025;$ 1.234.567,89;Bogotá\n"
	win, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	utf16le, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(strings.ReplaceAll(text, ";", "\t"))
	if err != nil {
		t.Fatal(err)
	}
	utf16be, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, data string
	}{
		{"utf8", text},
		{"utf8 bom", "\xEF\xBB\xBF" + text},
		{"windows-1252", win},
		{"windows-1252 crlf", strings.ReplaceAll(win, "\n", "\r\n")},
		{"utf16le tab", utf16le},
		{"utf16be", utf16be},
		{"comma", strings.ReplaceAll(strings.ReplaceAll(text, ";", ","), "$ 1.234.567,89", `"$ 1.234.567,89"`)},
		{"tab", strings.ReplaceAll(text, ";", "\t")},
		{"mac cr", strings.ReplaceAll(text, "\n", "\r")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k, err := Detect([]byte(tt.data)); k != KindCSV || err != nil {
				t.Fatalf("Detect = %v, %v", k, err)
			}
			recs := readCSV(t, tt.data, co)
			if len(recs) != 1 {
				t.Fatalf("got %d records", len(recs))
			}
			r := recs[0]
			if r.Name != "José Peña Ñúñez" || r.City != "Bogotá" || r.Document != "1020304050" ||
				r.Amount != 123456789 || r.Invoice != "FE-1" || r.Row != 2 {
				t.Errorf("record = %+v", r)
			}
		})
	}
}

// A UTF-8 file whose first 64 KiB are plain ASCII can still hold a
// Windows-1252 name further down; the byte is read as 1252, not lost.
func TestCSVLateWindows1252Byte(t *testing.T) {
	var b strings.Builder
	b.WriteString(coHeader)
	n := 0
	for b.Len() < 70<<10 {
		n++
		b.WriteString("1;ACME;F" + strings.Repeat("x", 10) + itoa(n) + ";31/01/2025;100\n")
	}
	b.WriteString("2;Pe\xF1a y Jos\xC3\xA9;LAST;31/01/2025;100\n") // 1252 ñ, then UTF-8 é
	res := readAll(t, openCSV(t, b.String(), co))
	last := res[len(res)-1].rec
	if last.Name != "Peña y José" {
		t.Errorf("name = %q", last.Name)
	}
}

func itoa(n int) string {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(d[i:])
		}
	}
}

func TestCSVQuotesAndRowNumbers(t *testing.T) {
	data := "Reporte de cartera;;;;\n" + // title rows before the header
		"Corte: 31/01/2025;;;;\n" +
		"\n" +
		coHeader + // row 4
		"1;\"ACME \"\"LA 14\"\"\nSucursal Norte\";F1;31/01/2025;100\n" + // row 5, two lines
		"2;Beta;F2;31/01/2025;100\n" + // row 6
		"\n" + // row 7: empty line, Excel shows it
		";;;;\n" + // row 8: blank cells
		"3;Gamma \"El Bueno\" SAS;F3;31/01/2025;100\n" + // row 9, bare quotes
		"4;Delta;F4\n" + // row 10, short row
		"5;Eps;F5;31/01/2025;100;extra;cells\n" + // row 11, long row
		"\n\n\n"
	r := openCSV(t, data, co)
	if r.HeaderRow() != 4 {
		t.Errorf("HeaderRow = %d, want 4", r.HeaderRow())
	}
	res := readAll(t, r)
	wantRows := []int{5, 6, 9, 10, 11}
	if len(res) != len(wantRows) {
		t.Fatalf("got %d rows: %+v", len(res), res)
	}
	for i, w := range wantRows {
		if res[i].rec.Row != w {
			t.Errorf("record %d row = %d, want %d", i, res[i].rec.Row, w)
		}
	}
	if got := res[0].rec.Name; got != `ACME "LA 14" Sucursal Norte` {
		t.Errorf("quoted name = %q", got)
	}
	if got := res[2].rec.Name; got != `Gamma "El Bueno" SAS` {
		t.Errorf("bare-quote name = %q", got)
	}
	short := res[3]
	if len(short.errs) != 2 || short.errs[0].Code != CodeRequired || short.errs[1].Code != CodeRequired ||
		short.errs[0].Row != 10 || short.errs[0].Column != "fecha_vencimiento" || short.errs[1].Message != "falta el valor" {
		t.Errorf("short row errors = %+v", short.errs)
	}
	if len(res[4].errs) != 0 {
		t.Errorf("long row errors = %+v", res[4].errs)
	}
}

func TestCSVUnclosedQuote(t *testing.T) {
	var b strings.Builder
	b.WriteString(coHeader)
	b.WriteString("1;\"ACME;F1;31/01/2025;100\n")
	for i := range 60 {
		b.WriteString("2;Beta;F" + itoa(i) + ";31/01/2025;100\n")
	}
	res := readAll(t, openCSV(t, b.String(), co))
	if len(res) != 1 {
		t.Fatalf("got %d rows", len(res))
	}
	found := false
	for _, e := range res[0].errs {
		found = found || e.Code == CodeUnclosedQuote
	}
	if !found {
		t.Errorf("errors = %+v, want %s", res[0].errs, CodeUnclosedQuote)
	}
}

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		in   string
		want rune
	}{
		{"a;b;c\n1;2;3\n", ';'},
		{"a,b,c\n1,2,3\n", ','},
		{"a\tb\tc\n", '\t'},
		{"Cartera, enero\na;b;c;d\n", ';'},
		{`"a;b",c,d` + "\n", ','},
		{"a;b,c\n", ';'}, // tie
		{"solo\n", ','},
		{"", ','},
		{"\"a\nb\";c;d\n", ';'},
	}
	for _, tt := range tests {
		if got := sniffDelimiter([]byte(tt.in)); got != tt.want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTextDecoderSmallBuffers(t *testing.T) {
	// One byte at a time, so every multi-byte character and CRLF straddles
	// a buffer boundary.
	tests := []struct {
		dec     textDecoder
		in, out string
	}{
		{textDecoder{}, "Peña\r\nJosé\rÑ\xF1\r", "Peña\r\nJosé\nÑñ\n"},
		{textDecoder{}, "\xE9\xE9x\xC3", "ééxÃ"},
		{textDecoder{cp1252: true}, "Pe\xF1a\r\x80\r\n", "Peña\n€\r\n"},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(transform.NewReader(iotestOneByte{strings.NewReader(tt.in)}, tt.dec))
		if err != nil || string(got) != tt.out {
			t.Errorf("decode %q = %q, %v; want %q", tt.in, got, err, tt.out)
		}
	}
}

type iotestOneByte struct{ r *strings.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestCSVDates(t *testing.T) {
	data := "documento;nombre;factura;vencimiento;valor;fecha emision\n" +
		"1;A;F1;2025-01-31;100;5/1/2025\n" +
		"1;A;F2;31-01-2025 00:00;100;\n"
	recs := readCSV(t, data, co)
	want := time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)
	if !recs[0].DueDate.Equal(want) || !recs[1].DueDate.Equal(want) {
		t.Errorf("due dates %v %v", recs[0].DueDate, recs[1].DueDate)
	}
	if !recs[0].IssueDate.Equal(time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)) || !recs[1].IssueDate.IsZero() {
		t.Errorf("issue dates %v %v", recs[0].IssueDate, recs[1].IssueDate)
	}
}

func TestCSVStreams(t *testing.T) {
	// The reader must not read ahead more than its buffers: a source that
	// fails after the first MiB still yields the rows before it.
	var b bytes.Buffer
	b.WriteString(coHeader)
	for i := 0; b.Len() < 1<<20; i++ {
		b.WriteString("1;ACME;F" + itoa(i) + ";31/01/2025;100\n")
	}
	r, err := NewReader(&failAfter{data: b.Bytes()}, KindCSV, co)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, _, err := r.Next()
		if err != nil {
			if !strings.Contains(err.Error(), "disk on fire") {
				t.Fatalf("err = %v", err)
			}
			break
		}
		n++
	}
	if n < 20000 {
		t.Errorf("only %d rows before the failure", n)
	}
}

type failAfter struct {
	data []byte
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errString("disk on fire")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

type errString string

func (e errString) Error() string { return string(e) }
