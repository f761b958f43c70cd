package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// buildXLSX writes a workbook with fill applied to its first sheet, "Cartera".
func buildXLSX(t testing.TB, fill func(f *excelize.File, sheet string)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Cartera"); err != nil {
		t.Fatal(err)
	}
	fill(f, "Cartera")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func setRow(t testing.TB, f *excelize.File, sheet, cell string, values ...any) {
	t.Helper()
	must(t, f.SetSheetRow(sheet, cell, &values))
}

func TestXLSX(t *testing.T) {
	data := buildXLSX(t, func(f *excelize.File, s string) {
		setRow(t, f, s, "A1", "Documento", "Razón Social", "Factura", "Fecha de Vencimiento", "Valor", "Fecha Emisión", "Moneda", "Celular")
		// Row 2: numbers as numbers, a date cell with a date style.
		setRow(t, f, s, "A2", 900123456, "José Peña", "FE-1", time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC), 1234567.5, "15/01/2025", "usd", 3001234567)
		style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		must(t, err)
		must(t, f.SetCellStyle(s, "D2", "D2", style))
		// Row 3: a bare serial, float noise, a numeric invoice.
		setRow(t, f, s, "A3", "1.020.304.050", "Ana", 12345, 45688, 0.1+0.2)
		// Row 4 left empty; row 5: text date and text amount.
		setRow(t, f, s, "A5", "800.765.432-1", "Beta", "FE-2", "2025-02-28", "$ 1.234,56")
		// Row 6: errors.
		setRow(t, f, s, "A6", "1", "Gamma", "FE-3", "31/02/2025", "1234.567")
		setRow(t, f, s, "A7", "1", "Delta", "FE-4", 60, 0)
		_, err = f.NewSheet("Otra")
		must(t, err)
		setRow(t, f, "Otra", "A1", "nada", "que", "ver")
	})
	if k, err := Detect(data[:SniffLen]); k != KindXLSX || err != nil {
		t.Fatalf("Detect = %v, %v", k, err)
	}
	r, err := NewReader(bytes.NewReader(data), KindXLSX, co)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res := readAll(t, r)
	if len(res) != 5 {
		t.Fatalf("got %d rows: %+v", len(res), res)
	}
	jan31 := time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)

	r2 := res[0]
	if len(r2.errs) != 0 {
		t.Fatalf("row 2 errors %+v", r2.errs)
	}
	want := Record{Row: 2, Document: "900123456", Name: "José Peña", Invoice: "FE-1", DueDate: jan31,
		IssueDate: time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), Amount: 123456750, Currency: "USD", Phone: "3001234567"}
	if r2.rec != want {
		t.Errorf("row 2\n got %+v\nwant %+v", r2.rec, want)
	}

	r3 := res[1]
	if len(r3.errs) != 0 || r3.rec.Row != 3 || !r3.rec.DueDate.Equal(jan31) || r3.rec.Amount != 30 ||
		r3.rec.Invoice != "12345" || r3.rec.Document != "1020304050" || r3.rec.Currency != "COP" {
		t.Errorf("row 3 = %+v %+v", r3.rec, r3.errs)
	}
	r5 := res[2]
	if len(r5.errs) != 0 || r5.rec.Row != 5 || r5.rec.Amount != 123456 || r5.rec.Document != "800765432" ||
		r5.rec.DueDate.Format("2006-01-02") != "2025-02-28" {
		t.Errorf("row 5 = %+v %+v", r5.rec, r5.errs)
	}
	codes := func(res result) string {
		var c []string
		for _, e := range res.errs {
			c = append(c, e.Column+":"+e.Code)
		}
		return strings.Join(c, ",")
	}
	if got := codes(res[3]); res[3].rec.Row != 6 || got != "Fecha de Vencimiento:impossible_date,Valor:too_many_decimals" {
		t.Errorf("row 6 errors = %s", got)
	}
	if got := codes(res[4]); res[4].rec.Row != 7 || got != "Fecha de Vencimiento:impossible_date,Valor:not_positive" {
		t.Errorf("row 7 errors = %s", got)
	}
	wantMap := []Column{{0, "Documento", FieldDocument}, {1, "Razón Social", FieldName}, {2, "Factura", FieldInvoice},
		{3, "Fecha de Vencimiento", FieldDueDate}, {4, "Valor", FieldAmount}, {5, "Fecha Emisión", FieldIssueDate},
		{6, "Moneda", FieldCurrency}, {7, "Celular", FieldPhone}}
	if got := r.Mapping(); len(got) != len(wantMap) {
		t.Errorf("mapping = %+v", got)
	} else {
		for i := range got {
			if got[i] != wantMap[i] {
				t.Errorf("mapping[%d] = %+v, want %+v", i, got[i], wantMap[i])
			}
		}
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestXLSXTitleRowsAnd1904(t *testing.T) {
	data := buildXLSX(t, func(f *excelize.File, s string) {
		yes := true
		must(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}))
		setRow(t, f, s, "A1", "CARTERA POR EDADES")
		setRow(t, f, s, "A3", "nit", "cliente", "referencia", "vencimiento", "saldo")
		setRow(t, f, s, "A4", "1", "Ana", "F1", 44226, 100)
	})
	r, err := NewReader(bytes.NewReader(data), KindXLSX, co)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.HeaderRow() != 3 {
		t.Errorf("HeaderRow = %d", r.HeaderRow())
	}
	res := readAll(t, r)
	if len(res) != 1 || res[0].rec.Row != 4 || res[0].rec.DueDate.Format("2006-01-02") != "2025-01-31" || res[0].rec.Amount != 10000 {
		t.Errorf("rows = %+v", res)
	}
}

func TestXLSXSources(t *testing.T) {
	data := buildXLSX(t, func(f *excelize.File, s string) {
		setRow(t, f, s, "A1", "documento", "nombre", "factura", "vencimiento", "valor")
		setRow(t, f, s, "A2", "1", "Ana", "F1", "31/01/2025", 100)
	})
	path := filepath.Join(t.TempDir(), "cartera.bin") // the name says nothing
	must(t, os.WriteFile(path, data, 0o600))
	file, err := os.Open(path)
	must(t, err)
	defer file.Close()

	head := make([]byte, SniffLen)
	n, _ := io.ReadFull(file, head)
	kind, err := Detect(head[:n])
	must(t, err)
	for name, src := range map[string]io.Reader{
		"os.File":       file,
		"bytes.Reader":  bytes.NewReader(data),
		"SectionReader": io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data))),
		"seeker":        seekerAt{bytes.NewReader(data)},
	} {
		r, err := NewReader(src, kind, co)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if res := readAll(t, r); len(res) != 1 || len(res[0].errs) != 0 {
			t.Errorf("%s: %+v", name, res)
		}
		must(t, r.Close())
	}
	if _, err := NewReader(io.MultiReader(bytes.NewReader(data)), KindXLSX, co); err == nil {
		t.Error("XLSX without ReaderAt accepted")
	}
}

// seekerAt hides Size so that the size comes from Seek.
type seekerAt struct{ r *bytes.Reader }

func (s seekerAt) Read(p []byte) (int, error)              { return s.r.Read(p) }
func (s seekerAt) ReadAt(p []byte, off int64) (int, error) { return s.r.ReadAt(p, off) }
func (s seekerAt) Seek(off int64, whence int) (int64, error) {
	return s.r.Seek(off, whence)
}

// addEntry copies an XLSX and appends one raw zip entry.
func addEntry(t *testing.T, xlsx []byte, hdr *zip.FileHeader, raw []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	must(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		must(t, zw.Copy(f))
	}
	w, err := zw.CreateRaw(hdr)
	must(t, err)
	_, err = w.Write(raw)
	must(t, err)
	must(t, zw.Close())
	return buf.Bytes()
}

func deflate(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	must(t, err)
	_, err = w.Write(data)
	must(t, err)
	must(t, w.Close())
	return buf.Bytes()
}

func TestXLSXZipBomb(t *testing.T) {
	base := buildXLSX(t, func(f *excelize.File, s string) {
		setRow(t, f, s, "A1", "documento", "nombre", "factura", "vencimiento", "valor")
		setRow(t, f, s, "A2", "1", "Ana", "F1", "31/01/2025", 100)
	})
	zeros := make([]byte, 8<<20)
	packed := deflate(t, zeros)

	tests := []struct {
		name  string
		data  []byte
		limit int64
		want  error
	}{
		{
			// The central directory claims 300 MB: refused before inflating.
			name: "declared over default limit",
			data: addEntry(t, base, &zip.FileHeader{Name: "xl/media/bomb.bin", Method: zip.Deflate,
				CompressedSize64: uint64(len(packed)), UncompressedSize64: 300 << 20}, packed),
			want: ErrTooLarge,
		},
		{
			name: "real bomb over a small limit",
			data: addEntry(t, base, &zip.FileHeader{Name: "xl/media/zeros.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
				CompressedSize64: uint64(len(packed)), UncompressedSize64: uint64(len(zeros))}, packed),
			limit: 4 << 20,
			want:  ErrTooLarge,
		},
		{
			// Declares 1 KB but inflates to 8 MB: archive/zip stops at the
			// declared size, so nothing big is ever held.
			name: "lying sizes",
			data: addEntry(t, base, &zip.FileHeader{Name: "xl/media/lie.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
				CompressedSize64: uint64(len(packed)), UncompressedSize64: 1 << 10}, packed),
			want: ErrCorrupt,
		},
		{
			name: "bad checksum",
			data: addEntry(t, base, &zip.FileHeader{Name: "xl/media/zeros.bin", Method: zip.Deflate, CRC32: 1,
				CompressedSize64: uint64(len(packed)), UncompressedSize64: uint64(len(zeros))}, packed),
			want: ErrCorrupt,
		},
		{
			name: "zip without a workbook",
			data: func() []byte {
				var buf bytes.Buffer
				zw := zip.NewWriter(&buf)
				w, _ := zw.Create("word/document.xml")
				_, _ = w.Write([]byte("<w:document/>"))
				must(t, zw.Close())
				return buf.Bytes()
			}(),
			want: ErrUnsupported,
		},
		{
			name: "not a zip",
			data: []byte("PK\x03\x04 definitely not a zip archive"),
			want: ErrCorrupt,
		},
		{
			name: "truncated",
			data: base[:len(base)/2],
			want: ErrCorrupt,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewXLSXReader(bytes.NewReader(tt.data), int64(len(tt.data)), Options{Locale: "es-CO", MaxUncompressed: tt.limit})
			if !errors.Is(err, tt.want) {
				if r != nil {
					r.Close()
				}
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// The same real bomb fits under the default limit and the file reads.
	ok := addEntry(t, base, &zip.FileHeader{Name: "xl/media/zeros.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
		CompressedSize64: uint64(len(packed)), UncompressedSize64: uint64(len(zeros))}, packed)
	r, err := NewXLSXReader(bytes.NewReader(ok), int64(len(ok)), co)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if res := readAll(t, r); len(res) != 1 {
		t.Errorf("rows = %+v", res)
	}
}

func TestXLSXMissingColumns(t *testing.T) {
	data := buildXLSX(t, func(f *excelize.File, s string) {
		setRow(t, f, s, "A1", "Documento", "Nombre", "Vencimiento")
	})
	_, err := NewReader(bytes.NewReader(data), KindXLSX, co)
	if err == nil || err.Error() != "faltan columnas obligatorias: factura, valor" {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkReadXLSX10k reads a 10,000-row workbook written by excelize's
// stream writer.
func BenchmarkReadXLSX10k(b *testing.B) {
	const rows = 10_000
	data := buildXLSX(b, func(f *excelize.File, s string) {
		sw, err := f.NewStreamWriter(s)
		must(b, err)
		must(b, sw.SetRow("A1", []any{"Documento", "Razón Social", "Factura", "Vencimiento", "Valor", "Ciudad"}))
		for i := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			must(b, sw.SetRow(cell, []any{900123456, "COMERCIALIZADORA EL PROGRESO SAS", "FE-" + itoa(i), 45688, 1234567.89, "Medellín"}))
		}
		must(b, sw.Flush())
	})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewXLSXReader(bytes.NewReader(data), int64(len(data)), co)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, errs, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || len(errs) > 0 {
				b.Fatal(err, errs)
			}
			n++
		}
		if n != rows {
			b.Fatalf("read %d rows", n)
		}
		must(b, r.Close())
	}
}
