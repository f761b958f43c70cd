package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/store"
	"cartera/tenants"
)

// Payment states, in order: a state never moves back to an earlier one.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFlagged   = "flagged" // the gateway reported another amount: not credited, for a person to review
	StatusReversed  = "reversed"
)

var rank = map[string]int{StatusPending: 0, StatusFlagged: 1, StatusSucceeded: 1, StatusReversed: 2}

// Payment is one online payment attempt and what it paid. _id is
// "<tenant>:<objectid>".
type Payment struct {
	ID          string            `bson:"_id" json:"id"`
	TenantID    string            `bson:"tenantId" json:"-"`
	DebtorID    string            `bson:"debtorId" json:"-"`
	Amount      int64             `bson:"amount" json:"amount"`
	Currency    string            `bson:"currency" json:"currency"`
	Allocation  []calc.Allocation `bson:"allocation" json:"allocation"`
	Plan        *PlanRef          `bson:"plan,omitempty" json:"plan,omitempty"` // the plan installment it pays
	Gateway     string            `bson:"gateway" json:"gateway"`
	SessionID   string            `bson:"sessionId" json:"sessionId"`
	GatewayRef  string            `bson:"gatewayRef,omitempty" json:"-"` // payment intent or sandbox ref
	Status      string            `bson:"status" json:"status"`
	PaidAmount  int64             `bson:"paidAmount,omitempty" json:"paidAmount,omitempty"`
	Note        string            `bson:"note,omitempty" json:"note,omitempty"`
	CreatedAt   time.Time         `bson:"createdAt" json:"createdAt"`
	CompletedAt *time.Time        `bson:"completedAt,omitempty" json:"completedAt,omitempty"`
	Rev         int64             `bson:"rev" json:"-"`
}

// Service records payments.
type Service struct {
	db        *store.DB
	audit     *audit.Log
	tenants   *tenants.Service
	gw        Gateway
	publicURL string
	log       *slog.Logger
	// MinPayment is the smallest partial payment (minor units) when the
	// policy sets none.
	MinPayment int64
	// Events lists the gateway's events for the reconciliation job (nil:
	// the gateway has none, as the sandbox).
	Events EventLister
}

// NewService wires the payment service.
func NewService(db *store.DB, a *audit.Log, t *tenants.Service, gw Gateway, publicURL string, log *slog.Logger) *Service {
	s := &Service{db: db, audit: a, tenants: t, gw: gw, publicURL: publicURL, log: log, MinPayment: 1000_00}
	if l, ok := gw.(EventLister); ok {
		s.Events = l
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Gateway is the configured gateway.
func (s *Service) Gateway() Gateway { return s.gw }

// CheckoutInput says what the debtor wants to pay: an amount (oldest first),
// chosen invoices (in full), one installment of their plan, or, with none
// of these, everything owed.
type CheckoutInput struct {
	Amount      int64
	AccountIDs  []string
	PlanID      string
	Installment *int // with PlanID: 0 is the down payment
}

// openAccounts reads the debtor's open accounts by _id from its list.
func openAccounts(ctx context.Context, sc *store.Scope, debtorID string) (accounts.Debtor, []accounts.Account, error) {
	var d accounts.Debtor
	if err := sc.C("debtors").Get(ctx, debtorID, &d); err != nil {
		return d, nil, err
	}
	var out []accounts.Account
	for _, id := range d.AccountIDs {
		var a accounts.Account
		if err := sc.C("accounts").Get(ctx, id, &a); err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				continue
			}
			return d, nil, err
		}
		if a.Status == accounts.StatusOpen && a.Balance > 0 {
			out = append(out, a)
		}
	}
	return d, out, nil
}

// Checkout computes the amount and its allocation on the server, stores a
// pending payment and opens the gateway's checkout.
func (s *Service) Checkout(ctx context.Context, in CheckoutInput) (Payment, Session, error) {
	a := actor.From(ctx)
	if a.Role != tenants.RoleDebtor || len(a.Tenants) != 1 {
		return Payment{}, Session{}, apperr.ErrForbidden
	}
	tenant := a.Tenants[0]
	sc := s.db.Tenant(tenant)
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return Payment{}, Session{}, err
	}
	_, open, err := openAccounts(ctx, sc, a.UserID)
	if err != nil {
		return Payment{}, Session{}, err
	}
	var owed int64
	items := make([]calc.Open, 0, len(open))
	for _, acc := range open {
		owed += acc.Balance
		items = append(items, calc.Open{ID: acc.ID, DueDate: acc.DueDate, Balance: acc.Balance})
	}
	if owed == 0 {
		return Payment{}, Session{}, &apperr.Refusal{Code: "nothing_owed", Reason: "no tiene saldo pendiente"}
	}
	amount := in.Amount
	var chosen []string
	var plan *PlanRef
	switch {
	case in.PlanID != "":
		if plan, amount, items, err = planCheckout(ctx, sc, a.UserID, in, items); err != nil {
			return Payment{}, Session{}, err
		}
	case len(in.AccountIDs) > 0:
		chosen = make([]string, 0, len(in.AccountIDs))
		amount = 0
		for _, k := range in.AccountIDs {
			id := k
			if !sc.Owns(id) {
				id = sc.ID(k)
			}
			found := false
			for _, acc := range open {
				if acc.ID == id {
					amount += acc.Balance
					found = true
				}
			}
			if !found {
				return Payment{}, Session{}, fmt.Errorf("account %s: %w", k, apperr.ErrNotFound)
			}
			chosen = append(chosen, id)
		}
	case amount == 0:
		amount = owed
	case amount < 0:
		return Payment{}, Session{}, apperr.Field("amount", "el valor debe ser mayor que cero")
	case amount > owed:
		return Payment{}, Session{}, apperr.Field("amount", "el valor supera lo que debe")
	case amount < s.MinPayment && amount != owed:
		return Payment{}, Session{}, apperr.Field("amount", fmt.Sprintf("el pago mínimo es %d", s.MinPayment))
	}
	alloc, rest, err := calc.Allocate(amount, items, chosen)
	if err != nil {
		return Payment{}, Session{}, apperr.Field("accountIds", err.Error())
	}
	if rest != 0 {
		return Payment{}, Session{}, apperr.Field("amount", "el valor supera lo que debe")
	}
	p := Payment{
		ID: sc.ID(primitive.NewObjectID().Hex()), TenantID: tenant, DebtorID: a.UserID, Amount: amount, Currency: t.Currency,
		Allocation: alloc, Plan: plan, Gateway: s.gw.Name(), Status: StatusPending, CreatedAt: time.Now().UTC(),
	}
	desc := "Pago a " + t.Name
	if plan != nil {
		desc = fmt.Sprintf("Cuota %d del plan de pagos con %s", plan.Installment, t.Name)
	}
	sess, err := s.gw.Checkout(ctx, CheckoutRequest{
		PaymentID: p.ID, Tenant: tenant, Debtor: a.UserID, Amount: amount, Currency: t.Currency,
		Description: desc,
		SuccessURL:  s.publicURL + "/debtor?paid=" + keyOf(p.ID), CancelURL: s.publicURL + "/debtor?cancelled=" + keyOf(p.ID),
	})
	if err != nil {
		return Payment{}, Session{}, err
	}
	p.SessionID = sess.ID
	if err := sc.C("payments").Insert(ctx, p); err != nil {
		return Payment{}, Session{}, err
	}
	_ = s.audit.Record(ctx, tenant, "payment.checkout", p.ID, map[string]any{"amount": amount, "gateway": p.Gateway})
	return p, sess, nil
}

// Complete is the one recording path of a successful payment, from the
// Stripe webhook or the sandbox page: it checks the amount, records each
// allocation once in the ledger and moves the payment to succeeded. A
// repeated or concurrent call applies nothing twice.
func (s *Service) Complete(ctx context.Context, tenant, paymentID, gatewayRef string, paid int64, currency string) (Payment, error) {
	sc := s.db.Tenant(tenant)
	var p Payment
	flagged, moved := false, false
	err := sc.C("payments").Mutate(ctx, paymentID, &p, func() (bson.D, error) {
		moved = false
		if rank[p.Status] >= rank[StatusSucceeded] {
			return nil, nil // already recorded (or later): never backwards
		}
		moved = true
		now := time.Now().UTC()
		set := bson.D{{Key: "gatewayRef", Value: gatewayRef}, {Key: "paidAmount", Value: paid}, {Key: "completedAt", Value: now}}
		if paid != p.Amount || !equalFold(currency, p.Currency) {
			flagged = true
			set = append(set, bson.E{Key: "status", Value: StatusFlagged},
				bson.E{Key: "note", Value: fmt.Sprintf("la pasarela reportó %d %s, se esperaba %d %s", paid, currency, p.Amount, p.Currency)})
		} else {
			set = append(set, bson.E{Key: "status", Value: StatusSucceeded})
		}
		return bson.D{{Key: "$set", Value: set}}, nil
	})
	if err != nil {
		return p, err
	}
	if err := sc.C("payments").Get(ctx, paymentID, &p); err != nil {
		return p, err
	}
	if p.Status != StatusSucceeded && p.Status != StatusReversed {
		if flagged && moved {
			_ = s.audit.Record(ctx, tenant, "payment.flagged", p.ID, map[string]any{"paid": paid, "expected": p.Amount})
		}
		return p, nil
	}
	// Ledger entries are keyed by payment and account: posting again after a
	// crash or a duplicate event is a no-op.
	for _, al := range p.Allocation {
		err := accounts.Post(ctx, sc, accounts.LedgerEntry{
			ID: sc.ID("pay:" + keyOf(p.ID) + ":" + sc.Key(al.ID)), TenantID: tenant, AccountID: al.ID, DebtorID: p.DebtorID,
			Kind: accounts.KindPayment, Channel: "online", Amount: -al.Amount, Currency: p.Currency, Ref: gatewayRef, At: p.CompletedAtOr(),
		})
		if err != nil && !errors.Is(err, accounts.ErrRecorded) {
			return p, fmt.Errorf("record payment %s: %w", p.ID, err)
		}
	}
	// Then the debtor's plan: the installment it pays, or extras that
	// reduce the last installments (once per payment).
	if err := afterPayment(ctx, sc, p, time.Now().UTC()); err != nil {
		return p, err
	}
	if moved { // audited by the call that recorded it, not by repeats
		_ = s.audit.Record(ctx, tenant, "payment.succeeded", p.ID, map[string]any{"amount": p.Amount})
	}
	return p, nil
}

// Reverse records a refund or a chargeback of a succeeded payment as
// reversal entries (oldest allocation last), once per reason key.
func (s *Service) Reverse(ctx context.Context, tenant, paymentID, reasonKey string, amount int64, note string) (Payment, error) {
	sc := s.db.Tenant(tenant)
	var p Payment
	if err := sc.C("payments").Get(ctx, paymentID, &p); err != nil {
		return p, err
	}
	if p.Status != StatusSucceeded && p.Status != StatusReversed {
		return p, &apperr.Refusal{Code: "not_paid", Reason: "el pago no está registrado como exitoso"}
	}
	left := min(amount, p.Amount)
	for i := len(p.Allocation) - 1; i >= 0 && left > 0; i-- {
		al := p.Allocation[i]
		part := min(left, al.Amount)
		left -= part
		err := accounts.Post(ctx, sc, accounts.LedgerEntry{
			ID: sc.ID("rev:" + reasonKey + ":" + sc.Key(al.ID)), TenantID: tenant, AccountID: al.ID, DebtorID: p.DebtorID,
			Kind: accounts.KindReversal, Channel: "online", Amount: part, Currency: p.Currency, Ref: reasonKey, Note: note,
		})
		if err != nil && !errors.Is(err, accounts.ErrRecorded) {
			return p, err
		}
	}
	err := sc.C("payments").Mutate(ctx, paymentID, &p, func() (bson.D, error) {
		if p.Status == StatusReversed {
			return nil, nil
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusReversed}, {Key: "note", Value: note}}}}, nil
	})
	if err == nil {
		_ = s.audit.Record(ctx, tenant, "payment.reversed", p.ID, map[string]any{"amount": amount, "reason": reasonKey})
	}
	return p, err
}

// Get returns a payment of the calling debtor (or any, for staff of the tenant).
func (s *Service) Get(ctx context.Context, tenant, key string) (Payment, error) {
	a := actor.From(ctx)
	if !a.Member(tenant) {
		return Payment{}, apperr.ErrNotFound
	}
	sc := s.db.Tenant(tenant)
	id := key
	if !sc.Owns(id) {
		id = sc.ID(key)
	}
	var p Payment
	if err := sc.C("payments").Get(ctx, id, &p); err != nil {
		return p, err
	}
	if a.Role == tenants.RoleDebtor && p.DebtorID != a.UserID {
		return Payment{}, apperr.ErrNotFound
	}
	if a.Role == tenants.RoleCollector {
		return Payment{}, apperr.ErrNotFound
	}
	return p, nil
}

// CompletedAtOr is when the payment completed (now if unknown).
func (p Payment) CompletedAtOr() time.Time {
	if p.CompletedAt != nil {
		return *p.CompletedAt
	}
	return time.Now().UTC()
}

func equalFold(a, b string) bool { return lower(a) == lower(b) }
