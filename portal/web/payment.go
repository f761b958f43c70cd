package web

import (
	"html/template"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/payments"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/i18n"
)

func (s *Server) paymentRoutes(r fiber.Router) {
	s.payRoute(r, fiber.MethodPost, "/debtor/checkout", s.checkout)
	s.payRoute(r, fiber.MethodGet, "/debtor/payments/:id", s.getPayment)
	s.payRoute(r, fiber.MethodGet, "/debtor/payments/:id/receipt.pdf", s.receipt)
	s.payRoute(r, fiber.MethodGet, "/payments/sandbox/:id", s.sandboxPage)
	s.payRoute(r, fiber.MethodPost, "/payments/sandbox/:id/complete", s.sandboxComplete)
	s.route(r, fiber.MethodGet, "/payments/gateway", s.gatewayInfo, managers...)
	// Verified by signature on the raw body; no session, no CSRF.
	s.route(r, fiber.MethodPost, "/webhooks/stripe", s.stripeWebhook)
}

type checkoutReq struct {
	Method      string   `json:"method"`
	Amount      int64    `json:"amount"`
	AccountIDs  []string `json:"accountIds"`
	PlanID      string   `json:"planId"`
	Installment *int     `json:"installment"`
}

func (s *Server) checkout(c *fiber.Ctx) error {
	var req checkoutReq
	if err := decode(c, &req); err != nil {
		return err
	}
	p, sess, err := s.Payments.Checkout(c.UserContext(), payments.CheckoutInput{Amount: req.Amount, AccountIDs: req.AccountIDs,
		PlanID: req.PlanID, Installment: req.Installment, Method: req.Method})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"sessionId": sess.ID, "url": sess.URL, "paymentId": keyOf(p.ID), "amount": p.Amount, "currency": p.Currency,
		"gateway": p.Gateway, "method": p.Method})
}

// gatewayInfo says which payments gateway is live (the manager face shows
// it): "stripe", "sandbox" (test mode) or "off".
func (s *Server) gatewayInfo(c *fiber.Ctx) error {
	g := s.Payments.Gateway()
	return c.JSON(fiber.Map{"gateway": g.Name(), "online": payments.Online(g), "test": g.Name() == "sandbox"})
}

func (s *Server) debtorTenant(c *fiber.Ctx) string {
	a := actor.From(c.UserContext())
	if len(a.Tenants) == 1 {
		return a.Tenants[0]
	}
	return ""
}

func (s *Server) getPayment(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := s.Payments.Get(ctx, s.debtorTenant(c), param(c, "id"))
	if err != nil {
		return err
	}
	// Back from Wompi's checkout (?tx=<transaction id>): ask Wompi what
	// became of it, in case its event is late or lost.
	if tx := query(c, "tx"); tx != "" && p.Gateway == payments.ProviderWompi && p.Status == payments.StatusPending {
		if err := s.Payments.CheckWompi(ctx, p.TenantID, p.ID, tx); err != nil {
			s.log.Warn("wompi check on return failed; the event or the reconciler will record it", "payment", p.ID, "err", err)
		} else if p, err = s.Payments.Get(ctx, p.TenantID, p.ID); err != nil {
			return err
		}
	}
	p.ID = keyOf(p.ID)
	return c.JSON(p)
}

func (s *Server) receipt(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenant := s.debtorTenant(c)
	p, err := s.Payments.Get(ctx, tenant, param(c, "id"))
	if err != nil {
		return err
	}
	t, err := s.Tenants.TenantByID(ctx, tenant)
	if err != nil {
		return err
	}
	sc := s.DB.Tenant(tenant)
	var d accounts.Debtor
	if err := sc.C("debtors").Get(ctx, p.DebtorID, &d); err != nil {
		return err
	}
	inv := map[string]string{}
	for _, al := range p.Allocation {
		var a accounts.Account
		if err := sc.C("accounts").Get(ctx, al.ID, &a); err == nil {
			inv[al.ID] = a.Invoice
		}
	}
	l := s.docLang(c, tenant)
	b, err := payments.Receipt(payments.ReceiptData{TenantName: t.Name, Locale: t.Locale, DebtorName: d.Name, Payment: p, Invoices: inv, Loc: t.Location(),
		Lang: l, T: s.msg.T})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+s.msg.T(l, "receipt.file")+`-`+keyOf(p.ID)+`.pdf"`)
	return c.Send(b)
}

var sandboxTmpl = template.Must(template.New("sandbox").Parse(`<!doctype html>
<html lang="{{call .T "sandbox.lang"}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{call .T "sandbox.title"}}</title><link rel="stylesheet" href="{{.CSS}}"></head>
<body class="login-page" data-payment="{{.ID}}">
<main class="login-card sandbox">
<p class="sandbox-banner">{{call .T "sandbox.banner"}}</p>
<h1>{{call .T "sandbox.heading"}}</h1>
<p class="muted">{{call .T "sandbox.help"}}</p>
<p class="kpi-label">{{call .T "sandbox.amount"}}</p><p class="kpi" id="sandbox-amount">{{.Amount}}</p>
<p id="sandbox-error" class="error" hidden></p>
<button id="sandbox-pay" class="btn primary wide" type="button">{{call .T "sandbox.confirm"}}</button>
<p class="small"><a href="/debtor">{{call .T "sandbox.cancel"}}</a></p>
</main>
<script src="{{.JS}}"></script>
</body></html>`))

func (s *Server) sandboxPage(c *fiber.Ctx) error {
	if s.Payments.Gateway().Name() != "sandbox" {
		return fiber.ErrNotFound
	}
	p, err := s.Payments.Get(c.UserContext(), s.debtorTenant(c), param(c, "id"))
	if err != nil {
		return err
	}
	if p.Gateway != "sandbox" { // a payment of a tenant's own gateway is not the sandbox's to complete
		return fiber.ErrNotFound
	}
	t, err := s.Tenants.TenantByID(c.UserContext(), p.TenantID)
	if err != nil {
		return err
	}
	c.Type("html", "utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	l := s.docLang(c, t.ID) // the debtor's choice, else the company's language
	return sandboxTmpl.Execute(c.Response().BodyWriter(), map[string]any{
		"ID": keyOf(p.ID), "Amount": i18n.Money(p.Amount, p.Currency, t.Locale), "T": func(key string) string { return s.msg.T(l, key) },
		"CSS": "/static/css/app.css?v=" + s.pages.hashes["css/app.css"], "JS": "/static/js/sandbox.js?v=" + s.pages.hashes["js/sandbox.js"],
	})
}

func (s *Server) sandboxComplete(c *fiber.Ctx) error {
	if s.Payments.Gateway().Name() != "sandbox" {
		return fiber.ErrNotFound
	}
	ctx := c.UserContext()
	tenant := s.debtorTenant(c)
	p, err := s.Payments.Get(ctx, tenant, param(c, "id"))
	if err != nil {
		return err
	}
	if p.Gateway != "sandbox" {
		return fiber.ErrNotFound
	}
	p, err = s.Payments.Complete(ctx, tenant, p.ID, "sbx_"+keyOf(p.ID)+"_"+time.Now().UTC().Format("20060102150405"), p.Amount, p.Currency)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": p.Status, "paymentId": keyOf(p.ID), "receipt": "/api/debtor/payments/" + keyOf(p.ID) + "/receipt.pdf"})
}

func (s *Server) stripeWebhook(c *fiber.Ctx) error {
	// The raw body, before any parsing: the signature covers these bytes.
	body := append([]byte(nil), c.Body()...)
	sig := c.Get("Stripe-Signature")
	if err := s.Payments.HandleStripe(c.UserContext(), body, sig, s.StripeWebhookSecret); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true})
}
