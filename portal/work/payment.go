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

// Recorded is a recorded manual payment: how the law's order imputed it
// (interest first, then principal) and what the account owes after it.
type Recorded struct {
	Entry     accounts.LedgerEntry // the payment as a whole (Amount: −all money received)
	Interest  int64                // of it, paid to interest
	Principal int64                // of it, paid to principal
	Balance   int64                // principal outstanding after it
	Owed      int64                // principal and interest owed after it, as of its date
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
	channel := "manual"
	if in.Method == MethodClientReported {
		channel = MethodClientReported
	}
	return s.record(ctx, tg, in, ref, tg.sc.ID("pay:manual:"+ref), channel)
}

// BankPayment is money a bank file shows reaching the client's account.
type BankPayment struct {
	Amount int64
	Key    string // stable per bank movement and account: the ledger key is "pay:bank:<Key>"
	Ref    string // the bank's reference, kept on the entry
	Day    string // YYYY-MM-DD the bank credited it (empty: today)
}

// RecordBankPayment records money reconciled from a bank file through the
// same path as a manual transfer (imputation by the engine, no excess, plan
// and promise upkeep). A client may record it: the bank, not the client,
// says the money arrived. The same key again is accounts.ErrRecorded.
func (s *Service) RecordBankPayment(ctx context.Context, tenant, accountID string, in BankPayment) (Recorded, error) {
	if in.Amount <= 0 || in.Key == "" || strings.ContainsAny(in.Key, "$") {
		return Recorded{}, fmt.Errorf("bank payment %q: %w", in.Key, apperr.ErrInvalid)
	}
	tg, err := s.open(ctx, tenant, accountID)
	if err != nil {
		return Recorded{}, err
	}
	pin := PaymentInput{Amount: in.Amount, Method: MethodTransfer, PaidAt: in.Day}
	return s.record(ctx, tg, pin, NormalizeReference(in.Ref), tg.sc.ID("pay:bank:"+in.Key), "bank")
}

// record applies a payment under ledger key id: refused when the key is
// already in the ledger, imputed by the engine, then the plan and promises
// of the account follow it.
func (s *Service) record(ctx context.Context, tg target, in PaymentInput, ref, id, channel string) (Recorded, error) {
	a := actor.From(ctx)
	sc, acc, now := tg.sc, tg.acc, s.now()
	tenant := sc.Slug()
	// A repeated reference is a conflict whatever the account (the same
	// transfer cannot pay twice); the account's own check below closes the
	// race between two requests at once.
	for _, part := range []string{id, id + ":i"} {
		var prev accounts.LedgerEntry
		if err := sc.C("ledger").Get(ctx, part, &prev); err == nil {
			return Recorded{}, accounts.ErrRecorded
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return Recorded{}, err
		}
	}
	if acc.Status == accounts.StatusRecalled {
		return Recorded{}, &apperr.Refusal{Code: "account_recalled"}
	}
	paidAt, err := parsePaidAt(in.PaidAt, now, tg.tenant.Location())
	if err != nil {
		return Recorded{}, err
	}
	rules, err := s.policy.Rules(ctx, tenant)
	if err != nil {
		return Recorded{}, err
	}
	// The account's compare-and-set imputes it against what is owed on its
	// date, so concurrent payments together never exceed the debt: the one
	// that would is refused with the amount owed (422 over_owed).
	applied, err := accounts.ApplyPayment(ctx, sc, acc.ID, accounts.PaymentIn{
		Key: id, Amount: in.Amount, Value: accounts.CivilDay(paidAt, tg.tenant.Location()), At: paidAt, Channel: channel,
		Ref: ref, By: a.UserID, Note: in.Method, Excess: accounts.RefuseExcess, Rules: rules, Currency: acc.Currency,
	})
	if err != nil {
		return Recorded{}, err
	}
	if applied.Replayed {
		return Recorded{}, accounts.ErrRecorded
	}
	e := accounts.LedgerEntry{
		ID: id, TenantID: tenant, AccountID: acc.ID, DebtorID: acc.DebtorID, Kind: accounts.KindPayment, Channel: channel,
		Amount: -in.Amount, Currency: acc.Currency, Ref: ref, Note: in.Method, By: a.UserID, At: paidAt,
	}
	event := "payment.manual"
	if channel == "bank" {
		event = "payment.bank"
	}
	_ = s.audit.Record(ctx, tenant, event, id, map[string]any{"account": acc.ID, "amount": in.Amount, "method": in.Method,
		"interest": applied.Interest, "principal": applied.Principal})
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
		if _, err := planbook.CompleteIfSettled(ctx, sc, mark.PlanID, now); err != nil {
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
	if s.hooks != nil {
		s.hooks.AccountChanged(ctx, tenant, acc.ID)
	}
	return Recorded{Entry: e, Interest: applied.Interest, Principal: applied.Principal, Balance: applied.After.Principal, Owed: applied.After.Owed()}, nil
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
