package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"cartera/portal/actor"
	"cartera/portal/apikeys"
	"cartera/portal/apperr"
	"cartera/portal/i18n"
	"cartera/portal/store"
	"cartera/tenants"
)

const (
	sessionCookie = "session"
	csrfCookie    = "csrf_"
	csrfHeader    = "X-CSRF-Token"
)

// DebtorAuthenticator resolves a debtor session token (issue: debtor
// self-service); nil until the debtor face is wired.
type DebtorAuthenticator interface {
	AuthenticateDebtor(c *fiber.Ctx, token string) (actor.Actor, error)
}

// routePattern is the matched route ("/api/tenants/:tenant/..."): logged
// instead of the path, which can carry document numbers.
func routePattern(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "/" {
		return r.Path
	}
	if strings.HasPrefix(c.Path(), "/static/") {
		return "/static/*"
	}
	return "(unmatched)"
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return utils.CopyString(strings.TrimSpace(h[7:]))
	}
	return ""
}

// principal resolves who is calling (Bearer first, then the session cookie)
// and puts the actor into the request's context. An invalid token leaves the
// caller anonymous; routes that need a user answer 401.
func (s *Server) principal(c *fiber.Ctx) error {
	a := actor.Actor{
		IP:        utils.CopyString(c.IP()),
		UserAgent: utils.CopyString(c.Get(fiber.HeaderUserAgent)),
		RequestID: requestID(c),
	}
	tok, fromCookie := bearer(c), false
	if tok == "" {
		tok, fromCookie = utils.CopyString(c.Cookies(sessionCookie)), true
	}
	if !fromCookie && apikeys.Looks(tok) && strings.HasPrefix(c.Path(), "/api/") && s.Keys != nil {
		return s.keyRequest(c, a, tok)
	}
	if tok != "" && strings.HasPrefix(c.Path(), "/api/") {
		ctx := actor.With(c.UserContext(), a)
		if u, claims, err := s.Tenants.Authenticate(ctx, tok); err == nil {
			a = tenants.Actor(u, a)
			if fromCookie && time.Until(claims.ExpiresAt.Time) < s.Tenants.Tokens().TTL()/2 {
				if nt, exp, err := s.Tenants.Refresh(u); err == nil {
					s.setSession(c, nt, exp)
				}
			}
		} else if s.Debtors != nil {
			if da, err := s.Debtors.AuthenticateDebtor(c, tok); err == nil {
				da.IP, da.UserAgent, da.RequestID = a.IP, a.UserAgent, a.RequestID
				a = da
			}
		}
	}
	// A person of one company speaks its language until they choose one.
	if len(a.Tenants) == 1 {
		if t, err := s.Tenants.TenantByID(c.UserContext(), a.Tenants[0]); err == nil {
			c.Locals(companyLang, i18n.OfLocale(t.Locale))
		}
	}
	// The person is also who the read models' Settle waits for.
	c.SetUserContext(store.WithWriter(actor.With(c.UserContext(), a), a.UserID))
	return c.Next()
}

// keyRequest serves a request made with an API key: a bad, revoked or
// expired key is 401, one over its rate 429; every request it makes is
// audited as the key, with the route and the status answered.
func (s *Server) keyRequest(c *fiber.Ctx, a actor.Actor, tok string) error {
	k, err := s.Keys.Authenticate(actor.With(c.UserContext(), a), tok)
	if err != nil {
		return err
	}
	a = apikeys.Actor(k, a)
	ctx := store.WithWriter(actor.With(c.UserContext(), a), a.UserID)
	c.SetUserContext(ctx)
	err = c.Next()
	if err != nil {
		// Decide the status now, as accessLog would, so the audit has it.
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	_ = s.Audit.Record(ctx, k.TenantID, "apikey.request", routePattern(c), map[string]any{
		"method": c.Method(), "status": c.Response().StatusCode(), "key": k.KeyID})
	return nil
}

// require lets through only authenticated callers with one of roles.
func (s *Server) require(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := actor.From(c.UserContext())
		if a.UserID == "" {
			return apperr.ErrUnauthorized
		}
		for _, r := range roles {
			if a.Role == r {
				return c.Next()
			}
		}
		_ = s.Audit.Record(c.UserContext(), "", "authz.denied", routePattern(c), map[string]any{"method": c.Method()})
		return apperr.ErrForbidden
	}
}

func (s *Server) setSession(c *fiber.Ctx, token string, exp time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: exp,
		HTTPOnly: true, Secure: s.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
}

func (s *Server) clearSession(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: s.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
}

// csrf protects cookie-authenticated writes with a double-submit token: the
// page reads the csrf_ cookie and echoes it in X-CSRF-Token. Tokens are
// HMAC-signed, dated and bound to the session that received them (its
// subject, audience and token version), so any replica verifies them
// without shared state, and a token handed to one session (another user's,
// or the anonymous page before login) is refused on another. Requests
// without a session cookie (Bearer clients, login, webhooks) carry no
// ambient authority and are not checked.
func (s *Server) csrf() fiber.Handler {
	st := s.csrfTokens()
	return func(c *fiber.Ctx) error {
		if bearer(c) != "" || strings.HasPrefix(c.Path(), "/api/webhooks/") {
			return c.Next()
		}
		bind := ""
		if actor.From(c.UserContext()).UserID != "" {
			bind = sessionBinding(c.Cookies(sessionCookie))
		}
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			// Sessions are verified on /api/ only (principal): elsewhere a
			// session's token is left alone, never rebound to an
			// unverified session.
			if !strings.HasPrefix(c.Path(), "/api/") && c.Cookies(sessionCookie) != "" {
				return c.Next()
			}
			// Hand out a token for this session unless the page has one.
			if !st.valid(c.Cookies(csrfCookie), bind) {
				s.setCSRF(c, st.generate(bind))
			}
			return c.Next()
		}
		if c.Cookies(sessionCookie) == "" {
			return c.Next()
		}
		tok, cookie := c.Get(csrfHeader), c.Cookies(csrfCookie)
		if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(cookie)) != 1 || !st.valid(tok, bind) {
			_ = s.Audit.Record(c.UserContext(), "", "csrf.refused", routePattern(c), nil)
			return c.Status(fiber.StatusForbidden).JSON(errorBody{Code: "csrf", Error: s.msg.T(lang(c), "error.csrf")})
		}
		return c.Next()
	}
}

func (s *Server) csrfTokens() *signedTokens {
	return &signedTokens{secret: s.CSRFSecret, ttl: 12 * time.Hour}
}

// setCSRF sets the csrf_ cookie the pages echo (readable by scripts).
func (s *Server) setCSRF(c *fiber.Ctx, tok string) {
	c.Cookie(&fiber.Cookie{
		Name: csrfCookie, Value: tok, Path: "/", Expires: time.Now().Add(12 * time.Hour),
		HTTPOnly: false, Secure: s.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
}

// rebindCSRF gives the page a CSRF token bound to the session just opened
// (login), replacing the one the anonymous page had.
func (s *Server) rebindCSRF(c *fiber.Ctx, sessionToken string) {
	s.setCSRF(c, s.csrfTokens().generate(sessionBinding(sessionToken)))
}

// sessionBinding names the session of a session token (already verified by
// the principal): subject, audience and token version, stable while the
// session slides and changed by logout, password and role changes.
func sessionBinding(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var cl struct {
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Ver int64           `json:"ver"`
	}
	if json.Unmarshal(raw, &cl) != nil || cl.Sub == "" {
		return ""
	}
	return cl.Sub + "\x00" + string(cl.Aud) + "\x00" + strconv.FormatInt(cl.Ver, 10)
}

// signedTokens makes and checks CSRF tokens "<unix>.<random>.<hmac>", the
// HMAC covering the session binding too; valid while the signature matches
// for the caller's session and the token is younger than ttl.
type signedTokens struct {
	secret []byte
	ttl    time.Duration
}

func (t *signedTokens) sign(payload, bind string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(payload))
	m.Write([]byte{0})
	m.Write([]byte(bind))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (t *signedTokens) generate(bind string) string {
	p := strconv.FormatInt(time.Now().Unix(), 36) + "." + tenants.RandomSecret(16)
	return p + "." + t.sign(p, bind)
}

func (t *signedTokens) valid(tok, bind string) bool {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return false
	}
	p, sig := tok[:i], tok[i+1:]
	if !hmac.Equal([]byte(sig), []byte(t.sign(p, bind))) {
		return false
	}
	ts, err := strconv.ParseInt(strings.SplitN(p, ".", 2)[0], 36, 64)
	return err == nil && time.Since(time.Unix(ts, 0)) < t.ttl
}
