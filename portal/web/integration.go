package web

import (
	_ "embed"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/accounts"
	"cartera/portal/apikeys"
	"cartera/portal/webhooks"
	"cartera/tenants"
)

// keyManagers create and revoke a tenant's API keys: the BPO's managers
// and the tenant's own client users (there is no separate client-admin
// role). Keys themselves never reach these routes.
var keyManagers = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient}

// openAPI is the public API's OpenAPI 3 document, written by hand; a test
// holds it to the routes registered with API: true.
//
//go:embed openapi.json
var openAPI []byte

func (s *Server) integrationRoutes(r fiber.Router) {
	s.add(r, RouteInfo{Method: fiber.MethodGet, Path: "/openapi.json", API: true}, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(openAPI)
	})
	s.add(r, RouteInfo{Method: fiber.MethodPost, Path: "/tenants/:tenant/api-keys", Roles: keyManagers, API: true}, s.createKey)
	s.add(r, RouteInfo{Method: fiber.MethodGet, Path: "/tenants/:tenant/api-keys", Roles: keyManagers, API: true}, s.listKeys)
	s.add(r, RouteInfo{Method: fiber.MethodDelete, Path: "/tenants/:tenant/api-keys/:id", Roles: keyManagers, API: true}, s.revokeKey)
	s.keyRoute(r, apikeys.ScopePlacementsWrite, fiber.MethodPost, "/tenants/:tenant/placements", s.placeBatch, portfolioOwners...)
	s.keyRoute(r, apikeys.ScopeAccountsRead, fiber.MethodGet, "/tenants/:tenant/ledger", s.ledgerFeed, portfolioOwners...)
	s.keyRoute(r, apikeys.ScopeWebhooksManage, fiber.MethodPost, "/tenants/:tenant/webhooks", s.createWebhook, keyManagers...)
	s.keyRoute(r, apikeys.ScopeWebhooksManage, fiber.MethodGet, "/tenants/:tenant/webhooks", s.listWebhooks, keyManagers...)
	s.keyRoute(r, apikeys.ScopeWebhooksManage, fiber.MethodDelete, "/tenants/:tenant/webhooks/:id", s.deleteWebhook, keyManagers...)
	s.keyRoute(r, apikeys.ScopeWebhooksManage, fiber.MethodGet, "/tenants/:tenant/webhooks/:id/deliveries", s.webhookDeliveries, keyManagers...)
	s.keyRoute(r, apikeys.ScopeWebhooksManage, fiber.MethodPost, "/tenants/:tenant/webhooks/:id/deliveries/:did/replay", s.replayDelivery, keyManagers...)
}

type keyReq struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

type keyOut struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	Key        string     `json:"key,omitempty"` // only when created
}

func toKeyOut(k apikeys.Key) keyOut {
	return keyOut{ID: k.KeyID, Name: k.Name, Scopes: k.Scopes, Prefix: k.Prefix(), CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

func (s *Server) createKey(c *fiber.Ctx) error {
	var req keyReq
	if err := decode(c, &req); err != nil {
		return err
	}
	k, err := s.Keys.Create(c.UserContext(), param(c, "tenant"), apikeys.Input{Name: req.Name, Scopes: req.Scopes, ExpiresAt: req.ExpiresAt})
	if err != nil {
		return err
	}
	out := toKeyOut(k.Key)
	out.Key = k.Secret
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) listKeys(c *fiber.Ctx) error {
	list, err := s.Keys.List(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	items := make([]keyOut, 0, len(list))
	for _, k := range list {
		items = append(items, toKeyOut(k))
	}
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

func (s *Server) revokeKey(c *fiber.Ctx) error {
	if err := s.Keys.Revoke(c.UserContext(), param(c, "tenant"), param(c, "id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type placementsReq struct {
	Items []accounts.Placement `json:"items"`
}

// placeBatch places invoices from JSON through the file import: 202 with
// the import, whose result (and row errors) GET …/imports/{id} reports.
func (s *Server) placeBatch(c *fiber.Ctx) error {
	var req placementsReq
	if err := decode(c, &req); err != nil {
		return err
	}
	imp, err := s.Accounts.PlaceBatch(c.UserContext(), param(c, "tenant"), req.Items)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(s.importJSON(c, imp))
}

type webhookReq struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type webhookOut struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"createdAt"`
	Secret    string    `json:"secret,omitempty"` // only when created
}

func (s *Server) createWebhook(c *fiber.Ctx) error {
	var req webhookReq
	if err := decode(c, &req); err != nil {
		return err
	}
	ep, err := s.Webhooks.Create(c.UserContext(), param(c, "tenant"), req.URL, req.Events)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(webhookOut{ID: ep.ID, URL: ep.URL, Events: ep.Events, CreatedAt: ep.CreatedAt, Secret: ep.Secret})
}

func (s *Server) listWebhooks(c *fiber.Ctx) error {
	list, err := s.Webhooks.List(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	items := make([]webhookOut, 0, len(list))
	for _, ep := range list {
		items = append(items, webhookOut{ID: ep.ID, URL: ep.URL, Events: ep.Events, CreatedAt: ep.CreatedAt})
	}
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

func (s *Server) deleteWebhook(c *fiber.Ctx) error {
	if err := s.Webhooks.Delete(c.UserContext(), param(c, "tenant"), param(c, "id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type deliveryOut struct {
	ID string `json:"id"`
	webhooks.Delivery
}

func (s *Server) webhookDeliveries(c *fiber.Ctx) error {
	p, err := s.Webhooks.Deliveries(c.UserContext(), param(c, "tenant"), param(c, "id"), c.QueryInt("limit"), query(c, "cursor"))
	if err != nil {
		return err
	}
	items := make([]deliveryOut, 0, len(p.Items))
	for _, d := range p.Items {
		items = append(items, deliveryOut{ID: webhooks.DeliveryID(d), Delivery: d})
	}
	return c.JSON(fiber.Map{"items": items, "next": p.Next})
}

func (s *Server) replayDelivery(c *fiber.Ctx) error {
	d, err := s.Webhooks.Replay(c.UserContext(), param(c, "tenant"), param(c, "id"), param(c, "did"))
	if err != nil {
		return err
	}
	return c.JSON(deliveryOut{ID: webhooks.DeliveryID(d), Delivery: d})
}

// ledgerFeed pages the tenant's ledger from a cursor (a client's ERP
// mirroring what was paid).
func (s *Server) ledgerFeed(c *fiber.Ctx) error {
	limit, _ := strconv.Atoi(c.Query("limit"))
	var kinds []string
	if k := query(c, "kind"); k != "" {
		kinds = strings.Split(k, ",")
	}
	page, err := s.Accounts.Ledger(c.UserContext(), param(c, "tenant"), accounts.FeedQuery{Cursor: query(c, "cursor"), Kinds: kinds, Limit: limit})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(page)
}
