package debtors

// One-time login codes by e-mail: the optional second way in, for a debtor
// who has lost the access code printed on a letter. The code goes to the
// e-mail on file (never to an address the caller types), only its HMAC is
// kept on the debtor document, it lives EmailCodeTTL, it works once, and
// EmailCodeAttempts wrong tries void it. Requests and wrong codes are
// throttled per document and per client address like access codes.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/i18n"
	"cartera/portal/ingest"
	"cartera/tenants"
)

// E-mail code rules.
const (
	EmailCodeTTL      = 10 * time.Minute
	EmailCodeAttempts = 5 // wrong tries that void a code
	emailCodeDigits   = 6
)

// SendMail delivers one e-mail (the app wires the outbox's e-mail sender).
type SendMail func(ctx context.Context, to, subject, body string) error

// EmailCodes reports whether one-time login codes can be sent by e-mail
// (a mail sender is configured).
func (s *Service) EmailCodes() bool { return s.mail != nil }

// loginCode is the pending e-mail code on the debtor document.
type loginCode struct {
	Hash      string    `bson:"hash"`
	ExpiresAt time.Time `bson:"expiresAt"`
	Attempts  int       `bson:"attempts"`
	SentAt    time.Time `bson:"sentAt"`
}

// otpDebtor is the part of the debtor document the e-mail code reads.
type otpDebtor struct {
	ID             string             `bson:"_id"`
	TenantID       string             `bson:"tenantId"`
	Name           string             `bson:"name"`
	Contacts       []accounts.Contact `bson:"contacts"`
	AccessCodeHash string             `bson:"accessCodeHash"`
	TokenVersion   int64              `bson:"tokenVersion"`
	LoginCode      *loginCode         `bson:"loginCode,omitempty"`
	Rev            int64              `bson:"rev"`
}

// ErrEmailCodesOff means no e-mail sender is configured.
var ErrEmailCodesOff = &apperr.Refusal{Code: "email_codes_unavailable", Reason: "El envío de códigos por correo no está disponible; use su código de acceso."}

// RequestEmailCode sends a one-time login code to the debtor's e-mail on
// file. The answer is the same whether or not the document exists or has an
// e-mail, so it tells nothing about who is a debtor; requests are throttled
// per document and per address (429 with Retry-After).
func (s *Service) RequestEmailCode(ctx context.Context, tenant, document string) error {
	if s.mail == nil {
		return ErrEmailCodesOff
	}
	a := actor.From(ctx)
	tenant = strings.ToLower(strings.TrimSpace(tenant))
	doc := ingest.NormalizeDocument(document)
	docKey, addrKey := "doc:"+tenant+":"+doc, "addr:"+a.IP
	if wait := max(s.sendDoc.Check(docKey), s.sendAddr.Check(addrKey), s.byDoc.Check(docKey), s.byAddr.Check(addrKey)); wait > 0 {
		return &apperr.Throttled{RetryAfterSeconds: int(math.Ceil(wait.Seconds()))}
	}
	s.sendDoc.Fail(docKey)
	s.sendAddr.Fail(addrKey)
	if !slugRE.MatchString(tenant) || doc == "" || len(doc) > 40 {
		return nil
	}
	sc := s.db.Tenant(tenant)
	var d otpDebtor
	if err := sc.C("debtors").Get(ctx, sc.ID(doc), &d); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("email code: %w", err)
	}
	to := ""
	for _, c := range d.Contacts {
		if c.Kind == "email" && !c.Invalid && strings.Contains(c.Value, "@") {
			to = c.Value
			break
		}
	}
	if to == "" {
		_ = s.audit.Record(ctx, tenant, "debtor.login.code_unavailable", d.ID, map[string]any{"document": Mask(doc), "why": "no_email"})
		return nil
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return err
	}
	code, err := newEmailCode()
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	lc := loginCode{Hash: s.accounts.HashCode(d.ID, "OTP"+code), ExpiresAt: now.Add(EmailCodeTTL), SentAt: now}
	// A new code replaces the previous one (and its attempt count).
	if err := sc.C("debtors").Update(ctx, d.ID, bson.D{{Key: "$set", Value: bson.D{{Key: "loginCode", Value: lc}}}}); err != nil {
		return fmt.Errorf("email code: %w", err)
	}
	// In the company's language (Spanish with an English line, or English).
	lang := i18n.OfLocale(t.Locale)
	vars := map[string]string{"name": d.Name, "company": t.Name, "code": code, "minutes": strconv.Itoa(int(EmailCodeTTL.Minutes()))}
	subject := i18n.Fill(s.translate(lang, "otp.subject"), vars)
	body := i18n.Fill(s.translate(lang, "otp.body"), vars)
	if err := s.mail(ctx, to, subject, body); err != nil {
		return fmt.Errorf("email code: send: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "debtor.login.code_sent", d.ID, map[string]any{"document": Mask(doc), "to": maskEmail(to)})
	return nil
}

// LoginWithEmailCode opens a session with a code sent by RequestEmailCode.
// Wrong codes count against the same per-document and per-address limits
// as access codes and against the code itself; a right code works once.
func (s *Service) LoginWithEmailCode(ctx context.Context, tenant, document, code string) (Session, error) {
	a := actor.From(ctx)
	tenant = strings.ToLower(strings.TrimSpace(tenant))
	doc := ingest.NormalizeDocument(document)
	docKey, addrKey := "doc:"+tenant+":"+doc, "addr:"+a.IP
	if wait := max(s.byDoc.Check(docKey), s.byAddr.Check(addrKey)); wait > 0 {
		return Session{}, &apperr.Throttled{RetryAfterSeconds: int(math.Ceil(wait.Seconds()))}
	}
	id := tenant + ":" + doc
	var d otpDebtor
	found, ok := false, false
	if slugRE.MatchString(tenant) && doc != "" && len(doc) <= 40 {
		sc := s.db.Tenant(tenant)
		id = sc.ID(doc)
		now := s.Now().UTC()
		sum := s.accounts.HashCode(id, "OTP"+code)
		// Check and consume in one guarded step, so two requests with the
		// right code open one session.
		err := sc.C("debtors").Mutate(ctx, id, &d, func() (bson.D, error) {
			found, ok = true, false
			lc := d.LoginCode
			if lc == nil || now.After(lc.ExpiresAt) || lc.Attempts >= EmailCodeAttempts {
				return nil, nil
			}
			if len(normalizeDigits(code)) == emailCodeDigits && hmac.Equal([]byte(sum), []byte(lc.Hash)) {
				ok = true
				return bson.D{{Key: "$unset", Value: bson.D{{Key: "loginCode", Value: ""}}}}, nil
			}
			return bson.D{{Key: "$inc", Value: bson.D{{Key: "loginCode.attempts", Value: 1}}}}, nil
		})
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return Session{}, fmt.Errorf("debtor login: %w", err)
		}
	} else {
		_ = s.accounts.HashCode(id, "OTP"+code) // same work as a real check
	}
	if !ok || d.AccessCodeHash == "" {
		// A debtor without an access code has no portal access at all.
		s.loginFailed(ctx, found, tenant, d.ID, doc, docKey, addrKey, "email_code")
		return Session{}, fmt.Errorf("debtor login: %w", apperr.ErrUnauthorized)
	}
	s.byDoc.Reset(docKey)
	tok, exp, err := s.tokens.Issue(d.ID, tenants.AudienceDebtor, tenants.RoleDebtor, []string{tenant}, d.TokenVersion)
	if err != nil {
		return Session{}, err
	}
	dd := debtorDoc{ID: d.ID, TenantID: d.TenantID}
	_ = s.audit.Record(actor.With(ctx, debtorActor(dd, a)), tenant, "debtor.login", d.ID, map[string]any{"method": "email_code"})
	return Session{Token: tok, Expires: exp}, nil
}

// loginFailed counts a failed login against the document and the address
// and audits it, and the lockout when this failure caused one.
func (s *Service) loginFailed(ctx context.Context, found bool, tenant, target, doc, docKey, addrKey, method string) {
	lockedDoc := s.byDoc.Fail(docKey)
	lockedAddr := s.byAddr.Fail(addrKey)
	if !found {
		target = ""
	}
	_ = s.audit.Record(ctx, tenantOrEmpty(found, tenant), "debtor.login.failed", target, map[string]any{"document": Mask(doc), "method": method})
	if lockedDoc || lockedAddr {
		by := "document"
		if lockedAddr {
			by = "address"
		}
		_ = s.audit.Record(ctx, tenantOrEmpty(found, tenant), "debtor.login.locked", target, map[string]any{"by": by, "document": Mask(doc), "method": method})
	}
}

func newEmailCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("email code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

func normalizeDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// maskEmail keeps the first letter and the domain: j•••@example.com.
func maskEmail(e string) string {
	at := strings.LastIndex(e, "@")
	if at < 1 {
		return "•••"
	}
	return e[:1] + "•••" + e[at:]
}
