package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments/calc"
	"cartera/portal/apperr"
	"cartera/portal/store"
)

// The account's money, through the engine (payments/calc): every path that
// prices, takes or gives back money goes through these functions, so the
// statement, checkout, a manual payment, a letter and a refund agree.

// Moves are the account's movements as the engine reads them.
func (a Account) Moves() []calc.Move {
	out := make([]calc.Move, 0, len(a.History))
	for _, m := range a.History {
		mv := calc.Move{}
		if m.Value != nil {
			mv.Value = *m.Value
		}
		switch Book(m.Kind) {
		case BookPrincipal:
			mv.Principal = m.Amount
		case BookInterest:
			mv.Interest = m.Amount
		default:
			continue
		}
		out = append(out, mv)
	}
	return out
}

// CalcPauses are the account's plan pauses for the engine.
func (a Account) CalcPauses() []calc.Pause {
	var out []calc.Pause
	for _, p := range a.Pauses {
		cp := calc.Pause{From: p.From}
		if p.To != nil {
			cp.To = *p.To
		}
		out = append(out, cp)
	}
	return out
}

// Price prices the account on a civil day under a tenant's rules.
func Price(r calc.Rules, rates *calc.Rates, a Account, day time.Time) calc.Position {
	due := civil(a.DueDate, day.Location())
	t := r.Terms(due, a.CalcPauses())
	if rates != nil {
		return rates.Price(t, a.Moves(), day)
	}
	return calc.Price(t, a.Moves(), day)
}

// civil is the calendar date of a stored date (kept at UTC midnight) as a
// civil date in loc.
func civil(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// CivilDay is the civil date of an instant in loc.
func CivilDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Excess says what happens to money beyond what an account owes.
type Excess int

const (
	// RefuseExcess refuses the payment (a person is typing it in: 422).
	RefuseExcess Excess = iota
	// HoldExcess keeps the excess as the debtor's credit (the money
	// already arrived: a gateway or a bank).
	HoldExcess
)

// Overpaid refuses a payment above what the account owes today (422
// "over_owed", with the amount owed in minor units in fields.owed).
func Overpaid(owed int64) error {
	return &apperr.Refusal{Code: "over_owed", Fields: map[string]string{"owed": strconv.FormatInt(owed, 10)}}
}

// PaymentIn is money received for one account.
type PaymentIn struct {
	Key      string // the payment's ledger key: "<tenant>:pay:…"; its parts add ":i", ":x", ":d"
	Amount   int64
	Value    time.Time // the civil date the money moved (tenant's zone)
	At       time.Time // when it is recorded
	Channel  string    // online, manual, client_reported, bank
	Ref, By  string
	Note     string
	Excess   Excess
	Settle   bool // paying the account in full earns the policy's discount
	Rules    calc.Rules
	Rates    *calc.Rates
	Currency string
}

// Applied is how a payment was imputed on an account.
type Applied struct {
	Interest, Principal, Excess, Discount int64
	Replayed                              bool // recorded before: nothing new was applied
	After                                 calc.Position
}

// Total is the money the payment brought to the account.
func (p Applied) Total() int64 { return p.Interest + p.Principal + p.Excess }

// ApplyPayment imputes a payment on its account as of its value date, by
// the law's order (interest owed, then principal), and records the split:
// the account first, under its compare-and-set, so that concurrent payments
// each see what the others took and together never take more than is owed;
// then the ledger, keyed, so a retry writes nothing twice (Reconcile
// journals what a crash left on the account alone). With Settle, a payment
// that covers the account's total less the policy's discount earns that
// discount (a credit on the principal). Money beyond everything owed is
// refused (Overpaid) or held as the debtor's credit.
func ApplyPayment(ctx context.Context, sc *store.Scope, accountID string, in PaymentIn) (Applied, error) {
	if in.Amount <= 0 || !sc.Owns(in.Key) || !sc.Owns(accountID) {
		return Applied{}, fmt.Errorf("apply payment %s: %w", in.Key, apperr.ErrInvalid)
	}
	if in.At.IsZero() {
		in.At = time.Now().UTC()
	}
	value := in.Value
	var a Account
	var res Applied
	var ms []Movement
	err := sc.C("accounts").Mutate(ctx, accountID, &a, func() (bson.D, error) {
		res, ms = Applied{}, nil
		if prev, ok := appliedOf(a, in.Key); ok {
			res = prev
			res.Replayed = true
			return nil, nil
		}
		if a.Status == StatusRecalled {
			return nil, &apperr.Refusal{Code: "account_recalled"}
		}
		pos := Price(in.Rules, in.Rates, a, value)
		mv := func(id, kind string, amount int64) Movement {
			v := value
			return Movement{LedgerID: id, Kind: kind, Channel: in.Channel, Amount: amount, At: in.At, Value: &v, Ref: in.Ref, By: in.By, Note: in.Note}
		}
		if in.Settle {
			d := in.Rules.Discount(pos.Principal, civil(a.DueDate, value.Location()), value)
			if d > 0 && in.Amount >= pos.Owed()-d {
				res.Discount = d
				ms = append(ms, mv(in.Key+":d", KindCredit, -d))
				pos.Principal -= d
			}
		}
		if in.Excess == RefuseExcess && in.Amount > pos.Owed() {
			return nil, Overpaid(pos.Owed())
		}
		// A payment dated back is imputed as of its date, but never takes
		// more principal than is outstanding now (later payments count too).
		pos.Principal = min(pos.Principal, a.Balance-res.Discount)
		res.Interest, res.Principal, res.Excess = pos.Impute(in.Amount)
		if res.Interest > 0 {
			ms = append(ms, mv(in.Key+":i", KindInterestPaid, -res.Interest))
		}
		if res.Principal > 0 {
			ms = append(ms, mv(in.Key, KindPayment, -res.Principal))
		}
		if res.Excess > 0 {
			ms = append(ms, mv(in.Key+":x", KindOverpayment, -res.Excess))
		}
		return bookUpdate(a, in.At, ms...), nil
	})
	if err != nil {
		return Applied{}, fmt.Errorf("apply payment %s: %w", in.Key, err)
	}
	if res.Replayed {
		ms = movementsOf(a, in.Key)
	}
	if err := journalAll(ctx, sc, a, ms); err != nil {
		return res, err
	}
	var after Account
	if err := sc.C("accounts").Get(ctx, accountID, &after); err == nil {
		res.After = Price(in.Rules, in.Rates, after, value)
	}
	return res, nil
}

// partOf reports whether a ledger id is the payment key or one of its parts.
func partOf(id, key string) bool {
	return id == key || (strings.HasPrefix(id, key+":") && len(id) == len(key)+2)
}

// movementsOf are the movements a payment key left on the account.
func movementsOf(a Account, key string) []Movement {
	var out []Movement
	for _, m := range a.History {
		if partOf(m.LedgerID, key) {
			out = append(out, m)
		}
	}
	return out
}

// AppliedOf reads back how a payment was imputed on the account, if it was.
func AppliedOf(a Account, key string) (Applied, bool) { return appliedOf(a, key) }

// appliedOf reads back how a payment was imputed, if it was.
func appliedOf(a Account, key string) (Applied, bool) {
	ms := movementsOf(a, key)
	if len(ms) == 0 {
		return Applied{}, false
	}
	var r Applied
	for _, m := range ms {
		switch m.Kind {
		case KindInterestPaid:
			r.Interest -= m.Amount
		case KindPayment:
			r.Principal -= m.Amount
		case KindOverpayment:
			r.Excess -= m.Amount
		case KindCredit:
			r.Discount -= m.Amount
		}
	}
	return r, true
}

// journal writes a movement already on the account to the ledger (a
// duplicate key means it is there).
func journal(ctx context.Context, sc *store.Scope, a Account, m Movement) error {
	if err := sc.C("ledger").Insert(ctx, ledgerEntry(sc, a, m)); err != nil && !errors.Is(err, apperr.ErrConflict) {
		return fmt.Errorf("journal %s: %w", m.LedgerID, err)
	}
	return nil
}

// journalAll is journal for the movements of one operation (a payment's
// interest, principal and credit): one insert of them all, so one write
// and one projection journal entry instead of one each.
func journalAll(ctx context.Context, sc *store.Scope, a Account, ms []Movement) error {
	switch len(ms) {
	case 0:
		return nil
	case 1:
		return journal(ctx, sc, a, ms[0])
	}
	docs := make([]any, len(ms))
	for i, m := range ms {
		docs[i] = ledgerEntry(sc, a, m)
	}
	// Entries already there (a replay) come back as duplicates: recorded.
	if _, err := sc.C("ledger").InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("journal %s: %w", ms[0].LedgerID, err)
	}
	return nil
}

func ledgerEntry(sc *store.Scope, a Account, m Movement) LedgerEntry {
	return LedgerEntry{ID: m.LedgerID, TenantID: sc.Slug(), AccountID: a.ID, DebtorID: a.DebtorID, Kind: m.Kind, Channel: m.Channel,
		Amount: m.Amount, Currency: a.Currency, Ref: m.Ref, Note: m.Note, By: m.By, At: m.At, Value: m.Value, Of: m.Of}
}

// Reversed is what a reversal put back on an account.
type Reversed struct {
	Principal, Interest, Excess, Discount int64
}

// Total is the money the reversal gave back.
func (r Reversed) Total() int64 { return r.Principal + r.Interest + r.Excess }

// ReversePayment gives back up to amount of a recorded payment (a refund or
// a chargeback), keyed by revKey so a repeated event writes once. The money
// comes back in the reverse order it went in — credit held, then
// principal, then interest — so a partial refund leaves the books as if
// the payment had been smaller, and each part is dated back to the
// payment's value date, so the interest afterwards is what it would have
// been without it. Any reversal revokes the payment's settlement discount.
func ReversePayment(ctx context.Context, sc *store.Scope, accountID, payKey, revKey string, amount int64, channel, note string, now time.Time) (Reversed, error) {
	if amount <= 0 || !sc.Owns(revKey) {
		return Reversed{}, nil
	}
	var a Account
	var res Reversed
	var ms []Movement
	now = now.UTC()
	err := sc.C("accounts").Mutate(ctx, accountID, &a, func() (bson.D, error) {
		res, ms = Reversed{}, nil
		if done := movementsOf(a, revKey); len(done) > 0 {
			ms = done
			return nil, nil
		}
		paid, ok := appliedOf(a, payKey)
		if !ok {
			return nil, nil
		}
		var value *time.Time
		for _, m := range movementsOf(a, payKey) {
			value = m.Value
		}
		var discountRevoked bool
		for _, m := range a.History {
			if m.Of != payKey {
				continue
			}
			switch m.Kind {
			case KindCreditRefund:
				paid.Excess -= m.Amount
			case KindReversal:
				paid.Principal -= m.Amount
			case KindInterestRefund:
				paid.Interest -= m.Amount
			case KindCredit:
				discountRevoked = true
			}
		}
		left := amount
		take := func(have int64) int64 {
			t := min(left, max(have, 0))
			left -= t
			return t
		}
		res.Excess, res.Principal, res.Interest = take(paid.Excess), take(paid.Principal), take(paid.Interest)
		mv := func(suffix, kind string, amt int64) Movement {
			return Movement{LedgerID: revKey + ":" + suffix, Kind: kind, Channel: channel, Amount: amt, At: now, Value: value, Of: payKey, Note: note}
		}
		if res.Excess > 0 {
			ms = append(ms, mv("x", KindCreditRefund, res.Excess))
		}
		if res.Principal > 0 {
			ms = append(ms, mv("p", KindReversal, res.Principal))
		}
		if res.Interest > 0 {
			ms = append(ms, mv("i", KindInterestRefund, res.Interest))
		}
		if paid.Discount > 0 && !discountRevoked && len(ms) > 0 {
			res.Discount = paid.Discount
			ms = append(ms, mv("d", KindCredit, paid.Discount))
		}
		if len(ms) == 0 {
			return nil, nil
		}
		return bookUpdate(a, now, ms...), nil
	})
	if err != nil {
		return Reversed{}, fmt.Errorf("reverse %s: %w", payKey, err)
	}
	for _, m := range ms {
		switch m.Kind {
		case KindCreditRefund:
			res.Excess = max(res.Excess, m.Amount)
		case KindReversal:
			res.Principal = max(res.Principal, m.Amount)
		case KindInterestRefund:
			res.Interest = max(res.Interest, m.Amount)
		case KindCredit:
			res.Discount = max(res.Discount, m.Amount)
		}
	}
	return res, journalAll(ctx, sc, a, ms)
}
