package ingest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

type fieldID int

const (
	fDocument fieldID = iota
	fDocumentType
	fName
	fInvoice
	fDueDate
	fAmount
	fIssueDate
	fCurrency
	fEmail
	fPhone
	fWhatsApp
	fAddress
	fCity
	fSegment
	fDescription
	fContactName
	fContactRole
	numFields
)

type fieldSpec struct {
	field    Field
	label    string // Spanish column name used in messages
	what     string // Spanish noun phrase: "el nombre"
	required bool
	maxLen   int // in characters; 0 when the parser bounds it
	aliases  []string
}

// specs follows API.md "Import file fields"; document_type is an addition.
var specs = [numFields]fieldSpec{
	fDocument: {FieldDocument, "documento", "el número de documento", true, 32, []string{"documento", "nit", "cedula", "identificacion", "document", "debtor_id",
		// Mexico, Peru and the US (issue 15): the tax or identity number is the debtor key.
		"rfc", "curp", "ruc", "dni", "numero_documento", "account", "account_number", "customer_id", "tax_id"}},
	fDocumentType: {FieldDocumentType, "tipo_documento", "el tipo de documento", false, 10, []string{"tipo_documento", "tipo_identificacion", "tipo_id", "document_type", "tipo_doc"}},
	fName:         {FieldName, "nombre", "el nombre", true, 200, []string{"nombre", "razon_social", "cliente", "name", "debtor_name", "nombre_cliente", "denominacion", "customer", "customer_name"}},
	fInvoice: {FieldInvoice, "factura", "el número de factura", true, 64, []string{"factura", "numero_factura", "invoice", "invoice_number", "referencia",
		// CFDI "folio" (MX), "comprobante" (PE: serie-número of the comprobante de pago).
		"folio", "folio_factura", "comprobante", "numero_comprobante", "invoice_no"}},
	fDueDate: {FieldDueDate, "fecha_vencimiento", "la fecha de vencimiento", true, 0, []string{"fecha_vencimiento", "vencimiento", "vence", "due_date", "fecha_limite_pago"}},
	fAmount: {FieldAmount, "valor", "el valor", true, 0, []string{"valor", "monto", "saldo", "amount", "balance",
		"importe", "monto_adeudado", "saldo_pendiente", "importe_pendiente", "amount_due", "balance_due"}},
	fIssueDate:   {FieldIssueDate, "fecha_emision", "la fecha de emisión", false, 0, []string{"fecha_emision", "fecha_factura", "issue_date", "invoice_date"}},
	fCurrency:    {FieldCurrency, "moneda", "la moneda", false, 0, []string{"moneda", "currency"}},
	fEmail:       {FieldEmail, "correo", "el correo", false, 254, []string{"correo", "email", "correo_electronico"}},
	fPhone:       {FieldPhone, "telefono", "el teléfono", false, 0, []string{"telefono", "celular", "phone", "movil"}},
	fWhatsApp:    {FieldWhatsApp, "whatsapp", "el WhatsApp", false, 0, []string{"whatsapp"}},
	fAddress:     {FieldAddress, "direccion", "la dirección", false, 300, []string{"direccion", "address"}},
	fCity:        {FieldCity, "ciudad", "la ciudad", false, 100, []string{"ciudad", "city"}},
	fSegment:     {FieldSegment, "segmento", "el segmento", false, 100, []string{"segmento", "segment"}},
	fDescription: {FieldDescription, "descripcion", "la descripción", false, 500, []string{"descripcion", "producto", "description"}},
	fContactName: {FieldContactName, "contacto", "el nombre del contacto", false, 120, []string{"contacto", "persona_contacto", "nombre_contacto", "atencion", "contact", "contact_name", "attention"}},
	fContactRole: {FieldContactRole, "cargo_contacto", "el cargo del contacto", false, 80, []string{"cargo_contacto", "cargo", "contact_role", "contact_title"}},
}

// byAlias finds a field from a normalised header or mapping target.
var byAlias = func() map[string]fieldID {
	m := make(map[string]fieldID)
	for id, s := range specs {
		m[string(s.field)] = fieldID(id)
		for _, a := range s.aliases {
			m[a] = fieldID(id)
		}
	}
	return m
}()

// ignoreField is a mapping target that drops a column.
const ignoreField fieldID = -1

// normalizeHeader folds a header for matching: no accents, lower case,
// every run of other characters (spaces, hyphens, dots, "($)") one
// underscore, and the connectors "de"/"del" dropped, so "Fecha de
// Vencimiento", "fecha-vencimiento" and "FECHA_VENCIMIENTO" all match.
func normalizeHeader(s string) string {
	folded, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn))), s)
	if err != nil {
		folded = s
	}
	var b strings.Builder
	var words []string
	word := func() {
		if b.Len() > 0 {
			if w := b.String(); w != "de" && w != "del" {
				words = append(words, w)
			}
			b.Reset()
		}
	}
	for _, r := range folded {
		r = unicode.ToLower(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			word()
		}
	}
	word()
	return strings.Join(words, "_")
}

// mappingRule is one entry of Options.Mapping after validation.
type mappingRule struct {
	key    string // Options.Mapping key as given
	target fieldID
}

// compileMapping validates Options.Mapping into normalised header -> field.
func compileMapping(m map[string]string) (map[string]mappingRule, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]mappingRule, len(m))
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(m)) { // sorted: stable messages
		v := m[k]
		nk := normalizeHeader(k)
		if nk == "" {
			problems = append(problems, fmt.Sprintf("el mapeo tiene una columna vacía (%q)", k))
			continue
		}
		target := ignoreField
		switch nv := normalizeHeader(v); nv {
		case "", "ignorar", "ignore":
		default:
			id, ok := byAlias[nv]
			if !ok {
				problems = append(problems, fmt.Sprintf("campo desconocido en el mapeo: %q (columna %q)", v, k))
				continue
			}
			target = id
		}
		if prev, ok := out[nk]; ok && prev.target != target {
			problems = append(problems, fmt.Sprintf("el mapeo asigna la columna %q dos veces (%q y %q)", k, prev.key, k))
			continue
		}
		out[nk] = mappingRule{key: k, target: target}
	}
	if len(problems) > 0 {
		return nil, &HeaderError{Message: strings.Join(problems, "; ")}
	}
	return out, nil
}

// layout is the result of reading one row as a header.
type layout struct {
	cols    [numFields]int    // column index per field, -1 when absent
	headers [numFields]string // header text per field, for FieldError
	mapping []Column
}

// resolveHeader reads cells as a header row. score counts recognised
// columns so the caller can pick the likeliest header among rows that fail.
// With lenient, mapping entries naming columns the file lacks are skipped
// (a saved mapping meets files that differ a little).
func resolveHeader(cells []string, rules map[string]mappingRule, lenient bool) (layout, int, *HeaderError) {
	var lay layout
	for i := range lay.cols {
		lay.cols[i] = -1
	}
	explicit := [numFields]bool{}
	var problems []string
	used := make(map[string]bool, len(rules))
	type hit struct {
		col int
		id  fieldID
	}
	var auto []hit

	for i, raw := range cells {
		h := normalizeHeader(raw)
		if h == "" {
			continue
		}
		if r, ok := rules[h]; ok {
			used[h] = true
			if r.target == ignoreField {
				continue
			}
			if prev := lay.cols[r.target]; prev >= 0 {
				problems = append(problems, fmt.Sprintf("las columnas %q y %q están asignadas al mismo campo (%s)",
					strings.TrimSpace(cells[prev]), strings.TrimSpace(raw), specs[r.target].label))
				continue
			}
			lay.cols[r.target], explicit[r.target] = i, true
			continue
		}
		if id, ok := byAlias[h]; ok {
			auto = append(auto, hit{i, id})
		}
	}
	for _, a := range auto {
		if explicit[a.id] {
			continue // the mapping chose another column for this field
		}
		if prev := lay.cols[a.id]; prev >= 0 {
			problems = append(problems, fmt.Sprintf("las columnas %q y %q corresponden al mismo campo (%s): indique en el mapeo cuál usar",
				strings.TrimSpace(cells[prev]), strings.TrimSpace(cells[a.col]), specs[a.id].label))
			continue
		}
		lay.cols[a.id] = a.col
	}

	score := 0
	for id, c := range lay.cols {
		if c >= 0 {
			score++
			lay.headers[id] = strings.TrimSpace(cells[c])
			lay.mapping = append(lay.mapping, Column{Index: c, Header: strings.TrimSpace(cells[c]), Field: specs[id].field})
		}
	}
	slices.SortFunc(lay.mapping, func(a, b Column) int { return a.Index - b.Index })

	var missing []string
	for id, s := range specs {
		if s.required && lay.cols[id] < 0 {
			missing = append(missing, s.label)
		}
	}
	if len(missing) > 0 {
		problems = append([]string{"faltan columnas obligatorias: " + strings.Join(missing, ", ")}, problems...)
	}
	var absent []string
	for h, r := range rules {
		if !used[h] {
			absent = append(absent, fmt.Sprintf("%q", r.key))
		}
	}
	if len(absent) > 0 && !lenient {
		slices.Sort(absent)
		problems = append(problems, "el mapeo menciona columnas que no están en el archivo: "+strings.Join(absent, ", "))
	}
	if len(problems) > 0 {
		return lay, score, &HeaderError{Missing: missing, Message: strings.Join(problems, "; ")}
	}
	return lay, score, nil
}
