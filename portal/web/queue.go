package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/accounts"
	"cartera/portal/bureau"
	"cartera/portal/outbox"
	"cartera/portal/queue"
	"cartera/tenants"
)

// QueueService is the collectors' queue: worklists and next actions.
type QueueService = queue.Service

func (s *Server) queueRoutes(r fiber.Router) {
	s.route(r, fiber.MethodGet, "/work/queue", s.workQueue, workers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/outbox", s.outbox, managers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/worklists/rebuild", s.rebuildWorklists, managers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/accounts/:id/letter.pdf", s.letter, payers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/accounts/:id/steps/done", s.stepDone, workers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/accounts/:id/bureau-notices", s.bureauNotice, managers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/bureau", s.bureauList, bureauReaders...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/bureau/export.csv", s.bureauExport, bureauReaders...)
}

// bureauReaders see the credit-bureau list and its export: the client
// reports, the BPO's managers prepare it.
var bureauReaders = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient}

type bureauNoticeReq struct {
	Channel string `json:"channel"`
}

func (s *Server) bureauNotice(c *fiber.Ctx) error {
	var req bureauNoticeReq
	if err := decode(c, &req); err != nil {
		return err
	}
	it, err := s.Bureau.SendNotice(c.UserContext(), param(c, "tenant"), param(c, "id"), req.Channel)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(it)
}

func (s *Server) bureauList(c *fiber.Ctx) error {
	items, err := s.Bureau.List(c.UserContext(), param(c, "tenant"), query(c, "status"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

// bureauExport is the file the client takes to its credit bureau: every
// account on the list with its status, as Excel opens it (BOM, semicolons)
// and with no cell a spreadsheet would run as a formula.
func (s *Server) bureauExport(c *fiber.Ctx) error {
	tenant := param(c, "tenant")
	rows, err := s.Bureau.ExportRows(c.UserContext(), tenant)
	if err != nil {
		return err
	}
	l := s.docLang(c, tenant)
	w := newCSV(c, s.phrases.T(l, "centrales")+"-"+tenant+"-"+time.Now().Format("20060102")+".csv")
	if err := w.Write(s.header(l, bureau.ExportHeader)); err != nil {
		return err
	}
	for _, r := range rows {
		for i := range r {
			r[i] = accounts.SafeCell(r[i])
		}
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

type stepDoneReq struct {
	Step string `json:"step"`
	Note string `json:"note"`
}

// stepDone marks a manual ladder step carried out (200 also when it was
// already: "already" says so).
func (s *Server) stepDone(c *fiber.Ctx) error {
	var req stepDoneReq
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := s.Ladder.MarkStepDone(c.UserContext(), param(c, "tenant"), param(c, "id"), req.Step, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) workQueue(c *fiber.Ctx) error {
	limit, _ := strconv.Atoi(c.Query("limit"))
	items, err := s.Queue.Queue(c.UserContext(), queue.QueueFilter{Tenant: query(c, "tenant"), Type: query(c, "type"),
		Collector: query(c, "collector"), Limit: limit, Lang: chosenLang(c)})
	if err != nil {
		return err
	}
	if items == nil {
		items = []queue.Item{}
	}
	// Step labels in the reader's language (the reasons already are).
	langs := map[string]string{}
	for i := range items {
		l, ok := langs[items[i].Tenant]
		if !ok {
			l = s.docLang(c, items[i].Tenant)
			langs[items[i].Tenant] = l
		}
		items[i].NextAction.Label = s.phrases.T(l, items[i].NextAction.Label)
	}
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

type outboxOut struct {
	outbox.Message
	ID        string `json:"id"`
	AccountID string `json:"accountId"`
}

func (s *Server) outbox(c *fiber.Ctx) error {
	limit, _ := strconv.Atoi(c.Query("limit"))
	list, err := s.Outbox.List(c.UserContext(), param(c, "tenant"), query(c, "status"), limit)
	if err != nil {
		return err
	}
	l := s.docLang(c, param(c, "tenant"))
	out := make([]outboxOut, 0, len(list))
	for _, m := range list {
		m.Reason = s.phrases.T(l, m.Reason) // why held, deferred or failed, in the reader's language
		out = append(out, outboxOut{Message: m, ID: keyOf(m.ID), AccountID: keyOf(m.AccountID)})
	}
	return c.JSON(fiber.Map{"items": out, "next": ""})
}

func (s *Server) rebuildWorklists(c *fiber.Ctx) error {
	n, err := s.Queue.RebuildWorklists(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": n})
}

// letter renders a dunning letter; ?withCode=1 (managers) prints a new
// access code for the debtor portal on it.
func (s *Server) letter(c *fiber.Ctx) error {
	withCode := c.Query("withCode") == "1" || c.Query("withCode") == "true"
	level := query(c, "level")
	if level == "" {
		level = "1"
	}
	pdf, err := s.Letters.Letter(c.UserContext(), param(c, "tenant"), param(c, "id"), level, withCode)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	name := s.phrases.T(s.docLang(c, param(c, "tenant")), "carta")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+name+`-`+level+`-`+time.Now().Format("20060102")+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(pdf)
}
