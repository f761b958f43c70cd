// Package debtors is the debtor's self-service: sessions opened with an
// access code, the statement (balances with late interest and discounts as
// of today) and its PDF, and disputes, which the client company resolves.
package debtors

import "time"

// Dispute reasons a debtor may give.
var Reasons = []string{"not_received", "wrong_amount", "already_paid", "quality", "other"}

// Dispute statuses.
const (
	DisputeOpen     = "open"
	DisputeAccepted = "accepted"
	DisputeRejected = "rejected"
)

// MaxAttachment bounds a dispute's attachment.
const MaxAttachment = 5 << 20

// MaxDescription bounds a dispute's description (characters).
const MaxDescription = 2000

// Event is one step of a dispute's history, shown to the debtor and staff.
type Event struct {
	Action  string    `bson:"action" json:"action"` // opened, accepted, rejected
	By      string    `bson:"by" json:"-"`          // user id or debtor _id
	Role    string    `bson:"role" json:"role"`
	Message string    `bson:"message,omitempty" json:"message,omitempty"`
	At      time.Time `bson:"at" json:"at"`
}

// Attachment describes the file a debtor sent with a dispute, stored in
// GridFS under FileID.
type Attachment struct {
	FileID string `bson:"fileId" json:"-"`
	Name   string `bson:"name" json:"name"`
	Type   string `bson:"type" json:"type"`
	Size   int64  `bson:"size" json:"size"`
}

// Credit is the part of an accepted dispute credited to one account.
type Credit struct {
	AccountID string `bson:"accountId"`
	LedgerID  string `bson:"ledgerId"`
	Amount    int64  `bson:"amount"` // positive: the reduction of the balance
}

// Dispute is a debtor's objection to one or more of their invoices.
// _id is "<tenant>:<objectid>".
type Dispute struct {
	ID          string      `bson:"_id"`
	TenantID    string      `bson:"tenantId"`
	DebtorID    string      `bson:"debtorId"`
	DebtorName  string      `bson:"debtorName"`
	AccountIDs  []string    `bson:"accountIds"` // full _ids
	Invoices    []string    `bson:"invoices"`
	Reason      string      `bson:"reason"`
	Description string      `bson:"description"`
	Attachment  *Attachment `bson:"attachment,omitempty"`
	Status      string      `bson:"status"`
	Currency    string      `bson:"currency"`
	Credits     []Credit    `bson:"credits,omitempty"`
	CreditTotal int64       `bson:"creditTotal"`
	Note        string      `bson:"note,omitempty"` // the resolution note the debtor sees
	History     []Event     `bson:"history"`
	CreatedAt   time.Time   `bson:"createdAt"`
	ResolvedAt  *time.Time  `bson:"resolvedAt,omitempty"`
	Rev         int64       `bson:"rev"`
}

// debtorDoc is the part of the accounts.Debtor document this package reads
// and writes; DisputeIDs is the debtor's read model of its disputes, so the
// debtor's list is read by _id.
type debtorDoc struct {
	ID             string   `bson:"_id"`
	TenantID       string   `bson:"tenantId"`
	Document       string   `bson:"document"`
	Name           string   `bson:"name"`
	AccountIDs     []string `bson:"accountIds"`
	DisputeIDs     []string `bson:"disputeIds"`
	AccessCodeHash string   `bson:"accessCodeHash"`
	TokenVersion   int64    `bson:"tokenVersion"`
	Rev            int64    `bson:"rev"`
}

// accountDoc is the part of an accounts.Account this package reads;
// DisputeIDs holds the open disputes on the account (empty: not disputed).
type accountDoc struct {
	ID         string    `bson:"_id"`
	TenantID   string    `bson:"tenantId"`
	Invoice    string    `bson:"invoice"`
	DebtorID   string    `bson:"debtorId"`
	DueDate    time.Time `bson:"dueDate"`
	Balance    int64     `bson:"balance"`
	Currency   string    `bson:"currency"`
	Status     string    `bson:"status"`
	DisputeIDs []string  `bson:"disputeIds"`
	PlanID     string    `bson:"planId,omitempty"` // set while an active plan covers it
	Rev        int64     `bson:"rev"`
}
