package debtors

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/store"
	"cartera/tenants"
)

// Defaults used when the tenant has no policy (see readPolicy).
const (
	DefaultLateInterestBP = 2400
	DefaultGraceDays      = 0
)

// Policy is the part of a tenant's collection policy the statement needs.
type Policy struct {
	LateInterestBP int64
	GraceDays      int
	EarlyPayment   *calc.EarlyPayment
	Settlement     []calc.SettlementTier
}

// Line is one open invoice on a statement.
type Line struct {
	ID          string    `json:"id"` // the invoice key, as the other APIs name accounts
	Invoice     string    `json:"invoice"`
	DueDate     time.Time `json:"-"`
	Balance     int64     `json:"balance"`
	Interest    int64     `json:"interest"`
	Discount    int64     `json:"discount"`
	DaysPastDue int       `json:"daysPastDue"`
	Status      string    `json:"status"`
	Disputed    bool      `json:"disputed"`
	PlanID      string    `json:"planId,omitempty"` // the account is in this active installment plan
	Capped      bool      `json:"-"`                // the usury cap limited the interest
}

// Total is what the line asks the debtor to pay today.
func (l Line) Total() int64 { return l.Balance + l.Interest - l.Discount }

// Statement is what a debtor owes as of a day.
type Statement struct {
	Tenant        tenants.Tenant
	DebtorName    string
	Document      string
	Currency      string
	AsOf          time.Time // civil date in the tenant's zone
	Lines         []Line
	Total         int64
	InterestTotal int64
	DiscountTotal int64
	Policy        Policy
	Plan          *PlanSummary // the debtor's active plan, when some account is in it
}

// policyOf reads the tenant's policy fields the statement uses from the
// tenant document.
//
// The policy is read from the tenant document's optional `policy`
// sub-document — lateInterestBP, graceDays, earlyPayment {daysBefore,
// percentBP} and settlementTiers (or `settlement`, the name the policy
// editor in portal/strategy saves) [{minDaysPastDue, percentBP, maxAmount}] —
// looked up field by field so an unexpected shape falls back to the
// defaults (2400 bp a year, no grace, no discounts) instead of failing the
// statement.
func policyOf(raw bson.Raw) Policy {
	p := Policy{LateInterestBP: DefaultLateInterestBP, GraceDays: DefaultGraceDays}
	if v, ok := raw.Lookup("policy", "lateInterestBP").AsInt64OK(); ok && v >= 0 {
		p.LateInterestBP = v
	}
	if v, ok := raw.Lookup("policy", "graceDays").AsInt64OK(); ok && v >= 0 && v < 3650 {
		p.GraceDays = int(v)
	}
	if ep, ok := raw.Lookup("policy", "earlyPayment").DocumentOK(); ok {
		bp, ok1 := ep.Lookup("percentBP").AsInt64OK()
		days, _ := ep.Lookup("daysBefore").AsInt64OK()
		if ok1 && bp > 0 && bp <= 10000 {
			p.EarlyPayment = &calc.EarlyPayment{DaysBefore: int(days), PercentBP: bp}
		}
	}
	arr, ok := raw.Lookup("policy", "settlementTiers").ArrayOK()
	if !ok {
		arr, ok = raw.Lookup("policy", "settlement").ArrayOK()
	}
	if ok {
		vals, _ := arr.Values()
		for _, v := range vals {
			d, ok := v.DocumentOK()
			if !ok {
				continue
			}
			bp, ok1 := d.Lookup("percentBP").AsInt64OK()
			minDays, _ := d.Lookup("minDaysPastDue").AsInt64OK()
			maxAmt, _ := d.Lookup("maxAmount").AsInt64OK()
			if ok1 && bp > 0 && bp <= 10000 {
				p.Settlement = append(p.Settlement, calc.SettlementTier{MinDaysPastDue: int(minDays), PercentBP: bp, MaxAmount: maxAmt})
			}
		}
	}
	return p
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
	var raw bson.Raw
	if err := s.db.C("tenants").Get(ctx, d.TenantID, &raw); err != nil {
		return Statement{}, fmt.Errorf("statement: tenant: %w", err)
	}
	var t tenants.Tenant
	if err := bson.Unmarshal(raw, &t); err != nil {
		return Statement{}, fmt.Errorf("statement: tenant: %w", err)
	}
	pol := policyOf(raw)
	loc := s.zone(t)
	now := s.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	caps := calc.DefaultCapTable(t.Country)
	st := Statement{Tenant: t, DebtorName: d.Name, Document: d.Document, Currency: t.Currency, AsOf: today, Policy: pol, Lines: []Line{}}
	plans := map[string]*PlanSummary{}
	accs, err := s.debtorAccounts(ctx, sc, d.ID, d.AccountIDs)
	if err != nil {
		return Statement{}, fmt.Errorf("statement: %w", err)
	}
	for _, a := range accs {
		if a.ID == "" {
			continue // gone
		}
		if a.DebtorID != d.ID || a.Balance <= 0 || (a.Status != accounts.StatusOpen && a.Status != accounts.StatusLegal) {
			continue
		}
		if a.Currency != "" {
			st.Currency = a.Currency
		}
		l := s.line(a, sc.Key(a.ID), today, pol, caps)
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
		st.InterestTotal += l.Interest
		st.DiscountTotal += l.Discount
	}
	return st, nil
}

// debtorAccounts reads a debtor's accounts from the debtor view (one Get
// when it is current, accounts.DebtorViews), or by _id without one.
func (s *Service) debtorAccounts(ctx context.Context, sc *store.Scope, debtorID string, ids []string) ([]accountDoc, error) {
	var rows []accounts.ViewRow
	var err error
	if s.Views != nil {
		rows, err = s.Views.Rows(ctx, sc, debtorID, ids)
	} else {
		rows, err = accounts.ReadViewRows(ctx, sc, ids)
	}
	if err != nil {
		return nil, err
	}
	out := make([]accountDoc, len(rows))
	for i, r := range rows {
		out[i] = accountDoc{ID: r.ID, TenantID: sc.Slug(), Invoice: r.Invoice, DebtorID: r.DebtorID, DueDate: r.DueDate, Balance: r.Balance,
			Currency: r.Currency, Status: r.Status, DisputeIDs: r.DisputeIDs, PlanID: r.PlanID, Rev: r.Rev}
	}
	return out, nil
}

// line prices one account as of today. Interest accrues on the balance for
// the days after due date + grace through today; a disputed account still
// shows it (collection pauses, the figure does not lie). The discount is the
// larger of the early-payment and settlement discounts the policy offers.
func (s *Service) line(a accountDoc, key string, today time.Time, p Policy, caps calc.CapTable) Line {
	due := time.Date(a.DueDate.Year(), a.DueDate.Month(), a.DueDate.Day(), 0, 0, 0, 0, today.Location())
	l := Line{ID: key, Invoice: a.Invoice, DueDate: due, Balance: a.Balance, Status: a.Status, Disputed: len(a.DisputeIDs) > 0}
	l.DaysPastDue = calc.DaysPastDue(due, today, today.Location())
	var segs []calc.Segment
	l.Interest, segs = s.rates.LateInterest(a.Balance, due.AddDate(0, 0, p.GraceDays), today, p.LateInterestBP, caps)
	for _, sg := range segs {
		l.Capped = l.Capped || sg.Capped
	}
	if p.EarlyPayment != nil {
		l.Discount = calc.EarlyPaymentDiscount(a.Balance, due, today, *p.EarlyPayment)
	}
	if len(p.Settlement) > 0 && l.DaysPastDue > 0 {
		l.Discount = max(l.Discount, calc.SettlementDiscount(a.Balance, l.DaysPastDue, p.Settlement))
	}
	return l
}
