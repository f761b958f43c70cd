package reports

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"

	"cartera/portal/i18n"
)

// PDFOptions are the words of a report PDF in the reader's language.
type PDFOptions struct {
	T    func(key string) string // the translation table
	Lang string                  // es or en
}

// colours of the house (the pages' palette).
var (
	ink    = [3]int{29, 39, 51}
	muted  = [3]int{93, 107, 122}
	brand  = [3]int{15, 92, 140}
	accent = [3]int{230, 126, 34}
	band   = [3]int{241, 245, 249}
)

// doc is a gofpdf document with the helpers every report uses.
type doc struct {
	*gofpdf.Fpdf
	o        PDFOptions
	tr       func(string) string
	currency string
	locale   string
}

func newDoc(o PDFOptions, title, tenant, currency, locale string) *doc {
	pdf := gofpdf.New("P", "mm", "A4", "")
	d := &doc{Fpdf: pdf, o: o, tr: pdf.UnicodeTranslatorFromDescriptor(""), currency: currency, locale: locale}
	pdf.SetTitle(d.tr(title+" — "+tenant), false)
	pdf.SetCreator("Cartera", false)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		pdf.SetFont("Helvetica", "", 8)
		d.color(muted)
		page := strings.NewReplacer("{n}", strconv.Itoa(pdf.PageNo()), "{total}", "{nb}").Replace(o.T("reports.pdf.page"))
		pdf.CellFormat(0, 5, d.tr(tenant+" · "+title), "", 0, "L", false, 0, "")
		pdf.SetX(15)
		pdf.CellFormat(0, 5, d.tr(page), "", 0, "R", false, 0, "")
	})
	return d
}

func (d *doc) color(c [3]int)       { d.SetTextColor(c[0], c[1], c[2]) }
func (d *doc) fill(c [3]int)        { d.SetFillColor(c[0], c[1], c[2]) }
func (d *doc) draw(c [3]int)        { d.SetDrawColor(c[0], c[1], c[2]) }
func (d *doc) money(v int64) string { return i18n.Money(v, d.currency, d.locale) }

// whole is money without the cents, for chart axes.
func (d *doc) whole(v int64) string {
	s := i18n.Money(v/100*100, d.currency, d.locale)
	return s[:len(s)-3]
}

// pct, int and decimal write figures as the tenant's locale reads them,
// like its money, whatever the language of the words (the one formatter).
func (d *doc) pct(bp int64) string      { return i18n.Percent(bp, d.locale) }
func (d *doc) int(n int64) string       { return i18n.Int(n, d.locale) }
func (d *doc) decimal(f float64) string { return i18n.Decimal(f, 1, d.locale) }

// Date writes a civil date as people read it: "5 de marzo de 2026" or
// "March 5, 2026".
func Date(t time.Time, T func(string) string, lang string) string {
	m := T("reports.month." + strconv.Itoa(int(t.Month())))
	if lang == "en" {
		return fmt.Sprintf("%s %d, %d", m, t.Day(), t.Year())
	}
	return fmt.Sprintf("%d de %s de %d", t.Day(), m, t.Year())
}

func (d *doc) date(t time.Time) string { return Date(t, d.o.T, d.o.Lang) }

// monthLabel is "mar 2026" for a "2026-03" month.
func (d *doc) monthLabel(ym string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	m := d.o.T("reports.month." + strconv.Itoa(int(t.Month())))
	r := []rune(m)
	if len(r) > 3 {
		m = string(r[:3])
	}
	return m + " " + t.Format("06")
}

// heading writes a section title.
func (d *doc) heading(s string) {
	d.Ln(2)
	d.SetFont("Helvetica", "B", 12)
	d.color(brand)
	d.CellFormat(0, 8, d.tr(s), "", 1, "L", false, 0, "")
	d.color(ink)
}

// kv writes one labelled figure of a two-column table.
func (d *doc) kv(label, value string, shade, bold bool) {
	d.fill(band)
	d.SetFont("Helvetica", "", 10)
	if bold {
		d.SetFont("Helvetica", "B", 10)
	}
	d.CellFormat(120, 7, d.tr(label), "", 0, "L", shade, 0, "")
	d.CellFormat(60, 7, d.tr(value), "", 1, "R", shade, 0, "")
}

// table writes a header and rows with column widths and alignments.
func (d *doc) table(heads []string, widths []float64, aligns []string, rows [][]string, bold map[int]bool) {
	header := func() {
		d.SetFont("Helvetica", "B", 8.5)
		d.fill(brand)
		d.SetTextColor(255, 255, 255)
		for i, h := range heads {
			d.CellFormat(widths[i], 7, d.tr(h), "", 0, aligns[i], true, 0, "")
		}
		d.Ln(-1)
		d.color(ink)
	}
	header()
	for r, row := range rows {
		if d.GetY() > 268 {
			d.AddPage()
			header()
		}
		d.SetFont("Helvetica", "", 8.5)
		if bold[r] {
			d.SetFont("Helvetica", "B", 8.5)
		}
		d.fill(band)
		for i, c := range row {
			d.CellFormat(widths[i], 6.5, d.tr(c), "B", 0, aligns[i], r%2 == 1, 0, "")
		}
		d.Ln(-1)
	}
}

// niceMax rounds a chart's top up to 1, 2 or 5 × 10^n and returns it with
// its tick step (four ticks).
func niceMax(v float64) (top, step float64) {
	if v <= 0 {
		return 4, 1
	}
	raw := v / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return step * 4, step
}

// chart draws a titled frame at the current position and returns its plot
// area; label formats the y axis.
type plot struct{ x, y, w, h, top float64 }

func (d *doc) axes(title string, height float64, maxV float64, label func(float64) string) plot {
	d.heading(title)
	x0, y0 := 15.0, d.GetY()
	left := 30.0
	p := plot{x: x0 + left, y: y0 + 3, w: 180 - left - 2, h: height - 14}
	top, step := niceMax(maxV)
	p.top = top
	d.SetFont("Helvetica", "", 7)
	d.SetLineWidth(0.15)
	for v := 0.0; v <= top+step/2; v += step {
		y := p.y + p.h - v/top*p.h
		d.draw([3]int{220, 226, 232})
		d.Line(p.x, y, p.x+p.w, y)
		d.color(muted)
		d.SetXY(x0, y-2)
		d.CellFormat(left-2, 4, d.tr(label(v)), "", 0, "R", false, 0, "")
	}
	d.draw(muted)
	d.Line(p.x, p.y+p.h, p.x+p.w, p.y+p.h)
	d.color(ink)
	d.SetY(y0 + height)
	return p
}

// bars draws one bar per value with its label below and its value above.
func (d *doc) bars(p plot, labels []string, values []int64, c [3]int, valueLabel func(int64) string) {
	n := float64(len(values))
	slot := p.w / n
	bw := slot * 0.62
	y := d.GetY()
	for i, v := range values {
		x := p.x + slot*float64(i) + (slot-bw)/2
		h := float64(v) / 100 / p.top * p.h
		if h < 0 {
			h = 0
		}
		d.fill(c)
		if h > 0 {
			d.Rect(x, p.y+p.h-h, bw, h, "F")
		}
		d.SetFont("Helvetica", "", 6.5)
		d.color(ink)
		if v != 0 && valueLabel != nil {
			d.SetXY(p.x+slot*float64(i), p.y+p.h-h-4)
			d.CellFormat(slot, 4, d.tr(valueLabel(v)), "", 0, "C", false, 0, "")
		}
		d.color(muted)
		d.SetFont("Helvetica", "", 7)
		d.SetXY(p.x+slot*float64(i), p.y+p.h+1)
		d.CellFormat(slot, 4, d.tr(labels[i]), "", 0, "C", false, 0, "")
	}
	d.color(ink)
	d.SetY(y)
}

// line draws a polyline with a dot per point (values in basis points).
func (d *doc) line(p plot, labels []string, bps []int64, c [3]int) {
	n := float64(len(bps))
	slot := p.w / n
	y := d.GetY()
	d.draw(c)
	d.fill(c)
	d.SetLineWidth(0.6)
	var px, py float64
	for i, bp := range bps {
		x := p.x + slot*float64(i) + slot/2
		yy := p.y + p.h - float64(bp)/100/p.top*p.h
		if i > 0 {
			d.Line(px, py, x, yy)
		}
		d.Circle(x, yy, 0.9, "F")
		if bp != 0 {
			d.SetFont("Helvetica", "", 6.5)
			d.color(ink)
			d.SetXY(x-slot/2, yy-5)
			d.CellFormat(slot, 4, d.tr(d.pct(bp)), "", 0, "C", false, 0, "")
		}
		d.color(muted)
		d.SetFont("Helvetica", "", 7)
		d.SetXY(x-slot/2, p.y+p.h+1)
		d.CellFormat(slot, 4, d.tr(labels[i]), "", 0, "C", false, 0, "")
		px, py = x, yy
	}
	d.SetLineWidth(0.2)
	d.color(ink)
	d.SetY(y)
}

func (d *doc) bytes(what string) ([]byte, error) {
	var buf bytes.Buffer
	if err := d.Output(&buf); err != nil {
		return nil, fmt.Errorf("%s pdf: %w", what, err)
	}
	return buf.Bytes(), nil
}

// cover writes the first page's title block.
func (d *doc) cover(title, tenant string, p Period, generated time.Time) {
	d.AddPage()
	d.fill(brand)
	d.Rect(0, 0, 210, 52, "F")
	d.SetTextColor(255, 255, 255)
	d.SetXY(15, 14)
	d.SetFont("Helvetica", "", 11)
	d.CellFormat(0, 6, d.tr(d.o.T("reports.pdf.brand")), "", 1, "L", false, 0, "")
	d.SetX(15)
	d.SetFont("Helvetica", "B", 20)
	d.CellFormat(0, 11, d.tr(title), "", 1, "L", false, 0, "")
	d.SetX(15)
	d.SetFont("Helvetica", "B", 13)
	d.CellFormat(0, 8, d.tr(tenant), "", 1, "L", false, 0, "")
	d.SetY(58)
	d.color(ink)
	d.SetFont("Helvetica", "", 10)
	period := strings.NewReplacer("{from}", d.date(p.From), "{to}", d.date(p.To)).Replace(d.o.T("reports.pdf.period"))
	d.CellFormat(0, 6, d.tr(period), "", 1, "L", false, 0, "")
	d.color(muted)
	d.SetFont("Helvetica", "", 8.5)
	gen := strings.ReplaceAll(d.o.T("reports.pdf.generated"), "{date}", d.date(generated.In(p.Loc)))
	d.CellFormat(0, 5, d.tr(gen), "", 1, "L", false, 0, "")
	d.color(ink)
	d.Ln(2)
}

// RecoveryPDF renders the recovery report of k: a cover with the tenant and
// period and the KPI table, the charts (aging, monthly recovery, recovery
// rate by month), then the aging and collector tables.
func RecoveryPDF(k KPIs, o PDFOptions) ([]byte, error) {
	T := o.T
	title := T("reports.pdf.recoveryTitle")
	who := k.TenantName
	if k.Segment != "" {
		who += " · " + T("reports.segment") + ": " + k.Segment
	}
	d := newDoc(o, title, who, k.Currency, k.Locale)
	d.cover(title, who, k.period, k.GeneratedAt)

	d.heading(T("reports.pdf.kpis"))
	rows := []struct {
		label, value string
		bold         bool
	}{
		{strings.ReplaceAll(T("reports.kpi.placedN"), "{n}", d.int(k.Placed.Count)), d.money(k.Placed.Amount), true},
		{T("reports.kpi.recovered"), d.money(k.Recovered.Amount), true},
		{"    " + T("reports.channel.online"), d.money(k.Recovered.ByChannel["online"]), false},
		{"    " + T("reports.channel.manual"), d.money(k.Recovered.ByChannel["manual"]), false},
		{"    " + T("reports.channel.client_reported"), d.money(k.Recovered.ByChannel["client_reported"]), false},
		{"    " + T("reports.kpi.reversals"), d.money(-k.Recovered.Reversals), false},
		{T("reports.kpi.collected"), d.money(k.Collected), true},
		{T("reports.kpi.recoveryRate"), d.pct(k.RecoveryRate.BP), true},
		{strings.ReplaceAll(T("reports.kpi.outstandingN"), "{n}", d.int(k.Outstanding.Count)), d.money(k.Outstanding.Amount), true},
		{T("reports.kpi.dso"), dsoText(d, k.DSO), false},
		{T("reports.kpi.promisesMade"), d.int(k.Promises.Made) + " · " + d.money(k.Promises.MadeAmount), false},
		{T("reports.kpi.promisesKept"), d.int(k.Promises.Kept) + " / " + d.int(k.Promises.Kept+k.Promises.Broken) + " · " + d.pct(k.Promises.KeptRate.BP), false},
		{T("reports.kpi.disputes"), d.int(k.Disputes.Opened) + " · " + d.int(k.Disputes.Accepted) + " · " + d.int(k.Disputes.Rejected), false},
		{T("reports.kpi.disputeDays"), medianText(d, k.Disputes.MedianDaysToResolve), false},
		{T("reports.kpi.contactRate"), d.pct(k.ContactRate.BP) + " (" + d.int(k.ContactRate.Contacted) + "/" + d.int(k.ContactRate.Open) + ")", false},
		{T("reports.kpi.rightParty"), d.pct(k.ContactRate.RightBP) + " (" + d.int(k.ContactRate.RightParty) + "/" + d.int(k.ContactRate.Open) + ")", false},
		{T("reports.kpi.plans"), strings.NewReplacer("{active}", d.int(k.Plans.Active), "{created}", d.int(k.Plans.Created),
			"{completed}", d.int(k.Plans.Completed), "{defaulted}", d.int(k.Plans.Defaulted)).Replace(T("reports.plans.summary")), false},
	}
	for i, r := range rows {
		d.kv(r.label, r.value, i%2 == 0, r.bold)
	}
	d.Ln(3)
	d.SetFont("Helvetica", "", 7.5)
	d.color(muted)
	d.MultiCell(0, 3.8, d.tr(T("reports.pdf.definitions")), "", "L", false)
	d.color(ink)

	// Charts.
	d.AddPage()
	labels := make([]string, len(k.Aging))
	amounts := make([]int64, len(k.Aging))
	var maxA int64
	for i, b := range k.Aging {
		labels[i] = T("reports.bucket." + b.Bucket)
		amounts[i] = b.Amount
		maxA = max(maxA, b.Amount)
	}
	compact := func(v int64) string { return d.whole(v) }
	p := d.axes(T("reports.chart.aging"), 72, float64(maxA)/100, func(v float64) string { return d.whole(int64(v * 100)) })
	d.bars(p, labels, amounts, brand, compact)
	mlabels := make([]string, len(k.Monthly))
	rec := make([]int64, len(k.Monthly))
	bps := make([]int64, len(k.Monthly))
	var maxR, maxBP int64
	for i, m := range k.Monthly {
		mlabels[i] = d.monthLabel(m.Month)
		rec[i] = m.Recovered
		bps[i] = m.RateBP
		maxR = max(maxR, m.Recovered)
		maxBP = max(maxBP, m.RateBP)
	}
	p = d.axes(T("reports.chart.monthly"), 72, float64(maxR)/100, func(v float64) string { return d.whole(int64(v * 100)) })
	d.bars(p, mlabels, rec, accent, compact)
	p = d.axes(T("reports.chart.rate"), 72, float64(maxBP)/100, func(v float64) string { return d.pct(int64(v * 100)) })
	d.line(p, mlabels, bps, brand)

	// Tables.
	d.AddPage()
	d.heading(T("reports.pdf.agingTable"))
	var aRows [][]string
	for _, b := range k.Aging {
		aRows = append(aRows, []string{T("reports.bucket." + b.Bucket), d.int(b.Count), d.money(b.Amount), d.pct(ratio(b.Amount, k.Outstanding.Amount))})
	}
	aRows = append(aRows, []string{T("reports.total"), d.int(k.Outstanding.Count), d.money(k.Outstanding.Amount), d.pct(ratio(k.Outstanding.Amount, k.Outstanding.Amount))})
	d.table([]string{T("reports.col.bucket"), T("reports.col.accounts"), T("reports.col.balance"), T("reports.col.share")},
		[]float64{60, 30, 55, 35}, []string{"L", "R", "R", "R"}, aRows, map[int]bool{len(aRows) - 1: true})
	d.Ln(4)
	d.heading(T("reports.pdf.rollTable"))
	var rRows [][]string
	for _, r := range k.Roll {
		if r.Start == 0 {
			continue
		}
		rRows = append(rRows, []string{T("reports.bucket." + r.Bucket), d.money(r.Start), d.money(r.Stayed), d.money(r.Rolled), d.money(r.Resolved), d.pct(r.RollBP)})
	}
	if len(rRows) == 0 {
		d.SetFont("Helvetica", "", 10)
		d.CellFormat(0, 7, d.tr(T("reports.roll.none")), "", 1, "L", false, 0, "")
	} else {
		d.table([]string{T("reports.col.bucket"), T("reports.col.rollStart"), T("reports.col.rollStayed"), T("reports.col.rollRolled"), T("reports.col.rollResolved"), T("reports.col.rollRate")},
			[]float64{32, 32, 30, 30, 34, 22}, []string{"L", "R", "R", "R", "R", "R"}, rRows, nil)
	}
	d.Ln(4)
	d.heading(T("reports.pdf.collectors"))
	if len(k.Collectors) == 0 {
		d.SetFont("Helvetica", "", 10)
		d.CellFormat(0, 7, d.tr(T("reports.collectors.none")), "", 1, "L", false, 0, "")
	} else {
		var cRows [][]string
		for _, c := range k.Collectors {
			cRows = append(cRows, []string{c.Name, d.int(c.Accounts), d.int(c.Worked), d.int(c.Contacts), d.int(c.Promises), d.money(c.Recovered)})
		}
		d.table([]string{T("reports.col.collector"), T("reports.col.assigned"), T("reports.col.worked"), T("reports.col.contacts"), T("reports.col.promises"), T("reports.col.recovered")},
			[]float64{55, 22, 22, 22, 22, 37}, []string{"L", "R", "R", "R", "R", "R"}, cRows, nil)
	}
	d.Ln(4)
	d.heading(T("reports.pdf.monthlyTable"))
	var mRows [][]string
	for _, m := range k.Monthly {
		mRows = append(mRows, []string{d.monthLabel(m.Month), d.money(m.Placed), d.money(m.Recovered), d.pct(m.RateBP)})
	}
	d.table([]string{T("reports.col.month"), T("reports.col.placed"), T("reports.col.recovered"), T("reports.col.rate")},
		[]float64{40, 50, 50, 40}, []string{"L", "R", "R", "R"}, mRows, nil)
	return d.bytes("recovery")
}

func dsoText(d *doc, v DSO) string {
	if v.Days == nil {
		return "—"
	}
	return d.decimal(*v.Days)
}

func medianText(d *doc, v *float64) string {
	if v == nil {
		return "—"
	}
	return d.decimal(*v)
}

// RemittancePDF renders the remittance statement: period, commission rate,
// one row per payment or reversal, totals and the net to remit.
func RemittancePDF(r Remittance, o PDFOptions) ([]byte, error) {
	T := o.T
	title := T("reports.pdf.remittanceTitle")
	d := newDoc(o, title, r.TenantName, r.Currency, r.Locale)
	d.cover(title, r.TenantName, r.period, time.Now())
	d.heading(T("reports.pdf.totals"))
	d.kv(T("reports.remit.collected"), d.money(r.Collected), true, true)
	d.kv("    "+T("reports.remit.clientReported"), d.money(r.ClientReported), false, false)
	d.kv(strings.ReplaceAll(T("reports.remit.commission"), "{rate}", d.pct(r.CommissionBP)), d.money(r.Commission), true, false)
	d.kv(T("reports.remit.net"), d.money(r.Net), false, true)
	d.Ln(2)
	d.SetFont("Helvetica", "", 7.5)
	d.color(muted)
	d.MultiCell(0, 3.8, d.tr(T("reports.remit.rule")), "", "L", false)
	d.color(ink)
	d.heading(T("reports.pdf.lines"))
	if len(r.Lines) == 0 {
		d.SetFont("Helvetica", "", 10)
		d.CellFormat(0, 7, d.tr(T("reports.remit.none")), "", 1, "L", false, 0, "")
		return d.bytes("remittance")
	}
	var rows [][]string
	for _, l := range r.Lines {
		date, _ := time.ParseInLocation(time.DateOnly, l.Date, r.period.Loc)
		name := []rune(l.Debtor)
		if len(name) > 26 {
			name = append(name[:25], '…')
		}
		ch := T("reports.channel." + l.Channel)
		switch l.Kind {
		case "reversal", "interest_paid", "interest_refund":
			ch = T("reports.kind." + l.Kind)
		}
		rows = append(rows, []string{i18n.DateIn(date, d.locale), l.Invoice, string(name), ch, d.money(l.Amount), d.money(l.Commission), d.money(l.ToRemit)})
	}
	rows = append(rows, []string{T("reports.total"), "", "", "", d.money(r.Collected), d.money(r.Commission), d.money(r.Net)})
	d.table([]string{T("reports.col.date"), T("reports.col.invoice"), T("reports.col.debtor"), T("reports.col.channel"),
		T("reports.col.collected"), T("reports.col.commission"), T("reports.col.toRemit")},
		[]float64{18, 18, 38, 34, 26, 22, 24}, []string{"L", "L", "L", "L", "R", "R", "R"}, rows, map[int]bool{len(rows) - 1: true})
	return d.bytes("remittance")
}
