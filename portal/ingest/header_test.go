package ingest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeHeader(t *testing.T) {
	tests := map[string]string{
		"Documento":              "documento",
		"  CÉDULA  ":             "cedula",
		"Razón Social":           "razon_social",
		"razon-social":           "razon_social",
		"Número de Factura":      "numero_factura",
		"Fecha de Vencimiento":   "fecha_vencimiento",
		"FECHA_VENCIMIENTO":      "fecha_vencimiento",
		"Fecha  de   emisión":    "fecha_emision",
		"Correo Electrónico":     "correo_electronico",
		"Teléfono":               "telefono",
		"Valor ($)":              "valor",
		"\ufeffnit":              "nit",
		"Dirección del cliente":  "direccion_cliente",
		"DEBTOR ID":              "debtor_id",
		"Invoice-Number":         "invoice_number",
		"Móvil":                  "movil",
		"Descripción / Producto": "descripcion_producto",
		"":                       "",
		" - ":                    "",
	}
	for in, want := range tests {
		if got := normalizeHeader(in); got != want {
			t.Errorf("normalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHeaderDetection(t *testing.T) {
	row := "1;Ana;F1;31/01/2025;100"
	tests := []struct {
		name    string
		header  string
		mapping map[string]string
		row     string           // a data row, when not the default
		want    map[Field]string // field -> header as written
		errHas  []string         // substrings of the HeaderError message
		missing []string
	}{
		{
			name:   "spanish with accents and case",
			header: "CÉDULA;Razón Social;Número de Factura;Fecha de Vencimiento;Saldo",
			want: map[Field]string{FieldDocument: "CÉDULA", FieldName: "Razón Social", FieldInvoice: "Número de Factura",
				FieldDueDate: "Fecha de Vencimiento", FieldAmount: "Saldo"},
		},
		{
			name:   "english",
			header: "debtor_id;Debtor Name;Invoice Number;Due-Date;Balance",
			want: map[Field]string{FieldDocument: "debtor_id", FieldName: "Debtor Name", FieldInvoice: "Invoice Number",
				FieldDueDate: "Due-Date", FieldAmount: "Balance"},
		},
		{
			name:   "optional columns and unknown ones",
			header: "NIT;Cliente;Referencia;Vencimiento;Monto;Moneda;Correo;Celular;WhatsApp;Dirección;Ciudad;Segmento;Producto;Fecha Factura;Tipo de Documento;Vendedor",
			want: map[Field]string{FieldDocument: "NIT", FieldName: "Cliente", FieldInvoice: "Referencia", FieldDueDate: "Vencimiento",
				FieldAmount: "Monto", FieldCurrency: "Moneda", FieldEmail: "Correo", FieldPhone: "Celular", FieldWhatsApp: "WhatsApp",
				FieldAddress: "Dirección", FieldCity: "Ciudad", FieldSegment: "Segmento", FieldDescription: "Producto",
				FieldIssueDate: "Fecha Factura", FieldDocumentType: "Tipo de Documento"},
		},
		{
			name:    "mapping names unknown headers",
			header:  "Cód. Cliente;Nombre;Factura;Vence;Total a pagar",
			mapping: map[string]string{"cod cliente": "document", "VENCE": "due_date", "Total a Pagar": "valor"},
			want: map[Field]string{FieldDocument: "Cód. Cliente", FieldName: "Nombre", FieldInvoice: "Factura",
				FieldDueDate: "Vence", FieldAmount: "Total a pagar"},
		},
		{
			name:    "mapping wins over detection",
			header:  "NIT;Cédula;Nombre;Factura;Vencimiento;Valor;Saldo",
			mapping: map[string]string{"Cédula": "document", "Saldo": "amount"},
			row:     "1;2;Ana;F1;31/01/2025;100;200",
			want: map[Field]string{FieldDocument: "Cédula", FieldName: "Nombre", FieldInvoice: "Factura",
				FieldDueDate: "Vencimiento", FieldAmount: "Saldo"},
		},
		{
			name:    "mapping ignores a column",
			header:  "Documento;Nombre;Factura;Vencimiento;Valor;Teléfono;Celular",
			mapping: map[string]string{"Teléfono": "ignorar"},
			want: map[Field]string{FieldDocument: "Documento", FieldName: "Nombre", FieldInvoice: "Factura",
				FieldDueDate: "Vencimiento", FieldAmount: "Valor", FieldPhone: "Celular"},
		},
		{
			name:    "missing required",
			header:  "Documento;Nombre;Vencimiento;Ciudad",
			errHas:  []string{"faltan columnas obligatorias: factura, valor"},
			missing: []string{"factura", "valor"},
		},
		{
			name:   "two columns for one field",
			header: "Documento;Nombre;Factura;Vencimiento;Valor;Teléfono;Celular",
			errHas: []string{`las columnas "Teléfono" y "Celular" corresponden al mismo campo (telefono)`},
		},
		{
			name:   "same header twice",
			header: "Documento;Nombre;Factura;Vencimiento;Valor;valor",
			errHas: []string{`"Valor" y "valor"`},
		},
		{
			name:    "mapping two columns to one field",
			header:  "A;B;Nombre;Factura;Vencimiento;Valor",
			mapping: map[string]string{"A": "document", "B": "documento"},
			errHas:  []string{`las columnas "A" y "B" están asignadas al mismo campo (documento)`},
		},
		{
			name:    "mapping column not in file",
			header:  "Documento;Nombre;Factura;Vencimiento;Valor",
			mapping: map[string]string{"Código": "document"},
			errHas:  []string{`el mapeo menciona columnas que no están en el archivo: "Código"`},
		},
		{
			name:    "unknown mapping target",
			header:  "Documento;Nombre;Factura;Vencimiento;Valor",
			mapping: map[string]string{"Documento": "identidad"},
			errHas:  []string{`campo desconocido en el mapeo: "identidad"`},
		},
		{
			name:    "mapping one header twice",
			header:  "Documento;Nombre;Factura;Vencimiento;Valor",
			mapping: map[string]string{"Valor": "amount", "VALOR": "invoice"},
			errHas:  []string{"dos veces"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := row
			if tt.row != "" {
				data = tt.row
			}
			r, err := NewReader(strings.NewReader(tt.header+"\n"+data+"\n"), KindCSV, Options{Locale: "es-CO", Mapping: tt.mapping})
			if len(tt.errHas) > 0 {
				var he *HeaderError
				if !errors.As(err, &he) || !errors.Is(err, ErrHeader) {
					t.Fatalf("err = %v, want a HeaderError", err)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(he.Message, s) {
						t.Errorf("message %q lacks %q", he.Message, s)
					}
				}
				if tt.missing != nil && !reflect.DeepEqual(he.Missing, tt.missing) {
					t.Errorf("Missing = %v, want %v", he.Missing, tt.missing)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[Field]string{}
			last := -1
			for _, c := range r.Mapping() {
				got[c.Field] = c.Header
				if c.Index <= last {
					t.Errorf("mapping not in column order: %+v", r.Mapping())
				}
				last = c.Index
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("mapping = %v\nwant      %v", got, tt.want)
			}
			if _, errs, err := r.Next(); err != nil || len(errs) > 0 {
				t.Errorf("first row: %v %+v", err, errs)
			}
		})
	}
}

func TestHeaderEmptyFile(t *testing.T) {
	for _, data := range []string{"", "\n\n", ";;;\n;;\n"} {
		_, err := NewReader(strings.NewReader(data), KindCSV, co)
		var he *HeaderError
		if !errors.As(err, &he) || len(he.Missing) != 5 {
			t.Errorf("NewReader(%q) err = %v", data, err)
		}
	}
}

func TestHeaderTooFarDown(t *testing.T) {
	data := strings.Repeat("titulo\n", headerSearchRows) + coHeader + "1;A;F;31/01/2025;1\n"
	_, err := NewReader(strings.NewReader(data), KindCSV, co)
	if !errors.Is(err, ErrHeader) {
		t.Errorf("err = %v, want ErrHeader", err)
	}
	// The closest row is reported: here a header missing one column.
	data = "titulo\ndocumento;nombre;factura;vencimiento\n1;A;F;31/01/2025\n"
	_, err = NewReader(strings.NewReader(data), KindCSV, co)
	if err == nil || err.Error() != "faltan columnas obligatorias: valor" {
		t.Errorf("err = %v", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, opts := range []Options{{}, {Locale: "es-ES"}, {Locale: "es-CO", DefaultCurrency: "EUR"}} {
		if _, err := NewReader(strings.NewReader(coHeader), KindCSV, opts); err == nil {
			t.Errorf("NewReader(%+v) accepted", opts)
		}
	}
	if _, err := NewReader(strings.NewReader(coHeader), KindUnknown, co); !errors.Is(err, ErrUnsupported) {
		t.Errorf("KindUnknown err = %v", err)
	}
}
