package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	"github.com/gofiber/fiber/v2/utils"

	"cartera/portal/actor"
	"cartera/portal/apperr"
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
	c.SetUserContext(actor.With(c.UserContext(), a))
	return c.Next()
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
// HMAC-signed and dated, so any replica verifies them without shared state.
// Requests without a session cookie (Bearer clients, login, webhooks) carry
// no ambient authority and are not checked.
func (s *Server) csrf() fiber.Handler {
	st := &signedTokens{secret: s.CSRFSecret, ttl: 12 * time.Hour}
	return csrf.New(csrf.Config{
		KeyLookup:      "header:" + csrfHeader,
		CookieName:     csrfCookie,
		CookieSameSite: "Strict",
		CookieSecure:   s.SecureCookies,
		CookieHTTPOnly: false,
		Expiration:     st.ttl,
		KeyGenerator:   st.generate,
		Storage:        st,
		Next: func(c *fiber.Ctx) bool {
			if bearer(c) != "" || strings.HasPrefix(c.Path(), "/api/webhooks/") {
				return true
			}
			switch c.Method() {
			case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
				return false // hand out the cookie
			}
			return c.Cookies(sessionCookie) == ""
		},
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			_ = s.Audit.Record(c.UserContext(), "", "csrf.refused", routePattern(c), nil)
			return c.Status(fiber.StatusForbidden).JSON(errorBody{Code: "csrf", Error: s.msg.T(lang(c), "error.csrf")})
		},
	})
}

// signedTokens is a stateless fiber.Storage for CSRF tokens: a token is
// "<unix>.<random>.<hmac>", valid while its signature matches and it is
// younger than ttl.
type signedTokens struct {
	secret []byte
	ttl    time.Duration
}

func (t *signedTokens) sign(payload string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (t *signedTokens) generate() string {
	p := strconv.FormatInt(time.Now().Unix(), 36) + "." + tenants.RandomSecret(16)
	return p + "." + t.sign(p)
}

func (t *signedTokens) valid(tok string) bool {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return false
	}
	p, sig := tok[:i], tok[i+1:]
	if !hmac.Equal([]byte(sig), []byte(t.sign(p))) {
		return false
	}
	ts, err := strconv.ParseInt(strings.SplitN(p, ".", 2)[0], 36, 64)
	return err == nil && time.Since(time.Unix(ts, 0)) < t.ttl
}

func (t *signedTokens) Get(key string) ([]byte, error) {
	if t.valid(key) {
		return []byte{1}, nil
	}
	return nil, nil
}
func (t *signedTokens) Set(string, []byte, time.Duration) error { return nil }
func (t *signedTokens) Delete(string) error                     { return nil }
func (t *signedTokens) Reset() error                            { return nil }
func (t *signedTokens) Close() error                            { return nil }
