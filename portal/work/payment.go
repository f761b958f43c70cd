package work

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"cartera/payments/planbook"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/tenants"
)

// PaymentInput is a payment received outside the portal.
type PaymentInput struct {
	Amount    int64
	Method    string // transfer, cash, check, client_reported
	Reference string // the bank or receipt reference; the idempotency key
	PaidAt    string // YYYY-MM-DD or RFC 3339; empty: now
}

// Recorded is a recorded manual payment and the account's balance after it.
type Recorded struct {
	Entry   accounts.LedgerEntry
	Balance int64
}

// NormalizeReference is how references are compared: upper case, without
// spaces, so " ab 123" and "AB123" are the same payment.
func NormalizeReference(ref string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(strings.TrimSpace(ref)) {
		if !unicode.IsSpace(r) {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// RecordPayment records a manual (or client-reported) payment once: the
// ledger key is the normalized reference, so the same reference again is
// accounts.ErrRecorded (409) and never reduces the balance twice. A payment
// that covers a live promise keeps it.
func (s *Service) RecordPayment(ctx context.Context, tenant, key string, in PaymentInput) (Recorded, error) {
	f := apperr.Fields{}
	methods := []string{MethodTransfer, MethodCash, MethodCheck, MethodClientReported}
	if !slices.Contains(methods, in.Method) {
		f.Add("method", "use transfer, cash, check o client_reported")
	}
	ref := NormalizeReference(in.Reference)
	if ref == "" || len(ref) > 64 || strings.ContainsAny(ref, ":$") {
		f.Add("reference", "indique la referencia del pago (máximo 64 caracteres, sin ':' ni '$')")
	}
	if in.Amount <= 0 {
		f.Add("amount", "el valor debe ser mayor que cero (en unidades menores: centavos)")
	}
	if err := f.Err(); err != nil {
		return Recorded{}, err
	}
	tg, err := s.open(ctx, tenant, key)
	if err != nil {
		return Recorded{}, err
	}
	a := actor.From(ctx)
	if a.Role == tenants.RoleClient && in.Method != MethodClientReported {
		return Recorded{}, apperr.Field("method", "un cliente reporta pagos con method client_reported")
	}
	sc, acc, now := tg.sc, tg.acc, s.now()
	id := sc.ID("pay:manual:" + ref)
	// A repeated reference is a conflict whatever the balance is now.
	var prev accounts.LedgerEntry
	if err := sc.C("ledger").Get(ctx, id, &prev); err == nil {
		return Recorded{}, accounts.ErrRecorded
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return Recorded{}, err
	}
	if acc.Status == accounts.StatusRecalled {
		return Recorded{}, &apperr.Refusal{Code: "account_recalled", Reason: "La cuenta fue retirada de cobranza: registre el pago con el cliente."}
	}
	if in.Amount > acc.Balance {
		return Recorded{}, apperr.Field("amount", fmt.Sprintf("el valor supera el saldo de la cuenta (%d)", acc.Balance))
	}
	paidAt, err := parsePaidAt(in.PaidAt, now, tg.tenant.Location())
	if err != nil {
		return Recorded{}, err
	}
	channel := "manual"
	if in.Method == MethodClientReported {
		channel = MethodClientReported
	}
	e := accounts.LedgerEntry{
		ID: id, TenantID: tenant, AccountID: acc.ID, DebtorID: acc.DebtorID, Kind: accounts.KindPayment, Channel: channel,
		Amount: -in.Amount, Currency: acc.Currency, Ref: ref, Note: in.Method, By: a.UserID, At: paidAt,
	}
	if err := accounts.Post(ctx, sc, e); err != nil {
		return Recorded{}, err
	}
	_ = s.audit.Record(ctx, tenant, "payment.manual", id, map[string]any{"account": acc.ID, "amount": in.Amount, "method": in.Method})
	// An account under an active installment plan: the payment reduces the
	// plan's last installments, as an extra online payment does.
	var mark struct {
		PlanID string `bson:"planId"`
	}
	if err := sc.C("accounts").Get(ctx, acc.ID, &mark); err != nil {
		return Recorded{}, fmt.Errorf("payment recorded; plan: %w", err)
	}
	if mark.PlanID != "" {
		if _, err := planbook.Apply(ctx, sc, mark.PlanID, planbook.Payment{Key: id, Amount: in.Amount, PaidAt: paidAt}, now); err != nil {
			return Recorded{}, fmt.Errorf("payment recorded; plan: %w", err)
		}
	}
	var aw accountWork
	if err := sc.C("accounts").Get(ctx, acc.ID, &aw); err != nil {
		return Recorded{}, err
	}
	if err := s.keepCovered(ctx, tg, aw.PromiseIDs); err != nil {
		return Recorded{}, fmt.Errorf("payment recorded; promise check: %w", err)
	}
	if s.Hooks != nil {
		s.Hooks.AccountChanged(ctx, tenant, acc.ID)
	}
	var after accounts.Account
	if err := sc.C("accounts").Get(ctx, acc.ID, &after); err != nil {
		return Recorded{}, err
	}
	return Recorded{Entry: e, Balance: after.Balance}, nil
}

// parsePaidAt reads the payment date: a civil date (kept at noon in the
// tenant's zone so it stays on that day everywhere) or an instant; never in
// the future, never more than a year back.
func parsePaidAt(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now, nil
	}
	var at time.Time
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		at = d.Add(12 * time.Hour)
		if civilOf(at, loc).Equal(civilToday(now, loc)) {
			at = now
		}
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		at = t
	} else {
		return time.Time{}, apperr.Field("paidAt", "fecha AAAA-MM-DD")
	}
	if civilOf(at, loc).After(civilToday(now, loc)) {
		return time.Time{}, apperr.Field("paidAt", "la fecha del pago no puede ser futura")
	}
	if at.Before(now.AddDate(-1, 0, 0)) {
		return time.Time{}, apperr.Field("paidAt", "la fecha del pago tiene más de un año")
	}
	return at.UTC(), nil
}
