package web

import (
	"github.com/gofiber/fiber/v2"

	"cartera/payments"
	"cartera/tenants"
)

// gatewayEditors configure a tenant's own gateway: the BPO's staff that run
// the tenant and the client company itself (its account receives the money).
var gatewayEditors = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient}

func (s *Server) gatewayRoutes(r fiber.Router) {
	s.route(r, fiber.MethodGet, "/tenants/:tenant/gateway", s.getTenantGateway, gatewayEditors...)
	s.route(r, fiber.MethodPut, "/tenants/:tenant/gateway", s.putTenantGateway, gatewayEditors...)
	s.route(r, fiber.MethodDelete, "/tenants/:tenant/gateway", s.deleteTenantGateway, gatewayEditors...)
	// Verified by checksum (Wompi) or signature (the tenant's own Stripe
	// account) on the raw body; no session, no CSRF.
	s.route(r, fiber.MethodPost, "/webhooks/wompi", s.wompiWebhook)
	s.route(r, fiber.MethodPost, "/webhooks/stripe/:tenant", s.tenantStripeWebhook)
}

type gatewayReq struct {
	Provider string               `json:"provider"`
	Stripe   *payments.StripeKeys `json:"stripe"`
	Wompi    *payments.WompiKeys  `json:"wompi"`
}

func (s *Server) putTenantGateway(c *fiber.Ctx) error {
	var req gatewayReq
	if err := decode(c, &req); err != nil {
		return err
	}
	cfg := payments.GatewayConfig{Provider: req.Provider}
	if req.Stripe != nil {
		cfg.Stripe = *req.Stripe
	}
	if req.Wompi != nil {
		cfg.Wompi = *req.Wompi
	}
	if err := s.Payments.Creds().Put(c.UserContext(), param(c, "tenant"), cfg); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) getTenantGateway(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenant := param(c, "tenant")
	info, err := s.Payments.Creds().Info(ctx, tenant)
	if err != nil {
		return err
	}
	methods, err := s.Payments.Methods(ctx, tenant)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"provider": info.Provider, "configured": info.Configured, "test": info.Test, "keys": info.Keys,
		"updatedAt": info.UpdatedAt, "fallback": s.Payments.Gateway().Name(), "methods": methods,
		"webhook": s.PublicURL + webhookPath(tenant, info.Provider)})
}

// webhookPath is where the tenant's provider must send its events.
func webhookPath(tenant, provider string) string {
	switch provider {
	case payments.ProviderWompi:
		return "/api/webhooks/wompi"
	case payments.ProviderStripe:
		return "/api/webhooks/stripe/" + tenant
	}
	return ""
}

func (s *Server) deleteTenantGateway(c *fiber.Ctx) error {
	if err := s.Payments.Creds().Delete(c.UserContext(), param(c, "tenant")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) wompiWebhook(c *fiber.Ctx) error {
	body := append([]byte(nil), c.Body()...)
	if err := s.Payments.HandleWompi(c.UserContext(), body, c.Get("X-Event-Checksum")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true})
}

func (s *Server) tenantStripeWebhook(c *fiber.Ctx) error {
	body := append([]byte(nil), c.Body()...)
	if err := s.Payments.HandleStripeFor(c.UserContext(), param(c, "tenant"), body, c.Get("Stripe-Signature")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true})
}
