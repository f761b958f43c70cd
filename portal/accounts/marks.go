package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/store"
)

// The account document has one owner: this package. Other aggregates keep
// marks on it — the contact history (portal/work, the outbox), promises,
// disputes (portal/debtors), plans (payments) and the ladder's progress
// (portal/queue) — and write them only through the functions below, so each
// field has one spelling and one writer. TestOneWriterOfAccounts keeps it
// so.

// Marks are the marks as read back: the account's timeline ids, counters
// and the attempts the contact rules refused.
type Marks struct {
	ID              string           `bson:"_id"`
	TenantID        string           `bson:"tenantId"`
	ActivityIDs     []string         `bson:"activityIds"`
	PromiseIDs      []string         `bson:"promiseIds"`
	BrokenPromises  int              `bson:"brokenPromises"`
	UnansweredCalls int              `bson:"unansweredCalls"`
	LastActivityAt  *time.Time       `bson:"lastActivityAt,omitempty"`
	BlockedAttempts []BlockedAttempt `bson:"blockedAttempts,omitempty"`
	DisputeIDs      []string         `bson:"disputeIds,omitempty"`
	PlanID          string           `bson:"planId,omitempty"`
	Pauses          []Pause          `bson:"pauses,omitempty"`
	Rev             int64            `bson:"rev"`
}

// BlockedAttempt is a contact the compliance rules refused: not a contact
// (reports and the ladder never count it) but part of what happened.
type BlockedAttempt struct {
	At      time.Time  `bson:"at" json:"at"`
	Channel string     `bson:"channel" json:"channel"`
	Code    string     `bson:"code" json:"code"`     // compliance code: sunday, too_many_today…
	Reason  string     `bson:"reason" json:"reason"` // as the collector was told
	Rule    string     `bson:"rule,omitempty" json:"rule,omitempty"`
	Next    *time.Time `bson:"next,omitempty" json:"next,omitempty"`
	By      string     `bson:"by" json:"by"`
}

// MaxLinks is how many activity and promise ids an account keeps (the
// newest); MaxBlocked how many refused attempts.
const (
	MaxLinks   = 200
	MaxBlocked = 20
)

// ReadMarks reads an account's marks.
func ReadMarks(ctx context.Context, sc *store.Scope, accountID string) (Marks, error) {
	var m Marks
	if err := sc.C("accounts").Get(ctx, accountID, &m); err != nil {
		return Marks{}, fmt.Errorf("account marks: %w", err)
	}
	return m, nil
}

// CallCount is what a contact does to the run of unanswered calls.
type CallCount int

const (
	CallsKeep  CallCount = iota // neither: an e-mail, a note
	CallsCount                  // an outbound call nobody answered
	CallsReset                  // a conversation
)

// Touch is one contact to record on an account.
type Touch struct {
	ActivityID string
	PromiseID  string // a promise made in it, or empty
	At         *time.Time
	Calls      CallCount
}

// RecordContact links an activity (and the promise made in it) to the
// account's timeline, once, and keeps its counters.
func RecordContact(ctx context.Context, sc *store.Scope, accountID string, c Touch) error {
	var m Marks
	err := sc.C("accounts").Mutate(ctx, accountID, &m, func() (bson.D, error) {
		set := bson.D{}
		if c.ActivityID != "" && !slices.Contains(m.ActivityIDs, c.ActivityID) {
			set = append(set, bson.E{Key: "activityIds", Value: keepLast(m.ActivityIDs, c.ActivityID, MaxLinks)})
		}
		if c.At != nil {
			set = append(set, bson.E{Key: "lastActivityAt", Value: *c.At})
		}
		switch c.Calls {
		case CallsCount:
			set = append(set, bson.E{Key: "unansweredCalls", Value: m.UnansweredCalls + 1})
		case CallsReset:
			set = append(set, bson.E{Key: "unansweredCalls", Value: 0})
		}
		if c.PromiseID != "" && !slices.Contains(m.PromiseIDs, c.PromiseID) {
			set = append(set, bson.E{Key: "promiseIds", Value: keepLast(m.PromiseIDs, c.PromiseID, MaxLinks)})
		}
		if len(set) == 0 {
			return nil, nil
		}
		return bson.D{{Key: "$set", Value: set}}, nil
	})
	if err != nil {
		return fmt.Errorf("record contact on %s: %w", accountID, err)
	}
	return nil
}

// RecordBlocked keeps a refused attempt (the newest MaxBlocked).
func RecordBlocked(ctx context.Context, sc *store.Scope, accountID string, b BlockedAttempt) error {
	var m Marks
	err := sc.C("accounts").Mutate(ctx, accountID, &m, func() (bson.D, error) {
		list := append(slices.Clone(m.BlockedAttempts), b)
		if len(list) > MaxBlocked {
			list = list[len(list)-MaxBlocked:]
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "blockedAttempts", Value: list}}}}, nil
	})
	if err != nil {
		return fmt.Errorf("record blocked attempt on %s: %w", accountID, err)
	}
	return nil
}

// CountBrokenPromise adds one to the account's broken promises.
func CountBrokenPromise(ctx context.Context, sc *store.Scope, accountID string) error {
	var m Marks
	err := sc.C("accounts").Mutate(ctx, accountID, &m, func() (bson.D, error) {
		return bson.D{{Key: "$inc", Value: bson.D{{Key: "brokenPromises", Value: 1}}}}, nil
	})
	if err != nil {
		return fmt.Errorf("count broken promise on %s: %w", accountID, err)
	}
	return nil
}

// MarkDispute adds or removes an open dispute on the account (the ladder
// pauses while one is open).
func MarkDispute(ctx context.Context, sc *store.Scope, accountID, disputeID string, open bool) error {
	var m Marks
	err := sc.C("accounts").Mutate(ctx, accountID, &m, func() (bson.D, error) {
		if slices.Contains(m.DisputeIDs, disputeID) == open {
			return nil, nil
		}
		ids := slices.DeleteFunc(slices.Clone(m.DisputeIDs), func(x string) bool { return x == disputeID })
		if open {
			ids = append(ids, disputeID)
		}
		if ids == nil {
			ids = []string{}
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "disputeIds", Value: ids}, {Key: "disputed", Value: len(ids) > 0}}}}, nil
	})
	if err != nil {
		return fmt.Errorf("dispute: account %s: %w", accountID, err)
	}
	return nil
}

// StartPlan puts the account under an installment plan from a day on:
// late interest stops while the plan runs (what accrued through that day
// is in the plan's total).
func StartPlan(ctx context.Context, sc *store.Scope, accountID, planID string, from, now time.Time) error {
	var m Marks
	err := sc.C("accounts").Mutate(ctx, accountID, &m, func() (bson.D, error) {
		return bson.D{{Key: "$set", Value: bson.D{{Key: "planId", Value: planID}, {Key: "updatedAt", Value: now}}},
			{Key: "$push", Value: bson.D{{Key: "pauses", Value: Pause{PlanID: planID, From: from}}}}}, nil
	})
	if err != nil {
		return fmt.Errorf("mark account %s in plan: %w", accountID, err)
	}
	return nil
}

// EndPlan takes the account out of its plan (if planID still holds it):
// the pause of late interest ends on day, so interest runs again on the
// remaining principal from the next day. A gone account is no error.
func EndPlan(ctx context.Context, sc *store.Scope, accountID, planID string, day time.Time) error {
	var m Marks
	err := sc.C("accounts").Mutate(ctx, accountID, &m, func() (bson.D, error) {
		if m.PlanID != planID {
			return nil, nil
		}
		pauses := slices.Clone(m.Pauses)
		for i := range pauses {
			if pauses[i].PlanID == planID && pauses[i].To == nil {
				pauses[i].To = &day
			}
		}
		return bson.D{{Key: "$unset", Value: bson.D{{Key: "planId", Value: ""}}}, {Key: "$set", Value: bson.D{{Key: "pauses", Value: pauses}}}}, nil
	})
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return fmt.Errorf("release account %s from plan: %w", accountID, err)
	}
	return nil
}

// LadderFields are the fields the ladder (portal/queue) keeps on an
// account: where the account stands on the policy's steps.
var LadderFields = []string{"nextAction", "ladderDone"}

// MarkLadder writes the ladder's progress: fn sees the account decoded
// into doc (the ladder's own projection of it) and returns an update that
// may set only LadderFields (nil: nothing to write).
func MarkLadder(ctx context.Context, sc *store.Scope, accountID string, doc any, fn func() (bson.D, error)) error {
	return sc.C("accounts").Mutate(ctx, accountID, doc, func() (bson.D, error) {
		u, err := fn()
		if err != nil || u == nil {
			return u, err
		}
		for _, op := range u {
			fields, ok := op.Value.(bson.D)
			if op.Key != "$set" || !ok {
				return nil, fmt.Errorf("ladder mark on %s: only $set, not %s", accountID, op.Key)
			}
			for _, f := range fields {
				if !slices.Contains(LadderFields, f.Key) {
					return nil, fmt.Errorf("ladder mark on %s: %s is not the ladder's", accountID, f.Key)
				}
			}
		}
		return u, nil
	})
}

func keepLast(list []string, id string, n int) []string {
	list = append(slices.Clone(list), id)
	if len(list) > n {
		list = list[len(list)-n:]
	}
	return list
}
