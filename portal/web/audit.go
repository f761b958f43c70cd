package web

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/tenants"
)

// auditRoutes serve the audit trail: a tenant's entries to its managers and
// the admins, and every entry (those outside tenants too) to admins.
func (s *Server) auditRoutes(r fiber.Router) {
	s.route(r, fiber.MethodGet, "/tenants/:tenant/audit", s.tenantAudit, tenants.RoleAdmin, tenants.RoleManager)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/audit.csv", s.tenantAuditCSV, tenants.RoleAdmin, tenants.RoleManager)
	s.route(r, fiber.MethodGet, "/audit", s.platformAudit, tenants.RoleAdmin)
	s.route(r, fiber.MethodGet, "/audit.csv", s.platformAuditCSV, tenants.RoleAdmin)
}

// auditActor names who acted: the user's e-mail and name when the id is a
// user's (debtors and background jobs have only their id and role).
type auditActor struct {
	ID    string `json:"id"`
	Role  string `json:"role,omitempty"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

type auditOut struct {
	ID        string         `json:"id"`
	Tenant    string         `json:"tenant"`
	At        time.Time      `json:"at"`
	Action    string         `json:"action"`
	Record    string         `json:"record"`
	Actor     auditActor     `json:"actor"`
	IP        string         `json:"ip,omitempty"`
	UserAgent string         `json:"userAgent,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
	Details   map[string]any `json:"details"`
}

func auditJSON(e audit.Entry, who *people) auditOut {
	o := auditOut{ID: e.ID, Tenant: e.TenantID, At: e.At, Action: e.Action, Record: e.Target,
		Actor: auditActor{ID: e.ActorID, Role: e.ActorRole}, IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID, Details: e.Details}
	if o.Details == nil {
		o.Details = map[string]any{}
	}
	if u, ok := who.get(e.ActorID); ok {
		o.Actor.Email, o.Actor.Name = u.Email, u.Name
	}
	return o
}

// people names users by id for one request: each id is read by _id once.
type people struct {
	ctx  context.Context
	svc  *tenants.Service
	seen map[string]*tenants.User
}

func (s *Server) people(ctx context.Context) *people {
	return &people{ctx: ctx, svc: s.Tenants, seen: map[string]*tenants.User{}}
}

// get returns the user with id; false for ids that are not users' (a
// debtor's "<tenant>:<document>", "system:<job>") or no longer exist.
func (p *people) get(id string) (tenants.User, bool) {
	if id == "" || strings.Contains(id, ":") || p.svc == nil {
		return tenants.User{}, false
	}
	u, ok := p.seen[id]
	if !ok {
		if got, err := p.svc.User(p.ctx, id); err == nil {
			u = &got
		}
		p.seen[id] = u
	}
	if u == nil {
		return tenants.User{}, false
	}
	return *u, true
}

// name is the display name of a user id ("" when unknown).
func (p *people) name(id string) string {
	u, ok := p.get(id)
	if !ok {
		return ""
	}
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// auditQuery reads the filters; dates are civil days in loc (to inclusive)
// or RFC 3339 instants.
func auditQuery(c *fiber.Ctx, loc *time.Location) (audit.Query, error) {
	q := audit.Query{Actor: query(c, "actor"), Action: strings.TrimSpace(query(c, "action")),
		Record: strings.TrimSpace(query(c, "record")), Cursor: query(c, "cursor")}
	q.Limit, _ = strconv.Atoi(c.Query("limit"))
	f := apperr.Fields{}
	var ok bool
	if q.From, ok = auditTime(c.Query("from"), loc, false); !ok {
		f.Add("from", "invalid_date")
	}
	if q.To, ok = auditTime(c.Query("to"), loc, true); !ok {
		f.Add("to", "invalid_date")
	}
	return q, f.Err()
}

func auditTime(v string, loc *time.Location, end bool) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, true
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// tenantAuditQuery is the query of the tenant routes, in the tenant's zone.
func (s *Server) tenantAuditQuery(c *fiber.Ctx) (audit.Query, error) {
	t, err := s.Tenants.TenantByID(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return audit.Query{}, err
	}
	q, err := auditQuery(c, t.Location())
	q.Tenant = t.ID
	return q, err
}

// platformAuditQuery is the admins' query: every entry, one tenant's
// (?tenant=) or only those outside tenants (?platform=true), dates in UTC.
func (s *Server) platformAuditQuery(c *fiber.Ctx) (audit.Query, error) {
	q, err := auditQuery(c, time.UTC)
	q.Tenant, q.Platform = query(c, "tenant"), c.QueryBool("platform")
	return q, err
}

func (s *Server) sendAuditPage(c *fiber.Ctx, q audit.Query) error {
	p, err := s.Audit.Search(c.UserContext(), q)
	if err != nil {
		return err
	}
	who := s.people(c.UserContext())
	items := make([]auditOut, 0, len(p.Items))
	for _, e := range p.Items {
		items = append(items, auditJSON(e, who))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": items, "next": p.Next})
}

func (s *Server) tenantAudit(c *fiber.Ctx) error {
	q, err := s.tenantAuditQuery(c)
	if err != nil {
		return err
	}
	return s.sendAuditPage(c, q)
}

func (s *Server) platformAudit(c *fiber.Ctx) error {
	q, err := s.platformAuditQuery(c)
	if err != nil {
		return err
	}
	return s.sendAuditPage(c, q)
}

// auditCSVColumns are the export's columns; their headers come from the
// catalogue (audit.col.*).
var auditCSVColumns = []string{"at", "tenant", "action", "record", "actorId", "actorRole", "actorEmail", "actorName", "ip", "userAgent", "details"}

// auditCSV streams the entries of q, every cell safe against formula
// injection (a details value or a user agent is someone else's text).
func (s *Server) auditCSV(c *fiber.Ctx, q audit.Query, name string, loc *time.Location) error {
	l := lang(c)
	who := s.people(c.UserContext())
	return s.streamCSV(c, l, name, func(write func([]string) error) error {
		head := make([]string, len(auditCSVColumns))
		for i, k := range auditCSVColumns {
			head[i] = s.msg.T(l, "audit.col."+k)
		}
		if err := write(head); err != nil {
			return err
		}
		return s.Audit.Each(c.UserContext(), q, func(e audit.Entry) error {
			o := auditJSON(e, who)
			details := ""
			if len(o.Details) > 0 {
				b, _ := json.Marshal(o.Details)
				details = string(b)
			}
			row := []string{o.At.In(loc).Format("2006-01-02 15:04:05"), o.Tenant, o.Action, o.Record, o.Actor.ID, o.Actor.Role,
				o.Actor.Email, o.Actor.Name, o.IP, o.UserAgent, details}
			for i := range row {
				row[i] = accounts.SafeCell(row[i])
			}
			return write(row)
		})
	})
}

func (s *Server) tenantAuditCSV(c *fiber.Ctx) error {
	q, err := s.tenantAuditQuery(c)
	if err != nil {
		return err
	}
	t, err := s.Tenants.TenantByID(c.UserContext(), q.Tenant)
	if err != nil {
		return err
	}
	return s.auditCSV(c, q, "auditoria-"+t.ID+".csv", t.Location())
}

func (s *Server) platformAuditCSV(c *fiber.Ctx) error {
	q, err := s.platformAuditQuery(c)
	if err != nil {
		return err
	}
	return s.auditCSV(c, q, "auditoria.csv", time.UTC)
}
