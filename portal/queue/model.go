// Package queue is the collector's queue: what a worklist holds (one
// entry per open account of a collector, kept by the read side behind
// Worklists), the transparent priority score, and the ladder's state on each account (the steps done
// and the next action), which is what the worklist shows. The ladder pass
// that sends the automatic steps (portal/ladder) walks the accounts
// through a Pass.
package queue

import (
	"time"

	"cartera/portal/accounts"
)

// Next-action types beyond the ladder's step channels.
const (
	ActionPromiseFollowUp = "promise_follow_up" // a promise was broken: call the debtor
)

// Flags an entry may carry.
const (
	FlagDisputed    = "disputed"
	FlagPromiseLive = "promise_live"
	FlagPlan        = "plan"
	FlagNoContacts  = "no_contacts"
	FlagNoChannel   = "no_channel"
)

// NextAction is what the collector has to do on an account next, and when
// (a civil date at UTC midnight).
type NextAction struct {
	Type  string    `bson:"type" json:"type"`
	Due   time.Time `bson:"due" json:"due"`
	Step  string    `bson:"step,omitempty" json:"step,omitempty"` // ladder step key
	Label string    `bson:"label,omitempty" json:"label,omitempty"`
}

func (n *NextAction) equal(o *NextAction) bool {
	if n == nil || o == nil {
		return n == o
	}
	return n.Type == o.Type && n.Due.Equal(o.Due) && n.Step == o.Step && n.Label == o.Label
}

// Entry is one open account in a collector's worklist: what the queue shows
// and what the priority is computed from.
type Entry struct {
	AccountID       string      `bson:"accountId"`
	Invoice         string      `bson:"invoice"`
	DebtorName      string      `bson:"debtorName"`
	Balance         int64       `bson:"balance"`
	Currency        string      `bson:"currency"`
	DueDate         time.Time   `bson:"dueDate"`
	Segment         string      `bson:"segment,omitempty"`
	BrokenPromises  int         `bson:"brokenPromises"`
	UnansweredCalls int         `bson:"unansweredCalls"`
	ValidContacts   int         `bson:"validContacts"`
	Channels        int         `bson:"channels"` // channels the debtor may be contacted on
	LastContactAt   *time.Time  `bson:"lastContactAt,omitempty"`
	NextAction      *NextAction `bson:"nextAction,omitempty"`
	Priority        int         `bson:"priority"`
	Reasons         []string    `bson:"reasons"`
	Flags           []string    `bson:"flags,omitempty"`
	Rev             int64       `bson:"rev"` // the account's rev this entry was built from
}

// accountDoc is the part of an account this package reads and writes
// (nextAction and ladderDone are written only here).
type accountDoc struct {
	ID              string            `bson:"_id"`
	TenantID        string            `bson:"tenantId"`
	Invoice         string            `bson:"invoice"`
	DebtorID        string            `bson:"debtorId"`
	Document        string            `bson:"document"`
	DebtorName      string            `bson:"debtorName"`
	DueDate         time.Time         `bson:"dueDate"`
	Balance         int64             `bson:"balance"`
	Currency        string            `bson:"currency"`
	Status          string            `bson:"status"`
	CollectorID     string            `bson:"collectorId"`
	Segment         string            `bson:"segment"`
	Description     string            `bson:"description"`
	Disputed        bool              `bson:"disputed"`
	PlanID          string            `bson:"planId"` // set while an installment plan is current
	PromiseIDs      []string          `bson:"promiseIds"`
	BrokenPromises  int               `bson:"brokenPromises"`
	UnansweredCalls int               `bson:"unansweredCalls"`
	LastActivityAt  *time.Time        `bson:"lastActivityAt"`
	NextAction      *NextAction       `bson:"nextAction"`
	LadderDone      []string          `bson:"ladderDone"`
	CreatedAt       time.Time         `bson:"createdAt"` // placement: where a placement-start ladder counts from
	Test            *accounts.TestArm `bson:"test"`      // strategy-test arm: whose ladder it walks
	Rev             int64             `bson:"rev"`
}

// accountProjection leaves out the long arrays the queue never reads.
var accountProjection = map[string]int{"history": 0, "activityIds": 0}

type contactDoc struct {
	Kind    string `bson:"kind"`
	Value   string `bson:"value"`
	Invalid bool   `bson:"invalid"`
}

type channelConsent struct {
	Authorized bool `bson:"authorized"`
	OptedOut   bool `bson:"optedOut"`
}

// consentDoc is the channels the debtor authorized or opted out of
// (written by the collectors' consent endpoint and the debtor's
// preferences).
type consentDoc struct {
	Channels map[string]channelConsent `bson:"channels"`
}

// debtorDoc is the debtor as worklist entries need it: the contacts and
// the consent that say on how many channels it can be reached.
type debtorDoc struct {
	ID       string       `bson:"_id"`
	Contacts []contactDoc `bson:"contacts"`
	Consent  *consentDoc  `bson:"consent"`
}

type promiseDoc struct {
	ID        string    `bson:"_id"`
	Amount    int64     `bson:"amount"`
	Date      time.Time `bson:"date"`
	GraceDays int       `bson:"graceDays"`
	Status    string    `bson:"status"`
}
