package web

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/debtors"
	"cartera/tenants"
)

// Who may see and resolve a tenant's disputes.
var disputeResolvers = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient}

func (s *Server) debtorRoutes(r fiber.Router) {
	s.route(r, fiber.MethodPost, "/debtor/login", s.debtorLogin)
	s.route(r, fiber.MethodPost, "/debtor/login/email-code", s.debtorEmailCode)
	s.route(r, fiber.MethodGet, "/debtor/login/options", s.debtorLoginOptions)
	s.route(r, fiber.MethodGet, "/debtor/company/:slug", s.debtorCompany)
	s.route(r, fiber.MethodPost, "/debtor/link", s.debtorLinkLogin)
	s.payRoute(r, fiber.MethodPost, "/debtor/logout", s.debtorLogout)
	s.payRoute(r, fiber.MethodGet, "/debtor/statement", s.debtorStatement)
	s.route(r, fiber.MethodGet, "/debtor/statement.pdf", s.debtorStatementPDF, tenants.RoleDebtor)
	s.route(r, fiber.MethodPost, "/debtor/disputes", s.debtorOpenDispute, tenants.RoleDebtor)
	s.route(r, fiber.MethodGet, "/debtor/disputes", s.debtorDisputes, tenants.RoleDebtor)
	s.route(r, fiber.MethodGet, "/debtor/disputes/:id/attachment", s.debtorAttachment, tenants.RoleDebtor)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/disputes", s.listDisputes, disputeResolvers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/disputes/:id/resolve", s.resolveDispute, disputeResolvers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/disputes/:id/attachment", s.disputeAttachment, disputeResolvers...)
}

// debtorSessions is the server's DebtorAuthenticator when none is given:
// it resolves debtor tokens through the debtor service and slides cookie
// sessions.
type debtorSessions struct{ s *Server }

func (d debtorSessions) AuthenticateDebtor(c *fiber.Ctx, token string) (actor.Actor, error) {
	svc := d.s.DebtorPortal
	if svc == nil {
		return actor.Actor{}, apperr.ErrUnauthorized
	}
	a, exp, loaded, err := svc.Authenticate(c.UserContext(), token)
	if err != nil {
		return actor.Actor{}, err
	}
	// The principal middleware builds the request's context on this one, so
	// the handler finds the debtor document already read.
	c.SetUserContext(debtors.WithLoaded(c.UserContext(), loaded))
	if bearer(c) == "" && !a.PayLink && time.Until(exp) < svc.TTL()/2 {
		if sess, err := svc.Refresh(actor.With(c.UserContext(), a)); err == nil {
			d.s.setSession(c, sess.Token, sess.Expires)
		}
	}
	return a, nil
}

type debtorLoginReq struct {
	Tenant   string `json:"tenant"`
	Document string `json:"document"`
	Code     string `json:"code"`      // the access code from a letter or reminder
	EmailOTP string `json:"emailCode"` // or a one-time code sent by e-mail
}

// debtorCompany names the company a debtor link points at (public: the
// link is printed on letters).
func (s *Server) debtorCompany(c *fiber.Ctx) error {
	t, err := s.Tenants.Public(c.UserContext(), param(c, "slug"))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) debtorLogin(c *fiber.Ctx) error {
	var req debtorLoginReq
	if err := decode(c, &req); err != nil {
		return err
	}
	req.Tenant = s.Tenants.FindCompany(c.UserContext(), req.Tenant)
	var sess debtors.Session
	var err error
	switch {
	case req.Code != "" && req.EmailOTP != "":
		return apperr.Field("emailCode", "envíe code o emailCode, no ambos")
	case req.EmailOTP != "":
		sess, err = s.DebtorPortal.LoginWithEmailCode(c.UserContext(), req.Tenant, req.Document, req.EmailOTP)
	default:
		sess, err = s.DebtorPortal.Login(c.UserContext(), req.Tenant, req.Document, req.Code)
	}
	if err != nil {
		return err
	}
	s.setSession(c, sess.Token, sess.Expires)
	s.rebindCSRF(c, sess.Token)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"token": sess.Token, "expires": sess.Expires})
}

type linkLoginReq struct {
	Tenant string `json:"tenant"`
	Link   string `json:"link"`
}

// debtorLinkLogin opens a pay-only session from a payment link (the token
// the page found in its URL fragment).
func (s *Server) debtorLinkLogin(c *fiber.Ctx) error {
	var req linkLoginReq
	if err := decode(c, &req); err != nil {
		return err
	}
	sess, err := s.DebtorPortal.LoginByLink(c.UserContext(), req.Tenant, req.Link)
	if err != nil {
		return err
	}
	s.setSession(c, sess.Token, sess.Expires)
	s.rebindCSRF(c, sess.Token)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"token": sess.Token, "expires": sess.Expires, "scope": tenants.ScopePay, "accounts": sess.Accounts})
}

type emailCodeReq struct {
	Tenant   string `json:"tenant"`
	Document string `json:"document"`
}

// debtorEmailCode sends a one-time login code to the e-mail on file; the
// answer is the same for unknown documents.
func (s *Server) debtorEmailCode(c *fiber.Ctx) error {
	var req emailCodeReq
	if err := decode(c, &req); err != nil {
		return err
	}
	req.Tenant = s.Tenants.FindCompany(c.UserContext(), req.Tenant)
	if err := s.DebtorPortal.RequestEmailCode(c.UserContext(), req.Tenant, req.Document); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true, "expiresIn": int(debtors.EmailCodeTTL.Seconds())})
}

// debtorLoginOptions tells the login page which ways in exist, so it does
// not offer codes by e-mail when no mail sender is configured.
func (s *Server) debtorLoginOptions(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"accessCode": true, "emailCode": s.DebtorPortal != nil && s.DebtorPortal.EmailCodes()})
}

func (s *Server) debtorLogout(c *fiber.Ctx) error {
	if err := s.DebtorPortal.Logout(c.UserContext()); err != nil {
		return err
	}
	s.clearSession(c)
	return c.SendStatus(fiber.StatusNoContent)
}

type statementLineJSON struct {
	debtors.Line
	DueDate string `json:"dueDate"`
	Total   int64  `json:"total"` // what paying this invoice alone costs today (owed − discount), as checkout prices it
}

func (s *Server) debtorStatement(c *fiber.Ctx) error {
	st, err := s.DebtorPortal.Statement(c.UserContext())
	if err != nil {
		return err
	}
	lines := make([]statementLineJSON, 0, len(st.Lines))
	for _, l := range st.Lines {
		lines = append(lines, statementLineJSON{Line: l, DueDate: l.DueDate.Format(time.DateOnly), Total: l.Total()})
	}
	var plan any // null when no plan covers an account
	if st.Plan != nil {
		p := fiber.Map{"id": st.Plan.ID, "installments": st.Plan.Installments, "remaining": st.Plan.Remaining, "missed": st.Plan.Missed, "next": nil}
		if n := st.Plan.Next; n != nil {
			p["next"] = fiber.Map{"n": n.N, "date": n.Date.Format(time.DateOnly), "amount": n.Amount, "status": n.Status}
		}
		plan = p
	}
	methods, err := s.Payments.Methods(c.UserContext(), st.Tenant.ID)
	if err != nil {
		return err
	}
	pending, err := s.Payments.AwaitingOf(c.UserContext(), st.Tenant.ID, actor.From(c.UserContext()).UserID)
	if err != nil {
		return err
	}
	for i := range pending {
		pending[i].PaymentID = keyOf(pending[i].PaymentID)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	session := "full"
	if actor.From(c.UserContext()).PayLink {
		session = "link" // the page shows paying only and offers the code login
	}
	return c.JSON(fiber.Map{
		"session":  session,
		"plan":     plan,
		"debtor":   fiber.Map{"name": st.DebtorName, "document": debtors.Mask(st.Document)},
		"tenant":   fiber.Map{"slug": st.Tenant.ID, "name": st.Tenant.Name, "locale": st.Tenant.Locale},
		"currency": st.Currency, "asOf": st.AsOf.Format(time.DateOnly), "accounts": lines,
		"total": st.Total, "owed": st.Owed, "principalTotal": st.PrincipalTotal, "interestTotal": st.InterestTotal,
		"discountTotal": st.DiscountTotal, "creditTotal": st.CreditTotal, "provisional": st.Provisional,
		"lateInterestBP": st.Policy.LateInterestBP, "paymentReference": accounts.PaymentReference(st.Tenant.ID, st.Document),
		// false: no gateway and no sandbox; the page hides the pay buttons.
		"onlinePayments": len(methods) > 0, "payMethods": methods,
		// Payments on their way (an OXXO voucher, a SPEI or PSE transfer):
		// shown as pending, not yet off the balance.
		"pendingPayments": pending,
	})
}

func (s *Server) debtorStatementPDF(c *fiber.Ctx) error {
	st, err := s.DebtorPortal.Statement(c.UserContext())
	if err != nil {
		return err
	}
	l := s.docLang(c, st.Tenant.ID) // the debtor's choice, else the company's language
	pending, err := s.Payments.AwaitingOf(c.UserContext(), st.Tenant.ID, actor.From(c.UserContext()).UserID)
	if err != nil {
		return err
	}
	lines := make([]debtors.PendingLine, 0, len(pending))
	for _, p := range pending {
		lines = append(lines, debtors.PendingLine{Amount: p.Amount, Method: p.Method, Since: p.Since})
	}
	b, err := debtors.StatementPDF(st, debtors.PDFOptions{T: func(k string) string { return s.msg.T(l, k) }, Lang: l, PortalURL: tenants.DebtorURL(s.PublicURL, st.Tenant.ID),
		Pending: lines})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": s.phrases.T(l, "estado-de-cuenta") + "-" + st.AsOf.Format(time.DateOnly) + ".pdf"}))
	return c.Send(b)
}

type disputeReq struct {
	AccountIDs  []string `json:"accountIds"`
	Reason      string   `json:"reason"`
	Description string   `json:"description"`
}

func (s *Server) debtorOpenDispute(c *fiber.Ctx) error {
	var in debtors.NewDispute
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		form, err := c.MultipartForm()
		if err != nil {
			return &apperr.Invalid{Msg: "formulario no válido"}
		}
		for _, v := range form.Value["accountIds"] {
			for _, id := range strings.Split(v, ",") {
				if id = strings.TrimSpace(id); id != "" {
					in.AccountIDs = append(in.AccountIDs, strings.Clone(id))
				}
			}
		}
		in.Reason = strings.Clone(first(form.Value["reason"]))
		in.Description = strings.Clone(first(form.Value["description"]))
		if fhs := form.File["attachment"]; len(fhs) > 0 && fhs[0].Size > 0 {
			fh := fhs[0]
			if fh.Size > debtors.MaxAttachment {
				return apperr.ErrTooLarge
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			defer func(f multipart.File) { _ = f.Close() }(f)
			in.File, in.FileName = f, fh.Filename
		}
	} else {
		var req disputeReq
		if err := decode(c, &req); err != nil {
			return err
		}
		in.AccountIDs, in.Reason, in.Description = req.AccountIDs, req.Reason, req.Description
	}
	d, err := s.DebtorPortal.OpenDispute(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(disputeJSON(d, false))
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (s *Server) debtorDisputes(c *fiber.Ctx) error {
	list, err := s.DebtorPortal.MyDisputes(c.UserContext())
	if err != nil {
		return err
	}
	items := make([]disputeOut, 0, len(list))
	for _, d := range list {
		items = append(items, disputeJSON(d, false))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

func (s *Server) debtorAttachment(c *fiber.Ctx) error {
	att, r, err := s.DebtorPortal.MyAttachment(c.UserContext(), param(c, "id"))
	if err != nil {
		return err
	}
	return sendAttachment(c, param(c, "id"), att, r)
}

// disputeOut is a dispute as the API shows it; By is only shown to staff.
type disputeOut struct {
	ID          string         `json:"id"`
	Status      string         `json:"status"`
	Reason      string         `json:"reason"`
	Description string         `json:"description"`
	AccountIDs  []string       `json:"accountIds"`
	Invoices    []string       `json:"invoices"`
	Debtor      map[string]any `json:"debtor"`
	Currency    string         `json:"currency"`
	CreditTotal int64          `json:"creditAmount"`
	Note        string         `json:"note"`
	Attachment  any            `json:"attachment"`
	History     []eventOut     `json:"history"`
	CreatedAt   time.Time      `json:"createdAt"`
	ResolvedAt  *time.Time     `json:"resolvedAt"`
}

type eventOut struct {
	Action  string    `json:"action"`
	Role    string    `json:"role"`
	By      string    `json:"by,omitempty"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

func disputeJSON(d debtors.Dispute, staff bool) disputeOut {
	o := disputeOut{ID: keyOf(d.ID), Status: d.Status, Reason: d.Reason, Description: d.Description,
		Invoices: d.Invoices, Currency: d.Currency, CreditTotal: d.CreditTotal, Note: d.Note,
		CreatedAt: d.CreatedAt, ResolvedAt: d.ResolvedAt, AccountIDs: []string{}, History: []eventOut{},
		Debtor: map[string]any{"name": d.DebtorName}}
	for _, id := range d.AccountIDs {
		o.AccountIDs = append(o.AccountIDs, keyOf(id))
	}
	if o.Invoices == nil {
		o.Invoices = []string{}
	}
	if staff {
		o.Debtor["document"] = keyOf(d.DebtorID)
	}
	if d.Attachment != nil {
		o.Attachment = d.Attachment
	}
	for _, e := range d.History {
		ev := eventOut{Action: e.Action, Role: e.Role, Message: e.Message, At: e.At}
		if staff {
			ev.By = e.By
		}
		o.History = append(o.History, ev)
	}
	return o
}

func (s *Server) listDisputes(c *fiber.Ctx) error {
	limit := int64(50)
	if v, err := strconv.ParseInt(c.Query("limit"), 10, 64); err == nil && v > 0 {
		limit = min(v, 500)
	}
	var skip int64
	if v, err := strconv.ParseInt(c.Query("cursor"), 10, 64); err == nil && v > 0 {
		skip = v
	}
	list, more, err := s.DebtorPortal.Disputes(c.UserContext(), param(c, "tenant"), query(c, "status"), limit, skip)
	if err != nil {
		return err
	}
	items := make([]disputeOut, 0, len(list))
	for _, d := range list {
		items = append(items, disputeJSON(d, true))
	}
	next := ""
	if more {
		next = strconv.FormatInt(skip+limit, 10)
	}
	return c.JSON(fiber.Map{"items": items, "next": next})
}

type resolveReq struct {
	Decision     string `json:"decision"`
	CreditAmount *int64 `json:"creditAmount"`
	Note         string `json:"note"`
}

func (s *Server) resolveDispute(c *fiber.Ctx) error {
	var req resolveReq
	if err := decode(c, &req); err != nil {
		return err
	}
	d, err := s.DebtorPortal.Resolve(c.UserContext(), param(c, "tenant"), param(c, "id"),
		debtors.Resolution{Decision: req.Decision, CreditAmount: req.CreditAmount, Note: req.Note})
	if err != nil {
		return err
	}
	return c.JSON(disputeJSON(d, true))
}

func (s *Server) disputeAttachment(c *fiber.Ctx) error {
	att, r, err := s.DebtorPortal.Attachment(c.UserContext(), param(c, "tenant"), param(c, "id"))
	if err != nil {
		return err
	}
	return sendAttachment(c, param(c, "id"), att, r)
}

// sendAttachment sends a stored dispute file as a download, never rendered
// inline, typed and named from its content (attachment-<id>.png), never
// from the name or type the debtor's upload declared.
func sendAttachment(c *fiber.Ctx, key string, att debtors.Attachment, r io.ReadCloser) error {
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, debtors.MaxAttachment+1))
	if err != nil {
		return err
	}
	if len(b) > debtors.MaxAttachment {
		return errors.New("dispute attachment larger than stored size")
	}
	typ := debtors.AttachmentType(b[:min(len(b), 512)])
	if typ == "" {
		typ = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, typ)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": debtors.AttachmentName(key, typ)}))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}
