package ingest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"cartera/portal/money"
)

// Options tune a Reader.
type Options struct {
	// Locale of the amounts ("es-CO", "es-MX", "es-PE", "en-US"); required.
	Locale string
	// DefaultCurrency applies to rows naming no currency; empty means the
	// locale's own.
	DefaultCurrency string
	// Mapping assigns file headers to fields ({"Cód. cliente": "document"});
	// headers are compared normalised, like detected ones. A field may be
	// given by its English name or a Spanish header name; "", "ignorar" or
	// "ignore" drops a column. Mapped fields win over detected ones.
	Mapping map[string]string
	// SavedMapping marks Mapping as the tenant's saved one rather than
	// typed for this file: its columns absent from the file are skipped
	// instead of refused.
	SavedMapping bool
	// DateOrder of dates written with the year last; empty means the
	// locale's (MonthFirst for en-US, DayFirst otherwise).
	DateOrder DateOrder
	// MaxUncompressed bounds an XLSX once unzipped; 0 means
	// DefaultMaxUncompressed.
	MaxUncompressed int64
	// Repeats, from a counting pass over the same file (Reader.Count),
	// limits the duplicate-invoice check's memory to the invoices that
	// repeat; nil checks every invoice.
	Repeats *Repeats
}

// headerSearchRows is how many non-blank rows may precede the header: ERP
// reports often start with a title, the company and the cut-off date.
const headerSearchRows = 10

type source interface {
	next() (row, error)
	close() error
}

// Reader streams the records of one file. It is not safe for concurrent use.
type Reader struct {
	src       source
	xlsx      bool
	date1904  bool
	locale    string
	currency  string
	rules     map[string]mappingRule
	lenient   bool
	order     DateOrder
	dates     DateStats
	lay       layout
	headers   []string
	headerRow int
	seen      map[string]int // invoice -> row of its first valid row (nil: no check, counting)
	repeats   *Repeats       // nil: every invoice is checked
}

// NewReader starts reading src as kind (see Detect) and finds the header
// among the first 10 non-blank rows; when none is usable the error is a
// *HeaderError (errors.Is ErrHeader) saying why. CSV is read as a stream. XLSX needs random access: src must also be an
// io.ReaderAt whose size is known (it has Size() or Stat(), or is an
// io.Seeker), as *os.File, multipart.File and *bytes.Reader are; otherwise
// use NewXLSXReader. Close the Reader when done; it never closes src.
func NewReader(src io.Reader, kind Kind, opts Options) (*Reader, error) {
	switch kind {
	case KindCSV:
		r, err := newReader(opts)
		if err != nil {
			return nil, err
		}
		if r.src, err = newCSVSource(src); err != nil {
			return nil, err
		}
		if err := r.findHeader(); err != nil {
			return nil, err
		}
		return r, nil
	case KindXLSX:
		ra, ok := src.(io.ReaderAt)
		if !ok {
			return nil, errors.New("ingest: XLSX needs an io.ReaderAt; use NewXLSXReader")
		}
		size, err := sizeOf(src)
		if err != nil {
			return nil, err
		}
		return NewXLSXReader(ra, size, opts)
	}
	return nil, fmt.Errorf("%w: kind %v", ErrUnsupported, kind)
}

// NewXLSXReader reads the first sheet of the workbook in ra. The zip
// directory is checked against Options.MaxUncompressed before anything is
// unpacked (ErrTooLarge) and every entry is test-inflated once (ErrCorrupt).
// The compressed file is held in memory while reading; rows are streamed.
func NewXLSXReader(ra io.ReaderAt, size int64, opts Options) (*Reader, error) {
	r, err := newReader(opts)
	if err != nil {
		return nil, err
	}
	limit := opts.MaxUncompressed
	if limit <= 0 {
		limit = DefaultMaxUncompressed
	}
	src, date1904, err := newXLSXSource(ra, size, limit)
	if err != nil {
		return nil, err
	}
	r.src, r.xlsx, r.date1904 = src, true, date1904
	if err := r.findHeader(); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

func sizeOf(src io.Reader) (int64, error) {
	switch v := src.(type) {
	case interface{ Size() int64 }:
		return v.Size(), nil
	case interface{ Stat() (os.FileInfo, error) }:
		fi, err := v.Stat()
		if err != nil {
			return 0, fmt.Errorf("ingest: size of XLSX: %w", err)
		}
		return fi.Size(), nil
	case io.Seeker:
		// Put the offset back: the caller may still read src.
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, fmt.Errorf("ingest: size of XLSX: %w", err)
		}
		n, err := v.Seek(0, io.SeekEnd)
		if err == nil {
			_, err = v.Seek(cur, io.SeekStart)
		}
		if err != nil {
			return 0, fmt.Errorf("ingest: size of XLSX: %w", err)
		}
		return n, nil
	}
	return 0, errors.New("ingest: XLSX size unknown; use NewXLSXReader")
}

// newReader validates the options; mapping problems come back as a
// *HeaderError since the user wrote the mapping.
func newReader(opts Options) (*Reader, error) {
	home, err := money.LocaleCurrency(opts.Locale)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	cur := opts.DefaultCurrency
	if cur == "" {
		cur = home
	}
	if _, err := money.Exponent(cur); err != nil {
		return nil, fmt.Errorf("ingest: default currency: %w", err)
	}
	rules, err := compileMapping(opts.Mapping)
	if err != nil {
		return nil, err
	}
	order := opts.DateOrder
	switch order {
	case "":
		order = OrderOf(opts.Locale)
	case DayFirst, MonthFirst:
	default:
		return nil, &HeaderError{Message: fmt.Sprintf("orden de fechas desconocido: %q (DMY o MDY)", order)}
	}
	return &Reader{locale: opts.Locale, currency: cur, rules: rules, lenient: opts.SavedMapping, order: order, seen: make(map[string]int), repeats: opts.Repeats}, nil
}

// findHeader takes the first of the leading non-blank rows that reads as a
// complete header; when none does, it reports the problems of the row that
// came closest.
func (r *Reader) findHeader() error {
	var best *HeaderError
	bestScore := -1
	for tried := 0; tried < headerSearchRows; {
		row, err := r.src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if allBlank(row.cells) {
			continue
		}
		tried++
		lay, score, herr := resolveHeader(row.cells, r.rules, r.lenient)
		if herr == nil {
			r.lay, r.headerRow = lay, row.num
			r.headers = trimmed(row.cells)
			return nil
		}
		if score > bestScore {
			best, bestScore = herr, score
			best.Headers = trimmed(row.cells)
		}
	}
	if best == nil {
		var missing []string
		for _, s := range specs {
			if s.required {
				missing = append(missing, s.label)
			}
		}
		return &HeaderError{Missing: missing, Message: "el archivo no tiene filas con datos"}
	}
	return best
}

func allBlank(cells []string) bool {
	for _, c := range cells {
		if !isBlank(c) {
			return false
		}
	}
	return true
}

func trimmed(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.TrimSpace(c)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// Headers returns every cell of the header row as written, recognised or
// not, for a column-mapping editor.
func (r *Reader) Headers() []string { return append([]string(nil), r.headers...) }

// DateOrder is the order year-last dates are read in.
func (r *Reader) DateOrder() DateOrder { return r.order }

// DateStats counts, over the rows read so far, what the dates say about
// the file's date order.
type DateStats struct {
	Ambiguous      int // both readings are dates (01/11/2026)
	DayFirstOnly   int // only a day-first reading is a date (13/01/2026)
	MonthFirstOnly int // only a month-first reading is a date (01/13/2026)
}

// Dates returns the date statistics of the rows read so far.
func (r *Reader) Dates() DateStats { return r.dates }

// Mapping returns which header went to which field, in column order.
func (r *Reader) Mapping() []Column {
	return append([]Column(nil), r.lay.mapping...)
}

// HeaderRow returns the row number of the header (1 unless title rows
// precede it).
func (r *Reader) HeaderRow() int { return r.headerRow }

// Close releases the XLSX temporary files; it does not close the source.
func (r *Reader) Close() error {
	if r.src == nil {
		return nil
	}
	return r.src.close()
}

// Next returns the next non-blank row. A row that fails validation comes
// with all its field errors and a partly filled Record; the caller rejects
// it and goes on. At the end of the file the error is io.EOF; any other
// error means the file cannot be read further.
func (r *Reader) Next() (Record, []FieldError, error) {
	for {
		row, err := r.src.next()
		if err != nil {
			return Record{}, nil, err
		}
		if r.blank(row.cells) {
			continue
		}
		rec, errs := r.convert(row)
		return rec, errs, nil
	}
}

// blank: no mapped cell has content; data only in ignored columns (notes,
// totals labels) is no row to import.
func (r *Reader) blank(cells []string) bool {
	for _, c := range r.lay.cols {
		if c >= 0 && c < len(cells) && !isBlank(cells[c]) {
			return false
		}
	}
	return true
}

// rowErrors collects the errors of one row.
type rowErrors struct {
	r    *Reader
	num  int
	errs []FieldError
}

func (e *rowErrors) add(id fieldID, code, msg string, args ...any) {
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	e.errs = append(e.errs, FieldError{Row: e.num, Column: e.r.lay.headers[id], Field: specs[id].field, Code: code, Message: msg})
}

func (r *Reader) cell(cells []string, id fieldID) string {
	if c := r.lay.cols[id]; c >= 0 && c < len(cells) {
		return cleanText(cells[c])
	}
	return ""
}

// text reads a free-text field, enforcing presence and length.
func (r *Reader) text(cells []string, id fieldID, e *rowErrors) string {
	s := r.cell(cells, id)
	sp := specs[id]
	if s == "" {
		if sp.required {
			e.add(id, CodeRequired, "falta "+sp.what)
		}
		return ""
	}
	if sp.maxLen > 0 && len(s) > sp.maxLen && utf8.RuneCountInString(s) > sp.maxLen {
		e.add(id, CodeTooLong, "%s supera %d caracteres", capitalize(sp.what), sp.maxLen)
	}
	return s
}

func (r *Reader) convert(row row) (Record, []FieldError) {
	cells := row.cells
	rec := Record{Row: row.num}
	e := rowErrors{r: r, num: row.num}
	if row.runOn {
		// Attributed to the first column: the quote may be in any cell.
		e.errs = append(e.errs, FieldError{Row: row.num, Column: r.lay.headers[fDocument], Field: FieldDocument, Code: CodeUnclosedQuote,
			Message: fmt.Sprintf("una comilla (\") abre una celda en la fila %d y no se cierra: el resto del archivo quedó dentro de esa celda", row.num)})
	}

	raw := r.text(cells, fDocument, &e)
	switch {
	case raw == "":
	case isScientific(raw):
		e.add(fDocument, CodeScientific, "el documento está en notación científica (%s): en Excel dé formato de texto a la columna y exporte de nuevo", raw)
	default:
		rec.Document = NormalizeDocument(raw)
		switch {
		case rec.Document == "":
			e.add(fDocument, CodeRequired, "falta "+specs[fDocument].what)
		case !validDocument(rec.Document):
			e.add(fDocument, CodeInvalid, "documento no válido: %q (solo letras y números)", raw)
		}
	}
	if dt := r.text(cells, fDocumentType, &e); dt != "" {
		rec.DocumentType = strings.Map(func(r rune) rune {
			if r == '.' || r == ' ' {
				return -1
			}
			return unicode.ToUpper(r)
		}, dt)
	}
	rec.Name = r.text(cells, fName, &e)
	rec.Invoice = r.text(cells, fInvoice, &e)
	if isScientific(rec.Invoice) {
		e.add(fInvoice, CodeScientific, "la factura está en notación científica (%s): en Excel dé formato de texto a la columna y exporte de nuevo", rec.Invoice)
	}

	rec.DueDate = r.date(cells, fDueDate, &e)
	rec.IssueDate = r.date(cells, fIssueDate, &e)

	amountCur := ""
	if s := r.cell(cells, fAmount); s == "" {
		e.add(fAmount, CodeRequired, "falta el valor")
	} else {
		v, cur, err := parseAmount(s, r.locale, r.xlsx)
		switch {
		case err == nil:
			rec.Amount, amountCur = v, cur
		case errors.Is(err, money.ErrNotPositive):
			e.add(fAmount, CodeNotPositive, "el valor debe ser mayor que cero: %s", s)
		case errors.Is(err, money.ErrTooManyDecimals):
			e.add(fAmount, CodeTooManyDecimals, "el valor tiene más de 2 decimales: %s", s)
		case errors.Is(err, money.ErrOverflow):
			e.add(fAmount, CodeAmountTooLarge, "el valor es demasiado grande: %s", s)
		default:
			e.add(fAmount, CodeInvalidAmount, "valor no válido: %q (ejemplo: %s)", s, money.Format(123456789, r.currency, r.locale))
		}
	}

	rec.Currency = r.currency
	if s := r.cell(cells, fCurrency); s != "" {
		code := strings.ToUpper(s)
		if _, err := money.Exponent(code); err != nil {
			e.add(fCurrency, CodeUnknownCurrency, "moneda desconocida: %q (use %s)", s, strings.Join(money.Currencies(), ", "))
		} else {
			rec.Currency = code
			if amountCur != "" && amountCur != code {
				e.add(fAmount, CodeCurrencyMismatch, "el valor está en %s pero la moneda de la fila es %s", amountCur, code)
			}
		}
	} else if amountCur != "" {
		rec.Currency = amountCur
	}

	if s := r.text(cells, fEmail, &e); s != "" {
		rec.Email = strings.ToLower(s)
		switch emailProblem(rec.Email) {
		case CodeMultipleEmails:
			e.add(fEmail, CodeMultipleEmails, "hay más de un correo en la celda (%s): deje solo uno", s)
		case CodeInvalidEmail:
			e.add(fEmail, CodeInvalidEmail, "correo no válido: %q", s)
		}
	}
	rec.Phone = r.phone(cells, fPhone, &e)
	rec.WhatsApp = r.phone(cells, fWhatsApp, &e)
	rec.Address = r.text(cells, fAddress, &e)
	rec.City = r.text(cells, fCity, &e)
	rec.Segment = r.text(cells, fSegment, &e)
	rec.Description = r.text(cells, fDescription, &e)
	rec.ContactName = r.text(cells, fContactName, &e)
	rec.ContactRole = r.text(cells, fContactRole, &e)

	// The same invoice twice in one file is an error on the later row;
	// only rows that go in count as the first.
	r.checkRepeat(rec.Invoice, row.num, &e)
	return rec, e.errs
}

func (r *Reader) date(cells []string, id fieldID, e *rowErrors) time.Time {
	s := r.cell(cells, id)
	if s == "" {
		if specs[id].required {
			e.add(id, CodeRequired, "falta "+specs[id].what)
		}
		return time.Time{}
	}
	t, shape, err := parseDate(s, r.xlsx, r.date1904, r.order)
	switch shape {
	case shapeAmbiguous:
		r.dates.Ambiguous++
	case shapeDayFirstOnly:
		r.dates.DayFirstOnly++
	case shapeMonthFirstOnly:
		r.dates.MonthFirstOnly++
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrDateImpossible):
		e.add(id, CodeImpossibleDate, "fecha imposible: %s", s)
	case errors.Is(err, ErrDateRange):
		e.add(id, CodeDateOutOfRange, "fecha fuera de rango (años %d a %d): %s", minYear, maxYear, s)
	default:
		e.add(id, CodeInvalidDate, "fecha no válida: %q (use DD/MM/AAAA o AAAA-MM-DD)", s)
	}
	return t
}

func (r *Reader) phone(cells []string, id fieldID, e *rowErrors) string {
	s := r.cell(cells, id)
	if s == "" {
		return ""
	}
	p, ok := normalizePhone(s)
	if !ok {
		e.add(id, CodeInvalidPhone, "%s no es válido: %q (entre 7 y 15 dígitos, un solo número por celda)", capitalize(specs[id].what), s)
	}
	return p
}

// parseAmount reads an amount cell. An XLSX numeric cell arrives as the raw
// number Excel stored, a binary double written with up to 17 significant
// digits ("1234.5600000000001"); when the locale reading fails on such a
// value it is rounded to the 15 digits Excel displays and read again.
func parseAmount(s, locale string, xlsx bool) (int64, string, error) {
	v, cur, err := money.ParseCurrency(s, locale)
	if err == nil || !xlsx || !isRawNumber(s) ||
		!errors.Is(err, money.ErrTooManyDecimals) && !errors.Is(err, money.ErrSyntax) {
		return v, cur, err
	}
	f, ferr := strconv.ParseFloat(s, 64)
	switch {
	case ferr != nil || f >= 1e17:
		return 0, "", money.ErrOverflow
	case f <= 0:
		return 0, "", money.ErrNotPositive
	}
	f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	v, err = money.Parse(strconv.FormatFloat(f, 'f', -1, 64), "en-US")
	return v, "", err
}

// isRawNumber matches how a number is stored in XLSX XML: digits, an
// optional fraction after '.', an optional exponent.
func isRawNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == start {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'E' || s[i] == 'e') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
