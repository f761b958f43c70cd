package ingest

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

const fullHeader = "documento;tipo documento;nombre;factura;vencimiento;valor;moneda;correo;telefono;whatsapp;direccion;ciudad;segmento;descripcion\n"

func TestRecordFields(t *testing.T) {
	data := fullHeader +
		" 900.123.456-7 ;c.c.; \x07ACME\u200b   S.A.S.\u00a0; FE-001 ;31/01/2025;$ 1.234.567,89;usd;Juan@Example.COM;(601) 234-5678;+57 300 123 4567;Calle 1 # 2-3;Bogotá D.C.;Corporativo;Línea 1\nLínea 2\n"
	recs := readCSV(t, strings.ReplaceAll(data, "Línea 1\nLínea 2", `"Línea 1`+"\n"+`Línea 2"`), co)
	r := recs[0]
	want := Record{
		Row: 2, Document: "900123456", DocumentType: "CC", Name: "ACME S.A.S.", Invoice: "FE-001",
		DueDate: r.DueDate, Amount: 123456789, Currency: "USD", Email: "juan@example.com",
		Phone: "6012345678", WhatsApp: "+573001234567", Address: "Calle 1 # 2-3", City: "Bogotá D.C.",
		Segment: "Corporativo", Description: "Línea 1 Línea 2",
	}
	if r != want {
		t.Errorf("record\n got %+v\nwant %+v", r, want)
	}
	if r.DueDate.Format("2006-01-02") != "2025-01-31" {
		t.Errorf("due date %v", r.DueDate)
	}
}

func TestRowErrors(t *testing.T) {
	tests := []struct {
		name   string
		row    string // documento;nombre;factura;vencimiento;valor;moneda;correo;telefono
		code   string
		column string
		msg    string // expected Message, when given
	}{
		{"no document", ";Ana;F;31/01/2025;100", CodeRequired, "documento", "falta el número de documento"},
		{"dash document", "-;Ana;F;31/01/2025;100", CodeRequired, "documento", "falta el número de documento"},
		{"scientific document", "1,02E+09;Ana;F;31/01/2025;100", CodeScientific, "documento", ""},
		{"symbol in document", "12#34;Ana;F;31/01/2025;100", CodeInvalid, "documento", `documento no válido: "12#34" (solo letras y números)`},
		{"long document", strings.Repeat("1", 33) + ";Ana;F;31/01/2025;100", CodeTooLong, "documento", ""},
		{"no name", "1;  ;F;31/01/2025;100", CodeRequired, "nombre", "falta el nombre"},
		{"long name", "1;" + strings.Repeat("ñ", 201) + ";F;31/01/2025;100", CodeTooLong, "nombre", "El nombre supera 200 caracteres"},
		{"no invoice", "1;Ana;;31/01/2025;100", CodeRequired, "factura", "falta el número de factura"},
		{"long invoice", "1;Ana;" + strings.Repeat("F", 65) + ";31/01/2025;100", CodeTooLong, "factura", ""},
		{"scientific invoice", "1;Ana;1.5E+12;31/01/2025;100", CodeScientific, "factura", ""},
		{"no due date", "1;Ana;F;;100", CodeRequired, "vencimiento", "falta la fecha de vencimiento"},
		{"impossible date", "1;Ana;F;31/02/2025;100", CodeImpossibleDate, "vencimiento", "fecha imposible: 31/02/2025"},
		{"month 13", "1;Ana;F;2025-13-01;100", CodeImpossibleDate, "vencimiento", "fecha imposible: 2025-13-01"},
		{"bad date", "1;Ana;F;mañana;100", CodeInvalidDate, "vencimiento", `fecha no válida: "mañana" (use DD/MM/AAAA o AAAA-MM-DD)`},
		{"serial in csv", "1;Ana;F;45688;100", CodeInvalidDate, "vencimiento", ""},
		{"old date", "1;Ana;F;01/01/1800;100", CodeDateOutOfRange, "vencimiento", "fecha fuera de rango (años 1900 a 2200): 01/01/1800"},
		{"no amount", "1;Ana;F;31/01/2025;", CodeRequired, "valor", "falta el valor"},
		{"zero", "1;Ana;F;31/01/2025;0", CodeNotPositive, "valor", "el valor debe ser mayor que cero: 0"},
		{"negative", "1;Ana;F;31/01/2025;-5", CodeNotPositive, "valor", ""},
		{"parentheses", "1;Ana;F;31/01/2025;(1.234,56)", CodeNotPositive, "valor", ""},
		{"three decimals", "1;Ana;F;31/01/2025;1,234", CodeTooManyDecimals, "valor", "el valor tiene más de 2 decimales: 1,234"},
		{"bad grouping", "1;Ana;F;31/01/2025;1.23.4", CodeInvalidAmount, "valor", `valor no válido: "1.23.4" (ejemplo: $ 1.234.567,89)`},
		{"letters", "1;Ana;F;31/01/2025;cien", CodeInvalidAmount, "valor", ""},
		{"overflow", "1;Ana;F;31/01/2025;99999999999999999999", CodeAmountTooLarge, "valor", ""},
		{"unknown currency", "1;Ana;F;31/01/2025;100;EUR", CodeUnknownCurrency, "moneda", `moneda desconocida: "EUR" (use COP, MXN, PEN, USD)`},
		{"currency mismatch", "1;Ana;F;31/01/2025;US$ 100;COP", CodeCurrencyMismatch, "valor", "el valor está en USD pero la moneda de la fila es COP"},
		{"bad email", "1;Ana;F;31/01/2025;100;;ana@correo", CodeInvalidEmail, "correo", `correo no válido: "ana@correo"`},
		{"two emails", "1;Ana;F;31/01/2025;100;;a@x.co; b@y.co", CodeMultipleEmails, "correo", ""},
		{"short phone", "1;Ana;F;31/01/2025;100;;;123", CodeInvalidPhone, "telefono", `El teléfono no es válido: "123" (entre 7 y 15 dígitos, un solo número por celda)`},
		{"two phones", "1;Ana;F;31/01/2025;100;;;3001234567 / 3109876543", CodeInvalidPhone, "telefono", ""},
		{"phone ext", "1;Ana;F;31/01/2025;100;;;6012345678 ext 12", CodeInvalidPhone, "telefono", ""},
	}
	header := "documento;nombre;factura;vencimiento;valor;moneda;correo;telefono\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := tt.row
			if tt.name == "two emails" { // the ';' would split the cell
				row = strings.Replace(row, "a@x.co; b@y.co", `"a@x.co; b@y.co"`, 1)
			}
			res := readAll(t, openCSV(t, header+row+"\n", co))
			if len(res) != 1 {
				t.Fatalf("got %d rows", len(res))
			}
			errs := res[0].errs
			if len(errs) != 1 {
				t.Fatalf("errors = %+v, want one %s", errs, tt.code)
			}
			e := errs[0]
			if e.Code != tt.code || e.Column != tt.column || e.Row != 2 || (tt.msg != "" && e.Message != tt.msg) {
				t.Errorf("error = %+v\nwant code %s column %s message %q", e, tt.code, tt.column, tt.msg)
			}
		})
	}
}

func TestRowAllErrors(t *testing.T) {
	res := readAll(t, openCSV(t, coHeader+";;F1;31/02/2025;-1\n", co))
	var codes []string
	for _, e := range res[0].errs {
		codes = append(codes, e.Code)
	}
	if got := strings.Join(codes, ","); got != "required,required,impossible_date,not_positive" {
		t.Errorf("codes = %s", got)
	}
}

func TestDuplicateInvoice(t *testing.T) {
	data := coHeader +
		"1;Ana;F1;31/01/2025;100\n" + // row 2
		"1;Ana;F2;31/02/2025;100\n" + // row 3: rejected, so F2 is not taken
		"1;Ana;F2;31/01/2025;100\n" + // row 4
		"1;Ana;F1;31/01/2025;100\n" + // row 5: duplicate of row 2
		"1;Ana;f1;31/01/2025;100\n" // row 6: case differs, a different invoice
	res := readAll(t, openCSV(t, data, co))
	if len(res[2].errs) != 0 {
		t.Errorf("row 4 errors %+v", res[2].errs)
	}
	if e := res[3].errs; len(e) != 1 || e[0].Code != CodeDuplicateInvoice || e[0].Message != "la factura F1 ya aparece en la fila 2" {
		t.Errorf("row 5 errors %+v", e)
	}
	if len(res[4].errs) != 0 {
		t.Errorf("row 6 errors %+v", res[4].errs)
	}
}

func TestAmountsPerLocale(t *testing.T) {
	tests := []struct {
		locale, cell string
		want         int64
		cur          string
	}{
		{"es-CO", "$ 1.234.567,89", 123456789, "COP"},
		{"es-CO", "1.234", 123400, "COP"},
		{"es-CO", "1234.56", 123456, "COP"},
		{"es-CO", "US$ 10", 1000, "USD"},
		{"es-MX", "$1,234,567.89", 123456789, "MXN"},
		{"es-MX", "1,234", 123400, "MXN"},
		{"es-PE", "S/ 1,234.56", 123456, "PEN"},
		{"es-PE", "S/. 1,234.56", 123456, "PEN"},
		{"en-US", "$1,234,567.89", 123456789, "USD"},
		{"en-US", "1234,5", 123450, "USD"},
	}
	for _, tt := range tests {
		data := "documento,nombre,factura,vencimiento,valor\n1,Ana,F1,2025-01-31,\"" + tt.cell + "\"\n"
		recs := readCSV(t, data, Options{Locale: tt.locale})
		if recs[0].Amount != tt.want || recs[0].Currency != tt.cur {
			t.Errorf("%s %q = %d %s, want %d %s", tt.locale, tt.cell, recs[0].Amount, recs[0].Currency, tt.want, tt.cur)
		}
	}
	recs := readCSV(t, coHeader+"1;Ana;F1;31/01/2025;100\n", Options{Locale: "es-CO", DefaultCurrency: "USD"})
	if recs[0].Currency != "USD" {
		t.Errorf("default currency = %s", recs[0].Currency)
	}
}

func TestParseAmountXLSX(t *testing.T) {
	tests := []struct {
		locale, raw string
		want        int64
		err         bool
	}{
		{"es-CO", "1234567.5", 123456750, false},
		{"es-CO", "1234.5600000000001", 123456, false},
		{"es-CO", "0.30000000000000004", 30, false},
		{"es-CO", "1.5E+3", 150000, false},
		{"es-CO", "1234.567", 0, true},
		{"es-CO", "1e-05", 0, true},
		{"es-CO", "-5", 0, true},
		{"es-CO", "1E+300", 0, true},
		{"es-CO", "123.456", 12345600, false}, // read as es-CO text: see parseAmount
		{"en-US", "123.456", 0, true},
		{"en-US", "99.99000000000001", 9999, false},
	}
	for _, tt := range tests {
		got, _, err := parseAmount(tt.raw, tt.locale, true)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseAmount(%q, %s) = %d, %v", tt.raw, tt.locale, got, err)
		}
	}
	if _, _, err := parseAmount("1234.5600000000001", "es-CO", false); err == nil {
		t.Error("float noise accepted from CSV")
	}
}

// BenchmarkReadCSV100k reads a 100,000-row CSV; allocs/row is the figure
// to watch, since a streaming reader must not grow with the file.
func BenchmarkReadCSV100k(b *testing.B) {
	const rows = 100_000
	var buf bytes.Buffer
	buf.WriteString("Documento;Razón Social;Factura;Fecha Vencimiento;Valor;Correo;Teléfono;Ciudad\n")
	for i := range rows {
		buf.WriteString("900123456;COMERCIALIZADORA EL PROGRESO SAS;FE-")
		buf.WriteString(itoa(i))
		buf.WriteString(";31/01/2025;$ 1.234.567,89;cartera@progreso.com.co;3001234567;Medellín\n")
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), KindCSV, co)
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
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*rows), "allocs/row")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N*rows), "B/row")
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(coHeader + "1;Ana;F1;31/01/2025;100\n"))
	f.Add([]byte("\xEF\xBB\xBF" + fullHeader + "\"a\nb\";\"x\"\"y\";F;2025-02-30;1.2.3;EUR;a@@b;+;x;y;z;w;v\n"))
	f.Add([]byte("titulo\n" + coHeader + "\"sin cerrar;F;1;2\n"))
	f.Add([]byte("documento,nombre,factura,vencimiento,valor\r1,Pe\xF1a,F,5/1/2025,\"1,234.56\"\r"))
	f.Add([]byte("\xFF\xFEd\x00o\x00c\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), KindCSV, Options{Locale: "es-CO", Mapping: map[string]string{"x": "ignorar"}})
		if err != nil {
			return
		}
		defer r.Close()
		for range 10_000 {
			rec, errs, err := r.Next()
			if err != nil {
				return
			}
			if rec.Row < 2 {
				t.Fatalf("row number %d", rec.Row)
			}
			if len(errs) == 0 && (rec.Document == "" || rec.Name == "" || rec.Invoice == "" || rec.Amount <= 0 || rec.DueDate.IsZero()) {
				t.Fatalf("record without errors misses a required field: %+v", rec)
			}
			for _, e := range errs {
				if e.Message == "" || e.Code == "" || e.Row != rec.Row {
					t.Fatalf("bad field error %+v", e)
				}
			}
		}
	})
}
