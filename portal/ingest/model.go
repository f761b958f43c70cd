// Package ingest reads a client's portfolio file (CSV or XLSX exported from
// an ERP or Excel) as a stream of validated records, one row at a time, so
// a large file never has to fit in memory.
package ingest

import (
	"errors"
	"time"
)

// File-level errors. The HTTP layer maps ErrUnsupported to 415, ErrTooLarge
// to 413 and ErrCorrupt and ErrHeader to 422.
var (
	ErrUnsupported = errors.New("ingest: unsupported file type")
	ErrTooLarge    = errors.New("ingest: file too large once uncompressed")
	ErrCorrupt     = errors.New("ingest: damaged file")
	// ErrHeader matches every *HeaderError.
	ErrHeader = errors.New("ingest: unusable header")
)

// Kind is a file format, told by content.
type Kind int

// Kinds of file.
const (
	KindUnknown Kind = iota
	KindCSV
	KindXLSX
)

func (k Kind) String() string {
	switch k {
	case KindCSV:
		return "csv"
	case KindXLSX:
		return "xlsx"
	}
	return "unknown"
}

// Field names a record field; these are the targets of Options.Mapping.
type Field string

// Fields of a portfolio row (API.md, "Import file fields").
const (
	FieldDocument     Field = "document"
	FieldDocumentType Field = "document_type"
	FieldName         Field = "name"
	FieldInvoice      Field = "invoice"
	FieldDueDate      Field = "due_date"
	FieldAmount       Field = "amount"
	FieldIssueDate    Field = "issue_date"
	FieldCurrency     Field = "currency"
	FieldEmail        Field = "email"
	FieldPhone        Field = "phone"
	FieldWhatsApp     Field = "whatsapp"
	FieldAddress      Field = "address"
	FieldCity         Field = "city"
	FieldSegment      Field = "segment"
	FieldDescription  Field = "description"
	FieldContactName  Field = "contact_name"
	FieldContactRole  Field = "contact_role"
)

// Record is one valid-looking portfolio row. Strings are trimmed, with
// control characters removed and runs of whitespace collapsed.
type Record struct {
	Row          int    // row number as Excel shows it (the header is usually row 1)
	Document     string // see NormalizeDocument
	DocumentType string // upper case, dots removed ("C.C." -> "CC"); optional
	Name         string
	Invoice      string    // case kept
	DueDate      time.Time // 00:00 UTC
	IssueDate    time.Time // zero when absent
	Amount       int64     // minor units of Currency
	Currency     string    // ISO code: the row's, the amount's, or the default
	Email        string    // lower case
	Phone        string    // digits with an optional leading +
	WhatsApp     string    // as Phone
	Address      string
	City         string
	Segment      string
	Description  string
	ContactName  string // the person the row's contacts reach
	ContactRole  string
}

// FieldError explains why one cell of a row was rejected, in Spanish, for
// the person who will fix the file.
type FieldError struct {
	Row     int
	Column  string // the header as written in the file
	Field   Field
	Code    string // one of the Code constants, stable for the front end
	Message string
}

func (e FieldError) Error() string { return e.Message }

// Codes of FieldError.
const (
	CodeRequired         = "required"
	CodeTooLong          = "too_long"
	CodeInvalid          = "invalid"
	CodeScientific       = "scientific_notation"
	CodeInvalidDate      = "invalid_date"
	CodeImpossibleDate   = "impossible_date"
	CodeDateOutOfRange   = "date_out_of_range"
	CodeInvalidAmount    = "invalid_amount"
	CodeNotPositive      = "not_positive"
	CodeTooManyDecimals  = "too_many_decimals"
	CodeAmountTooLarge   = "amount_too_large"
	CodeUnknownCurrency  = "unknown_currency"
	CodeCurrencyMismatch = "currency_mismatch"
	CodeInvalidEmail     = "invalid_email"
	CodeMultipleEmails   = "multiple_emails"
	CodeInvalidPhone     = "invalid_phone"
	CodeDuplicateInvoice = "duplicate_invoice"
	CodeUnclosedQuote    = "unclosed_quote"
)

// HeaderError says why no usable header row was found; Message is Spanish
// and meant for the user, e.g. "faltan columnas obligatorias: factura, valor".
type HeaderError struct {
	Missing []string // Spanish names of missing required columns
	Message string
	Headers []string // cells of the row that came closest to a header, for a mapping editor
}

func (e *HeaderError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrHeader) true.
func (e *HeaderError) Is(target error) bool { return target == ErrHeader }

// Column is one header cell recognised as a field, for a preview.
type Column struct {
	Index  int    // 0-based position in the row (0 is column A)
	Header string // as written in the file
	Field  Field
}
