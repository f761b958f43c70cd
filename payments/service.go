package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"cartera/payments/calc"
	"cartera/payments/planbook"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/debtors"
	"cartera/portal/i18n"
	"cartera/portal/store"
	"cartera/tenants"
)

// Payment states, in order: a state never moves back to an earlier one.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFlagged   = "flagged" // the gateway reported another amount: not credited, for a person to review
	StatusReversed  = "reversed"
	// StatusFailed: the gateway declined it or the money never came (an
	// expired OXXO voucher, a rejected PSE debit). Same rank as pending: a
	// later attempt on the same reference (Wompi lets the debtor retry) may
	// still succeed, but a failure never undoes a success.
	StatusFailed = "failed"
)

var rank = map[string]int{StatusPending: 0, StatusFailed: 0, StatusFlagged: 1, StatusSucceeded: 1, StatusReversed: 2}

// Payment is one online payment attempt and what it paid. _id is
// "<tenant>:<objectid>".
type Payment struct {
	ID       string `bson:"_id" json:"id"`
	TenantID string `bson:"tenantId" json:"-"`
	DebtorID string `bson:"debtorId" json:"-"`
	Amount   int64  `bson:"amount" json:"amount"`
	Currency string `bson:"currency" json:"currency"`
	// Targets are the accounts the money goes to, in order (oldest due
	// first, or the debtor's choice); Settle: each is paid in full and earns
	// the policy's discount ("pay everything", "pay these invoices").
	Targets []string `bson:"targets" json:"-"`
	Settle  bool     `bson:"settle,omitempty" json:"settle,omitempty"`
	// Allocation is the principal each account receives and Charges the
	// interest and discount: priced at checkout as the statement prices
	// them, then replaced at completion by what the money engine imputed
	// (interest first, then principal) on the day the money arrived.
	Allocation []calc.Allocation `bson:"allocation" json:"allocation"`
	Charges    []Charge          `bson:"charges,omitempty" json:"charges,omitempty"`
	Credit     int64             `bson:"credit,omitempty" json:"credit,omitempty"` // money beyond the debt, held for the debtor
	Refunds    []Refund          `bson:"refunds,omitempty" json:"refunds,omitempty"`
	Refunded   int64             `bson:"refunded,omitempty" json:"refunded,omitempty"`
	Plan       *PlanRef          `bson:"plan,omitempty" json:"plan,omitempty"` // the plan installment it pays
	Gateway    string            `bson:"gateway" json:"gateway"`
	// Method is how the debtor pays: card, pse, nequi, bancolombia, oxxo,
	// spei (what was chosen, then what the gateway reported).
	Method string `bson:"method,omitempty" json:"method,omitempty"`
	// Awaiting: the gateway has the order (a voucher issued, a PSE debit
	// in process) and the money has not arrived: shown on the statement as
	// pending, never counted as recovered.
	Awaiting    bool       `bson:"awaiting,omitempty" json:"awaiting,omitempty"`
	SessionID   string     `bson:"sessionId" json:"sessionId"`
	GatewayRef  string     `bson:"gatewayRef,omitempty" json:"-"` // payment intent or sandbox ref
	Status      string     `bson:"status" json:"status"`
	PaidAmount  int64      `bson:"paidAmount,omitempty" json:"paidAmount,omitempty"`
	Note        string     `bson:"note,omitempty" json:"note,omitempty"`
	CreatedAt   time.Time  `bson:"createdAt" json:"createdAt"`
	CompletedAt *time.Time `bson:"completedAt,omitempty" json:"completedAt,omitempty"`
	Rev         int64      `bson:"rev" json:"-"`
}

// Refund is money given back on a payment (a refund or a chargeback), once
// per key.
type Refund struct {
	Key    string    `bson:"key" json:"-"`
	Amount int64     `bson:"amount" json:"amount"`
	Kind   string    `bson:"kind" json:"kind"`         // refund, chargeback, reinstated (a chargeback won: the money came back)
	Level  int64     `bson:"level,omitempty" json:"-"` // a gateway's cumulative refunded amount: Amount is the rise over the refunds before it
	At     time.Time `bson:"at" json:"at"`
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
	Events    EventLister
	prices    Pricer
	rules     RuleSource
	translate func(lang, key string) string
	clock     func() time.Time
	creds     *Credentials
}

// Options are the payment service's other parts.
type Options struct {
	// Prices prices the debtor's accounts as the statement does.
	Prices Pricer
	// Rules gives a tenant's money rules (strategy.Service).
	Rules RuleSource
	// Translate is the catalogue: the checkout's description is in the
	// tenant's language (nil: the key).
	Translate func(lang, key string) string
	// Now is the clock that dates a completed payment (the day its money
	// is imputed on); the app shares the statement's clock (nil: the real
	// time).
	Now func() time.Time
	// Creds holds tenants' own gateways; a tenant without one uses the
	// global gateway (nil: every tenant does).
	Creds *Credentials
}

func (s *Service) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// Creds holds tenants' own gateways (nil: none configured).
func (s *Service) Creds() *Credentials { return s.creds }

// RuleSource gives a tenant's money rules under its country's caps.
type RuleSource interface {
	Rules(ctx context.Context, tenant string) (calc.Rules, error)
}

// NewService wires the payment service.
func NewService(db *store.DB, a *audit.Log, t *tenants.Service, gw Gateway, publicURL string, log *slog.Logger, o Options) *Service {
	s := &Service{db: db, audit: a, tenants: t, gw: gw, publicURL: publicURL, log: log, MinPayment: 1000_00,
		prices: o.Prices, rules: o.Rules, translate: o.Translate, clock: o.Now, creds: o.Creds}
	if l, ok := gw.(EventLister); ok {
		s.Events = l
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Gateway is the configured global gateway (tenants without their own).
func (s *Service) Gateway() Gateway { return s.gw }

// GatewayFor is the tenant's own gateway, or the global one.
func (s *Service) GatewayFor(ctx context.Context, tenant string) (Gateway, error) {
	g, _, err := s.gatewayFor(ctx, tenant)
	return g, err
}

// gatewayFor also says whether the gateway is the tenant's own account.
func (s *Service) gatewayFor(ctx context.Context, tenant string) (Gateway, bool, error) {
	if s.creds != nil {
		g, err := s.creds.Gateway(ctx, tenant)
		if err != nil {
			return nil, false, err
		}
		if g != nil {
			return g, true, nil
		}
	}
	return s.gw, false, nil
}

// Payment methods a debtor can choose.
const (
	MethodCard        = "card"
	MethodPSE         = "pse"
	MethodNequi       = "nequi"
	MethodBancolombia = "bancolombia"
	MethodOXXO        = "oxxo"
	MethodSPEI        = "spei"
)

// MethodsOf are the methods a gateway offers in a currency, the first the
// default: Wompi's for Colombia; OXXO and SPEI for pesos mexicanos on the
// tenant's own Stripe account only (Stripe offers them to Mexican accounts,
// and CONDUSEF wants the money in the client's account, not the agency's);
// otherwise card.
func MethodsOf(g Gateway, currency string, own bool) []string {
	switch {
	case !Online(g):
		return nil
	case g.Name() == ProviderWompi:
		return []string{MethodPSE, MethodNequi, MethodBancolombia, MethodCard}
	case g.Name() == ProviderStripe && own && equalFold(currency, "MXN"):
		return []string{MethodCard, MethodOXXO, MethodSPEI}
	}
	return []string{MethodCard}
}

// Methods are the payment methods the tenant's gateway offers its debtors.
func (s *Service) Methods(ctx context.Context, tenant string) ([]string, error) {
	g, own, err := s.gatewayFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return MethodsOf(g, t.Currency, own), nil
}

// CheckoutInput says what the debtor wants to pay: an amount (oldest first),
// chosen invoices (in full), one installment of their plan, or, with none
// of these, everything owed.
type CheckoutInput struct {
	Amount      int64
	AccountIDs  []string
	PlanID      string
	Installment *int   // with PlanID: 0 is the down payment
	Method      string // one of the gateway's methods; empty: its default
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
	gw, own, err := s.gatewayFor(ctx, tenant)
	if err != nil {
		return Payment{}, Session{}, err
	}
	if !Online(gw) {
		return Payment{}, Session{}, ErrPaymentsOff // before anything is written
	}
	sc := s.db.Tenant(tenant)
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return Payment{}, Session{}, err
	}
	methods := MethodsOf(gw, t.Currency, own)
	method := in.Method
	if method == "" {
		method = methods[0]
	} else if !slices.Contains(methods, method) {
		return Payment{}, Session{}, &apperr.Invalid{Msg: "medio de pago no disponible", Fields: map[string]string{"method": fmt.Sprintf("use uno de: %s", strings.Join(methods, ", "))}}
	}
	st, err := s.prices.Statement(ctx)
	if err != nil {
		return Payment{}, Session{}, fmt.Errorf("checkout: %w", err)
	}
	lines := make(map[string]debtors.Line, len(st.Lines))
	var all []string // statement order: oldest due first
	for _, l := range st.Lines {
		lines[sc.ID(l.ID)] = l
		all = append(all, sc.ID(l.ID))
	}
	if st.Owed <= 0 {
		return Payment{}, Session{}, &apperr.Refusal{Code: "nothing_owed"}
	}
	owed := st.Owed
	amount := in.Amount
	var plan *PlanRef
	var targets []string
	settle := false
	switch {
	case in.PlanID != "":
		var items []calc.Open
		for _, id := range all {
			items = append(items, calc.Open{ID: id, DueDate: lines[id].DueDate, Balance: lines[id].Owed})
		}
		if plan, amount, items, err = planCheckout(ctx, sc, a.UserID, in, items); err != nil {
			return Payment{}, Session{}, err
		}
		for _, it := range items {
			targets = append(targets, it.ID)
		}
	case len(in.AccountIDs) > 0:
		// Chosen invoices (the debtor's choice, CO Código Civil art. 1654),
		// each settled in full: interest included, discount earned.
		amount, settle = 0, true
		chosen := map[string]bool{}
		for _, k := range in.AccountIDs {
			id := k
			if !sc.Owns(id) {
				id = sc.ID(k)
			}
			l, ok := lines[id]
			if !ok {
				return Payment{}, Session{}, fmt.Errorf("account %s: %w", k, apperr.ErrNotFound)
			}
			if !chosen[id] {
				chosen[id] = true
				amount += l.Total()
			}
		}
		for _, id := range all {
			if chosen[id] {
				targets = append(targets, id)
			}
		}
	case amount == 0:
		amount, targets, settle = st.Total, all, true // everything, as the statement prices it today
	case amount < 0:
		return Payment{}, Session{}, apperr.Field("amount", "el valor debe ser mayor que cero")
	case amount > owed:
		return Payment{}, Session{}, &apperr.Invalid{Msg: "el valor supera lo que debe", Fields: map[string]string{"amount": "el valor supera lo que debe", "owed": strconv.FormatInt(owed, 10)}}
	case amount < s.MinPayment && amount != owed:
		return Payment{}, Session{}, apperr.Field("amount", fmt.Sprintf("el pago mínimo es %d", s.MinPayment))
	default:
		targets = all
	}
	if amount <= 0 || len(targets) == 0 {
		return Payment{}, Session{}, &apperr.Refusal{Code: "nothing_owed"}
	}
	alloc, charges := planned(amount, targets, lines, settle)
	p := Payment{
		ID: sc.ID(primitive.NewObjectID().Hex()), TenantID: tenant, DebtorID: a.UserID, Amount: amount, Currency: t.Currency,
		Targets: targets, Settle: settle, Allocation: alloc, Charges: charges, Plan: plan, Gateway: gw.Name(), Method: method, Status: StatusPending, CreatedAt: time.Now().UTC(),
	}
	desc := s.describe(t, plan)
	sess, err := gw.Checkout(ctx, CheckoutRequest{
		PaymentID: p.ID, Tenant: tenant, Debtor: a.UserID, Amount: amount, Currency: t.Currency,
		Description: desc, Method: method,
		SuccessURL: s.publicURL + "/debtor?paid=" + keyOf(p.ID), CancelURL: s.publicURL + "/debtor?cancelled=" + keyOf(p.ID),
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
//
// The money is imputed before the payment says so, and the payment then
// moves to succeeded with its allocation in one compare-and-set: one write
// fewer per payment than recording the allocation apart, and a succeeded
// payment always shows where its money went. A crash in between leaves
// the accounts paid and the payment pending; the gateway's retry (or the
// Wompi poll) completes it, and the keyed ledger entries make that retry
// impute nothing again.
func (s *Service) Complete(ctx context.Context, tenant, paymentID, gatewayRef string, paid int64, currency string) (Payment, error) {
	sc := s.db.Tenant(tenant)
	var p Payment
	if err := sc.C("payments").Get(ctx, paymentID, &p); err != nil {
		return p, err
	}
	if rank[p.Status] < rank[StatusSucceeded] {
		if paid != p.Amount || !equalFold(currency, p.Currency) {
			return s.flag(ctx, sc, p.ID, gatewayRef, paid, currency)
		}
		if err := s.settle(ctx, sc, &p, gatewayRef); err != nil {
			return p, err
		}
	}
	if err := s.clearAwaiting(ctx, sc, p); err != nil {
		return p, err
	}
	if p.Status != StatusSucceeded && p.Status != StatusReversed {
		return p, nil
	}
	// Then the debtor's plan: the installment it pays, or extras that
	// reduce the last installments (once per payment).
	if err := afterPayment(ctx, sc, p, time.Now().UTC()); err != nil {
		return p, err
	}
	return p, nil
}

// settle imputes a pending payment's money to its accounts and moves it to
// succeeded with the allocation; p is left as stored. The call that moves
// it audits it; a concurrent one finds it recorded and imputes nothing new
// (its ledger entries are keyed by payment and account).
func (s *Service) settle(ctx context.Context, sc *store.Scope, p *Payment, gatewayRef string) error {
	now := s.now().UTC()
	p.CompletedAt = &now
	// An installment's financing interest is booked before its money is
	// imputed, so the payment pays it first, as the law orders.
	if p.Plan != nil {
		if err := planbook.BookInterest(ctx, sc, p.Plan.PlanID, p.Plan.Installment); err != nil {
			return err
		}
	}
	alloc, charges, credit, err := s.impute(ctx, sc, *p, gatewayRef)
	if err != nil {
		return err
	}
	moved := false
	err = sc.C("payments").Mutate(ctx, p.ID, p, func() (bson.D, error) {
		moved = false
		if rank[p.Status] >= rank[StatusSucceeded] {
			return nil, nil // recorded by a concurrent call: never backwards
		}
		moved = true
		return bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: StatusSucceeded}, {Key: "gatewayRef", Value: gatewayRef}, {Key: "paidAmount", Value: p.Amount},
			{Key: "completedAt", Value: now}, {Key: "awaiting", Value: false},
			{Key: "allocation", Value: alloc}, {Key: "charges", Value: charges}, {Key: "credit", Value: credit}}}}, nil
	})
	if err != nil {
		return err
	}
	if err := sc.C("payments").Get(ctx, p.ID, p); err != nil {
		return err
	}
	if moved { // audited by the call that recorded it, not by repeats
		_ = s.audit.Record(ctx, sc.Slug(), "payment.succeeded", p.ID, map[string]any{"amount": p.Amount})
	}
	return nil
}

// flag records a payment whose gateway reported another amount or
// currency than was asked: nothing is imputed, staff decide.
func (s *Service) flag(ctx context.Context, sc *store.Scope, paymentID, gatewayRef string, paid int64, currency string) (Payment, error) {
	var p Payment
	moved := false
	err := sc.C("payments").Mutate(ctx, paymentID, &p, func() (bson.D, error) {
		moved = false
		if rank[p.Status] >= rank[StatusSucceeded] {
			return nil, nil // already recorded (or later): never backwards
		}
		moved = true
		return bson.D{{Key: "$set", Value: bson.D{
			{Key: "gatewayRef", Value: gatewayRef}, {Key: "paidAmount", Value: paid}, {Key: "completedAt", Value: s.now().UTC()},
			{Key: "awaiting", Value: false}, {Key: "status", Value: StatusFlagged},
			{Key: "note", Value: fmt.Sprintf("la pasarela reportó %d %s, se esperaba %d %s", paid, currency, p.Amount, p.Currency)}}}}, nil
	})
	if err != nil {
		return p, err
	}
	if err := sc.C("payments").Get(ctx, paymentID, &p); err != nil {
		return p, err
	}
	if err := s.clearAwaiting(ctx, sc, p); err != nil {
		return p, err
	}
	if moved {
		_ = s.audit.Record(ctx, sc.Slug(), "payment.flagged", p.ID, map[string]any{"paid": paid, "expected": p.Amount})
	}
	return p, nil
}

// Reverse gives back amount of a succeeded payment (a refund or a
// chargeback), once per reason key: each account gets back what it
// received, the last account first and, within it, credit held, then
// principal, then interest, dated to the payment (accounts.ReversePayment),
// so the statement is what it would have been without the money plus the
// interest accrued since. A refund beyond what is left is cut to it.
func (s *Service) Reverse(ctx context.Context, tenant, paymentID, reasonKey string, amount int64, note string) (Payment, error) {
	kind := "refund"
	if strings.HasPrefix(reasonKey, "chargeback:") {
		kind = "chargeback"
	}
	return s.giveBack(ctx, tenant, paymentID, Refund{Key: reasonKey, Amount: amount, Kind: kind}, note)
}

// RefundTo records a gateway refund given as the cumulative amount refunded
// on the payment (Stripe's amount_refunded): it refunds the rise over what
// is recorded, once per level, under the payment's compare-and-set.
func (s *Service) RefundTo(ctx context.Context, tenant, paymentID, key string, cumulative int64, note string) (Payment, error) {
	return s.giveBack(ctx, tenant, paymentID, Refund{Key: key, Level: cumulative, Kind: "refund"}, note)
}

// giveBack records a refund on the payment (once per key, never beyond
// what was paid) and applies every recorded refund to the accounts; a
// retry re-applies nothing (the reversals are keyed).
func (s *Service) giveBack(ctx context.Context, tenant, paymentID string, r Refund, note string) (Payment, error) {
	sc := s.db.Tenant(tenant)
	var p Payment
	err := sc.C("payments").Mutate(ctx, paymentID, &p, func() (bson.D, error) {
		if p.Status != StatusSucceeded && p.Status != StatusReversed {
			return nil, &apperr.Refusal{Code: "not_paid", Reason: "el pago no está registrado como exitoso"}
		}
		if slices.ContainsFunc(p.Refunds, func(x Refund) bool { return x.Key == r.Key }) {
			return nil, nil
		}
		if r.Level > 0 {
			var before int64
			for _, x := range p.Refunds {
				if x.Kind == "refund" {
					before += x.Amount
				}
			}
			r.Amount = r.Level - before
		}
		r.Amount = min(r.Amount, p.Amount-p.Refunded)
		if r.Amount <= 0 {
			return nil, nil
		}
		r.At = time.Now().UTC()
		set := bson.D{{Key: "refunded", Value: p.Refunded + r.Amount}, {Key: "note", Value: note}}
		if p.Refunded+r.Amount >= p.Amount {
			set = append(set, bson.E{Key: "status", Value: StatusReversed})
		}
		return bson.D{{Key: "$set", Value: set}, {Key: "$push", Value: bson.D{{Key: "refunds", Value: r}}}}, nil
	})
	if err != nil {
		return p, err
	}
	if err := sc.C("payments").Get(ctx, paymentID, &p); err != nil {
		return p, err
	}
	pk := keyOf(p.ID)
	for _, rf := range p.Refunds {
		left := rf.Amount
		for i := len(p.Targets) - 1; i >= 0 && left > 0; i-- {
			acct := p.Targets[i]
			rev, err := accounts.ReversePayment(ctx, sc, acct, sc.ID("pay:"+pk+":"+sc.Key(acct)), sc.ID("rev:"+rf.Key+":"+sc.Key(acct)), left, "online", note, s.now())
			if err != nil {
				return p, err
			}
			left -= rev.Total()
		}
	}
	_ = s.audit.Record(ctx, tenant, "payment."+r.Kind, p.ID, map[string]any{"amount": r.Amount, "reason": r.Key})
	return p, nil
}

// Reinstate applies again the money of a chargeback the merchant won (the
// bank returned the funds): as a payment dated to the original one, keyed
// by the dispute, so the debtor is not chased for money the client has.
func (s *Service) Reinstate(ctx context.Context, tenant, paymentID, chargebackKey string) (Payment, error) {
	sc := s.db.Tenant(tenant)
	var p Payment
	if err := sc.C("payments").Get(ctx, paymentID, &p); err != nil {
		return p, err
	}
	i := slices.IndexFunc(p.Refunds, func(x Refund) bool { return x.Key == chargebackKey })
	if i < 0 {
		return p, nil
	}
	cb := p.Refunds[i]
	rules, err := s.rules.Rules(ctx, tenant)
	if err != nil {
		return p, err
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return p, err
	}
	value := accounts.CivilDay(p.CompletedAtOr(), t.Location())
	for _, acct := range p.Targets {
		var a accounts.Account
		if err := sc.C("accounts").Get(ctx, acct, &a); err != nil {
			return p, err
		}
		var back int64
		for _, m := range a.History {
			if strings.HasPrefix(m.LedgerID, sc.ID("rev:"+chargebackKey+":"+sc.Key(acct)+":")) {
				back += accounts.Collected(m.Kind, m.Amount) * -1
			}
		}
		if back <= 0 {
			continue
		}
		_, err := accounts.ApplyPayment(ctx, sc, acct, accounts.PaymentIn{Key: sc.ID("pay:reinst:" + sc.Key(chargebackKey) + ":" + sc.Key(acct)),
			Amount: back, Value: value, Channel: "online", Ref: p.GatewayRef, Note: "contracargo ganado", Excess: accounts.HoldExcess,
			Rules: rules, Currency: p.Currency})
		if err != nil {
			return p, err
		}
	}
	err = sc.C("payments").Mutate(ctx, paymentID, &p, func() (bson.D, error) {
		if slices.ContainsFunc(p.Refunds, func(x Refund) bool { return x.Key == "won:"+chargebackKey }) {
			return nil, nil
		}
		w := Refund{Key: "won:" + chargebackKey, Amount: -cb.Amount, Kind: "reinstated", At: time.Now().UTC()}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "refunded", Value: p.Refunded - cb.Amount}, {Key: "status", Value: StatusSucceeded}}},
			{Key: "$push", Value: bson.D{{Key: "refunds", Value: w}}}}, nil
	})
	if err == nil {
		_ = s.audit.Record(ctx, tenant, "payment.reinstated", p.ID, map[string]any{"amount": cb.Amount, "reason": chargebackKey})
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

// planned is the split a checkout shows before the money arrives: each
// target in order takes up to its owed (less its discount when settling),
// interest first; the completion replaces it with what the engine imputes.
func planned(amount int64, targets []string, lines map[string]debtors.Line, settle bool) ([]calc.Allocation, []Charge) {
	var alloc []calc.Allocation
	var charges []Charge
	left := amount
	for _, id := range targets {
		l := lines[id]
		due := l.Owed
		var disc int64
		if settle {
			disc = l.Discount
			due -= disc
		}
		take := min(left, max(due, 0))
		if take <= 0 {
			continue
		}
		left -= take
		interest := min(take, l.Interest)
		alloc = append(alloc, calc.Allocation{ID: id, Amount: take - interest})
		if interest > 0 || disc > 0 {
			charges = append(charges, Charge{AccountID: id, Interest: interest, Discount: disc})
		}
	}
	return alloc, charges
}

// impute applies a payment's money to its targets through the
// money engine, on the day it arrived: each target takes what it owes (less
// its discount when settling), interest first; the last takes the rest,
// and what no debt takes is held as the debtor's credit, never a negative
// balance. Keyed per account: a repeat or a retry after a crash takes the
// same amounts (each account remembers what it took).
func (s *Service) impute(ctx context.Context, sc *store.Scope, p Payment, gatewayRef string) ([]calc.Allocation, []Charge, int64, error) {
	rules, err := s.rules.Rules(ctx, p.TenantID)
	if err != nil {
		return nil, nil, 0, err
	}
	t, err := s.tenants.TenantByID(ctx, p.TenantID)
	if err != nil {
		return nil, nil, 0, err
	}
	value := accounts.CivilDay(p.CompletedAtOr(), t.Location())
	pk := keyOf(p.ID)
	left := p.Amount
	var alloc []calc.Allocation
	var charges []Charge
	var credit int64
	for i, acct := range p.Targets {
		if left <= 0 {
			break
		}
		key := sc.ID("pay:" + pk + ":" + sc.Key(acct))
		var a accounts.Account
		if err := sc.C("accounts").Get(ctx, acct, &a); err != nil {
			return nil, nil, 0, fmt.Errorf("record payment %s: %w", p.ID, err)
		}
		share := left
		if prev, ok := accounts.AppliedOf(a, key); ok {
			share = prev.Total()
		} else if i < len(p.Targets)-1 {
			pos := accounts.Price(rules, nil, a, value)
			due := pos.Owed()
			if p.Settle {
				due -= rules.Discount(pos.Principal, a.DueDate, value)
			}
			share = min(left, max(due, 0))
		}
		if share <= 0 {
			continue
		}
		ap, err := accounts.ApplyPayment(ctx, sc, acct, accounts.PaymentIn{Key: key, Amount: share, Value: value, At: p.CompletedAtOr(),
			Channel: "online", Ref: gatewayRef, Excess: accounts.HoldExcess, Settle: p.Settle, Rules: rules, Currency: p.Currency})
		if err != nil {
			return nil, nil, 0, fmt.Errorf("record payment %s: %w", p.ID, err)
		}
		left -= ap.Total()
		alloc = append(alloc, calc.Allocation{ID: acct, Amount: ap.Principal})
		if ap.Interest > 0 || ap.Discount > 0 {
			charges = append(charges, Charge{AccountID: acct, Interest: ap.Interest, Discount: ap.Discount})
		}
		credit += ap.Excess
	}
	return alloc, charges, credit, nil
}

// describe is what the gateway's page says the payment is for, in the
// tenant's language: the debtor pays the company.
func (s *Service) describe(t tenants.Tenant, plan *PlanRef) string {
	lang, key := i18n.OfLocale(t.Locale), "checkout.description"
	vars := map[string]string{"company": t.Name}
	if plan != nil {
		key, vars["n"] = "checkout.installment", strconv.Itoa(plan.Installment)
	}
	if s.translate == nil {
		return key
	}
	return i18n.Fill(s.translate(lang, key), vars)
}
