package debtors

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/i18n"
	"cartera/portal/money"
)

// PDFOptions are the words and links of a statement PDF.
type PDFOptions struct {
	T         func(key string) string // the translation table, in the reader's language
	Lang      string
	PortalURL string // the tenant's debtor link (tenants.DebtorURL)
	// Pending are payments on their way (an OXXO voucher, a PSE or SPEI
	// transfer): listed under the total, not yet taken off it.
	Pending []PendingLine
}

// PendingLine is a payment on its way, as the statement PDF lists it.
type PendingLine struct {
	Amount int64
	Method string // card, pse, nequi, bancolombia, oxxo, spei
	Since  time.Time
}

// date writes a date in figures in the reader's language (03/05/2026 in
// English, 05/03/2026 in Spanish: the one formatter).
func (o PDFOptions) date(_ Statement, t time.Time) string { return i18n.ShortDate(t, o.Lang) }

// StatementPDF renders a statement on A4 with the core Helvetica font
// (cp1252, so accents print without a font file): the company, the debtor
// with a masked document, the date, one row per invoice, totals, how to pay
// and page numbers. Money is written in the tenant's locale.
func StatementPDF(s Statement, o PDFOptions) ([]byte, error) {
	t := o.T
	loc := s.Tenant.Locale
	fmtMoney := func(v int64) string { return i18n.Money(v, s.Currency, loc) }

	pdf := gofpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(tr(t("debtor.pdf.title")+" — "+s.Tenant.Name), false)
	pdf.SetCreator("Cartera", false)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(110, 120, 130)
		page := strings.NewReplacer("{n}", strconv.Itoa(pdf.PageNo()), "{total}", "{nb}").Replace(t("debtor.pdf.page"))
		pdf.CellFormat(0, 5, tr(s.Tenant.Name+" · "+t("debtor.pdf.title")), "", 0, "L", false, 0, "")
		pdf.SetX(15)
		pdf.CellFormat(0, 5, tr(page), "", 0, "R", false, 0, "")
	})
	cols := []struct {
		key   string
		w     float64
		align string
	}{
		{"debtor.col.invoice", 30, "L"}, {"debtor.col.dueDate", 24, "L"}, {"debtor.col.daysPastDue", 16, "R"},
		{"debtor.col.balance", 28, "R"}, {"debtor.col.interest", 26, "R"}, {"debtor.col.discount", 26, "R"}, {"debtor.col.total", 30, "R"},
	}
	header := func() {
		pdf.SetFont("Helvetica", "B", 8)
		pdf.SetFillColor(15, 92, 140)
		pdf.SetTextColor(255, 255, 255)
		for _, c := range cols {
			pdf.CellFormat(c.w, 7, tr(t(c.key)), "", 0, c.align, true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetTextColor(29, 39, 51)
	}
	pdf.AddPage()

	// Heading: company, title, date.
	pdf.SetTextColor(15, 92, 140)
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 8, tr(s.Tenant.Name), "", 1, "L", false, 0, "")
	pdf.SetTextColor(29, 39, 51)
	pdf.SetFont("Helvetica", "", 13)
	pdf.CellFormat(0, 7, tr(t("debtor.pdf.title")), "", 1, "L", false, 0, "")
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "", 10)
	kv := func(k, v string) {
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(38, 6, tr(k), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.CellFormat(0, 6, tr(v), "", 1, "L", false, 0, "")
	}
	kv(t("debtor.pdf.debtor"), s.DebtorName)
	kv(t("debtor.pdf.documentLabel"), Mask(s.Document))
	kv(t("debtor.pdf.asOf"), o.date(s, s.AsOf))
	if ref := accounts.PaymentReference(s.Tenant.ID, s.Document); ref != "" {
		kv(t("money.paymentReference"), ref)
	}
	pdf.Ln(4)

	// Invoices.
	if len(s.Lines) == 0 {
		pdf.SetFont("Helvetica", "", 10)
		pdf.CellFormat(0, 8, tr(t("debtor.none")), "", 1, "L", false, 0, "")
	} else {
		header()
		pdf.SetFont("Helvetica", "", 8)
		for i, l := range s.Lines {
			if pdf.GetY() > 265 {
				pdf.AddPage()
				header()
				pdf.SetFont("Helvetica", "", 8)
			}
			fill := i%2 == 1
			pdf.SetFillColor(241, 245, 249)
			inv := l.Invoice
			if l.Disputed {
				inv += " *"
			}
			if l.PlanID != "" {
				inv += " (P)"
			}
			vals := []string{inv, o.date(s, l.DueDate), strconv.Itoa(l.DaysPastDue), fmtMoney(l.Balance), fmtMoney(l.Interest), fmtMoney(l.Discount), fmtMoney(l.Total())}
			for j, c := range cols {
				pdf.CellFormat(c.w, 6.5, tr(vals[j]), "B", 0, c.align, fill, 0, "")
			}
			pdf.Ln(-1)
		}
		// Totals row.
		pdf.SetFont("Helvetica", "B", 9)
		pdf.SetFillColor(228, 240, 248)
		lead := cols[0].w + cols[1].w + cols[2].w
		var bal int64
		for _, l := range s.Lines {
			bal += l.Balance
		}
		pdf.CellFormat(lead, 8, tr(t("debtor.total")), "T", 0, "L", true, 0, "")
		pdf.CellFormat(cols[3].w, 8, tr(fmtMoney(bal)), "T", 0, "R", true, 0, "")
		pdf.CellFormat(cols[4].w, 8, tr(fmtMoney(s.InterestTotal)), "T", 0, "R", true, 0, "")
		pdf.CellFormat(cols[5].w, 8, tr(fmtMoney(s.DiscountTotal)), "T", 0, "R", true, 0, "")
		pdf.CellFormat(cols[6].w, 8, tr(fmtMoney(s.Total)), "T", 1, "R", true, 0, "")
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(93, 107, 122)
		_, mark := money.Marks(loc) // the tenant's decimal mark, like its money
		rate := strings.Replace(calc.FormatBP(s.Policy.LateInterestBP), ".", string(mark), 1)
		note := strings.ReplaceAll(t("debtor.pdf.interestNote"), "{rate}", rate)
		pdf.MultiCell(0, 4.2, tr(note), "", "L", false)
		for _, l := range s.Lines {
			if l.Disputed {
				pdf.MultiCell(0, 4.2, tr("* "+t("debtor.pdf.disputedNote")), "", "L", false)
				break
			}
		}
		if s.Plan != nil {
			pdf.MultiCell(0, 4.2, tr(t("debtor.pdf.planNote")), "", "L", false)
		}
		pdf.SetTextColor(29, 39, 51)
	}

	// The plan's next installment, when a plan covers some invoice.
	if s.Plan != nil && s.Plan.Next != nil {
		n := s.Plan.Next
		label := t("debtor.pdf.planDown")
		if n.N > 0 {
			label = strings.NewReplacer("{n}", strconv.Itoa(n.N), "{total}", strconv.Itoa(s.Plan.Installments)).Replace(t("debtor.pdf.planInstallment"))
		}
		key := "debtor.pdf.planNext"
		if n.Status == "missed" {
			key = "debtor.pdf.planNextMissed"
		}
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "B", 10)
		pdf.SetFillColor(255, 247, 230)
		pdf.MultiCell(0, 6, tr(strings.NewReplacer("{label}", label, "{amount}", fmtMoney(n.Amount), "{date}", o.date(s, n.Date)).Replace(t(key))), "", "L", true)
	}

	// Amount due, prominent.
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 12)
	totalKey := "debtor.pdf.totalToday"
	if s.Plan != nil { // the plan's installments are what is due, not the whole balance
		totalKey = "debtor.totalLabelPlan"
	}
	pdf.CellFormat(120, 9, tr(t(totalKey)), "", 0, "L", false, 0, "")
	pdf.SetTextColor(15, 92, 140)
	pdf.CellFormat(0, 9, tr(fmtMoney(s.Total)), "", 1, "R", false, 0, "")
	pdf.SetTextColor(29, 39, 51)
	if len(o.Pending) > 0 {
		pdf.Ln(2)
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(0, 6, tr(t("pay.pendingTitle")), "", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		for _, p := range o.Pending {
			line := strings.NewReplacer("{amount}", fmtMoney(p.Amount), "{method}", t("pay.method."+p.Method),
				"{date}", o.date(s, p.Since.In(s.Tenant.Location()))).Replace(t("pay.pendingItem"))
			pdf.MultiCell(0, 5, tr("- "+line), "", "L", false)
		}
	}

	// How to pay.
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(0, 7, tr(t("debtor.pdf.howToPay")), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	url := o.PortalURL
	pdf.MultiCell(0, 5, tr(strings.ReplaceAll(t("debtor.pdf.payText"), "{url}", url)), "", "L", false)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("statement pdf: %w", err)
	}
	return buf.Bytes(), nil
}
