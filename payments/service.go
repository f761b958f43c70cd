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
	"cartera/portal/debtors"
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
	ID         string            `bson:"_id" json:"id"`
	TenantID   string            `bson:"tenantId" json:"-"`
	DebtorID   string            `bson:"debtorId" json:"-"`
	Amount     int64             `bson:"amount" json:"amount"`
	Currency   string            `bson:"currency" json:"currency"`
	Allocation []calc.Allocation `bson:"allocation" json:"allocation"` // what reduces each balance as a payment (principal)
	// Charges are the late interest and discounts of a "pay everything"
	// checkout, priced as the statement prices them and frozen at checkout:
	// on completion each account gets its interest (+) and discount (−)
	// in the ledger, the payment, and the interest paid (−), so the balance
	// equals the ledger and recovery counts no interest.
	Charges     []Charge   `bson:"charges,omitempty" json:"charges,omitempty"`
	Plan        *PlanRef   `bson:"plan,omitempty" json:"plan,omitempty"` // the plan installment it pays
	Gateway     string     `bson:"gateway" json:"gateway"`
	SessionID   string     `bson:"sessionId" json:"sessionId"`
	GatewayRef  string     `bson:"gatewayRef,omitempty" json:"-"` // payment intent or sandbox ref
	Status      string     `bson:"status" json:"status"`
	PaidAmount  int64      `bson:"paidAmount,omitempty" json:"paidAmount,omitempty"`
	Note        string     `bson:"note,omitempty" json:"note,omitempty"`
	CreatedAt   time.Time  `bson:"createdAt" json:"createdAt"`
	CompletedAt *time.Time `bson:"completedAt,omitempty" json:"completedAt,omitempty"`
	Rev         int64      `bson:"rev" json:"-"`
}

// Charge is one account's late interest and discount in a payment.
type Charge struct {
	AccountID string `bson:"accountId" json:"-"`
	Interest  int64  `bson:"interest" json:"interest"`
	Discount  int64  `bson:"discount" json:"discount"`
}

// Pricer prices the calling debtor's accounts as the statement shows them
// (late interest to date, the policy's discounts); debtors.Service is one.
type Pricer interface {
	Statement(ctx context.Context) (debtors.Statement, error)
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
	// Prices makes "pay everything" charge the statement's total (nil:
	// balances only, without interest or discounts).
	Prices Pricer
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
	var alloc []calc.Allocation
	var charges []Charge
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
	case amount == 0 && s.Prices != nil:
		// Everything, as the statement prices it today.
		if amount, alloc, charges, err = s.priceAll(ctx, sc, open); err != nil {
			return Payment{}, Session{}, err
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
	if alloc == nil {
		var rest int64
		alloc, rest, err = calc.Allocate(amount, items, chosen)
		if err != nil {
			return Payment{}, Session{}, apperr.Field("accountIds", err.Error())
		}
		if rest != 0 {
			return Payment{}, Session{}, apperr.Field("amount", "el valor supera lo que debe")
		}
	}
	p := Payment{
		ID: sc.ID(primitive.NewObjectID().Hex()), TenantID: tenant, DebtorID: a.UserID, Amount: amount, Currency: t.Currency,
		Allocation: alloc, Charges: charges, Plan: plan, Gateway: s.gw.Name(), Status: StatusPending, CreatedAt: time.Now().UTC(),
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
	// crash or a duplicate event is a no-op. Interest and discounts first,
	// so the balance never passes zero on the way.
	post := func(e accounts.LedgerEntry) error {
		if e.Amount == 0 {
			return nil
		}
		e.TenantID, e.DebtorID, e.Channel, e.Currency, e.Ref, e.At = tenant, p.DebtorID, "online", p.Currency, gatewayRef, p.CompletedAtOr()
		if err := accounts.Post(ctx, sc, e); err != nil && !errors.Is(err, accounts.ErrRecorded) {
			return fmt.Errorf("record payment %s: %w", p.ID, err)
		}
		return nil
	}
	pk := keyOf(p.ID)
	for _, ch := range p.Charges {
		ak := sc.Key(ch.AccountID)
		if err := post(accounts.LedgerEntry{ID: sc.ID("lint:" + pk + ":" + ak), AccountID: ch.AccountID, Kind: accounts.KindInterest,
			Amount: ch.Interest, Note: "intereses de mora a la fecha del pago"}); err != nil {
			return p, err
		}
		if err := post(accounts.LedgerEntry{ID: sc.ID("disc:" + pk + ":" + ak), AccountID: ch.AccountID, Kind: accounts.KindCredit,
			Amount: -ch.Discount, Note: "descuento de la política al pagar el total"}); err != nil {
			return p, err
		}
	}
	for _, al := range p.Allocation {
		err := accounts.Post(ctx, sc, accounts.LedgerEntry{
			ID: sc.ID("pay:" + keyOf(p.ID) + ":" + sc.Key(al.ID)), TenantID: tenant, AccountID: al.ID, DebtorID: p.DebtorID,
			Kind: accounts.KindPayment, Channel: "online", Amount: -al.Amount, Currency: p.Currency, Ref: gatewayRef, At: p.CompletedAtOr(),
		})
		if err != nil && !errors.Is(err, accounts.ErrRecorded) {
			return p, fmt.Errorf("record payment %s: %w", p.ID, err)
		}
	}
	// The interest paid: an interest entry, not a payment, so reports do
	// not count interest as recovery.
	for _, ch := range p.Charges {
		if err := post(accounts.LedgerEntry{ID: sc.ID("lintpaid:" + pk + ":" + sc.Key(ch.AccountID)), AccountID: ch.AccountID, Kind: accounts.KindInterestPaid,
			Amount: -ch.Interest, Note: "intereses de mora pagados"}); err != nil {
			return p, err
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
	// The interest paid is given back first (it was the last thing paid),
	// as an interest entry, so recovery is reduced only by principal.
	for i := len(p.Charges) - 1; i >= 0 && left > 0; i-- {
		ch := p.Charges[i]
		part := min(left, ch.Interest)
		if part <= 0 {
			continue
		}
		left -= part
		err := accounts.Post(ctx, sc, accounts.LedgerEntry{
			ID: sc.ID("rev:" + reasonKey + ":int:" + sc.Key(ch.AccountID)), TenantID: tenant, AccountID: ch.AccountID, DebtorID: p.DebtorID,
			Kind: accounts.KindInterestRefund, Channel: "online", Amount: part, Currency: p.Currency, Ref: reasonKey, Note: note + ": intereses de mora devueltos",
		})
		if err != nil && !errors.Is(err, accounts.ErrRecorded) {
			return p, err
		}
	}
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

// priceAll prices "pay everything" as the statement does: for each open
// account, its balance plus late interest to date less the policy's
// discount. The allocation is what the payment entry takes off each
// balance (balance less discount); the charges carry interest and discount.
func (s *Service) priceAll(ctx context.Context, sc *store.Scope, open []accounts.Account) (int64, []calc.Allocation, []Charge, error) {
	st, err := s.Prices.Statement(ctx)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("price checkout: %w", err)
	}
	byID := make(map[string]debtors.Line, len(st.Lines))
	for _, l := range st.Lines {
		byID[sc.ID(l.ID)] = l
	}
	var total int64
	var alloc []calc.Allocation
	var charges []Charge
	items := make([]calc.Open, 0, len(open))
	for _, acc := range open {
		items = append(items, calc.Open{ID: acc.ID, DueDate: acc.DueDate, Balance: acc.Balance})
	}
	// Oldest due first, as every allocation.
	order, _, err := calc.Allocate(func() int64 {
		var n int64
		for _, it := range items {
			n += it.Balance
		}
		return n
	}(), items, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	for _, o := range order {
		l, ok := byID[o.ID]
		if !ok || l.Balance != o.Amount {
			// The statement saw another balance (a payment landed between
			// the two reads): price it plainly rather than guess.
			l = debtors.Line{Balance: o.Amount}
		}
		disc := min(l.Discount, o.Amount)
		alloc = append(alloc, calc.Allocation{ID: o.ID, Amount: o.Amount - disc})
		if l.Interest > 0 || disc > 0 {
			charges = append(charges, Charge{AccountID: o.ID, Interest: l.Interest, Discount: disc})
		}
		total += o.Amount - disc + l.Interest
	}
	return total, alloc, charges, nil
}
