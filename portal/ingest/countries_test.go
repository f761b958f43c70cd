package ingest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Portfolios as ERPs in Mexico, Peru and the US export them are read
// without a mapping (issue 15).
func TestHeadersOfEveryCountry(t *testing.T) {
	tests := []struct {
		name, locale, data string
		want               Record
	}{
		{"MX CFDI export", "es-MX",
			"RFC,Razón social,Folio,Fecha de vencimiento,Importe\nGODE561231GR8,Comercial del Norte SA,A-1001,15/01/2026,\"12,500.50\"\n",
			Record{Document: "GODE561231GR8", Name: "Comercial del Norte SA", Invoice: "A-1001", Amount: 1250050, Currency: "MXN"}},
		{"MX person", "es-MX",
			"CURP;Nombre;Factura;Vencimiento;Monto adeudado\nGODE561231HDFRRN09;Ernesto Gómez;F-7;03/02/2026;4500\n",
			Record{Document: "GODE561231HDFRRN09", Name: "Ernesto Gómez", Invoice: "F-7", Amount: 450000, Currency: "MXN"}},
		{"PE company", "es-PE",
			"RUC;Razón Social;Comprobante;Fecha de vencimiento;Importe\n20100070970;Distribuidora Andina SAC;F001-000123;31/12/2025;\"1,250.00\"\n",
			Record{Document: "20100070970", Name: "Distribuidora Andina SAC", Invoice: "F001-000123", Amount: 125000, Currency: "PEN"}},
		{"PE person", "es-PE",
			"DNI;Nombre;Comprobante;Vencimiento;Monto adeudado\n45678912;Rosa Quispe;B001-99;10/01/2026;350.00\n",
			Record{Document: "45678912", Name: "Rosa Quispe", Invoice: "B001-99", Amount: 35000, Currency: "PEN"}},
		{"US", "en-US",
			"Account,Customer Name,Invoice No,Due Date,Amount Due\nAC-778,Smith Hardware LLC,INV-55,01/11/2026,\"$1,200.00\"\n",
			Record{Document: "AC778", Name: "Smith Hardware LLC", Invoice: "INV-55", Amount: 120000, Currency: "USD"}},
	}
	dues := map[string]time.Time{
		"MX CFDI export": time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
		"MX person":      time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC),
		"PE company":     time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
		"PE person":      time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC),
		"US":             time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC), // January 11: month first
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := readCSV(t, tt.data, Options{Locale: tt.locale})
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			got := recs[0]
			w := tt.want
			if got.Name != w.Name || got.Invoice != w.Invoice || got.Amount != w.Amount || got.Currency != w.Currency {
				t.Errorf("got %+v", got)
			}
			if !strings.EqualFold(strings.ReplaceAll(got.Document, "-", ""), w.Document) {
				t.Errorf("document %q, want %q", got.Document, w.Document)
			}
			if !got.DueDate.Equal(dues[tt.name]) {
				t.Errorf("due %v, want %v", got.DueDate, dues[tt.name])
			}
		})
	}
}

func TestDateOrder(t *testing.T) {
	tests := []struct {
		in    string
		order DateOrder
		want  time.Time
		err   error
	}{
		{"01/11/2026", DayFirst, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), nil},
		{"01/11/2026", MonthFirst, time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC), nil},
		{"12/31/2025", MonthFirst, time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), nil},
		{"12/31/2025", DayFirst, time.Time{}, ErrDateImpossible},
		{"2026-01-11", MonthFirst, time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC), nil}, // ISO is ISO
		{"1/2/2026 0:00", MonthFirst, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), nil},
	}
	for _, tt := range tests {
		got, err := ParseDateOrder(tt.in, false, tt.order)
		if !errors.Is(err, tt.err) || !got.Equal(tt.want) {
			t.Errorf("ParseDateOrder(%q, %s) = %v, %v; want %v, %v", tt.in, tt.order, got, err, tt.want, tt.err)
		}
	}
	if OrderOf("en-US") != MonthFirst || OrderOf("es-MX") != DayFirst || OrderOf("es-CO") != DayFirst {
		t.Error("OrderOf")
	}
}

// The reader counts what the dates say, so a preview can warn that a file
// could be read either way, or that it contradicts the company's order.
func TestDateStats(t *testing.T) {
	data := coHeader +
		"1;Ana;A1;01/11/2026;100\n" + // ambiguous
		"1;Ana;A2;05/05/2026;100\n" + // day equals month: says nothing
		"1;Ana;A3;2026-03-01;100\n" + // ISO: says nothing
		"1;Ana;A4;13/01/2026;100\n" + // only day first
		"1;Ana;A5;02/03/2026;100\n" // ambiguous
	r := openCSV(t, data, co)
	readAll(t, r)
	if got := r.Dates(); got != (DateStats{Ambiguous: 2, DayFirstOnly: 1}) {
		t.Errorf("stats %+v", got)
	}
	// A US company's file written day first: the 13th cannot be a month.
	r = openCSV(t, coHeader+"1;Ana;A1;13/01/2026;100\n", Options{Locale: "en-US"})
	res := readAll(t, r)
	if len(res[0].errs) != 1 || res[0].errs[0].Code != CodeImpossibleDate {
		t.Errorf("errors %+v", res[0].errs)
	}
	if got := r.Dates(); got.DayFirstOnly != 1 || r.DateOrder() != MonthFirst {
		t.Errorf("stats %+v order %s", got, r.DateOrder())
	}
	// An explicit order wins over the locale.
	recs := readCSV(t, coHeader+"1;Ana;A1;13/01/2026;100\n", Options{Locale: "en-US", DateOrder: DayFirst})
	if !recs[0].DueDate.Equal(time.Date(2026, 1, 13, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("due %v", recs[0].DueDate)
	}
	if _, err := NewReader(strings.NewReader(coHeader), KindCSV, Options{Locale: "es-CO", DateOrder: "YMD"}); !errors.Is(err, ErrHeader) {
		t.Errorf("bad order: %v", err)
	}
}

// A saved mapping skips the columns a new file lacks; a typed one refuses.
func TestSavedMappingIsLenient(t *testing.T) {
	data := "Cód;Cliente;Doc;Vence;Saldo\n1;Ana;A1;01/01/2026;100\n"
	m := map[string]string{"Cód": "document", "Doc": "invoice", "Columna vieja": "segment"}
	if _, err := NewReader(strings.NewReader(data), KindCSV, Options{Locale: "es-CO", Mapping: m}); !errors.Is(err, ErrHeader) {
		t.Fatalf("typed mapping with a missing column: %v", err)
	}
	recs := readCSV(t, data, Options{Locale: "es-CO", Mapping: m, SavedMapping: true})
	if recs[0].Document != "1" || recs[0].Invoice != "A1" {
		t.Errorf("%+v", recs[0])
	}
	r := openCSV(t, data, Options{Locale: "es-CO", Mapping: m, SavedMapping: true})
	if h := r.Headers(); strings.Join(h, "|") != "Cód|Cliente|Doc|Vence|Saldo" {
		t.Errorf("headers %q", h)
	}
}

// A header error carries the closest row's cells for the mapping editor.
func TestHeaderErrorCarriesHeaders(t *testing.T) {
	_, err := NewReader(strings.NewReader("Código;Cliente;Valor\n1;Ana;100\n"), KindCSV, co)
	var he *HeaderError
	if !errors.As(err, &he) || strings.Join(he.Headers, "|") != "Código|Cliente|Valor" {
		t.Fatalf("%v %+v", err, he)
	}
}
