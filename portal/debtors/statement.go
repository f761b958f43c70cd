package debtors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Policy is the part of a tenant's money rules a statement shows.
type Policy struct {
	LateInterestBP int64
	GraceDays      int
	EarlyPayment   *calc.EarlyPayment
	Settlement     []calc.SettlementTier
}

func policyOfRules(r calc.Rules) Policy {
	return Policy{LateInterestBP: r.AnnualBP, GraceDays: r.GraceDays, EarlyPayment: r.EarlyPayment, Settlement: r.Settlement}
}

// Line is one open invoice on a statement, priced by the money engine.
type Line struct {
	ID          string    `json:"id"` // the invoice key, as the other APIs name accounts
	Invoice     string    `json:"invoice"`
	DueDate     time.Time `json:"-"`
	Balance     int64     `json:"balance"`  // principal outstanding
	Interest    int64     `json:"interest"` // interest owed today (late interest accrued, plus booked plan interest, less interest paid)
	Owed        int64     `json:"owed"`     // Balance + Interest
	Discount    int64     `json:"discount"` // taken off when the invoice is paid in full today
	DaysPastDue int       `json:"daysPastDue"`
	Status      string    `json:"status"`
	Disputed    bool      `json:"disputed"`
	PlanID      string    `json:"planId,omitempty"` // the account is in this active installment plan
	Credit      int64     `json:"credit,omitempty"` // money held for the debtor beyond the debt
	Provisional bool      `json:"provisional,omitempty"`
	Capped      bool      `json:"-"` // the usury cap limited the interest
}

// Total is what the line asks the debtor to pay today to settle it.
func (l Line) Total() int64 { return l.Owed - l.Discount }

// Statement is what a debtor owes as of a day.
type Statement struct {
	Tenant         tenants.Tenant
	DebtorName     string
	Document       string
	Currency       string
	AsOf           time.Time // civil date in the tenant's zone
	Lines          []Line
	Total          int64 // settle everything today: Owed − DiscountTotal
	Owed           int64 // principal and interest owed today; a payment of X lowers it by exactly X
	PrincipalTotal int64
	InterestTotal  int64
	DiscountTotal  int64
	CreditTotal    int64 // money held for the debtor (an overpayment), for staff to refund
	Provisional    bool  // some interest accrued under a cap not yet certified
	Policy         Policy
	Rules          calc.Rules
	Plan           *PlanSummary // the debtor's active plan, when some account is in it
}

// Statement computes the calling debtor's statement as of today: the open
// accounts read by _id from the debtor's account list (never a scan), late
// interest from the due date plus grace at the policy rate capped by the
// country's legal table, and the discount the policy offers.
//
// Reads, all by _id: the debtor (already read by the session check when the
// HTTP face passes it on), the tenant once (name, zone and policy from the
// same document), each account once, and each plan the accounts are in.
func (s *Service) Statement(ctx context.Context) (Statement, error) {
	d, sc, err := s.me(ctx)
	if err != nil {
		return Statement{}, err
	}
	t, err := s.tenants.TenantByID(ctx, d.TenantID) // cached: a tenant's own fields never change
	if err != nil {
		return Statement{}, fmt.Errorf("statement: %w", err)
	}
	policy, err := s.policy(ctx, t)
	if err != nil {
		return Statement{}, fmt.Errorf("statement: %w", err)
	}
	rules, err := s.rules(ctx, t.Country, policy)
	if err != nil {
		return Statement{}, fmt.Errorf("statement: %w", err)
	}
	loc := s.zone(t)
	now := s.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	st := Statement{Tenant: t, DebtorName: d.Name, Document: d.Document, Currency: t.Currency, AsOf: today, Policy: policyOfRules(rules), Rules: rules, Lines: []Line{}}
	plans := map[string]*PlanSummary{}
	accs, err := s.debtorAccounts(ctx, sc, d.ID, d.AccountIDs)
	if err != nil {
		return Statement{}, fmt.Errorf("statement: %w", err)
	}
	for _, a := range accs {
		if a.ID == "" {
			continue // gone
		}
		if a.DebtorID != d.ID {
			continue
		}
		st.CreditTotal += a.Credit
		if a.Status != accounts.StatusOpen && a.Status != accounts.StatusLegal {
			continue
		}
		l := s.line(a, sc.Key(a.ID), today, rules)
		if l.Owed <= 0 {
			continue
		}
		if a.Currency != "" {
			st.Currency = a.Currency
		}
		if a.PlanID != "" {
			ps, seen := plans[a.PlanID]
			if !seen {
				ps, err = planSummary(ctx, sc, a.PlanID, d.ID)
				if err != nil {
					return Statement{}, fmt.Errorf("statement: %w", err)
				}
				plans[a.PlanID] = ps
			}
			if ps != nil {
				l.PlanID = ps.ID
			}
		}
		st.Lines = append(st.Lines, l)
	}
	for _, ps := range plans {
		if ps != nil {
			st.Plan = ps // one active plan per debtor and tenant
		}
	}
	sort.SliceStable(st.Lines, func(i, j int) bool {
		if !st.Lines[i].DueDate.Equal(st.Lines[j].DueDate) {
			return st.Lines[i].DueDate.Before(st.Lines[j].DueDate)
		}
		return st.Lines[i].ID < st.Lines[j].ID
	})
	for _, l := range st.Lines {
		st.Total += l.Total()
		st.Owed += l.Owed
		st.PrincipalTotal += l.Balance
		st.InterestTotal += l.Interest
		st.DiscountTotal += l.Discount
		st.Provisional = st.Provisional || l.Provisional
	}
	return st, nil
}

// debtorAccounts reads a debtor's accounts from the debtor view (one Get
// when it is current; Options.Views), or by _id without one.
func (s *Service) debtorAccounts(ctx context.Context, sc *store.Scope, debtorID string, ids []string) ([]accounts.Account, error) {
	if s.views != nil {
		return s.views.Accounts(ctx, sc, debtorID, ids)
	}
	out := make([]accounts.Account, 0, len(ids))
	for _, id := range ids {
		var a accounts.Account
		err := sc.C("accounts").Get(ctx, id, &a)
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// line prices one account as of today with the money engine: principal,
// interest owed (late interest accrued day by day on the principal of each
// day, at the lower of the policy and the cap, plus booked plan interest,
// less interest paid) and the discount for settling it today. A disputed
// account still shows it (collection pauses, the figure does not lie).
func (s *Service) line(a accounts.Account, key string, today time.Time, r calc.Rules) Line {
	pos := accounts.Price(r, &s.rates, a, today)
	due := time.Date(a.DueDate.Year(), a.DueDate.Month(), a.DueDate.Day(), 0, 0, 0, 0, today.Location())
	l := Line{ID: key, Invoice: a.Invoice, DueDate: due, Balance: pos.Principal, Interest: pos.Interest, Owed: pos.Owed(),
		Status: a.Status, Disputed: len(a.DisputeIDs) > 0, Credit: a.Credit, Capped: pos.Capped, Provisional: pos.Provisional}
	l.DaysPastDue = calc.DaysPastDue(due, today, today.Location())
	l.Discount = r.Discount(pos.Principal, due, today)
	return l
}

// policy is the tenant's policy in force: through the policy service's
// cache when wired, else read from the tenant document.
func (s *Service) policy(ctx context.Context, t tenants.Tenant) (strategy.Policy, error) {
	if s.ruleSrc != nil {
		return s.ruleSrc.For(ctx, t.ID)
	}
	var saved struct {
		Policy *strategy.Policy `bson:"policy"`
	}
	if err := s.db.C("tenants").Get(ctx, t.ID, &saved); err != nil {
		return strategy.Policy{}, fmt.Errorf("policy: %w", err)
	}
	return strategy.OfTenant(saved.Policy, t.Country), nil
}

// rules are the tenant's money rules (the policy under its country's caps).
func (s *Service) rules(ctx context.Context, country string, p strategy.Policy) (calc.Rules, error) {
	if s.ruleSrc != nil {
		return s.ruleSrc.RulesOf(ctx, country, p)
	}
	return p.Rules(calc.DefaultCapTable(country)), nil
}
