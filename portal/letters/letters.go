// Package letters writes the collection letters: a level's text in the
// tenant's language, every open invoice the reader may see priced by the
// money engine on the letter's date, the payment reference and a QR code
// with a payment link to those invoices.
package letters

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"
	"github.com/skip2/go-qrcode"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/i18n"
	"cartera/portal/money"
	"cartera/portal/paylinks"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Service renders letters.
type Service struct {
	db        *store.DB
	tenants   *tenants.Service
	policy    *strategy.Service
	accounts  *accounts.Service
	links     *paylinks.Service
	publicURL string
	translate func(lang, key string) string
	// Now is the clock (Options.Now; tests move it).
	Now func() time.Time
}

// Options are the letters' optional parts.
type Options struct {
	// Links issues the payment link the letter's QR carries (nil: the QR
	// is the tenant's debtor page).
	Links *paylinks.Service
	// PublicURL is where debtors log in; Translate the catalogue (nil
	// shows the keys); Now the clock (nil: the real time).
	PublicURL string
	Translate func(lang, key string) string
	Now       func() time.Time
}

// New wires the service.
func New(db *store.DB, t *tenants.Service, p *strategy.Service, acc *accounts.Service, o Options) *Service {
	return &Service{db: db, tenants: t, policy: p, accounts: acc, links: o.Links, publicURL: o.PublicURL, translate: o.Translate, Now: o.Now}
}

func (s *Service) tr(lang, key string) string {
	if s.translate == nil {
		return key
	}
	return s.translate(lang, key)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// Letter levels, firmer each time.
var letterLevels = []string{"1", "2", "3", "final"}

// LetterData is what a letter says.
type LetterData struct {
	Level      string
	Company    string
	Date       time.Time
	DebtorName string
	Address    string
	Invoices   []LetterInvoice
	Currency   string
	Locale     string
	PortalURL  string
	PayURL     string // the QR's payment link to the letter's invoices (empty: the QR is PortalURL)
	Code       string // a new access code issued for this letter, or empty
	Reference  string // the debtor's payment reference (accounts.PaymentReference)
	// T is the catalogue in the letter's language (the tenant's): the
	// bodies by level are letter.<level>.* — a courteous reminder, a firm
	// request, a notice before credit reporting (in Colombia naming Ley
	// 1266 de 2008 art. 12 and its 20 days) and a final notice before
	// legal action.
	T    func(key string) string
	Lang string
}

// LetterInvoice is one open invoice in a letter, priced by the money
// engine on the letter's date as the statement prices it.
type LetterInvoice struct {
	Invoice     string
	DueDate     time.Time
	DaysPastDue int
	Balance     int64 // principal
	Interest    int64 // late interest owed on the letter's date
}

// Owed is the invoice's principal and interest.
func (l LetterInvoice) Owed() int64 { return l.Balance + l.Interest }

// Letter renders the letter of a level for an account's debtor, with every
// open invoice the debtor owes the tenant that the caller may see (a
// collector: those of accounts assigned to them). The caller must be allowed to see
// the account (collectors only theirs). withCode issues a new access code
// for the debtor portal (managers and admins only; the old code stops
// working) and prints it on the letter.
func (s *Service) Letter(ctx context.Context, tenant, key, level string, withCode bool) ([]byte, error) {
	found := false
	for _, l := range letterLevels {
		found = found || l == level
	}
	if !found {
		return nil, apperr.Field("level", "use 1, 2, 3 o final")
	}
	role := actor.From(ctx).Role
	if withCode && role != tenants.RoleAdmin && role != tenants.RoleManager {
		return nil, fmt.Errorf("letter with access code: %w", apperr.ErrForbidden)
	}
	det, err := s.accounts.Get(ctx, tenant, key) // membership and the collector rule
	if err != nil {
		return nil, err
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	sc := s.db.Tenant(tenant)
	now := s.now()
	loc := t.Location()
	today := civilToday(now, loc)
	d := LetterData{Level: level, Company: t.Name, Date: now.In(loc), DebtorName: det.Debtor.Name, Currency: det.Currency,
		Locale: t.Locale, PortalURL: tenants.DebtorURL(s.publicURL, t.ID), Lang: i18n.OfLocale(t.Locale),
		Reference: accounts.PaymentReference(tenant, det.Debtor.Document)}
	for i := len(det.Debtor.Contacts) - 1; i >= 0; i-- {
		if c := det.Debtor.Contacts[i]; c.Kind == "address" && !c.Invalid {
			d.Address = strings.TrimSpace(c.Value + "\n" + c.City)
			break
		}
	}
	rules, err := s.policy.Rules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	day := accounts.CivilDay(now, loc)
	var ids []string // the letter's invoices, which its payment link offers
	for _, id := range det.Debtor.AccountIDs {
		var a accounts.Account
		if err := sc.C("accounts").Get(ctx, id, &a); errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if a.Status != accounts.StatusOpen {
			continue
		}
		pos := accounts.Price(rules, nil, a, day)
		if pos.Owed() <= 0 {
			continue
		}
		if role == tenants.RoleCollector && a.CollectorID != actor.From(ctx).UserID {
			continue // only what the caller may see: a collector's own accounts
		}
		ids = append(ids, a.ID)
		d.Invoices = append(d.Invoices, LetterInvoice{Invoice: a.Invoice, DueDate: a.DueDate, DaysPastDue: max(0, daysBetween(a.DueDate, today)),
			Balance: pos.Principal, Interest: pos.Interest})
	}
	if withCode {
		if d.Code, err = s.accounts.NewDebtorCode(ctx, tenant, det.Debtor.Document); err != nil {
			return nil, err
		}
	}
	if s.links != nil && len(ids) > 0 {
		token, err := s.links.Issue(ctx, tenant, det.Debtor.ID, ids, "letter:"+level+":"+key)
		if err != nil {
			return nil, err
		}
		d.PayURL = paylinks.URL(d.PortalURL, token)
	}
	d.T = func(key string) string { return s.tr(d.Lang, key) }
	return LetterPDF(d)
}

// LetterPDF renders a letter on A4 with the core Helvetica font (cp1252
// through the translator, so Spanish accents print without a font file).
func LetterPDF(d LetterData) ([]byte, error) {
	if !slices.Contains(letterLevels, d.Level) {
		return nil, apperr.Field("level", "use 1, 2, 3 o final")
	}
	t := d.T
	if t == nil {
		t = func(key string) string { return key }
	}
	f := func(key string, kv ...string) string {
		vars := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			vars[kv[i]] = kv[i+1]
		}
		return i18n.Fill(t(key), vars)
	}
	title := t("letter." + d.Level + ".title")
	pdf := gofpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(tr(title+" — "+d.Company), false)
	pdf.SetCreator("Cartera", false)
	pdf.SetMargins(22, 20, 22)
	pdf.SetAutoPageBreak(true, 22)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(110, 120, 130)
		pdf.CellFormat(0, 5, tr(f("letter.page", "company", d.Company, "n", fmt.Sprint(pdf.PageNo()), "nb", "{nb}")), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	ink := func() { pdf.SetTextColor(29, 39, 51) }

	// Letterhead, with the QR of the debtor link at the right.
	pdf.SetTextColor(15, 92, 140)
	pdf.SetFont("Helvetica", "B", 15)
	pdf.CellFormat(0, 8, tr(d.Company), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(93, 107, 122)
	pdf.CellFormat(0, 5, tr(t("letter.area")), "", 1, "L", false, 0, "")
	qr := d.PayURL
	if qr == "" {
		qr = d.PortalURL
	}
	if qr != "" {
		if png, err := qrcode.Encode(qr, qrcode.Medium, 256); err == nil {
			pdf.RegisterImageOptionsReader("qr", gofpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
			pdf.ImageOptions("qr", 166, 14, 22, 22, false, gofpdf.ImageOptions{ImageType: "PNG"}, 0, qr)
			pdf.SetXY(160, 36)
			pdf.SetFont("Helvetica", "", 7)
			pdf.CellFormat(34, 4, tr(t("letter.qr")), "", 0, "C", false, 0, "")
			pdf.SetXY(22, 30)
		}
	}
	pdf.SetDrawColor(15, 92, 140)
	pdf.SetLineWidth(0.6)
	pdf.Line(22, 41, 188, 41)
	pdf.SetY(44)

	ink()
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 5, tr(i18n.LongDate(d.Date, d.Lang)), "", 1, "R", false, 0, "")
	pdf.Ln(4)
	pdf.CellFormat(0, 5, tr(t("letter.to")), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(0, 5, tr(d.DebtorName), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, line := range strings.Split(d.Address, "\n") {
		if line != "" {
			pdf.CellFormat(0, 5, tr(line), "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(6)

	// Subject, firmer by level.
	red := map[string][3]int{"1": {15, 92, 140}, "2": {176, 96, 0}, "3": {180, 40, 40}, "final": {150, 20, 20}}[d.Level]
	pdf.SetTextColor(red[0], red[1], red[2])
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 7, tr(f("letter.subject", "title", title)), "", 1, "L", false, 0, "")
	ink()
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(0, 5.2, tr(f("letter.dear", "name", d.DebtorName)), "", "L", false)
	pdf.Ln(2)
	pdf.MultiCell(0, 5.2, tr(t("letter."+d.Level+".opening")), "", "J", false)
	pdf.Ln(4)

	// The open invoices.
	fmtMoney := func(v int64) string { return money.Format(v, d.Currency, d.Locale) }
	cols := []struct {
		title string
		w     float64
		align string
	}{{t("letter.col.invoice"), 36, "L"}, {t("letter.col.due"), 26, "L"}, {t("letter.col.days"), 22, "R"}, {t("letter.col.principal"), 28, "R"}, {t("letter.col.interest"), 26, "R"}, {t("letter.col.total"), 30, "R"}}
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetFillColor(15, 92, 140)
	pdf.SetTextColor(255, 255, 255)
	for _, c := range cols {
		pdf.CellFormat(c.w, 7, tr(c.title), "", 0, c.align, true, 0, "")
	}
	pdf.Ln(-1)
	ink()
	pdf.SetFont("Helvetica", "", 9)
	var principal, interest int64
	for i, inv := range d.Invoices {
		pdf.SetFillColor(241, 245, 249)
		vals := []string{inv.Invoice, i18n.ShortDate(inv.DueDate, d.Lang), fmt.Sprint(inv.DaysPastDue), fmtMoney(inv.Balance), fmtMoney(inv.Interest), fmtMoney(inv.Owed())}
		for j, c := range cols {
			pdf.CellFormat(c.w, 6.5, tr(vals[j]), "B", 0, c.align, i%2 == 1, 0, "")
		}
		pdf.Ln(-1)
		principal += inv.Balance
		interest += inv.Interest
	}
	// The totals: principal, late interest to the letter's date and what
	// is owed, the figures the debtor's statement shows on that day.
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetFillColor(228, 240, 248)
	pdf.CellFormat(cols[0].w+cols[1].w+cols[2].w, 8, tr(t("letter.total")), "T", 0, "L", true, 0, "")
	pdf.CellFormat(cols[3].w, 8, tr(fmtMoney(principal)), "T", 0, "R", true, 0, "")
	pdf.CellFormat(cols[4].w, 8, tr(fmtMoney(interest)), "T", 0, "R", true, 0, "")
	pdf.CellFormat(cols[5].w, 8, tr(fmtMoney(principal+interest)), "T", 1, "R", true, 0, "")
	pdf.Ln(5)

	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(0, 5.2, tr(t("letter."+d.Level+".closing")), "", "J", false)
	pdf.Ln(4)

	// How to pay.
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(0, 6, tr(t("letter.howToPay")), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(0, 5.2, tr(f("letter.howText", "url", d.PortalURL)), "", "L", false)
	if d.Reference != "" {
		pdf.MultiCell(0, 5.2, tr(f("letter.reference", "ref", d.Reference)), "", "L", false)
	}
	if d.Code != "" {
		pdf.Ln(2)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.SetFillColor(255, 247, 230)
		pdf.CellFormat(0, 9, tr(f("letter.code", "code", d.Code)), "1", 1, "C", true, 0, "")
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 5, tr(t("letter.codeNote")), "", 1, "L", false, 0, "")
	}
	pdf.Ln(10)
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 5, tr(t("letter.regards")), "", 1, "L", false, 0, "")
	pdf.Ln(10)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(0, 5, tr(t("letter.area")), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 5, tr(d.Company), "", 1, "L", false, 0, "")

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("letter pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// civilToday is today's calendar date in loc at UTC midnight (how due
// dates are stored).
func civilToday(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func daysBetween(from, to time.Time) int {
	return int(to.Sub(from).Hours() / 24)
}
