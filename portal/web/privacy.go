package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/privacy"
	"cartera/tenants"
)

// Who answers a tenant's data requests: the client company, which is the
// data controller, and the BPO's managers.
var privacyAnswerers = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient}

// privacyRoutes: the debtor's habeas data (Ley 1581 de 2012). The service is
// built here from the server's own dependencies.
func (s *Server) privacyRoutes(r fiber.Router) {
	svc := privacy.New(s.DB, s.Audit, s.Tenants)
	s.route(r, fiber.MethodGet, "/debtor/privacy", func(c *fiber.Ctx) error {
		h, err := svc.Data(c.UserContext())
		if err != nil {
			return err
		}
		// What the portal says it holds and why, in the debtor's language.
		l := s.docLang(c, s.debtorTenant(c))
		h.Processor = s.phrases.T(l, h.Processor)
		for i := range h.Records {
			h.Records[i] = s.phrases.T(l, h.Records[i])
		}
		for i := range h.Purposes {
			h.Purposes[i] = s.phrases.T(l, h.Purposes[i])
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(h)
	}, tenants.RoleDebtor)
	s.route(r, fiber.MethodGet, "/debtor/privacy/requests", func(c *fiber.Ctx) error {
		list, t, err := svc.Mine(c.UserContext())
		if err != nil {
			return err
		}
		return privacyList(c, list, svc.Now(), t.Location(), false)
	}, tenants.RoleDebtor)
	s.route(r, fiber.MethodPost, "/debtor/privacy/requests", func(c *fiber.Ctx) error {
		var req struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		pr, err := svc.File(c.UserContext(), privacy.NewRequest{Type: req.Type, Message: req.Message})
		if err != nil {
			return err
		}
		// Just filed: not overdue in any time zone.
		return c.Status(fiber.StatusCreated).JSON(privacyJSON(pr, svc.Now(), time.UTC, false))
	}, tenants.RoleDebtor)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/privacy/requests", func(c *fiber.Ctx) error {
		list, t, err := svc.List(c.UserContext(), param(c, "tenant"), query(c, "status"))
		if err != nil {
			return err
		}
		return privacyList(c, list, svc.Now(), t.Location(), true)
	}, privacyAnswerers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/privacy/requests/:id/answer", func(c *fiber.Ctx) error {
		var req struct {
			Decision string `json:"decision"`
			Response string `json:"response"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		pr, t, err := svc.Respond(c.UserContext(), param(c, "tenant"), param(c, "id"), privacy.Answer{Decision: req.Decision, Response: req.Response})
		if err != nil {
			return err
		}
		return c.JSON(privacyJSON(pr, svc.Now(), t.Location(), true))
	}, privacyAnswerers...)
}

func privacyList(c *fiber.Ctx, list []privacy.Request, now time.Time, loc *time.Location, staff bool) error {
	items := make([]privacyOut, 0, len(list))
	for _, r := range list {
		items = append(items, privacyJSON(r, now, loc, staff))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

// privacyOut is a data request as the API shows it; the debtor's identity
// is only shown to staff.
type privacyOut struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Kind       string          `json:"kind"`
	Message    string          `json:"message"`
	Status     string          `json:"status"`
	FiledAt    time.Time       `json:"filedAt"`
	Due        string          `json:"due"`
	Overdue    bool            `json:"overdue"`
	Basis      string          `json:"basis"`
	Response   string          `json:"response,omitempty"`
	AnsweredAt *time.Time      `json:"answeredAt,omitempty"`
	Debtor     map[string]any  `json:"debtor,omitempty"`
	History    []privacy.Event `json:"history"`
}

func privacyJSON(r privacy.Request, now time.Time, loc *time.Location, staff bool) privacyOut {
	o := privacyOut{ID: keyOf(r.ID), Type: r.Type, Kind: r.Kind, Message: r.Message, Status: r.Status, FiledAt: r.FiledAt,
		Due: r.Due, Overdue: r.Overdue(now, loc), Basis: r.Basis, Response: r.Response, AnsweredAt: r.AnsweredAt, History: r.History}
	if staff {
		o.Debtor = map[string]any{"name": r.DebtorName, "document": keyOf(r.DebtorID)}
	}
	if o.History == nil {
		o.History = []privacy.Event{}
	}
	return o
}
