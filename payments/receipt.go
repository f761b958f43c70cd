package payments

import (
	"bytes"
	"fmt"
	"time"

	"github.com/jung-kurt/gofpdf"

	"cartera/portal/money"
)

// ReceiptData is what a receipt shows.
type ReceiptData struct {
	TenantName string
	Locale     string
	DebtorName string
	Payment    Payment
	Invoices   map[string]string // account id -> invoice number
	Loc        *time.Location
}

// Receipt renders a payment receipt as PDF. Core fonts with the cp1252
// translator keep Spanish accents readable without shipping a font file.
func Receipt(d ReceiptData) ([]byte, error) {
	pdf := gofpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(tr("Recibo de pago"), false)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 18)
	pdf.SetTextColor(15, 92, 140)
	pdf.CellFormat(0, 10, tr(d.TenantName), "", 1, "L", false, 0, "")
	pdf.SetTextColor(29, 39, 51)
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(0, 9, tr("Recibo de pago"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	p := d.Payment
	when := p.CompletedAtOr()
	if d.Loc != nil {
		when = when.In(d.Loc)
	}
	rows := [][2]string{
		{"Recibo No.", keyOf(p.ID)},
		{"Pagador", d.DebtorName},
		{"Fecha", when.Format("02/01/2006 15:04")},
		{"Medio", "Pago en línea (" + p.Gateway + ")"},
		{"Referencia", p.GatewayRef},
		{"Estado", map[string]string{StatusSucceeded: "Pagado", StatusReversed: "Reversado", StatusPending: "Pendiente", StatusFlagged: "En revisión"}[p.Status]},
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
	pdf.CellFormat(120, 8, tr("Factura"), "B", 0, "L", true, 0, "")
	pdf.CellFormat(0, 8, tr("Valor aplicado"), "B", 1, "R", true, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	for _, al := range p.Allocation {
		pdf.CellFormat(120, 7, tr(d.Invoices[al.ID]), "B", 0, "L", false, 0, "")
		pdf.CellFormat(0, 7, tr(money.Format(al.Amount, p.Currency, d.Locale)), "B", 1, "R", false, 0, "")
	}
	var discounts int64
	for _, ch := range p.Charges {
		discounts += ch.Discount
		if ch.Interest > 0 {
			pdf.CellFormat(120, 7, tr("Intereses de mora, factura "+d.Invoices[ch.AccountID]), "B", 0, "L", false, 0, "")
			pdf.CellFormat(0, 7, tr(money.Format(ch.Interest, p.Currency, d.Locale)), "B", 1, "R", false, 0, "")
		}
	}
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(120, 9, tr("Total pagado"), "", 0, "L", false, 0, "")
	pdf.CellFormat(0, 9, tr(money.Format(p.Amount, p.Currency, d.Locale)), "", 1, "R", false, 0, "")
	if discounts > 0 {
		pdf.SetFont("Helvetica", "", 10)
		pdf.CellFormat(120, 7, tr("Descuentos concedidos (no cobrados)"), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 7, tr(money.Format(discounts, p.Currency, d.Locale)), "", 1, "R", false, 0, "")
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(93, 107, 122)
	pdf.MultiCell(0, 5, tr("Este recibo certifica el pago aplicado a las facturas indicadas. Consérvelo como soporte."), "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt pdf: %w", err)
	}
	return buf.Bytes(), nil
}
