// Package planbook applies money to an installment plan's schedule and ends
// a plan's hold on its accounts. It is the one place that does so, shared by
// online payments (package payments) and payments a collector records by
// hand (package portal/work), which cannot import payments.
package planbook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/store"
)

// Plan statuses.
const (
	PlanActive    = "active"
	PlanCompleted = "completed"
	PlanDefaulted = "defaulted"
)

// Installment statuses. A missed installment stays payable; a covered one
// was reduced to nothing by extra payments.
const (
	InstallmentDue     = "due"
	InstallmentPaid    = "paid"
	InstallmentMissed  = "missed"
	InstallmentCovered = "covered"
)

// Installment is one payment of an accepted plan. N is 0 for the down
// payment (due the day the plan is accepted) and 1..n for the installments.
type Installment struct {
	N         int        `bson:"n" json:"n"`
	Date      time.Time  `bson:"date" json:"-"` // civil date, UTC midnight
	Amount    int64      `bson:"amount" json:"amount"`
	Principal int64      `bson:"principal" json:"principal"`
	Interest  int64      `bson:"interest" json:"interest"`
	Status    string     `bson:"status" json:"status"`
	PaymentID string     `bson:"paymentId,omitempty" json:"-"`
	PaidAt    *time.Time `bson:"paidAt,omitempty" json:"paidAt,omitempty"`
}

// Open reports whether the installment is still owed.
func (in Installment) Open() bool {
	return in.Status == InstallmentDue || in.Status == InstallmentMissed
}

// LockID is the _id of the document that holds a debtor's one active plan.
func LockID(sc *store.Scope, debtorID string) string { return sc.ID("active:" + sc.Key(debtorID)) }

// planDoc is the part of a plan this package reads and writes.
type planDoc struct {
	ID         string        `bson:"_id"`
	TenantID   string        `bson:"tenantId"`
	Kind       string        `bson:"kind"`
	DebtorID   string        `bson:"debtorId"`
	Status     string        `bson:"status"`
	AccountIDs []string      `bson:"accountIds"`
	Schedule   []Installment `bson:"schedule"`
	Applied    []string      `bson:"applied"`
	Rev        int64         `bson:"rev"`
}

// Payment is money that reached a plan's accounts.
type Payment struct {
	Key         string // unique per payment (a payment _id or a ledger _id): applied once
	Amount      int64  // the part of the payment that reached the plan's accounts
	Installment *int   // the installment it pays, if the debtor chose one
	PaidAt      time.Time
}

// Apply applies a payment to an active plan: the installment it names is
// marked paid, and whatever is left over (or the whole amount, when it
// names none) reduces the open installments from the last one backwards.
// When nothing stays open the plan is completed and its hold released.
// Idempotent by Key; a plan that is not active is left alone. It reports
// whether this call completed the plan.
func Apply(ctx context.Context, sc *store.Scope, planID string, p Payment, now time.Time) (bool, error) {
	var pl planDoc
	completed := false
	err := sc.C("plans").Mutate(ctx, planID, &pl, func() (bson.D, error) {
		completed = false
		if pl.Kind != "plan" || pl.Status != PlanActive || slices.Contains(pl.Applied, p.Key) {
			return nil, nil
		}
		sched := slices.Clone(pl.Schedule)
		extra := p.Amount
		if p.Installment != nil {
			if i := slices.IndexFunc(sched, func(x Installment) bool { return x.N == *p.Installment }); i >= 0 && sched[i].Open() {
				paidAt := p.PaidAt
				sched[i].Status, sched[i].PaymentID, sched[i].PaidAt = InstallmentPaid, p.Key, &paidAt
				extra -= sched[i].Amount
			}
		}
		if extra > 0 {
			sched = ReduceLast(sched, extra)
		}
		set := bson.D{{Key: "schedule", Value: sched}, {Key: "updatedAt", Value: now}}
		if !slices.ContainsFunc(sched, Installment.Open) {
			completed = true
			set = append(set, bson.E{Key: "status", Value: PlanCompleted}, bson.E{Key: "closedAt", Value: now})
		}
		return bson.D{{Key: "$set", Value: set}, {Key: "$push", Value: bson.D{{Key: "applied", Value: p.Key}}}}, nil
	})
	if err != nil {
		return false, fmt.Errorf("apply payment to plan %s: %w", planID, err)
	}
	if completed {
		if err := Release(ctx, sc, pl.ID, pl.DebtorID, pl.AccountIDs); err != nil {
			return true, err
		}
	}
	return completed, nil
}

// ReduceLast applies an extra payment to the open installments from the
// last one backwards. An installment not yet due has no interest booked
// (the interest is earned when it is paid or falls due), so the extra
// prepays its principal; one whose principal is paid off is covered and its
// interest is never charged. A missed installment's interest is booked and
// the account's imputation paid it first, so there the extra takes
// interest, then principal (calc.ReduceLast).
func ReduceLast(sched []Installment, extra int64) []Installment {
	out := slices.Clone(sched)
	for i := len(out) - 1; i >= 0 && extra > 0; i-- {
		in := &out[i]
		if !in.Open() || in.Amount <= 0 {
			continue
		}
		if in.Status == InstallmentMissed {
			r := calc.ReduceLast([]calc.Installment{{N: in.N, Date: in.Date, Amount: in.Amount, Principal: in.Principal, Interest: in.Interest}}, extra)
			took := in.Amount
			if len(r) == 1 {
				took -= r[0].Amount
				in.Amount, in.Principal, in.Interest = r[0].Amount, r[0].Principal, r[0].Interest
			} else {
				in.Amount, in.Principal, in.Interest = 0, 0, 0
			}
			extra -= took
		} else {
			take := min(extra, in.Principal)
			in.Principal -= take
			in.Amount -= take
			extra -= take
			if in.Principal == 0 {
				in.Amount, in.Interest = 0, 0
			}
		}
		if in.Amount == 0 {
			in.Status = InstallmentCovered
		}
	}
	return out
}

// lock is the one-active-plan lock document.
type lock struct {
	ID     string `bson:"_id"`
	PlanID string `bson:"planId"`
}

// Release ends a plan's hold: the lock goes (a new plan may be accepted)
// and its accounts go back to the ladder.
func Release(ctx context.Context, sc *store.Scope, planID, debtorID string, accountIDs []string) error {
	var lk lock
	if err := sc.C("plans").Get(ctx, LockID(sc, debtorID), &lk); err == nil && lk.PlanID == planID {
		if err := sc.C("plans").Delete(ctx, lk.ID); err != nil {
			return fmt.Errorf("release plan lock: %w", err)
		}
	}
	y, m, d := time.Now().UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for _, id := range accountIDs {
		// The plan's pause of late interest ends today: a default resumes
		// interest on the remaining principal from tomorrow.
		if err := accounts.EndPlan(ctx, sc, id, planID, today); err != nil {
			return err
		}
	}
	return nil
}

// BookInterest books the financing interest of installment n of a plan on
// the plan's last account (the one paid last), once: when the installment is
// paid or falls due, the interest is earned. A plan that is not active, or an
// installment without interest, books nothing.
func BookInterest(ctx context.Context, sc *store.Scope, planID string, n int) error {
	var pl planDoc
	if err := sc.C("plans").Get(ctx, planID, &pl); err != nil {
		return fmt.Errorf("book plan interest: %w", err)
	}
	i := slices.IndexFunc(pl.Schedule, func(x Installment) bool { return x.N == n })
	if i < 0 || pl.Schedule[i].Interest <= 0 || len(pl.AccountIDs) == 0 || pl.Kind != "plan" {
		return nil
	}
	last := pl.AccountIDs[len(pl.AccountIDs)-1]
	err := accounts.Post(ctx, sc, accounts.LedgerEntry{
		ID: sc.ID(fmt.Sprintf("planint:%s:%d", sc.Key(pl.ID), n)), TenantID: sc.Slug(), AccountID: last, DebtorID: pl.DebtorID,
		Kind: accounts.KindInterest, Channel: "plan", Amount: pl.Schedule[i].Interest, Ref: sc.Key(pl.ID),
		Note: fmt.Sprintf("intereses de financiación, cuota %d", n), At: time.Now().UTC(),
	})
	if err != nil && !errors.Is(err, accounts.ErrRecorded) {
		return fmt.Errorf("book plan interest: %w", err)
	}
	return nil
}

// CompleteIfSettled completes an active plan whose accounts owe nothing any
// more (paid off early: the installments not yet due had no interest
// booked, so the schedule still shows them); what is left of them is
// covered. It reports whether it completed the plan.
func CompleteIfSettled(ctx context.Context, sc *store.Scope, planID string, now time.Time) (bool, error) {
	var pl planDoc
	if err := sc.C("plans").Get(ctx, planID, &pl); err != nil {
		return false, fmt.Errorf("plan %s: %w", planID, err)
	}
	if pl.Kind != "plan" || pl.Status != PlanActive {
		return false, nil
	}
	for _, id := range pl.AccountIDs {
		var a accounts.Account
		if err := sc.C("accounts").Get(ctx, id, &a); err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return false, err
		}
		if a.Balance > 0 || a.Interest > 0 {
			return false, nil
		}
	}
	completed := false
	err := sc.C("plans").Mutate(ctx, planID, &pl, func() (bson.D, error) {
		completed = false
		if pl.Status != PlanActive {
			return nil, nil
		}
		sched := slices.Clone(pl.Schedule)
		for i := range sched {
			if sched[i].Open() {
				sched[i].Status = InstallmentCovered
			}
		}
		completed = true
		return bson.D{{Key: "$set", Value: bson.D{{Key: "schedule", Value: sched}, {Key: "status", Value: PlanCompleted}, {Key: "closedAt", Value: now}, {Key: "updatedAt", Value: now}}}}, nil
	})
	if err != nil || !completed {
		return false, err
	}
	return true, Release(ctx, sc, pl.ID, pl.DebtorID, pl.AccountIDs)
}
