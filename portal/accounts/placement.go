package accounts

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"

	"cartera/portal/apperr"
)

// Placement is one invoice an ERP places (or updates) through the API.
// Amount is in minor units, dates YYYY-MM-DD; the rest is as in a file.
type Placement struct {
	Document    string `json:"document"`
	Name        string `json:"name"`
	Invoice     string `json:"invoice"`
	DueDate     string `json:"dueDate"`
	Amount      int64  `json:"amount"`
	IssueDate   string `json:"issueDate,omitempty"`
	Currency    string `json:"currency,omitempty"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	WhatsApp    string `json:"whatsapp,omitempty"`
	Address     string `json:"address,omitempty"`
	City        string `json:"city,omitempty"`
	Segment     string `json:"segment,omitempty"`
	Description string `json:"description,omitempty"`
}

// MaxPlacements bounds one API batch; larger portfolios go as files.
const MaxPlacements = 5000

// placementHeader names the columns by their field names, which the file
// reader recognises without a mapping.
var placementHeader = []string{"document", "name", "invoice", "due_date", "amount", "issue_date", "currency",
	"email", "phone", "whatsapp", "address", "city", "segment", "description"}

// PlaceBatch imports a batch of invoices through the same path as an
// uploaded file: the batch is written as the CSV a file would be and
// stored, so it gets the same validation, row errors (row n+2 is item n:
// row 1 is the header), idempotency by invoice, progress and crash resume.
func (s *Service) PlaceBatch(ctx context.Context, tenant string, items []Placement) (Import, error) {
	if len(items) == 0 {
		return Import{}, apperr.Field("items", "envíe al menos una factura")
	}
	if len(items) > MaxPlacements {
		return Import{}, apperr.Field("items", "máximo 5000 facturas por lote; envíe un archivo para más")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(placementHeader)
	for _, p := range items {
		_ = w.Write([]string{p.Document, p.Name, p.Invoice, p.DueDate, minorText(p.Amount), p.IssueDate, p.Currency,
			p.Email, p.Phone, p.WhatsApp, p.Address, p.City, p.Segment, p.Description})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return Import{}, fmt.Errorf("placements: %w", err)
	}
	b := buf.Bytes()
	return s.StartImport(ctx, tenant, Upload{Name: "api-placements.csv", Size: int64(len(b)), File: bytes.NewReader(b), api: true})
}

// minorText writes minor units with a dot and two decimals, the one shape
// the amount reader takes the same way in every locale ("1234.50").
func minorText(v int64) string {
	if v <= 0 {
		return strconv.FormatInt(v, 10) // refused by the reader as not positive, as in a file
	}
	return fmt.Sprintf("%d.%02d", v/100, v%100)
}
