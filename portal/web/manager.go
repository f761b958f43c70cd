package web

import (
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/apperr"
	"cartera/portal/caps"
	"cartera/tenants"
)

func (s *Server) managerRoutes(r fiber.Router) {
	s.route(r, fiber.MethodPost, "/tenants", s.createTenant, tenants.RoleAdmin)
	s.route(r, fiber.MethodGet, "/tenants", s.listTenants, allStaff...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant", s.getTenant, allStaff...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/users", s.listUsers, tenants.RoleAdmin, tenants.RoleManager)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/users", s.createUser, tenants.RoleAdmin, tenants.RoleManager)
	s.route(r, fiber.MethodPatch, "/tenants/:tenant/users/:id", s.updateUser, tenants.RoleAdmin, tenants.RoleManager)
}

type tenantReq struct {
	Slug           string  `json:"slug"`
	Name           string  `json:"name"`
	Country        string  `json:"country"`
	Currency       string  `json:"currency"`
	Timezone       string  `json:"timezone"`
	Locale         string  `json:"locale"`
	CommissionRate float64 `json:"commissionRate"`
}

type tenantJSON struct {
	tenants.Tenant
	CommissionRate float64 `json:"commissionRate"`
	DebtorURL      string  `json:"debtorUrl"` // the link letters and messages carry
	Policy         any     `json:"policy,omitempty"`
}

func (s *Server) toTenantJSON(t tenants.Tenant) tenantJSON {
	return tenantJSON{Tenant: t, CommissionRate: float64(t.CommissionBP) / 10000, DebtorURL: tenants.DebtorURL(s.PublicURL, t.ID)}
}

func (s *Server) createTenant(c *fiber.Ctx) error {
	var req tenantReq
	if err := decode(c, &req); err != nil {
		return err
	}
	t, err := s.Tenants.CreateTenant(c.UserContext(), tenants.NewTenant{
		Slug: req.Slug, Name: req.Name, Country: req.Country, Currency: req.Currency,
		Timezone: req.Timezone, Locale: req.Locale, CommissionRate: req.CommissionRate,
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.toTenantJSON(t))
}

func (s *Server) listTenants(c *fiber.Ctx) error {
	ts, err := s.Tenants.Tenants(c.UserContext())
	if err != nil {
		return err
	}
	items := make([]tenantJSON, 0, len(ts))
	for _, t := range ts {
		items = append(items, s.toTenantJSON(t))
	}
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

func (s *Server) getTenant(c *fiber.Ctx) error {
	t, err := s.Tenants.Tenant(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	out := s.toTenantJSON(t)
	if s.Policy != nil {
		pol, err := s.Policy.Get(c.UserContext(), t.ID)
		if err != nil {
			return err
		}
		out.Policy = pol
	}
	return c.JSON(out)
}

type userReq struct {
	Email       string `json:"email"`
	Name        string `json:"name"`
	Role        string `json:"role"`
	Password    string `json:"password"`
	Capacity    int    `json:"capacity"`
	MaxAccounts int    `json:"maxAccounts"`
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req userReq
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := s.Tenants.CreateUser(c.UserContext(), param(c, "tenant"), tenants.NewUser{
		Email: req.Email, Name: req.Name, Role: req.Role, Password: req.Password, Capacity: req.Capacity, MaxAccounts: req.MaxAccounts,
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toUserJSON(u))
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	us, err := s.Tenants.Users(c.UserContext(), param(c, "tenant"), query(c, "role"))
	if err != nil {
		return err
	}
	items := make([]userJSON, 0, len(us))
	for _, u := range us {
		items = append(items, toUserJSON(u))
	}
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

// userPatch is the allowlist of what a manager may change on a user.
type userPatch struct {
	Role        *string `json:"role"`
	Disabled    *bool   `json:"disabled"`
	Name        *string `json:"name"`
	Capacity    *int    `json:"capacity"`
	MaxAccounts *int    `json:"maxAccounts"`
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	var req userPatch
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := s.Tenants.UpdateUser(c.UserContext(), param(c, "tenant"), param(c, "id"), tenants.UserChange{
		Role: req.Role, Disabled: req.Disabled, Name: req.Name, Capacity: req.Capacity, MaxAccounts: req.MaxAccounts,
	})
	if err != nil {
		return err
	}
	return c.JSON(toUserJSON(u))
}

// capRoutes serve the legal interest caps per country (portal/caps): every
// staff member may read them (the policy page shows them), managers and
// admins maintain them.
func (s *Server) capRoutes(r fiber.Router) {
	s.route(r, fiber.MethodGet, "/caps/:country", s.getCaps, allStaff...)
	s.route(r, fiber.MethodPut, "/caps/:country", s.putCaps, tenants.RoleAdmin, tenants.RoleManager)
	s.route(r, fiber.MethodPost, "/caps/:country/import", s.importCaps, tenants.RoleAdmin, tenants.RoleManager)
}

func (s *Server) getCaps(c *fiber.Ctx) error {
	st, err := s.Caps.Status(c.UserContext(), param(c, "country"), time.Now())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

type capsReq struct {
	Periods []caps.Period `json:"periods"`
}

func (s *Server) putCaps(c *fiber.Ctx) error {
	var req capsReq
	if err := decode(c, &req); err != nil {
		return err
	}
	st, err := s.Caps.Put(c.UserContext(), param(c, "country"), req.Periods)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// importCaps takes the CSV as the body or as the multipart field "file".
func (s *Server) importCaps(c *fiber.Ctx) error {
	var body io.Reader = bytes.NewReader(c.Body())
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		fh, err := c.FormFile("file")
		if err != nil {
			return apperr.Field("file", "CSV: from,to,annualEffectivePct,source")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		body = f
	}
	st, err := s.Caps.ImportCSV(c.UserContext(), param(c, "country"), body)
	if err != nil {
		return err
	}
	return c.JSON(st)
}
