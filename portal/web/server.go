// Package web is the HTTP face of the portal: the Fiber app, its middleware
// and one file of thin handlers per face (auth, manager, client, collector,
// debtor). Handlers parse, call one domain function and map its error.
package web

import (
	"cartera/payments"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/admission"
	"cartera/portal/apikeys"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/bureau"
	"cartera/portal/caps"
	"cartera/portal/debtors"
	"cartera/portal/i18n"
	"cartera/portal/ladder"
	"cartera/portal/letters"
	"cartera/portal/outbox"
	"cartera/portal/store"
	"cartera/portal/webhooks"
	"cartera/reports"
	"cartera/tenants"
)

// Deps is everything the HTTP face needs; portal/app builds it.
type Deps struct {
	DB       *store.DB
	Tenants  *tenants.Service
	Accounts *accounts.Service
	// wiring: collector work (fields below)
	Work   *WorkService   // activities, promises, manual payments, consent
	Policy *PolicyService // tenants' collection policies
	Caps   *caps.Service  // legal interest caps per country
	// wiring: debtor self-service (fields below)
	DebtorPortal *debtors.Service // debtor sessions, statement, disputes
	// wiring: reports (fields below)
	Reports *reports.Service // KPIs, report PDFs, remittance, exports
	// wiring: queue and ladder (fields below)
	Queue   *QueueService    // worklists and next actions
	Ladder  *ladder.Service  // manual ladder steps marked done
	Outbox  *outbox.Service  // the messages the portal sends
	Bureau  *bureau.Service  // credit-bureau prior notices and list
	Letters *letters.Service // collection letters (PDF)
	// wiring: plans (fields below)
	Plans *payments.Plans // debtor plans, promises and contact preferences
	// wiring: payments (fields below)
	Payments            *payments.Service
	BankFiles           *BankFiles // bank-file reconciliation
	StripeWebhookSecret string
	Audit               *audit.Log
	Keys                *apikeys.Service  // API keys of machine clients
	Webhooks            *webhooks.Service // outbound webhooks
	Static              fs.FS
	Catalog             *i18n.Catalog
	Phrases             *i18n.Phrasebook // the Spanish the code writes, in English (nil: loaded from Static)
	Log                 *slog.Logger
	PublicURL           string
	TrustedProxies      []string
	ImportMaxBytes      int64
	SecureCookies       bool
	CSRFSecret          []byte
	Debtors             DebtorAuthenticator // nil: DebtorPortal's sessions (none without it)
	Gate                *admission.Gate     // bounds API requests at work (nil: unbounded)
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	log *slog.Logger
	msg *i18n.Catalog
	// phrases words the domain's Spanish messages in the caller's language.
	phrases *i18n.Phrasebook
	pages   *pages
	// routes records every route with the roles allowed on it, for the
	// access-control matrix test.
	routes []RouteInfo
}

// RouteInfo describes one API route and who may call it.
type RouteInfo struct {
	Method, Path string
	Roles        []string // empty: public
	// Scope is the API-key scope that opens the route to keys (empty: keys
	// are refused with 403).
	Scope string
	// API marks the public API for machine clients: in the OpenAPI
	// document (every route with a Scope, plus key management and the
	// document itself).
	API bool
	// PayLink opens a debtor route to a session from a payment link
	// (the statement and paying); other debtor routes need the code.
	PayLink bool
}

// jsonLimit bounds every request body except uploads.
const jsonLimit = 1 << 20

// New builds the Fiber app with every route.
func New(d Deps) (*fiber.App, *Server, error) {
	phrases := d.Phrases
	if phrases == nil {
		var err error
		if phrases, err = i18n.LoadPhrases(d.Static, "en"); err != nil {
			return nil, nil, err
		}
	}
	s := &Server{Deps: d, log: d.Log, msg: d.Catalog, phrases: phrases}
	if s.Debtors == nil && s.DebtorPortal != nil {
		s.Debtors = debtorSessions{s} // debtor tokens through the debtor portal
	}
	p, err := newPages(d.Static)
	if err != nil {
		return nil, nil, err
	}
	s.pages = p
	cfg := fiber.Config{
		AppName:               "cartera",
		ErrorHandler:          s.errorHandler,
		BodyLimit:             int(d.ImportMaxBytes) + 1<<20, // uploads; JSON routes have their own limit
		ReadTimeout:           60 * time.Second,
		WriteTimeout:          120 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		// Bodies stream: an import's file goes to disk as it arrives
		// (upload), other bodies are read whole within bodyLimit.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		JSONEncoder:                  json.Marshal,
		JSONDecoder:                  json.Unmarshal,
	}
	if len(d.TrustedProxies) > 0 {
		// X-Real-IP is set (not appended) by the proxy, so a client cannot
		// choose its own address; only listed proxies are believed.
		cfg.ProxyHeader = "X-Real-IP"
		cfg.EnableTrustedProxyCheck = true
		cfg.TrustedProxies = d.TrustedProxies
	}
	app := fiber.New(cfg)
	app.Use(recover.New())
	app.Use(requestid.New())
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy:     "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
		HSTSMaxAge:                31536000,
		ReferrerPolicy:            "same-origin",
		CrossOriginEmbedderPolicy: "unsafe-none",
	}))
	app.Use(s.accessLog)
	app.Use(s.bodyLimit)
	app.Use(s.admit)
	app.Use(s.principal)
	app.Use(s.csrf())

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.ready)

	api := app.Group("/api", s.limitJSON)
	s.authRoutes(api)
	s.managerRoutes(api)
	s.capRoutes(api)
	s.portfolioRoutes(api)
	s.collectorRoutes(api)
	s.debtorRoutes(api)
	s.paymentRoutes(api)
	s.gatewayRoutes(api)
	s.reportRoutes(api)
	s.queueRoutes(api)
	s.planRoutes(api)
	s.privacyRoutes(api)
	s.auditRoutes(api)
	s.bankFileRoutes(api)
	s.integrationRoutes(api)
	s.strategyTestRoutes(api)
	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	s.pageRoutes(app)
	return app, s, nil
}

// Routes lists every API route with its allowed roles.
func (s *Server) Routes() []RouteInfo { return s.routes }

// route registers an API route allowed to roles (none: public); API keys
// are refused on it.
func (s *Server) route(r fiber.Router, method, path string, h fiber.Handler, roles ...string) {
	s.add(r, RouteInfo{Method: method, Path: path, Roles: roles}, h)
}

// keyRoute registers a route of the public API that keys holding scope may
// call too (as the tenant's client company), besides roles.
func (s *Server) keyRoute(r fiber.Router, scope, method, path string, h fiber.Handler, roles ...string) {
	s.add(r, RouteInfo{Method: method, Path: path, Roles: roles, Scope: scope, API: true}, h)
}

func (s *Server) add(r fiber.Router, ri RouteInfo, h fiber.Handler) {
	path := ri.Path
	ri.Path = strings.TrimSuffix(r.(*fiber.Group).Prefix, "/") + path
	s.routes = append(s.routes, ri)
	if len(ri.Roles) == 0 {
		r.Add(ri.Method, path, h)
		return
	}
	if strings.Contains(path, ":tenant") {
		// Who, then membership, then role: a non-member of the tenant gets
		// the same 404 whatever their role and whatever the body holds
		// (API.md: 404 for anything of a tenant you do not belong to).
		r.Add(ri.Method, path, s.authenticated, s.member, s.keyScope(ri.Scope), s.require(ri.Roles...), h)
		return
	}
	r.Add(ri.Method, path, s.keyScope(ri.Scope), s.payLinkGate(ri.PayLink), s.require(ri.Roles...), h)
}

// payRoute registers a debtor route that a payment link's session may call.
func (s *Server) payRoute(r fiber.Router, method, path string, h fiber.Handler) {
	s.add(r, RouteInfo{Method: method, Path: path, Roles: []string{tenants.RoleDebtor}, PayLink: true}, h)
}

// payLinkGate keeps a payment link's session to the routes marked for it:
// 403 link_session, so the page asks for the access code.
func (s *Server) payLinkGate(open bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if open || !actor.From(c.UserContext()).PayLink {
			return c.Next()
		}
		return c.Status(fiber.StatusForbidden).JSON(errorBody{Code: "link_session", Error: s.msg.T(lang(c), "error.linkSession")})
	}
}

// keyScope lets an API key through only with the route's scope.
func (s *Server) keyScope(scope string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := actor.From(c.UserContext())
		if a.KeyID == "" || (scope != "" && slices.Contains(a.Scopes, scope)) {
			return c.Next()
		}
		_ = s.Audit.Record(c.UserContext(), firstOf(a.Tenants), "authz.denied", routePattern(c), map[string]any{"method": c.Method(), "scope": scope})
		return apperr.ErrForbidden
	}
}

func firstOf(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// authenticated answers 401 to an anonymous caller.
func (s *Server) authenticated(c *fiber.Ctx) error {
	if actor.From(c.UserContext()).UserID == "" {
		return apperr.ErrUnauthorized
	}
	return c.Next()
}

// member answers 404 when the caller does not belong to the :tenant of the path.
func (s *Server) member(c *fiber.Ctx) error {
	if !actor.From(c.UserContext()).Member(c.Params("tenant")) {
		return fmt.Errorf("tenant: %w", apperr.ErrNotFound)
	}
	return c.Next()
}

func (s *Server) ready(c *fiber.Ctx) error {
	if err := s.DB.Ping(c.UserContext()); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// bodyLimit refuses a body longer than its route may take from its
// Content-Length, before any of it is read: uploads up to the import limit
// plus 1 MB of form, everything else 1 MB. With streamed bodies this is
// the server's own limit, so a body of unstated length (chunked) is
// refused with 411: its length could only be learnt by reading it all.
func (s *Server) bodyLimit(c *fiber.Ctx) error {
	n := int64(c.Request().Header.ContentLength())
	if n == -1 {
		c.Context().SetConnectionClose()                      // the rest of the body is never read
		return &fiber.Error{Code: fiber.StatusLengthRequired} // worded by the catalogue
	}
	limit := int64(jsonLimit)
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		limit = s.ImportMaxBytes + 1<<20
	}
	if n > limit {
		c.Context().SetConnectionClose()
		return fmt.Errorf("%w: body of %d bytes", apperr.ErrTooLarge, n)
	}
	err := c.Next()
	// What the handler left unread (refused before reading, say) is read
	// off the connection, within the limit, so the next request on it
	// starts where it should.
	if body := c.Context().RequestBodyStream(); n > 0 && body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(body, limit))
	}
	return err
}

// limitJSON refuses oversized bodies on routes that take JSON; multipart
// uploads are bounded by the app's BodyLimit and by the import code.
func (s *Server) limitJSON(c *fiber.Ctx) error {
	// The type first: Body() reads a streamed upload whole into memory.
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) && len(c.Body()) > jsonLimit {
		return fiber.ErrRequestEntityTooLarge
	}
	return c.Next()
}

// decode reads a JSON body strictly into a typed struct: unknown fields and
// wrong types (an object where a string belongs, e.g. {"$ne": ""}) are 400.
func decode(c *fiber.Ctx, v any) error {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		return &apperr.Invalid{Msg: "se espera un cuerpo JSON (Content-Type: application/json)"}
	}
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &apperr.Invalid{Msg: "tipo de dato incorrecto", Fields: map[string]string{te.Field: "se esperaba " + te.Type.String()}}
		}
		return &apperr.Invalid{Msg: "JSON no válido: " + err.Error()}
	}
	if dec.More() {
		return &apperr.Invalid{Msg: "JSON no válido: datos después del objeto"}
	}
	return nil
}

// param copies a path parameter: Fiber's values die with the request.
func param(c *fiber.Ctx, name string) string { return utils.CopyString(c.Params(name)) }

// query copies a query value.
func query(c *fiber.Ctx, name string) string { return utils.CopyString(c.Query(name)) }

func requestID(c *fiber.Ctx) string {
	v, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return v
}

// chosenLang is the language the person chose (?lang= or the pages' lang
// cookie), or "" when they chose none (then a tenant's own decides).
func chosenLang(c *fiber.Ctx) string {
	if q := c.Query("lang"); q != "" {
		return i18n.Pick(q)
	}
	if ck := c.Cookies("lang"); ck != "" {
		return i18n.Pick(ck)
	}
	return ""
}

// lang is the language to answer in: the person's choice, else their
// company's (the tenant's locale, for a person of one company), else the
// browser's (Accept-Language), else Spanish.
func lang(c *fiber.Ctx) string {
	if l := chosenLang(c); l != "" {
		return l
	}
	if v, ok := c.Locals(companyLang).(string); ok {
		return v
	}
	if best := c.AcceptsLanguages(i18n.Default, "en"); best != "" {
		return best
	}
	return i18n.Default
}

// companyLang is the Locals key of the caller's company language (set by
// principal): the default of a person who chose none.
const companyLang = "company-lang"

// accessLog logs one line per request without query strings (they can hold
// document numbers) and without bodies.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler has not run yet; it decides the status.
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
		status = c.Response().StatusCode()
		err = nil
	}
	a := actor.From(c.UserContext())
	level := slog.LevelInfo
	if strings.HasPrefix(c.Path(), "/static/") || c.Path() == "/healthz" {
		level = slog.LevelDebug
	}
	s.log.Log(c.UserContext(), level, "http", "method", c.Method(), "route", routePattern(c), "status", status,
		"ms", time.Since(start).Milliseconds(), "request_id", requestID(c), "user", logUser(a))
	return err
}

// logUser names the caller in logs. A debtor's id holds its document
// number, so debtors appear under a stable pseudonym instead.
func logUser(a actor.Actor) string {
	if a.Role != "debtor" {
		return a.UserID
	}
	sum := sha256.Sum256([]byte(a.UserID))
	return "debtor:" + hex.EncodeToString(sum[:6])
}
