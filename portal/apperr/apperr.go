// Package apperr holds the error vocabulary shared by the domain packages and
// mapped to HTTP statuses in exactly one place (portal/web).
package apperr

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors. Domain code wraps them with context; the HTTP layer maps
// them with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid input")
	ErrUnauthorized = errors.New("unauthorized")
	ErrTooLarge     = errors.New("too large")
	ErrUnsupported  = errors.New("unsupported media type")
	ErrRefused      = errors.New("refused by a rule")
	ErrTooMany      = errors.New("too many attempts")
)

// Invalid is an ErrInvalid that says which fields are wrong and why, so a
// person can fix the request.
type Invalid struct {
	Msg    string
	Fields map[string]string
	// Detail is extra data a page needs to help, e.g. the headers of a file
	// whose columns were not recognised; it is sent as "detail".
	Detail map[string]any
}

func (e *Invalid) Error() string {
	if len(e.Fields) == 0 {
		return e.Msg
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return e.Msg + " (" + strings.Join(parts, "; ") + ")"
}

func (e *Invalid) Unwrap() error { return ErrInvalid }

// Field builds an Invalid for a single field.
func Field(name, why string) error {
	return &Invalid{Msg: "datos inválidos", Fields: map[string]string{name: why}}
}

// Fields collects field errors; it returns nil when none were added.
type Fields map[string]string

// Add records why a field is wrong (the first reason wins).
func (f Fields) Add(name, why string) {
	if _, ok := f[name]; !ok {
		f[name] = why
	}
}

// Err returns an *Invalid when any field was added.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Invalid{Msg: "datos inválidos", Fields: f}
}

// Refusal is an ErrRefused with the machine code and the human reason of the
// rule that refused (HTTP 422).
type Refusal struct {
	Code   string
	Reason string // empty: the catalogue's "error.<code>" in the caller's language
	Rule   string
	Fields map[string]string // figures the person needs (e.g. "owed")
	// Next is the next allowed moment as a wall-clock time in the
	// tenant's zone ("2006-01-02 15:04"), for refusals by the contact
	// rules; the HTTP face words it in the caller's language.
	Next string
}

func (e *Refusal) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Reason) }
func (e *Refusal) Unwrap() error { return ErrRefused }

// Throttled is an ErrTooMany that says when to try again.
type Throttled struct {
	RetryAfterSeconds int
}

func (e *Throttled) Error() string {
	return fmt.Sprintf("too many attempts, retry after %ds", e.RetryAfterSeconds)
}
func (e *Throttled) Unwrap() error { return ErrTooMany }

// Is is errors.Is, here so callers need one import.
func Is(err, target error) bool { return errors.Is(err, target) }

// Unsupported is an ErrUnsupported with a code saying which kinds of file
// the request should have sent (the catalogue words it: "error.<code>").
type Unsupported struct {
	Code string
}

func (e *Unsupported) Error() string { return "unsupported media type: " + e.Code }
func (e *Unsupported) Unwrap() error { return ErrUnsupported }

// ErrUnavailable means a feature is switched off in this deployment (HTTP
// 503 with the Unavailable's code).
var ErrUnavailable = errors.New("unavailable")

// Unavailable is an ErrUnavailable with the code of what is off (the
// catalogue words it: "error.<code>").
type Unavailable struct {
	Code string
}

func (e *Unavailable) Error() string { return "unavailable: " + e.Code }
func (e *Unavailable) Unwrap() error { return ErrUnavailable }
