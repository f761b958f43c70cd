package payments

import (
	"bytes"
	"fmt"
	"time"

	"github.com/jung-kurt/gofpdf"

	"cartera/portal/i18n"
)

// ReceiptData is what a receipt shows.
type ReceiptData struct {
	TenantName string
	Locale     string
	DebtorName string
	Payment    Payment
	Invoices   map[string]string // account id -> invoice number
	Loc        *time.Location
	// Lang is the receipt's language and T the catalogue (nil: the keys).
	Lang string
	T    func(lang, key string) string
}

func (d ReceiptData) t(key string) string {
	if d.T == nil {
		return key
	}
	return d.T(d.Lang, key)
}

// Receipt renders a payment receipt as PDF. Core fonts with the cp1252
// translator keep Spanish accents readable without shipping a font file.
func Receipt(d ReceiptData) ([]byte, error) {
	pdf := gofpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(tr(d.t("receipt.title")), false)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 18)
	pdf.SetTextColor(15, 92, 140)
	pdf.CellFormat(0, 10, tr(d.TenantName), "", 1, "L", false, 0, "")
	pdf.SetTextColor(29, 39, 51)
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(0, 9, tr(d.t("receipt.title")), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	p := d.Payment
	when := p.CompletedAtOr()
	if d.Loc != nil {
		when = when.In(d.Loc)
	}
	status := map[string]string{StatusSucceeded: "succeeded", StatusReversed: "reversed", StatusPending: "pending", StatusFlagged: "flagged"}[p.Status]
	rows := [][2]string{
		{d.t("receipt.number"), keyOf(p.ID)},
		{d.t("receipt.payer"), d.DebtorName},
		{d.t("receipt.date"), i18n.ShortDate(when, d.Lang) + " " + i18n.Clock(when, d.Lang)},
		{d.t("receipt.method"), i18n.Fill(d.t("receipt.online"), map[string]string{"gateway": p.Gateway})},
		{d.t("receipt.reference"), p.GatewayRef},
		{d.t("receipt.status"), d.t("receipt.status." + status)},
	}
	pdf.Ln(3)
	for _, r := range rows {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(40, 7, tr(r[0]), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 11)
		pdf.CellFormat(0, 7, tr(r[1]), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.SetFillColor(232, 238, 245)
	pdf.CellFormat(120, 8, tr(d.t("receipt.invoice")), "B", 0, "L", true, 0, "")
	pdf.CellFormat(0, 8, tr(d.t("receipt.applied")), "B", 1, "R", true, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	for _, al := range p.Allocation {
		pdf.CellFormat(120, 7, tr(d.Invoices[al.ID]), "B", 0, "L", false, 0, "")
		pdf.CellFormat(0, 7, tr(i18n.Money(al.Amount, p.Currency, d.Locale)), "B", 1, "R", false, 0, "")
	}
	var discounts int64
	for _, ch := range p.Charges {
		discounts += ch.Discount
		if ch.Interest > 0 {
			pdf.CellFormat(120, 7, tr(i18n.Fill(d.t("receipt.interest"), map[string]string{"invoice": d.Invoices[ch.AccountID]})), "B", 0, "L", false, 0, "")
			pdf.CellFormat(0, 7, tr(i18n.Money(ch.Interest, p.Currency, d.Locale)), "B", 1, "R", false, 0, "")
		}
	}
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(120, 9, tr(d.t("receipt.total")), "", 0, "L", false, 0, "")
	pdf.CellFormat(0, 9, tr(i18n.Money(p.Amount, p.Currency, d.Locale)), "", 1, "R", false, 0, "")
	if discounts > 0 {
		pdf.SetFont("Helvetica", "", 10)
		pdf.CellFormat(120, 7, tr(d.t("receipt.discounts")), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 7, tr(i18n.Money(discounts, p.Currency, d.Locale)), "", 1, "R", false, 0, "")
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(93, 107, 122)
	pdf.MultiCell(0, 5, tr(d.t("receipt.footer")), "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt pdf: %w", err)
	}
	return buf.Bytes(), nil
}
