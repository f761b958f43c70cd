package web

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/apperr"
	"cartera/portal/i18n"
)

// errorBody is the JSON shape of every 4xx/5xx answer (API.md, Conventions).
type errorBody struct {
	Error  string            `json:"error"`
	Code   string            `json:"code"`
	Fields map[string]string `json:"fields,omitempty"`
	Detail map[string]any    `json:"detail,omitempty"`
}

// errorHandler maps domain errors to statuses in one place and hides the
// internals of 5xx answers behind a generic message after logging the cause.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	lang := lang(c)
	status, body := fiber.StatusInternalServerError, errorBody{Code: "internal"}
	var (
		inv *apperr.Invalid
		ref *apperr.Refusal
		thr *apperr.Throttled
		uns *apperr.Unsupported
		off *apperr.Unavailable
		fe  *fiber.Error
	)
	switch {
	case errors.As(err, &inv):
		status, body = fiber.StatusBadRequest, errorBody{Code: "invalid", Error: s.phrases.T(lang, inv.Msg), Fields: s.phrases.Fields(lang, inv.Fields), Detail: inv.Detail}
	case errors.As(err, &ref):
		status, body = fiber.StatusUnprocessableEntity, errorBody{Code: ref.Code, Fields: s.phrases.Fields(lang, ref.Fields)}
		body.Error = s.refusalText(lang, ref)
	case errors.As(err, &uns):
		status, body = fiber.StatusUnsupportedMediaType, errorBody{Code: uns.Code}
	case errors.As(err, &off):
		status, body = fiber.StatusServiceUnavailable, errorBody{Code: off.Code}
	case errors.As(err, &thr):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(thr.RetryAfterSeconds))
		status, body = fiber.StatusTooManyRequests, errorBody{Code: "too_many_attempts"}
	case errors.Is(err, apperr.ErrInvalid):
		status, body = fiber.StatusBadRequest, errorBody{Code: "invalid"}
	case errors.Is(err, apperr.ErrUnauthorized):
		status, body = fiber.StatusUnauthorized, errorBody{Code: "unauthorized"}
	case errors.Is(err, apperr.ErrForbidden):
		status, body = fiber.StatusForbidden, errorBody{Code: "forbidden"}
	case errors.Is(err, apperr.ErrNotFound):
		status, body = fiber.StatusNotFound, errorBody{Code: "not_found"}
	case errors.Is(err, apperr.ErrConflict):
		status, body = fiber.StatusConflict, errorBody{Code: "conflict"}
	case errors.Is(err, apperr.ErrTooLarge):
		status, body = fiber.StatusRequestEntityTooLarge, errorBody{Code: "too_large"}
	case errors.Is(err, apperr.ErrUnsupported):
		status, body = fiber.StatusUnsupportedMediaType, errorBody{Code: "unsupported_type"}
	case errors.Is(err, apperr.ErrTooMany):
		status, body = fiber.StatusTooManyRequests, errorBody{Code: "too_many_attempts"}
	case errors.As(err, &fe):
		status = fe.Code
		body.Code = codeOf(fe.Code)
		if fe.Code < 500 && fe.Message != "" && fe.Message != fiber.ErrNotFound.Message {
			body.Error = s.phrases.T(lang, fe.Message)
		}
	}
	if status >= 500 && off == nil {
		s.log.Error("request failed", "status", status, "method", c.Method(), "route", c.Route().Path,
			"request_id", requestID(c), "err", err.Error())
		body = errorBody{Code: "internal"}
	}
	if body.Error == "" {
		body.Error = s.msg.T(lang, "error."+body.Code)
	}
	return c.Status(status).JSON(body)
}

// refusalText words a refusal in the caller's language: the domain's
// reason is Spanish; where the catalogue has refusal.<code> for the
// language asked, that text is used, with the next allowed moment.
func (s *Server) refusalText(lang string, ref *apperr.Refusal) string {
	if lang == i18n.Default {
		return ref.Reason
	}
	key := "refusal." + ref.Code
	text := s.msg.T(lang, key)
	if !s.msg.Has(lang, key) {
		return s.phrases.T(lang, ref.Reason)
	}
	if ref.Next != "" {
		when := ref.Next
		if t, err := time.Parse("2006-01-02 15:04", ref.Next); err == nil {
			when = i18n.ShortDate(t, lang) + " " + t.Format("3:04 PM")
		}
		text += " " + i18n.Fill(s.msg.T(lang, "refusal.next"), map[string]string{"when": when})
	}
	return text
}

func codeOf(status int) string {
	switch status {
	case 400:
		return "invalid"
	case 401:
		return "unauthorized"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 405:
		return "method_not_allowed"
	case 409:
		return "conflict"
	case 411:
		return "length_required"
	case 413:
		return "too_large"
	case 415:
		return "unsupported_type"
	case 422:
		return "refused"
	case 408:
		return "timeout"
	case 414:
		return "uri_too_long"
	case 429:
		return "too_many_attempts"
	case 431:
		return "headers_too_large"
	case 503:
		return "unavailable"
	}
	return "internal"
}
