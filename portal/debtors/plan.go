package debtors

import (
	"context"
	"errors"
	"time"

	"cartera/portal/apperr"
	"cartera/portal/store"
)

// PlanSummary is what a statement says about the debtor's active
// installment plan: the accounts it covers are marked, and the next
// installment is shown so the debtor pays that rather than the whole balance.
type PlanSummary struct {
	ID           string           `json:"id"`
	Installments int              `json:"installments"`
	Remaining    int64            `json:"remaining"`
	Missed       int              `json:"missed"`
	Next         *NextInstallment `json:"next"`
}

// NextInstallment is the plan's first open installment.
type NextInstallment struct {
	N      int       `json:"n"` // 0: the down payment
	Date   time.Time `json:"-"`
	Amount int64     `json:"amount"`
	Status string    `json:"status"` // due or missed
}

// planDoc is the part of a payments.Plan the statement reads.
type planDoc struct {
	ID           string `bson:"_id"`
	Kind         string `bson:"kind"`
	DebtorID     string `bson:"debtorId"`
	Status       string `bson:"status"`
	Installments int    `bson:"installments"`
	Schedule     []struct {
		N      int       `bson:"n"`
		Date   time.Time `bson:"date"`
		Amount int64     `bson:"amount"`
		Status string    `bson:"status"`
	} `bson:"schedule"`
}

// planSummary reads one plan by _id; nil when it is not the debtor's active
// plan (an account's planId outlives nothing, but a stale one must not show).
func planSummary(ctx context.Context, sc *store.Scope, id, debtorID string) (*PlanSummary, error) {
	var p planDoc
	if err := sc.C("plans").Get(ctx, id, &p); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	if p.Kind != "plan" || p.DebtorID != debtorID || p.Status != "active" {
		return nil, nil
	}
	ps := &PlanSummary{ID: sc.Key(p.ID), Installments: p.Installments}
	for _, in := range p.Schedule {
		if in.Status != "due" && in.Status != "missed" {
			continue
		}
		ps.Remaining += in.Amount
		if in.Status == "missed" {
			ps.Missed++
		}
		if ps.Next == nil {
			ps.Next = &NextInstallment{N: in.N, Date: in.Date, Amount: in.Amount, Status: in.Status}
		}
	}
	return ps, nil
}
