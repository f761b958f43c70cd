package web

import (
	"cartera/portal/apikeys"
	"fmt"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/strategy"
	"cartera/portal/work"
	"cartera/tenants"
)

// The services behind these routes, named here so Deps needs no imports.
type (
	WorkService   = work.Service
	PolicyService = strategy.Service
)

// Who may work an account. The domain narrows collectors to their own
// accounts (404 otherwise).
var (
	workers = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleCollector}
	payers  = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleCollector, tenants.RoleClient}
)

func (s *Server) collectorRoutes(r fiber.Router) {
	s.route(r, fiber.MethodGet, "/tenants/:tenant/policy", s.getPolicy, allStaff...)
	s.route(r, fiber.MethodPut, "/tenants/:tenant/policy", s.putPolicy, managers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/accounts/:id/activities", s.logActivity, workers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/accounts/:id/activities", s.listActivities, payers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/accounts/:id/timeline", s.timeline, payers...)
	s.keyRoute(r, apikeys.ScopePaymentsWrite, fiber.MethodPost, "/tenants/:tenant/accounts/:id/payments", s.manualPayment, payers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/debtors/:document/consent", s.getConsent, payers...)
	s.route(r, fiber.MethodPut, "/tenants/:tenant/debtors/:document/consent", s.putConsent, workers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/debtors/:document/contacts", s.addContact, workers...)
}

func (s *Server) getPolicy(c *fiber.Ctx) error {
	p, err := s.Policy.Get(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) putPolicy(c *fiber.Ctx) error {
	var req strategy.Policy
	if err := decode(c, &req); err != nil {
		return err
	}
	before, err := s.Policy.For(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	p, err := s.Policy.Put(c.UserContext(), param(c, "tenant"), req)
	if err != nil {
		return err
	}
	// A new ladder changes every account's next step: the collectors'
	// lists follow now, not at the nightly repair.
	if s.Queue != nil && (before.LadderStart != p.LadderStart || !slices.Equal(before.Steps, p.Steps)) {
		if _, err := s.Queue.RebuildWorklists(c.UserContext(), param(c, "tenant")); err != nil {
			return fmt.Errorf("policy saved; worklists: %w", err)
		}
	}
	return c.JSON(p)
}

type promiseReq struct {
	Amount int64  `json:"amount"`
	Date   string `json:"date"`
}

type activityReq struct {
	Channel   string      `json:"channel"`
	Direction string      `json:"direction"`
	Outcome   string      `json:"outcome"`
	Note      string      `json:"note"`
	Promise   *promiseReq `json:"promise"`
}

type promiseOut struct {
	ID        string     `json:"id"`
	AccountID string     `json:"accountId"`
	Amount    int64      `json:"amount"`
	Currency  string     `json:"currency"`
	Date      string     `json:"date"`
	GraceDays int        `json:"graceDays"`
	Status    string     `json:"status"`
	Paid      int64      `json:"paid"`
	By        string     `json:"by"`
	CreatedAt time.Time  `json:"createdAt"`
	SettledAt *time.Time `json:"settledAt,omitempty"`
}

func promiseJSON(p work.Promise) promiseOut {
	return promiseOut{ID: keyOf(p.ID), AccountID: keyOf(p.AccountID), Amount: p.Amount, Currency: p.Currency,
		Date: p.Date.Format(time.DateOnly), GraceDays: p.GraceDays, Status: p.Status, Paid: p.Paid, By: p.By,
		CreatedAt: p.CreatedAt, SettledAt: p.SettledAt}
}

type activityOut struct {
	ID        string      `json:"id"`
	AccountID string      `json:"accountId"`
	Channel   string      `json:"channel"`
	Direction string      `json:"direction"`
	Outcome   string      `json:"outcome"`
	Note      string      `json:"note"`
	Decision  string      `json:"decision,omitempty"`
	PromiseID string      `json:"promiseId,omitempty"`
	Promise   *promiseOut `json:"promise,omitempty"`
	By        string      `json:"by"`
	ByName    string      `json:"byName,omitempty"` // the person's name; empty for the ladder and the debtor
	ByRole    string      `json:"byRole,omitempty"`
	At        time.Time   `json:"at"`
}

func activityJSON(a work.Activity) activityOut {
	o := activityOut{ID: keyOf(a.ID), AccountID: keyOf(a.AccountID), Channel: a.Channel, Direction: a.Direction,
		Outcome: a.Outcome, Note: a.Note, Decision: a.Decision, By: a.By, ByRole: a.ByRole, At: a.At}
	if a.PromiseID != "" {
		o.PromiseID = keyOf(a.PromiseID)
	}
	return o
}

func (s *Server) logActivity(c *fiber.Ctx) error {
	var req activityReq
	if err := decode(c, &req); err != nil {
		return err
	}
	in := work.ActivityInput{Channel: req.Channel, Direction: req.Direction, Outcome: req.Outcome, Note: req.Note}
	if req.Promise != nil {
		in.Promise = &work.PromiseInput{Amount: req.Promise.Amount, Date: req.Promise.Date}
	}
	l, err := s.Work.LogActivity(c.UserContext(), param(c, "tenant"), param(c, "id"), in)
	if err != nil {
		return err
	}
	o := activityJSON(l.Activity)
	if l.Promise != nil {
		p := promiseJSON(*l.Promise)
		o.Promise = &p
	}
	return c.Status(fiber.StatusCreated).JSON(o)
}

type timelineOut struct {
	Activities []activityOut `json:"activities"`
	Promises   []promiseOut  `json:"promises"`
	Blocked    []blockedOut  `json:"blocked"`
	Next       *nextStepOut  `json:"nextStep"`
}

// blockedOut is a contact attempt the rules refused, with who tried.
type blockedOut struct {
	work.BlockedAttempt
	ByName string `json:"byName,omitempty"`
}

type nextStepOut struct {
	Step    *strategy.Step `json:"step,omitempty"`
	Due     string         `json:"due,omitempty"`
	Late    bool           `json:"late"`
	Stop    string         `json:"stop,omitempty"`
	Skipped int            `json:"skipped"`
}

func (s *Server) readTimeline(c *fiber.Ctx) (timelineOut, error) {
	tl, err := s.Work.Timeline(c.UserContext(), param(c, "tenant"), param(c, "id"))
	if err != nil {
		return timelineOut{}, err
	}
	o := timelineOut{Activities: make([]activityOut, 0, len(tl.Activities)), Promises: make([]promiseOut, 0, len(tl.Promises)),
		Blocked: make([]blockedOut, 0, len(tl.Blocked))}
	who := s.people(c.UserContext())
	// What the system wrote (automatic sends, refusals, step labels) in the
	// reader's language; what people wrote stays as they wrote it.
	l := s.docLang(c, param(c, "tenant"))
	for _, a := range tl.Activities {
		ao := activityJSON(a)
		ao.ByName = who.name(a.By)
		if a.ByRole == "system" {
			ao.Note = s.phrases.T(l, ao.Note)
		}
		o.Activities = append(o.Activities, ao)
	}
	for _, b := range tl.Blocked {
		b.Reason = s.phrases.T(l, b.Reason)
		o.Blocked = append(o.Blocked, blockedOut{BlockedAttempt: b, ByName: who.name(b.By)})
	}
	for _, p := range tl.Promises {
		o.Promises = append(o.Promises, promiseJSON(p))
	}
	if st := tl.Next.Step; st != nil {
		worded := *st
		worded.Label = s.phrases.T(l, st.Label)
		tl.Next.Step = &worded
	}
	n := &nextStepOut{Step: tl.Next.Step, Late: tl.Next.Late, Stop: tl.Next.Stop, Skipped: tl.Next.Skipped}
	if !tl.Next.Due.IsZero() {
		n.Due = tl.Next.Due.Format(time.DateOnly)
	}
	o.Next = n
	return o, nil
}

func (s *Server) timeline(c *fiber.Ctx) error {
	o, err := s.readTimeline(c)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) listActivities(c *fiber.Ctx) error {
	o, err := s.readTimeline(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": o.Activities, "next": ""})
}

type paymentReq struct {
	Amount    int64  `json:"amount"`
	Method    string `json:"method"`
	Reference string `json:"reference"`
	PaidAt    string `json:"paidAt"`
}

func (s *Server) manualPayment(c *fiber.Ctx) error {
	var req paymentReq
	if err := decode(c, &req); err != nil {
		return err
	}
	r, err := s.Work.RecordPayment(c.UserContext(), param(c, "tenant"), param(c, "id"), work.PaymentInput{
		Amount: req.Amount, Method: req.Method, Reference: req.Reference, PaidAt: req.PaidAt})
	if err != nil {
		return err
	}
	e := r.Entry
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": keyOf(e.ID), "accountId": keyOf(e.AccountID), "kind": e.Kind,
		"channel": e.Channel, "method": e.Note, "amount": e.Amount, "currency": e.Currency, "reference": e.Ref, "by": e.By,
		"at": e.At, "interest": r.Interest, "principal": r.Principal, "balance": r.Balance, "owed": r.Owed})
}

func (s *Server) getConsent(c *fiber.Ctx) error {
	v, err := s.Work.Consent(c.UserContext(), param(c, "tenant"), param(c, "document"))
	if err != nil {
		return err
	}
	return c.JSON(s.consentJSON(c, v))
}

// consentOut is the consent record with its history newest first and the
// names of who recorded each change.
type consentOut struct {
	work.ConsentView
	History []consentEventOut `json:"history"`
}

type consentEventOut struct {
	work.ConsentEvent
	ByName string `json:"byName,omitempty"`
}

func (s *Server) consentJSON(c *fiber.Ctx, v work.ConsentView) consentOut {
	who := s.people(c.UserContext())
	o := consentOut{ConsentView: v, History: make([]consentEventOut, 0, len(v.History))}
	for i := len(v.History) - 1; i >= 0; i-- {
		e := v.History[i]
		o.History = append(o.History, consentEventOut{ConsentEvent: e, ByName: who.name(e.By)})
	}
	return o
}

type consentReq struct {
	Channels map[string]struct {
		Authorized bool `json:"authorized"`
		OptedOut   bool `json:"optedOut"`
	} `json:"channels"`
	ExtendedHours   *bool             `json:"extendedHours"`
	PreferredWindow *work.HoursWindow `json:"preferredWindow"`
	How             string            `json:"how"`
	Evidence        string            `json:"evidence"`
}

func (s *Server) putConsent(c *fiber.Ctx) error {
	var req consentReq
	if err := decode(c, &req); err != nil {
		return err
	}
	in := work.ConsentInput{ExtendedHours: req.ExtendedHours, PreferredWindow: req.PreferredWindow, How: req.How, Evidence: req.Evidence,
		Channels: map[string]work.ChannelChoice{}}
	for ch, v := range req.Channels {
		in.Channels[ch] = work.ChannelChoice{Authorized: v.Authorized, OptedOut: v.OptedOut}
	}
	v, err := s.Work.SetConsent(c.UserContext(), param(c, "tenant"), param(c, "document"), in)
	if err != nil {
		return err
	}
	return c.JSON(s.consentJSON(c, v))
}

type contactReq struct {
	Kind   string `json:"kind"`
	Value  string `json:"value"`
	City   string `json:"city"`
	Label  string `json:"label"`
	Person string `json:"person"`
	Role   string `json:"role"`
}

func (s *Server) addContact(c *fiber.Ctx) error {
	var req contactReq
	if err := decode(c, &req); err != nil {
		return err
	}
	list, err := s.Work.AddContact(c.UserContext(), param(c, "tenant"), param(c, "document"), work.ContactInput{
		Kind: req.Kind, Value: req.Value, City: req.City, Label: req.Label, Person: req.Person, Role: req.Role})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"contacts": list})
}
