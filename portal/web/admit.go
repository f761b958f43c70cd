package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/admission"
	"cartera/portal/apperr"
)

// admit holds an API request until the gate has a slot for it (pages,
// assets and health checks never wait). A request that waits too long is
// answered 503 busy with Retry-After, and nothing of it has run.
func (s *Server) admit(c *fiber.Ctx) error {
	if s.Gate == nil || !strings.HasPrefix(c.Path(), "/api/") {
		return c.Next()
	}
	release, err := s.Gate.Enter(c.UserContext(), classOf(c))
	if errors.Is(err, admission.ErrBusy) {
		c.Set(fiber.HeaderRetryAfter, "2")
		return &apperr.Unavailable{Code: "busy"}
	}
	if err != nil {
		return err
	}
	defer release()
	return c.Next()
}

// classOf says which line a request waits in: what moves money first (a
// debtor at the checkout, a gateway confirming a payment), documents and
// uploads last.
func classOf(c *fiber.Ctx) admission.Class {
	p := c.Path()
	switch {
	case strings.HasPrefix(p, "/api/webhooks/"), strings.HasPrefix(p, "/api/payments/"),
		c.Method() == fiber.MethodPost && p == "/api/debtor/checkout":
		return admission.Money
	case strings.HasSuffix(p, ".pdf"), strings.HasSuffix(p, ".csv"), strings.HasSuffix(p, ".xlsx"),
		strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm):
		return admission.Bulk
	}
	return admission.Interactive
}
