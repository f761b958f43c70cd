package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/apperr"
	"cartera/portal/store"
)

// ErrRecorded means a ledger entry with the same key was already recorded
// (the HTTP layer answers 409 for a repeated manual payment reference).
var ErrRecorded = fmt.Errorf("already recorded: %w", apperr.ErrConflict)

// Post records one money movement exactly once. The keyed ledger entry is
// inserted first; the account then applies it once, using its history as
// the set of applied entries, so a retry, a concurrent duplicate or a crash
// between the two writes never applies it twice nor loses it. It returns
// ErrRecorded (with the entry applied) when the key already existed.
func Post(ctx context.Context, sc *store.Scope, e LedgerEntry) error {
	if e.TenantID != sc.Slug() || !sc.Owns(e.ID) || !sc.Owns(e.AccountID) {
		return fmt.Errorf("post %s: %w", e.ID, apperr.ErrForbidden)
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	inserted := true
	err := sc.C("ledger").Insert(ctx, e)
	if errors.Is(err, apperr.ErrConflict) {
		inserted = false
		var prev LedgerEntry
		if err := sc.C("ledger").Get(ctx, e.ID, &prev); err != nil {
			return err
		}
		if prev.AccountID != e.AccountID || prev.Amount != e.Amount {
			return fmt.Errorf("post %s: key reused with other content: %w", e.ID, apperr.ErrConflict)
		}
		e = prev
	} else if err != nil {
		return fmt.Errorf("post %s: %w", e.ID, err)
	}
	if err := apply(ctx, sc, e); err != nil {
		return err
	}
	if !inserted {
		return ErrRecorded
	}
	return nil
}

// apply adds a recorded entry to its account unless the account has it.
func apply(ctx context.Context, sc *store.Scope, e LedgerEntry) error {
	var a Account
	return sc.C("accounts").Mutate(ctx, e.AccountID, &a, func() (bson.D, error) {
		if hasMovement(a, e.ID) {
			return nil, nil
		}
		return bookUpdate(a, time.Now().UTC(), e.movement()), nil
	})
}

// bookUpdate is the update that adds movements to an account: each adds to
// its book's field, and the status follows what is owed. An account is paid
// when its principal and booked interest are settled; anything that brings
// either back (a refund, a revoked discount, a booked charge) reopens it.
func bookUpdate(a Account, now time.Time, ms ...Movement) bson.D {
	inc := bson.D{}
	add := map[string]int64{}
	for _, m := range ms {
		f := bookField(m.Kind)
		if _, seen := add[f]; !seen {
			inc = append(inc, bson.E{Key: f})
		}
		if f == "credit" {
			add[f] -= m.Amount // the field is the money held: the book's entries negated
		} else {
			add[f] += m.Amount
		}
	}
	for i := range inc {
		inc[i].Value = add[inc[i].Key]
	}
	set := bson.D{{Key: "updatedAt", Value: now}}
	bal, interest := a.Balance+add["balance"], a.Interest+add["interest"]
	switch {
	case bal <= 0 && interest <= 0 && a.Status == StatusOpen:
		set = append(set, bson.E{Key: "status", Value: StatusPaid})
	case (bal > 0 || interest > 0) && a.Status == StatusPaid:
		set = append(set, bson.E{Key: "status", Value: StatusOpen}) // a reversal reopens it
	}
	return bson.D{
		{Key: "$set", Value: set},
		{Key: "$inc", Value: inc},
		{Key: "$push", Value: bson.D{{Key: "history", Value: bson.D{{Key: "$each", Value: ms}}}}},
	}
}

// Drift is an account whose balance disagreed with its ledger.
type Drift struct {
	AccountID string `json:"accountId"`
	Balance   int64  `json:"balance"`
	Ledger    int64  `json:"ledger"`
	Applied   int    `json:"applied"`
}

// Reconcile applies every recorded ledger entry its account lacks (the
// crash window of Post) and reports accounts whose balance still differs
// from the sum of their ledger. It scans the tenant's ledger: run it from
// the scheduler or portalctl, not from a request.
func Reconcile(ctx context.Context, sc *store.Scope) ([]Drift, error) {
	sums := map[string]int64{} // principal book per account
	known := map[string]bool{}
	var pending []LedgerEntry
	err := sc.C("ledger").Each(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "at", Value: 1}}), func(raw bson.Raw) error {
		var e LedgerEntry
		if err := bson.Unmarshal(raw, &e); err != nil {
			return err
		}
		if Book(e.Kind) == BookPrincipal {
			sums[e.AccountID] += e.Amount
		}
		known[e.ID] = true
		pending = append(pending, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	applied := map[string]int{}
	for _, e := range pending {
		var a Account
		if err := sc.C("accounts").Get(ctx, e.AccountID, &a); err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				continue // placement of an account whose insert never happened: the import re-run creates it
			}
			return nil, err
		}
		if !hasMovement(a, e.ID) {
			if err := apply(ctx, sc, e); err != nil {
				return nil, err
			}
			applied[e.AccountID]++
		}
	}
	var drifts []Drift
	// Payments are imputed on the account first (ApplyPayment), then
	// journaled: a crash between the two leaves movements without their
	// ledger entry, written here from the account's history.
	err = sc.C("accounts").Each(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "balance", Value: 1}, {Key: "history", Value: 1},
		{Key: "debtorId", Value: 1}, {Key: "currency", Value: 1}}), func(raw bson.Raw) error {
		var a Account
		if err := bson.Unmarshal(raw, &a); err != nil {
			return err
		}
		for _, m := range a.History {
			if !known[m.LedgerID] && sc.Owns(m.LedgerID) {
				if err := journal(ctx, sc, a, m); err != nil {
					return err
				}
				if Book(m.Kind) == BookPrincipal {
					sums[a.ID] += m.Amount
				}
				applied[a.ID]++
			}
		}
		if a.Balance != sums[a.ID] || applied[a.ID] > 0 {
			drifts = append(drifts, Drift{AccountID: a.ID, Balance: a.Balance, Ledger: sums[a.ID], Applied: applied[a.ID]})
		}
		return nil
	})
	return drifts, err
}
