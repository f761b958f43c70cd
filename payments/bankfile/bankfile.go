// Package bankfile reads the files a bank sends a client company about the
// money it collected: the Colombian Asobancaria 2001 "recaudo" layout and
// generic statements (CSV/XLSX) through the portfolio's column mapping. It
// knows nothing of accounts or the store: it returns movements and the
// file's own errors.
package bankfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"cartera/portal/ingest"
	"cartera/portal/money"
)

// Formats.
const (
	FormatAsobancaria = "asobancaria"
	FormatCSV         = "csv" // generic statement, CSV or XLSX
)

// Movement is one credit the bank reports.
type Movement struct {
	Line      int       // line (or row) of the file
	ID        string    // stable across uploads of the same movement: the ledger's idempotency key
	BankID    string    // the bank's own movement id, when the file has one
	Date      time.Time // civil date, 00:00 UTC
	Amount    int64     // minor units
	Reference string    // what the payer typed: payment reference, document, free text
	Document  string    // the payer's document, when the file has a column for it
	Detail    string    // description or bank data, for the person reviewing it
}

// LineError is a problem of the file at a line; the file is not posted.
type LineError struct {
	Line    int    `json:"line"`
	Code    string `json:"code"`
	Message string `json:"message"` // Spanish, worded in English by the phrasebook
}

// Result is what a file holds.
type Result struct {
	Movements []Movement
	Errors    []LineError
}

// ErrFormat is a file that cannot be read in the format asked for.
var ErrFormat = errors.New("bankfile: unreadable file")

// movementID derives a stable id from the parts that identify a movement,
// so the same movement in a later file is the same payment.
func movementID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(h[:10])
}

// Columns of a generic statement (API.md, bank-files).
var Columns = []ingest.TableColumn{
	{Name: "date", Label: "fecha", Required: true, Aliases: []string{"fecha", "fecha_movimiento", "fecha_transaccion", "fecha_pago", "fecha_valor", "date", "value_date", "posting_date"}},
	{Name: "amount", Label: "valor", Required: true, Aliases: []string{"valor", "monto", "importe", "credito", "abono", "valor_credito", "amount", "credit"}},
	{Name: "reference", Label: "referencia", Aliases: []string{"referencia", "referencia_pago", "ref", "concepto", "descripcion", "detalle", "reference", "description", "memo"}},
	{Name: "document", Label: "documento", Aliases: []string{"documento", "nit", "cedula", "identificacion", "documento_pagador", "document", "payer_id"}},
	{Name: "movement_id", Label: "id_movimiento", Aliases: []string{"id_movimiento", "movimiento", "numero_movimiento", "transaccion", "comprobante", "movement_id", "transaction_id", "id"}},
}

// ReadStatement reads a generic bank statement (CSV or XLSX) with the
// portfolio import's reader: headers detected or mapped, dates in the file's
// order, amounts in the tenant's locale. Rows with a bad date or amount are
// line errors; debits (negative or zero amounts) are skipped.
func ReadStatement(ra io.ReaderAt, size int64, locale string, mapping map[string]string) (Result, error) {
	t, err := ingest.OpenTable(ra, size, Columns, ingest.Options{Locale: locale, Mapping: mapping})
	if err != nil {
		return Result{}, err
	}
	defer t.Close()
	var res Result
	seen := map[string]int{}
	for {
		row, err := t.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("statement row: %w", err)
		}
		d, err := t.Date(row.Get("date"))
		if err != nil {
			res.Errors = append(res.Errors, LineError{Line: row.Num, Code: "invalid_date", Message: fmt.Sprintf("fecha no válida: %q", row.Get("date"))})
			continue
		}
		amt, err := money.Parse(row.Get("amount"), locale)
		if errors.Is(err, money.ErrNotPositive) {
			continue // a debit: not money collected
		}
		if err != nil {
			res.Errors = append(res.Errors, LineError{Line: row.Num, Code: "invalid_amount", Message: fmt.Sprintf("valor no válido: %q", row.Get("amount"))})
			continue
		}
		m := Movement{Line: row.Num, BankID: row.Get("movement_id"), Date: d, Amount: amt, Reference: row.Get("reference"), Document: row.Get("document")}
		m.Detail = m.Reference
		if m.BankID != "" {
			m.ID = movementID("csv", m.BankID)
		} else {
			// No bank id: the same date, amount and texts, counted within the
			// file, are the same movement in a re-upload.
			base := strings.Join([]string{d.Format(time.DateOnly), fmt.Sprint(amt), m.Reference, m.Document}, "|")
			seen[base]++
			m.ID = movementID("csv", base, fmt.Sprint(seen[base]))
		}
		res.Movements = append(res.Movements, m)
	}
	return res, nil
}
