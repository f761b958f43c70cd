package web

import (
	"cartera/portal/apikeys"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/i18n"
	"cartera/reports"
	"cartera/tenants"
)

// reportReaders may read a tenant's reports: the client company and the
// BPO's managers (collectors get 403).
var reportReaders = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient}

func (s *Server) reportRoutes(r fiber.Router) {
	s.keyRoute(r, apikeys.ScopeReportsRead, fiber.MethodGet, "/tenants/:tenant/reports/summary", s.reportSummary, reportReaders...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/reports/recovery.pdf", s.reportRecoveryPDF, reportReaders...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/reports/remittance.pdf", s.reportRemittancePDF, reportReaders...)
	s.keyRoute(r, apikeys.ScopeReportsRead, fiber.MethodGet, "/tenants/:tenant/reports/remittance.csv", s.reportRemittanceCSV, reportReaders...)
	s.keyRoute(r, apikeys.ScopeReportsRead, fiber.MethodGet, "/tenants/:tenant/reports/accounts.csv", s.reportAccountsCSV, reportReaders...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/reports/activities.csv", s.reportActivitiesCSV, reportReaders...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/reports/monthly", s.reportMonthlyList, reportReaders...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/reports/monthly/:month/:kind", s.reportMonthlyFile, reportReaders...)
}

func (s *Server) reportMonthlyList(c *fiber.Ctx) error {
	list, err := s.Reports.MonthlyList(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) reportMonthlyFile(c *fiber.Ctx) error {
	f, name, err := s.Reports.MonthlyFile(c.UserContext(), param(c, "tenant"), param(c, "month"), param(c, "kind"))
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	ct := "application/pdf"
	if strings.HasSuffix(name, ".csv") {
		ct = "text/csv; charset=utf-8"
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return c.Send(b)
}

func (s *Server) reportSummary(c *fiber.Ctx) error {
	k, err := s.Reports.Summary(c.UserContext(), param(c, "tenant"), query(c, "from"), query(c, "to"), query(c, "segment"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(k)
}

// pdfOptions words a tenant's report PDF in the document language of this
// caller (docLang); its figures follow the tenant's locale.
func (s *Server) pdfOptions(c *fiber.Ctx, tenant string) reports.PDFOptions {
	l := s.docLang(c, tenant)
	return reports.PDFOptions{T: func(k string) string { return s.msg.T(l, k) }, Lang: l}
}

func sendPDF(c *fiber.Ctx, name string, b []byte) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return c.Send(b)
}

func (s *Server) reportRecoveryPDF(c *fiber.Ctx) error {
	k, err := s.Reports.Summary(c.UserContext(), param(c, "tenant"), query(c, "from"), query(c, "to"), query(c, "segment"))
	if err != nil {
		return err
	}
	o := s.pdfOptions(c, k.Tenant)
	b, err := reports.RecoveryPDF(k, o)
	if err != nil {
		return err
	}
	return sendPDF(c, s.phrases.T(o.Lang, "recuperacion")+"-"+k.Tenant+"-"+k.From+"-"+k.To+".pdf", b)
}

func (s *Server) reportRemittancePDF(c *fiber.Ctx) error {
	r, err := s.Reports.Remittance(c.UserContext(), param(c, "tenant"), query(c, "from"), query(c, "to"))
	if err != nil {
		return err
	}
	o := s.pdfOptions(c, r.Tenant)
	b, err := reports.RemittancePDF(r, o)
	if err != nil {
		return err
	}
	return sendPDF(c, s.phrases.T(o.Lang, "liquidacion")+"-"+r.Tenant+"-"+r.From+"-"+r.To+".pdf", b)
}

func (s *Server) reportRemittanceCSV(c *fiber.Ctx) error {
	r, err := s.Reports.Remittance(c.UserContext(), param(c, "tenant"), query(c, "from"), query(c, "to"))
	if err != nil {
		return err
	}
	l := s.docLang(c, r.Tenant)
	w := newCSV(c, s.phrases.T(l, "liquidacion")+"-"+r.Tenant+"-"+r.From+"-"+r.To+".csv")
	_ = w.Write(s.header(l, reports.RemittanceHeader))
	_ = w.WriteAll(r.Rows())
	return w.Error()
}

// streamCSV runs export into a CSV download (its first row, the header,
// in the document's language); a failure before the end drops what was
// written and answers the error instead.
func (s *Server) streamCSV(c *fiber.Ctx, lang, name string, export func(write func([]string) error) error) error {
	w := newCSV(c, name)
	first := true
	write := func(row []string) error {
		if first {
			first = false
			row = s.header(lang, row)
		}
		return w.Write(row)
	}
	if err := export(write); err != nil {
		c.Response().ResetBody()
		c.Set(fiber.HeaderContentDisposition, "")
		return err
	}
	w.Flush()
	return w.Error()
}

func (s *Server) reportAccountsCSV(c *fiber.Ctx) error {
	tenant := param(c, "tenant")
	l := s.docLang(c, tenant)
	return s.streamCSV(c, l, s.phrases.T(l, "cuentas")+"-"+tenant+".csv", func(write func([]string) error) error {
		return s.Reports.ExportAccounts(c.UserContext(), tenant, write)
	})
}

func (s *Server) reportActivitiesCSV(c *fiber.Ctx) error {
	tenant := param(c, "tenant")
	l := s.docLang(c, tenant)
	return s.streamCSV(c, l, s.phrases.T(l, "gestiones")+"-"+tenant+".csv", func(write func([]string) error) error {
		return s.Reports.ExportActivities(c.UserContext(), tenant, query(c, "from"), query(c, "to"), write)
	})
}

// docLang is the language of a tenant's documents for this caller: the
// person's choice (?lang= or the pages' lang cookie), else the tenant's
// locale (a US company's files are in English).
func (s *Server) docLang(c *fiber.Ctx, tenant string) string {
	if l := chosenLang(c); l != "" {
		return l
	}
	if t, err := s.Tenants.TenantByID(c.UserContext(), tenant); err == nil {
		return i18n.OfLocale(t.Locale)
	}
	return i18n.Default
}

// header words a CSV header in lang (the column names are Spanish in the
// code; static/i18n/phrases has them).
func (s *Server) header(lang string, cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = s.phrases.T(lang, c)
	}
	return out
}
