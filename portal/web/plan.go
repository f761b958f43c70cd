package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/payments"
	"cartera/portal/work"
	"cartera/tenants"
)

// Who may list a tenant's plans.
var planReaders = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient}

func (s *Server) planRoutes(r fiber.Router) {
	s.route(r, fiber.MethodGet, "/debtor/plan-offers", s.planOffers, tenants.RoleDebtor)
	s.route(r, fiber.MethodPost, "/debtor/plans", s.acceptPlan, tenants.RoleDebtor)
	s.route(r, fiber.MethodGet, "/debtor/plans/current", s.currentPlan, tenants.RoleDebtor)
	s.route(r, fiber.MethodPost, "/debtor/promises", s.debtorPromise, tenants.RoleDebtor)
	s.route(r, fiber.MethodGet, "/debtor/preferences", s.getPreferences, tenants.RoleDebtor)
	s.route(r, fiber.MethodPut, "/debtor/preferences", s.putPreferences, tenants.RoleDebtor)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/plans", s.listPlans, planReaders...)
}

type scheduleRow struct {
	N         int    `json:"n"`
	Date      string `json:"date"`
	Amount    int64  `json:"amount"`
	Principal int64  `json:"principal"`
	Interest  int64  `json:"interest"` // financing interest, earned when the installment is paid or falls due
	Status    string `json:"status,omitempty"`
}

type offerOut struct {
	ID                string        `json:"id"`
	Installments      int           `json:"installments"`
	DownPayment       int64         `json:"downPayment"`
	InstallmentAmount int64         `json:"installmentAmount"`
	Interest          int64         `json:"interest"`
	Total             int64         `json:"total"` // down payment + every installment
	Balance           int64         `json:"balance"`
	Currency          string        `json:"currency"`
	Schedule          []scheduleRow `json:"schedule"`
	Terms             string        `json:"terms"`
}

func (s *Server) planOffers(c *fiber.Ctx) error {
	list, err := s.Plans.Offers(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]offerOut, 0, len(list))
	for _, po := range list {
		o := offerOut{ID: po.ID, Installments: po.Offer.Installments, DownPayment: po.Offer.DownPayment,
			InstallmentAmount: po.Offer.InstallmentAmount, Interest: po.Offer.Interest, Total: po.Offer.GrandTotal(),
			Balance: po.Balance, Currency: po.Currency, Terms: po.Terms, Schedule: make([]scheduleRow, 0, len(po.Offer.Schedule))}
		for _, in := range po.Offer.Schedule {
			o.Schedule = append(o.Schedule, scheduleRow{N: in.N, Date: in.Date.Format(time.DateOnly), Amount: in.Amount})
		}
		out = append(out, o)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

type planOut struct {
	ID                string        `json:"id"`
	Status            string        `json:"status"`
	Debtor            fiber.Map     `json:"debtor,omitempty"`
	Installments      int           `json:"installments"`
	DownPayment       int64         `json:"downPayment"`
	InstallmentAmount int64         `json:"installmentAmount"`
	Interest          int64         `json:"interest"`
	Total             int64         `json:"total"`
	Balance           int64         `json:"balance"`
	Paid              int64         `json:"paid"`
	Remaining         int64         `json:"remaining"`
	Currency          string        `json:"currency"`
	AccountIDs        []string      `json:"accountIds"`
	Schedule          []scheduleRow `json:"schedule"`
	Terms             string        `json:"terms"`
	AcceptedAt        time.Time     `json:"acceptedAt"`
	ClosedAt          *time.Time    `json:"closedAt,omitempty"`
}

func planJSON(p payments.Plan, staff bool) planOut {
	o := planOut{ID: keyOf(p.ID), Status: p.Status, Installments: p.Installments, DownPayment: p.DownPayment,
		InstallmentAmount: p.InstallmentAmount, Interest: p.Interest, Total: p.Total, Balance: p.Balance, Paid: p.Paid(),
		Remaining: p.Remaining(), Currency: p.Currency, Terms: p.Evidence.Terms, AcceptedAt: p.Evidence.AcceptedAt, ClosedAt: p.ClosedAt,
		AccountIDs: make([]string, 0, len(p.AccountIDs)), Schedule: make([]scheduleRow, 0, len(p.Schedule))}
	for _, id := range p.AccountIDs {
		o.AccountIDs = append(o.AccountIDs, keyOf(id))
	}
	for _, in := range p.Schedule {
		o.Schedule = append(o.Schedule, scheduleRow{N: in.N, Date: in.Date.Format(time.DateOnly), Amount: in.Amount, Principal: in.Principal, Interest: in.Interest, Status: in.Status})
	}
	if staff {
		o.Debtor = fiber.Map{"document": keyOf(p.DebtorID), "name": p.DebtorName}
	}
	return o
}

type acceptPlanReq struct {
	OfferID string `json:"offerId"`
	Accept  bool   `json:"accept"`
}

func (s *Server) acceptPlan(c *fiber.Ctx) error {
	var req acceptPlanReq
	if err := decode(c, &req); err != nil {
		return err
	}
	p, err := s.Plans.Accept(c.UserContext(), req.OfferID, req.Accept)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(planJSON(p, false))
}

func (s *Server) currentPlan(c *fiber.Ctx) error {
	p, err := s.Plans.Current(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(planJSON(p, false))
}

func (s *Server) listPlans(c *fiber.Ctx) error {
	list, err := s.Plans.List(c.UserContext(), param(c, "tenant"), query(c, "status"))
	if err != nil {
		return err
	}
	items := make([]planOut, 0, len(list))
	for _, p := range list {
		items = append(items, planJSON(p, true))
	}
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

func (s *Server) debtorPromise(c *fiber.Ctx) error {
	var req promiseReq
	if err := decode(c, &req); err != nil {
		return err
	}
	list, err := s.Plans.Promise(c.UserContext(), payments.PromiseInput{Amount: req.Amount, Date: req.Date})
	if err != nil {
		return err
	}
	items := make([]promiseOut, 0, len(list))
	var total int64
	for _, p := range list {
		o := promiseJSON(p)
		o.By = "debtor"
		items = append(items, o)
		total += p.Amount
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"amount": total, "date": req.Date, "promises": items})
}

type preferencesIO struct {
	Channels  map[string]bool   `json:"channels"`
	Hours     *work.HoursWindow `json:"hours"`
	UpdatedAt *time.Time        `json:"updatedAt,omitempty"`
	How       string            `json:"how,omitempty"`
}

func preferencesJSON(p payments.Preferences) preferencesIO {
	return preferencesIO{Channels: p.Channels, Hours: p.Hours, UpdatedAt: p.UpdatedAt, How: p.How}
}

func (s *Server) getPreferences(c *fiber.Ctx) error {
	p, err := s.Plans.Preferences(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(preferencesJSON(p))
}

type preferencesReq struct {
	Channels map[string]bool   `json:"channels"`
	Hours    *work.HoursWindow `json:"hours"`
}

func (s *Server) putPreferences(c *fiber.Ctx) error {
	var req preferencesReq
	if err := decode(c, &req); err != nil {
		return err
	}
	p, err := s.Plans.SetPreferences(c.UserContext(), payments.Preferences{Channels: req.Channels, Hours: req.Hours})
	if err != nil {
		return err
	}
	return c.JSON(preferencesJSON(p))
}

// AccountPlan is the `plan` field of the account detail (GET
// /api/tenants/{tenant}/accounts/{id}, built in portfolio.go): the active
// plan covering the account as the plans list shows it, or nil.
func (s *Server) AccountPlan(ctx context.Context, tenant, accountID string) (any, error) {
	if s.Plans == nil {
		return nil, nil
	}
	p, err := s.Plans.ForAccount(ctx, tenant, accountID)
	if err != nil || p == nil {
		return nil, err
	}
	return planJSON(*p, true), nil
}
