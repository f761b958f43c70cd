package payments

// The debtor's own commitments, made from the debtor portal: installment
// plans (offered from the tenant's plan rules, accepted with evidence, paid
// installment by installment through Checkout/Complete, followed by a daily
// job), promises to pay (the collectors' promise model, so collectors see
// them) and contact preferences (the collectors' consent record, so the
// compliance rules honour them).

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
	"cartera/portal/compliance"
	"cartera/portal/i18n"
	"cartera/portal/money"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/portal/work"
	"cartera/tenants"
)

// Plan and installment statuses (package planbook applies payments to plans).
const (
	PlanActive    = planbook.PlanActive
	PlanCompleted = planbook.PlanCompleted
	PlanDefaulted = planbook.PlanDefaulted

	InstallmentDue     = planbook.InstallmentDue
	InstallmentPaid    = planbook.InstallmentPaid
	InstallmentMissed  = planbook.InstallmentMissed
	InstallmentCovered = planbook.InstallmentCovered
)

// DebtorPortalHow is how a choice made by the debtor on the portal is
// recorded in the consent record.
const DebtorPortalHow = "debtor portal"

// PlanInstallment is one payment of an accepted plan. N is 0 for the down
// payment (due the day the plan is accepted) and 1..n for the installments.
type PlanInstallment = planbook.Installment

// Evidence is the record of a debtor's acceptance: the exact terms shown,
// when, and from where.
type Evidence struct {
	Terms      string    `bson:"terms" json:"terms"`
	TermsHash  string    `bson:"termsSha256" json:"termsSha256"`
	AcceptedAt time.Time `bson:"acceptedAt" json:"acceptedAt"`
	IP         string    `bson:"ip" json:"-"`
	UserAgent  string    `bson:"userAgent" json:"-"`
	RequestID  string    `bson:"requestId,omitempty" json:"-"`
}

// Plan is an accepted installment plan. _id is "<tenant>:<objectid>"; the
// debtor's one active plan is also held by the lock document
// "<tenant>:active:<document>" in the same collection.
type Plan struct {
	ID                string            `bson:"_id"`
	TenantID          string            `bson:"tenantId"`
	Kind              string            `bson:"kind"` // "plan" (the lock documents say "lock")
	DebtorID          string            `bson:"debtorId"`
	DebtorName        string            `bson:"debtorName"`
	OfferID           string            `bson:"offerId"`
	Status            string            `bson:"status"`
	Currency          string            `bson:"currency"`
	AccountIDs        []string          `bson:"accountIds"`
	Balance           int64             `bson:"balance"` // open balance the plan covers, at acceptance
	DownPayment       int64             `bson:"downPayment"`
	Financed          int64             `bson:"financed"`
	Interest          int64             `bson:"interest"`
	Total             int64             `bson:"total"` // everything the debtor pays: down payment + installments
	Installments      int               `bson:"installments"`
	InstallmentAmount int64             `bson:"installmentAmount"`
	Schedule          []PlanInstallment `bson:"schedule"`
	// GraceDays and MaxMissed are the policy's default rules in force when
	// the debtor accepted (the terms quote them), so a later policy change
	// does not change an accepted plan. Unset on plans accepted before they
	// were recorded: the current policy applies.
	GraceDays *int `bson:"graceDays,omitempty"`
	MaxMissed int  `bson:"maxMissed,omitempty"`
	// Applied lists the payments already applied to the plan (installments
	// and extras), so a repeated completion applies nothing twice.
	Applied   []string   `bson:"applied"`
	Evidence  Evidence   `bson:"evidence"`
	CreatedAt time.Time  `bson:"createdAt"`
	UpdatedAt time.Time  `bson:"updatedAt"`
	ClosedAt  *time.Time `bson:"closedAt,omitempty"`
	Rev       int64      `bson:"rev"`
}

// Paid is what the debtor has paid on the plan's installments.
func (p Plan) Paid() int64 {
	var n int64
	for _, in := range p.Schedule {
		if in.Status == InstallmentPaid {
			n += in.Amount
		}
	}
	return n
}

// Remaining is what is still owed on the schedule.
func (p Plan) Remaining() int64 {
	var n int64
	for _, in := range p.Schedule {
		if in.Open() {
			n += in.Amount
		}
	}
	return n
}

// planLock makes "one active plan per debtor" a unique _id.
type planLock struct {
	ID        string    `bson:"_id"`
	TenantID  string    `bson:"tenantId"`
	Kind      string    `bson:"kind"`
	PlanID    string    `bson:"planId"`
	CreatedAt time.Time `bson:"createdAt"`
}

func lockID(sc *store.Scope, debtorID string) string { return planbook.LockID(sc, debtorID) }

// PlanOffer is a plan the debtor may accept today.
type PlanOffer struct {
	ID       string
	Offer    calc.Offer
	Currency string
	Balance  int64
	Start    time.Time
	Terms    string
}

// Plans runs the debtor's self-service commitments.
type Plans struct {
	db        *store.DB
	tenants   *tenants.Service
	policy    *strategy.Service
	audit     *audit.Log
	publicURL string
	tr        func(lang, key string) string // the catalogue (terms, reminders)
	// Now is the clock (tests move it to miss installments).
	Now func() time.Time
	// ReminderDays is how many days before an installment its reminder is written.
	ReminderDays int
	// MaxMissed is how many missed installments default a plan when the
	// policy's plan rules say nothing (maxMissed 0).
	MaxMissed int
}

// DefaultRules are the default rules a plan runs under: the plan's own
// (recorded at acceptance), else the policy's plan rules, else the promise
// grace and the service's MaxMissed.
func (s *Plans) DefaultRules(pol strategy.Policy, pl *Plan) (graceDays, maxMissed int) {
	graceDays, maxMissed = pol.Promises.GraceDays, s.MaxMissed
	if g := pol.Plans.GraceDays; g != nil {
		graceDays = *g
	}
	if pol.Plans.MaxMissed > 0 {
		maxMissed = pol.Plans.MaxMissed
	}
	if pl != nil && pl.GraceDays != nil {
		graceDays = *pl.GraceDays
	}
	if pl != nil && pl.MaxMissed > 0 {
		maxMissed = pl.MaxMissed
	}
	return graceDays, max(maxMissed, 1)
}

// NewPlans wires the plans service.
// tr is the catalogue's T: the plan's terms and reminders are worded in
// the tenant's language.
func NewPlans(db *store.DB, t *tenants.Service, pol *strategy.Service, a *audit.Log, publicURL string, tr func(lang, key string) string) *Plans {
	return &Plans{db: db, tenants: t, policy: pol, audit: a, publicURL: publicURL, tr: tr, Now: time.Now, ReminderDays: 3, MaxMissed: 2}
}

func (s *Plans) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// civilDay is the calendar date of t in loc at UTC midnight (how due dates are stored).
func civilDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// planAccount is the part of an account the plans read and mark.
type planAccount struct {
	ID         string    `bson:"_id"`
	TenantID   string    `bson:"tenantId"`
	DebtorID   string    `bson:"debtorId"`
	Invoice    string    `bson:"invoice"`
	DueDate    time.Time `bson:"dueDate"`
	Balance    int64     `bson:"balance"`
	Interest   int64     `bson:"interest"`
	Currency   string    `bson:"currency"`
	Status     string    `bson:"status"`
	DisputeIDs []string  `bson:"disputeIds"`
	PlanID     string    `bson:"planId,omitempty"`
	PromiseIDs []string  `bson:"promiseIds"`
	Rev        int64     `bson:"rev"`
}

// planDebtor is the part of the debtor document the plans read and write.
type planDebtor struct {
	ID         string             `bson:"_id"`
	TenantID   string             `bson:"tenantId"`
	Name       string             `bson:"name"`
	Contacts   []accounts.Contact `bson:"contacts"`
	AccountIDs []string           `bson:"accountIds"`
	Consent    *work.Consent      `bson:"consent,omitempty"`
	Rev        int64              `bson:"rev"`
}

// caller is the calling debtor with what every action needs.
type caller struct {
	sc     *store.Scope
	tenant tenants.Tenant
	debtor planDebtor
	today  time.Time
}

func (s *Plans) me(ctx context.Context) (caller, error) {
	a := actor.From(ctx)
	if a.Role != tenants.RoleDebtor || len(a.Tenants) != 1 {
		return caller{}, fmt.Errorf("debtor face: %w", apperr.ErrForbidden)
	}
	t, err := s.tenants.TenantByID(ctx, a.Tenants[0])
	if err != nil {
		return caller{}, err
	}
	sc := s.db.Tenant(t.ID)
	var d planDebtor
	if err := sc.C("debtors").Get(ctx, a.UserID, &d); err != nil {
		return caller{}, err
	}
	return caller{sc: sc, tenant: t, debtor: d, today: civilDay(s.now(), t.Location())}, nil
}

// eligible lists the debtor's accounts a plan or promise may cover: open,
// with a balance, not disputed and not already in a plan; oldest due first.
func eligible(ctx context.Context, c caller) ([]planAccount, int64, error) {
	var out []planAccount
	var total int64
	for _, id := range c.debtor.AccountIDs {
		var a planAccount
		if err := c.sc.C("accounts").Get(ctx, id, &a); errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, 0, err
		}
		if a.DebtorID != c.debtor.ID || a.Status != accounts.StatusOpen || a.Balance <= 0 || len(a.DisputeIDs) > 0 || a.PlanID != "" {
			continue
		}
		out = append(out, a)
		total += a.Balance
	}
	slices.SortFunc(out, func(x, y planAccount) int {
		if c := x.DueDate.Compare(y.DueDate); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out, total, nil
}

// offerID is deterministic: the same debtor, balance, plan and day give the
// same id, so accepting re-computes the offers and finds it (or finds that
// the balance or the day changed).
func offerID(debtorID string, balance int64, o calc.Offer, start time.Time) string {
	h := sha256.Sum256([]byte(strings.Join([]string{debtorID, strconv.FormatInt(balance, 10), strconv.Itoa(o.Installments),
		strconv.FormatInt(o.DownPayment, 10), strconv.FormatInt(o.Total, 10), start.Format(time.DateOnly)}, "|")))
	return hex.EncodeToString(h[:12])
}

// Offers lists the plans the tenant's rules allow on the debtor's open,
// undisputed balance as of today. A debtor with an active plan gets none.
func (s *Plans) Offers(ctx context.Context) ([]PlanOffer, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, err
	}
	offers, _, err := s.offers(ctx, c)
	return offers, err
}

func (s *Plans) offers(ctx context.Context, c caller) ([]PlanOffer, strategy.Policy, error) {
	if _, err := s.current(ctx, c.sc, c.debtor.ID); err == nil {
		return []PlanOffer{}, strategy.Policy{}, nil
	}
	accs, _, err := eligible(ctx, c)
	if err != nil || len(accs) == 0 {
		return []PlanOffer{}, strategy.Policy{}, err
	}
	pol, err := s.policy.For(ctx, c.tenant.ID)
	if err != nil {
		return nil, pol, err
	}
	total, interest, rules, err := s.planBase(ctx, c, accs, pol)
	if err != nil || total <= 0 {
		return []PlanOffer{}, pol, err
	}
	grace, maxMissed := s.DefaultRules(pol, nil)
	out := []PlanOffer{}
	for _, o := range calc.Offers(total, c.today, rules) {
		_ = interest
		po := PlanOffer{ID: offerID(c.debtor.ID, total, o, c.today), Offer: o, Currency: c.tenant.Currency, Balance: total, Start: c.today}
		shown := pol.Plans
		shown.MonthlyRateBP = rules.MonthlyRateBP // the rate held to the cap, as charged
		po.Terms = s.terms(c.tenant, accs, po, shown, grace, maxMissed)
		out = append(out, po)
	}
	return out, pol, nil
}

// planBase is what a plan finances and under which rules, by the money
// engine on the day of the offer: the principal and the interest owed on the
// eligible accounts. The rule that keeps interest off interest (CO Código de
// Comercio art. 886): the down payment covers at least the interest owed
// (imputation pays interest first, CO Código Civil art. 1653), so what the
// schedule finances is principal only. The plan's monthly rate is held to the
// usury cap of the day (compounded over twelve months).
func (s *Plans) planBase(ctx context.Context, c caller, accs []planAccount, pol strategy.Policy) (int64, int64, calc.PlanRules, error) {
	mr, err := s.policy.RulesOf(ctx, c.tenant.Country, pol)
	if err != nil {
		return 0, 0, calc.PlanRules{}, err
	}
	var total, interest int64
	for _, pa := range accs {
		var a accounts.Account
		if err := c.sc.C("accounts").Get(ctx, pa.ID, &a); err != nil {
			return 0, 0, calc.PlanRules{}, err
		}
		pos := accounts.Price(mr, nil, a, c.today)
		total += pos.Owed()
		interest += pos.Interest
	}
	rules := pol.Plans.Calc()
	rules.MinDownPayment = max(rules.MinDownPayment, interest)
	if bp, ok := mr.Caps.At(c.today); ok {
		rules.MonthlyRateBP = min(rules.MonthlyRateBP, calc.MonthlyFromAnnual(bp))
	} else if last := mr.Caps.LastCovered(); !last.IsZero() {
		if bp, ok := mr.Caps.At(last); ok {
			rules.MonthlyRateBP = min(rules.MonthlyRateBP, calc.MonthlyFromAnnual(bp))
		}
	}
	return total, interest, rules, nil
}

// terms is the text the debtor accepts, kept word for word as evidence, in
// the tenant's language and figures (the debtor's locale: the same text
// whoever computes it, so an accepted offer matches the one shown).
func (s *Plans) terms(t tenants.Tenant, accs []planAccount, po PlanOffer, rules strategy.PlanRules, graceDays, maxMissed int) string {
	lang := i18n.OfLocale(t.Locale)
	m := func(v int64) string { return i18n.Money(v, po.Currency, t.Locale) }
	d := func(v time.Time) string { return i18n.DateIn(v, t.Locale) }
	say := func(key string, vars map[string]string) string {
		return i18n.Fill(s.translate(lang, "planterms."+key), vars)
	}
	invoices := make([]string, len(accs))
	for i, a := range accs {
		invoices[i] = a.Invoice
	}
	o := po.Offer
	every := say("monthly", nil)
	if rules.IntervalDays > 0 {
		every = say("every", map[string]string{"days": strconv.Itoa(rules.IntervalDays)})
	}
	var b strings.Builder
	var principal int64
	for _, a := range accs {
		principal += a.Balance
	}
	vars := map[string]string{"company": t.Name, "total": m(po.Balance), "invoices": strings.Join(invoices, ", ")}
	if late := po.Balance - principal; late > 0 {
		vars["principal"], vars["late"] = m(principal), m(late)
		b.WriteString(say("withLate", vars))
	} else {
		b.WriteString(say("plain", vars))
	}
	if o.DownPayment > 0 {
		b.WriteString(say("down", map[string]string{"down": m(o.DownPayment), "start": d(po.Start)}))
	} else {
		b.WriteString(say("noDown", nil))
	}
	b.WriteString(say("schedule", map[string]string{"n": strconv.Itoa(o.Installments), "every": every,
		"first": d(o.Schedule[0].Date), "last": d(o.Schedule[len(o.Schedule)-1].Date), "grand": m(o.GrandTotal())}))
	if o.Interest > 0 {
		b.WriteString(say("interest", map[string]string{"interest": m(o.Interest), "rate": i18n.Percent(int64(rules.MonthlyRateBP), t.Locale)}))
	}
	b.WriteString(say("paused", nil))
	switch graceDays {
	case 0:
		b.WriteString(say("grace0", nil))
	case 1:
		b.WriteString(say("grace1", nil))
	default:
		b.WriteString(say("graceN", map[string]string{"days": strconv.Itoa(graceDays)}))
	}
	if maxMissed == 1 {
		b.WriteString(say("default1", nil))
	} else {
		b.WriteString(say("defaultN", map[string]string{"n": strconv.Itoa(maxMissed)}))
	}
	return b.String()
}

// translate is the catalogue's text of key in lang (the key itself
// without a catalogue).
func (s *Plans) translate(lang, key string) string {
	if s.tr == nil {
		return key
	}
	return s.tr(lang, key)
}

// Accept creates the debtor's plan from one of today's offers. The offer is
// recomputed (a changed balance or a new day makes it expire); the unique
// lock document makes concurrent acceptances create exactly one plan (409
// for the others). The plan pauses collection on its accounts.
func (s *Plans) Accept(ctx context.Context, offer string, accept bool) (Plan, error) {
	if !accept {
		return Plan{}, apperr.Field("accept", "debe aceptar los términos del plan")
	}
	c, err := s.me(ctx)
	if err != nil {
		return Plan{}, err
	}
	sc := c.sc
	var held planLock
	if err := sc.C("plans").Get(ctx, lockID(sc, c.debtor.ID), &held); err == nil && !s.dropStaleLock(ctx, sc, held.ID, s.now()) {
		return Plan{}, fmt.Errorf("ya tiene un plan de pagos activo: %w", apperr.ErrConflict)
	}
	offers, pol, err := s.offers(ctx, c)
	if err != nil {
		return Plan{}, err
	}
	i := slices.IndexFunc(offers, func(o PlanOffer) bool { return o.ID == offer })
	if i < 0 {
		if err := sc.C("plans").Get(ctx, lockID(sc, c.debtor.ID), &held); err == nil {
			// A plan was accepted meanwhile (its accounts left the offers).
			return Plan{}, fmt.Errorf("ya tiene un plan de pagos activo: %w", apperr.ErrConflict)
		}
		return Plan{}, &apperr.Refusal{Code: "offer_expired", Reason: "La oferta ya no está vigente (cambió su saldo o la fecha): consulte las ofertas de nuevo."}
	}
	po := offers[i]
	accs, _, err := eligible(ctx, c)
	if err != nil {
		return Plan{}, err
	}
	a, now := actor.From(ctx), s.now()
	pl := Plan{
		ID: sc.ID(primitive.NewObjectIDFromTimestamp(now).Hex()), TenantID: sc.Slug(), Kind: "plan", DebtorID: c.debtor.ID, DebtorName: c.debtor.Name,
		OfferID: po.ID, Status: PlanActive, Currency: po.Currency, Balance: po.Balance, DownPayment: po.Offer.DownPayment,
		Financed: po.Offer.Financed, Interest: po.Offer.Interest, Total: po.Offer.GrandTotal(), Installments: po.Offer.Installments,
		InstallmentAmount: po.Offer.InstallmentAmount, Applied: []string{}, CreatedAt: now, UpdatedAt: now,
	}
	grace, maxMissed := s.DefaultRules(pol, nil)
	pl.GraceDays, pl.MaxMissed = &grace, maxMissed
	for _, acc := range accs {
		pl.AccountIDs = append(pl.AccountIDs, acc.ID)
	}
	if po.Offer.DownPayment > 0 {
		pl.Schedule = append(pl.Schedule, PlanInstallment{N: 0, Date: po.Start, Amount: po.Offer.DownPayment, Principal: po.Offer.DownPayment, Status: InstallmentDue})
	}
	for _, in := range po.Offer.Schedule {
		pl.Schedule = append(pl.Schedule, PlanInstallment{N: in.N, Date: in.Date, Amount: in.Amount, Principal: in.Principal, Interest: in.Interest, Status: InstallmentDue})
	}
	sum := sha256.Sum256([]byte(po.Terms))
	pl.Evidence = Evidence{Terms: po.Terms, TermsHash: hex.EncodeToString(sum[:]), AcceptedAt: now, IP: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID}

	// The lock first: of many concurrent acceptances exactly one inserts it.
	lk := planLock{ID: lockID(sc, c.debtor.ID), TenantID: sc.Slug(), Kind: "lock", PlanID: pl.ID, CreatedAt: now}
	if err := sc.C("plans").Insert(ctx, lk); err != nil {
		if err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return Plan{}, fmt.Errorf("ya tiene un plan de pagos activo: %w", apperr.ErrConflict)
			}
			return Plan{}, err
		}
	}
	if err := sc.C("plans").Insert(ctx, pl); err != nil {
		_ = sc.C("plans").Delete(ctx, lk.ID)
		return Plan{}, fmt.Errorf("record plan: %w", err)
	}
	// The plan's financing interest is earned installment by installment:
	// each one's interest is booked when it is paid or falls due
	// (planbook.BookInterest), so paying the plan off early pays principal
	// and the interest earned to that day only.
	for _, id := range pl.AccountIDs {
		// Late interest stops while the plan runs: what accrued through
		// today is in the plan's total (its down payment covers it).
		if err := accounts.StartPlan(ctx, sc, id, pl.ID, c.today, now); err != nil {
			return Plan{}, err
		}
	}
	_ = s.audit.Record(ctx, sc.Slug(), "plan.accept", pl.ID, map[string]any{"installments": pl.Installments, "total": pl.Total, "offer": pl.OfferID})
	return pl, nil
}

// dropStaleLock removes a lock whose plan was never recorded (a crash
// between the two inserts) or is no longer active, once it is a minute old.
func (s *Plans) dropStaleLock(ctx context.Context, sc *store.Scope, id string, now time.Time) bool {
	var lk planLock
	if err := sc.C("plans").Get(ctx, id, &lk); err != nil {
		return false
	}
	var pl Plan
	err := sc.C("plans").Get(ctx, lk.PlanID, &pl)
	stale := (errors.Is(err, apperr.ErrNotFound) && now.Sub(lk.CreatedAt) > time.Minute) || (err == nil && pl.Status != PlanActive)
	if !stale {
		return false
	}
	return sc.C("plans").Delete(ctx, id) == nil
}

// current reads the debtor's active plan through its lock.
func (s *Plans) current(ctx context.Context, sc *store.Scope, debtorID string) (Plan, error) {
	var lk planLock
	if err := sc.C("plans").Get(ctx, lockID(sc, debtorID), &lk); err != nil {
		return Plan{}, err
	}
	var pl Plan
	if err := sc.C("plans").Get(ctx, lk.PlanID, &pl); err != nil {
		return Plan{}, err
	}
	if pl.DebtorID != debtorID || pl.Status != PlanActive {
		return Plan{}, fmt.Errorf("plan: %w", apperr.ErrNotFound)
	}
	return pl, nil
}

// Current returns the calling debtor's active plan (ErrNotFound when none).
func (s *Plans) Current(ctx context.Context) (Plan, error) {
	c, err := s.me(ctx)
	if err != nil {
		return Plan{}, err
	}
	return s.current(ctx, c.sc, c.debtor.ID)
}

// List returns a tenant's plans for staff (client, manager, admin), newest
// first, optionally of one status. It scans the tenant's plans.
func (s *Plans) List(ctx context.Context, tenant, status string) ([]Plan, error) {
	a := actor.From(ctx)
	switch a.Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient:
	default:
		return nil, fmt.Errorf("plans: %w", apperr.ErrForbidden)
	}
	if !a.Member(tenant) {
		return nil, fmt.Errorf("plans: %w", apperr.ErrNotFound)
	}
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	filter := bson.D{{Key: "kind", Value: "plan"}}
	switch status {
	case "":
	case PlanActive, PlanCompleted, PlanDefaulted:
		filter = append(filter, bson.E{Key: "status", Value: status})
	default:
		return nil, apperr.Field("status", "use active, completed o defaulted")
	}
	out := []Plan{}
	if err := s.db.Tenant(tenant).C("plans").Find(ctx, filter, &out); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y Plan) int { return y.CreatedAt.Compare(x.CreatedAt) })
	return out, nil
}

// PlanRef ties a payment to one installment of a plan.
type PlanRef struct {
	PlanID      string `bson:"planId" json:"planId"`
	Installment int    `bson:"installment" json:"installment"`
}

// planCheckout resolves a checkout of one plan installment: exactly that
// installment's amount (less if the plan's accounts now owe less), allocated
// oldest first to the plan's open accounts only.
func planCheckout(ctx context.Context, sc *store.Scope, debtorID string, in CheckoutInput, items []calc.Open) (*PlanRef, int64, []calc.Open, error) {
	key := in.PlanID
	if !sc.Owns(key) {
		key = sc.ID(key)
	}
	var pl Plan
	if err := sc.C("plans").Get(ctx, key, &pl); err != nil {
		return nil, 0, nil, err
	}
	if pl.Kind != "plan" || pl.DebtorID != debtorID {
		return nil, 0, nil, fmt.Errorf("plan: %w", apperr.ErrNotFound)
	}
	if pl.Status != PlanActive {
		return nil, 0, nil, &apperr.Refusal{Code: "plan_closed", Reason: "El plan de pagos ya no está activo."}
	}
	if in.Installment == nil {
		return nil, 0, nil, apperr.Field("installment", "indique la cuota a pagar")
	}
	i := slices.IndexFunc(pl.Schedule, func(x PlanInstallment) bool { return x.N == *in.Installment })
	if i < 0 {
		return nil, 0, nil, apperr.Field("installment", "el plan no tiene esa cuota")
	}
	inst := pl.Schedule[i]
	if !inst.Open() {
		return nil, 0, nil, fmt.Errorf("la cuota %d ya está pagada: %w", inst.N, apperr.ErrConflict)
	}
	var mine []calc.Open
	var owed int64
	for _, it := range items {
		if slices.Contains(pl.AccountIDs, it.ID) {
			mine = append(mine, it)
			owed += it.Balance
		}
	}
	// The installment's own financing interest is booked when it is paid
	// (not owed before): it counts on top of what the accounts owe now.
	if inst.Status == InstallmentDue {
		owed += inst.Interest
	}
	amount := min(inst.Amount, owed)
	if amount <= 0 {
		return nil, 0, nil, &apperr.Refusal{Code: "nothing_owed", Reason: "Las facturas del plan no tienen saldo pendiente."}
	}
	return &PlanRef{PlanID: pl.ID, Installment: inst.N}, amount, mine, nil
}

// afterPayment applies a recorded payment to the debtor's plan: a payment of
// an installment marks it paid; any other payment reaching the plan's
// accounts (or a second payment of an installment already paid) is an extra
// that reduces the last installments. Completing the schedule settles the
// plan. Idempotent: the plan lists the payments it has applied.
func afterPayment(ctx context.Context, sc *store.Scope, p Payment, now time.Time) error {
	amounts := map[string]int64{} // plan id -> amount that reached it
	var order []string
	if p.Plan != nil {
		amounts[p.Plan.PlanID] = p.Amount
		order = append(order, p.Plan.PlanID)
	} else {
		interest := map[string]int64{}
		for _, ch := range p.Charges {
			interest[ch.AccountID] += ch.Interest
		}
		for _, al := range p.Allocation {
			var acc planAccount
			if err := sc.C("accounts").Get(ctx, al.ID, &acc); err != nil || acc.PlanID == "" {
				continue
			}
			if _, seen := amounts[acc.PlanID]; !seen {
				order = append(order, acc.PlanID)
			}
			amounts[acc.PlanID] += al.Amount + interest[al.ID]
		}
	}
	for _, id := range order {
		pp := planbook.Payment{Key: p.ID, Amount: amounts[id], PaidAt: p.CompletedAtOr()}
		if p.Plan != nil && p.Plan.PlanID == id {
			pp.Installment = &p.Plan.Installment
		}
		if _, err := planbook.Apply(ctx, sc, id, pp, now); err != nil {
			return err
		}
		if _, err := planbook.CompleteIfSettled(ctx, sc, id, now); err != nil {
			return err
		}
	}
	return nil
}

// release ends a plan's hold: the lock goes (a new plan may be accepted)
// and its accounts go back to the ladder.
func release(ctx context.Context, sc *store.Scope, pl Plan) error {
	return planbook.Release(ctx, sc, pl.ID, pl.DebtorID, pl.AccountIDs)
}

// outboxMessage is a message for the outbox (delivered elsewhere); plan
// reminders are keyed "<tenant>:plan:<plan key>:<n>:reminder", so a job run
// twice writes one.
type outboxMessage struct {
	ID          string    `bson:"_id"`
	TenantID    string    `bson:"tenantId"`
	Kind        string    `bson:"kind"`
	Channel     string    `bson:"channel"`
	To          string    `bson:"to"`
	Subject     string    `bson:"subject"`
	Body        string    `bson:"body"`
	Status      string    `bson:"status"`
	Hold        string    `bson:"hold,omitempty"` // why it cannot go out as it is
	DebtorID    string    `bson:"debtorId"`
	PlanID      string    `bson:"planId"`
	Installment int       `bson:"installment"`
	Due         time.Time `bson:"due"`
	CreatedAt   time.Time `bson:"createdAt"`
}

// CheckResult counts what a plan check did.
type CheckResult struct {
	Reminders, Missed, Defaulted, Completed int
}

// Check follows a tenant's active plans as of now: a reminder in the outbox
// ReminderDays before each open installment, installments unpaid past their
// date plus the plan's grace marked missed, a plan with its maximum of missed
// installments defaulted (DefaultRules) (its accounts go back to the ladder), and a plan
// with nothing left to pay completed. Idempotent; it scans the tenant's
// plans, so it runs from the scheduler.
func (s *Plans) Check(ctx context.Context, tenant string, now time.Time) (CheckResult, error) {
	var res CheckResult
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return res, err
	}
	pol, err := s.policy.For(ctx, tenant)
	if err != nil {
		return res, err
	}
	sc, loc := s.db.Tenant(tenant), t.Location()
	today := civilDay(now, loc)
	var list []Plan
	if err := sc.C("plans").Find(ctx, bson.D{{Key: "kind", Value: "plan"}, {Key: "status", Value: PlanActive}}, &list); err != nil {
		return res, fmt.Errorf("check plans: %w", err)
	}
	for _, pl := range list {
		grace, maxMissed := s.DefaultRules(pol, &pl)
		for _, in := range pl.Schedule {
			if in.Status != InstallmentDue || today.After(in.Date) || today.Before(in.Date.AddDate(0, 0, -s.ReminderDays)) {
				continue
			}
			made, err := s.remind(ctx, sc, t, pl, in, now)
			if err != nil {
				return res, err
			}
			if made {
				res.Reminders++
			}
		}
		var after Plan
		var missed int
		closed := ""
		err := sc.C("plans").Mutate(ctx, pl.ID, &after, func() (bson.D, error) {
			missed, closed = 0, ""
			if after.Status != PlanActive {
				return nil, nil
			}
			sched := slices.Clone(after.Schedule)
			var count int
			for i := range sched {
				if sched[i].Status == InstallmentDue && today.After(sched[i].Date.AddDate(0, 0, grace)) {
					sched[i].Status = InstallmentMissed
					missed++
				}
				if sched[i].Status == InstallmentMissed {
					count++
				}
			}
			switch {
			case !slices.ContainsFunc(sched, PlanInstallment.Open):
				closed = PlanCompleted
			case count >= maxMissed:
				closed = PlanDefaulted
			case missed == 0:
				return nil, nil
			}
			set := bson.D{{Key: "schedule", Value: sched}, {Key: "updatedAt", Value: now}}
			if closed != "" {
				set = append(set, bson.E{Key: "status", Value: closed}, bson.E{Key: "closedAt", Value: now})
			}
			after.Schedule, after.Status = sched, cmp.Or(closed, after.Status)
			return bson.D{{Key: "$set", Value: set}}, nil
		})
		if err != nil {
			return res, err
		}
		res.Missed += missed
		// A missed installment's interest is earned (its period ran out).
		for _, in := range after.Schedule {
			if in.Status == InstallmentMissed {
				if err := planbook.BookInterest(ctx, sc, after.ID, in.N); err != nil {
					return res, err
				}
			}
		}
		if closed == "" {
			continue
		}
		if err := release(ctx, sc, after); err != nil {
			return res, err
		}
		if closed == PlanDefaulted {
			// The installments not yet due were never booked: a default
			// charges no financing interest for a term the debtor will not
			// have. Late interest resumes on the remaining principal.
			res.Defaulted++
		} else {
			res.Completed++
		}
		_ = s.audit.Record(actor.System(ctx, "plans.check"), tenant, "plan."+closed, after.ID, map[string]any{"remaining": after.Remaining(), "missed": missed})
	}
	return res, nil
}

// remind writes one installment's reminder to the outbox, once.
func (s *Plans) remind(ctx context.Context, sc *store.Scope, t tenants.Tenant, pl Plan, in PlanInstallment, now time.Time) (bool, error) {
	var d planDebtor
	if err := sc.C("debtors").Get(ctx, pl.DebtorID, &d); err != nil {
		return false, err
	}
	msg := outboxMessage{
		ID: sc.ID("plan:" + sc.Key(pl.ID) + ":" + strconv.Itoa(in.N) + ":reminder"), TenantID: sc.Slug(), Kind: "plan_reminder",
		Channel: compliance.Email, Status: "held", DebtorID: pl.DebtorID, PlanID: pl.ID, Installment: in.N, Due: now, CreatedAt: now,
	}
	for _, c := range d.Contacts {
		if c.Kind == "email" && !c.Invalid {
			msg.To = c.Value
			break
		}
	}
	switch {
	case msg.To == "":
		msg.Hold = "no_email"
	case d.Consent != nil && d.Consent.Channels[compliance.Email].OptedOut:
		msg.Hold = "opted_out"
	}
	// In the debtor's language: the tenant's, as its letters.
	lang := i18n.OfLocale(t.Locale)
	name := i18n.Fill(s.translate(lang, "planreminder.installment"), map[string]string{"n": strconv.Itoa(in.N)})
	if in.N == 0 {
		name = s.translate(lang, "planreminder.down")
	}
	vars := map[string]string{"name": name, "date": i18n.DateIn(in.Date, t.Locale), "debtor": d.Name, "company": t.Name,
		"amount": i18n.Money(in.Amount, pl.Currency, t.Locale), "portal": strings.TrimSuffix(s.publicURL, "/")}
	msg.Subject = i18n.Fill(s.translate(lang, "planreminder.subject"), vars)
	msg.Body = i18n.Fill(s.translate(lang, "planreminder.body"), vars)
	err := sc.C("outbox").Insert(ctx, msg)
	if errors.Is(err, apperr.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// PromiseInput is a promise the debtor makes on the portal.
type PromiseInput struct {
	Amount int64
	Date   string // YYYY-MM-DD
}

// Promise records the debtor's promise to pay amount by date, within the
// policy's limits (today up to MaxDaysAhead, 0 < amount <= open balance, at
// least the policy minimum). It is the collectors' promise model: the amount
// is spread oldest first over the open accounts, one promise per account,
// each linked on the account's promiseIds, so collectors see it and the
// promise check settles it.
func (s *Plans) Promise(ctx context.Context, in PromiseInput) ([]work.Promise, error) {
	c, err := s.me(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.current(ctx, c.sc, c.debtor.ID); err == nil {
		return nil, &apperr.Refusal{Code: "plan_active", Reason: "Tiene un plan de pagos activo: pague sus cuotas en lugar de prometer un pago."}
	}
	accs, total, err := eligible(ctx, c)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return nil, &apperr.Refusal{Code: "nothing_owed", Reason: "No tiene saldo pendiente que prometer."}
	}
	pol, err := s.policy.For(ctx, c.tenant.ID)
	if err != nil {
		return nil, err
	}
	f := apperr.Fields{}
	switch {
	case in.Amount <= 0:
		f.Add("amount", "el valor prometido debe ser mayor que cero")
	case in.Amount > total:
		f.Add("amount", "el valor prometido no puede superar su saldo")
	case in.Amount < pol.Promises.MinAmount:
		f.Add("amount", fmt.Sprintf("el valor mínimo de una promesa es %s", money.Format(pol.Promises.MinAmount, c.tenant.Currency, c.tenant.Locale)))
	}
	date, perr := time.Parse(time.DateOnly, strings.TrimSpace(in.Date))
	switch {
	case perr != nil:
		f.Add("date", "fecha AAAA-MM-DD")
	case date.Before(c.today):
		f.Add("date", "la fecha de la promesa ya pasó")
	case date.After(c.today.AddDate(0, 0, pol.Promises.MaxDaysAhead)):
		f.Add("date", fmt.Sprintf("puede prometer un pago a máximo %d días", pol.Promises.MaxDaysAhead))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	items := make([]calc.Open, len(accs))
	byID := map[string]planAccount{}
	for i, a := range accs {
		items[i] = calc.Open{ID: a.ID, DueDate: a.DueDate, Balance: a.Balance}
		byID[a.ID] = a
	}
	alloc, _, err := calc.Allocate(in.Amount, items, nil)
	if err != nil {
		return nil, apperr.Field("amount", err.Error())
	}
	for _, al := range alloc {
		for _, id := range byID[al.ID].PromiseIDs {
			var p work.Promise
			if err := c.sc.C("promises").Get(ctx, id, &p); err == nil && p.Status == work.PromiseLive {
				return nil, &apperr.Refusal{Code: "promise_live", Reason: fmt.Sprintf("Ya hay una promesa vigente para el %s: espere a que se cumpla o se incumpla.", p.Date.Format("02/01/2006"))}
			}
		}
	}
	now := s.now()
	out := make([]work.Promise, 0, len(alloc))
	for _, al := range alloc {
		acc := byID[al.ID]
		p := work.Promise{
			ID: c.sc.ID(primitive.NewObjectIDFromTimestamp(now).Hex()), TenantID: c.sc.Slug(), AccountID: acc.ID, DebtorID: c.debtor.ID,
			Amount: al.Amount, Currency: acc.Currency, Date: date, GraceDays: pol.Promises.GraceDays, Status: work.PromiseLive,
			By: c.debtor.ID, CreatedAt: now,
		}
		if p.Currency == "" {
			p.Currency = c.tenant.Currency
		}
		if err := c.sc.C("promises").Insert(ctx, p); err != nil {
			return nil, fmt.Errorf("record promise: %w", err)
		}
		if err := accounts.RecordContact(ctx, c.sc, acc.ID, accounts.Touch{PromiseID: p.ID}); err != nil {
			return nil, fmt.Errorf("link promise: %w", err)
		}
		_ = s.audit.Record(ctx, c.sc.Slug(), "promise.create", p.ID, map[string]any{"account": acc.ID, "amount": p.Amount, "by": "debtor"})
		out = append(out, p)
	}
	return out, nil
}

// Preferences are the debtor's contact choices as the portal shows them:
// each channel allowed or not, and an optional daily window.
type Preferences struct {
	Channels  map[string]bool
	Hours     *work.HoursWindow
	UpdatedAt *time.Time
	How       string
}

// defaultChannels are the channels the debtor's contacts make possible,
// treated as authorized until the debtor records a choice (the same rule
// the collectors' consent record applies).
func defaultChannels(contacts []accounts.Contact) map[string]bool {
	out := map[string]bool{}
	for _, c := range contacts {
		if c.Invalid {
			continue
		}
		switch c.Kind {
		case "email":
			out[compliance.Email] = true
		case "phone":
			out[compliance.Call], out[compliance.SMS] = true, true
		case "whatsapp":
			out[compliance.WhatsApp] = true
		case "address":
			out[compliance.Visit], out[compliance.Letter] = true, true
		}
	}
	return out
}

func preferencesOf(d planDebtor) Preferences {
	p := Preferences{Channels: map[string]bool{}}
	def := defaultChannels(d.Contacts)
	recorded := d.Consent != nil && len(d.Consent.Channels) > 0
	for _, ch := range compliance.Channels() {
		if recorded {
			cc := d.Consent.Channels[ch]
			p.Channels[ch] = cc.Authorized && !cc.OptedOut
		} else {
			p.Channels[ch] = def[ch]
		}
	}
	if d.Consent != nil {
		p.Hours, p.UpdatedAt, p.How = d.Consent.PreferredWindow, d.Consent.UpdatedAt, d.Consent.How
	}
	return p
}

// Preferences returns the calling debtor's contact preferences.
func (s *Plans) Preferences(ctx context.Context) (Preferences, error) {
	c, err := s.me(ctx)
	if err != nil {
		return Preferences{}, err
	}
	return preferencesOf(c.debtor), nil
}

// SetPreferences records the debtor's contact choices in the debtor's
// consent record (the field the collectors' consent endpoint writes), with
// when and how ("debtor portal"): a channel set false is an opt-out, which
// the compliance rules enforce on every contact. Channels not named keep
// what they had; Hours nil keeps the window, an empty one clears it.
func (s *Plans) SetPreferences(ctx context.Context, in Preferences) (Preferences, error) {
	f := apperr.Fields{}
	for ch := range in.Channels {
		if !slices.Contains(compliance.Channels(), ch) {
			f.Add("channels."+ch, "canal desconocido: use call, email, whatsapp, sms, visit o letter")
		}
	}
	if w := in.Hours; w != nil && (w.From != "" || w.To != "") {
		from, ok1 := clock(w.From)
		to, ok2 := clock(w.To)
		if !ok1 || !ok2 || from >= to {
			f.Add("hours", "franja HH:MM a HH:MM, por ejemplo 08:00 a 18:00")
		}
	}
	if err := f.Err(); err != nil {
		return Preferences{}, err
	}
	c, err := s.me(ctx)
	if err != nil {
		return Preferences{}, err
	}
	now := s.now()
	d := c.debtor
	err = c.sc.C("debtors").Mutate(ctx, d.ID, &d, func() (bson.D, error) {
		cs := work.Consent{Channels: map[string]work.ChannelConsent{}}
		if d.Consent != nil {
			cs = *d.Consent
			cs.Channels = make(map[string]work.ChannelConsent, len(d.Consent.Channels))
			for k, v := range d.Consent.Channels {
				cs.Channels[k] = v
			}
		}
		if len(cs.Channels) == 0 && len(in.Channels) > 0 {
			// The first recorded choice replaces the default: keep the
			// channels the debtor had by default authorized.
			for ch := range defaultChannels(d.Contacts) {
				cs.Channels[ch] = work.ChannelConsent{Authorized: true, At: now, How: "datos de contacto entregados por el cliente"}
			}
		}
		for ch, ok := range in.Channels {
			cs.Channels[ch] = work.ChannelConsent{Authorized: ok, OptedOut: !ok, At: now, How: DebtorPortalHow}
		}
		if w := in.Hours; w != nil {
			if w.From == "" && w.To == "" {
				cs.PreferredWindow = nil
			} else {
				cs.PreferredWindow = &work.HoursWindow{From: w.From, To: w.To}
			}
		}
		cs.How, cs.UpdatedAt, cs.UpdatedBy = DebtorPortalHow, &now, d.ID
		d.Consent = &cs
		return bson.D{{Key: "$set", Value: bson.D{{Key: "consent", Value: cs}, {Key: "updatedAt", Value: now}}}}, nil
	})
	if err != nil {
		return Preferences{}, err
	}
	_ = s.audit.Record(ctx, c.sc.Slug(), "debtor.consent", d.ID, map[string]any{"channels": len(in.Channels), "how": DebtorPortalHow})
	return preferencesOf(d), nil
}

// clock reads "HH:MM" (24 h; "24:00" ends the day) as minutes.
func clock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, b := range []byte{s[0], s[1], s[3], s[4]} {
		if b < '0' || b > '9' {
			return 0, false
		}
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// ForAccount returns the active plan covering an account, for staff who
// may read that account (nil, nil when no plan covers it). Two reads by
// _id: the account's plan mark, then the plan.
func (s *Plans) ForAccount(ctx context.Context, tenant, accountID string) (*Plan, error) {
	a := actor.From(ctx)
	if a.Role == tenants.RoleDebtor || !a.Member(tenant) {
		return nil, fmt.Errorf("account plan: %w", apperr.ErrNotFound)
	}
	sc := s.db.Tenant(tenant)
	if !sc.Owns(accountID) {
		accountID = sc.ID(accountID)
	}
	var acc planAccount
	if err := sc.C("accounts").Get(ctx, accountID, &acc); err != nil {
		return nil, err
	}
	if acc.PlanID == "" {
		return nil, nil
	}
	var pl Plan
	if err := sc.C("plans").Get(ctx, acc.PlanID, &pl); errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if pl.Kind != "plan" || pl.Status != PlanActive || !slices.Contains(pl.AccountIDs, acc.ID) {
		return nil, nil
	}
	return &pl, nil
}
