// Package accounts holds a tenant's portfolio: debtors, their accounts (one
// invoice owed each), the ledger of money movements, portfolio imports and
// the assignment of accounts to collectors.
package accounts

import (
	"time"
)

// Account statuses.
const (
	StatusOpen     = "open"
	StatusPaid     = "paid"
	StatusRecalled = "recalled"
	StatusLegal    = "legal"
)

// Ledger entry kinds. Amount is the signed effect on the balance.
const (
	KindPlacement  = "placement"  // the invoice as placed by the client
	KindAdjustment = "adjustment" // the client changed the amount on a re-upload
	KindPayment    = "payment"    // money collected (online, manual, client-reported)
	KindCredit     = "credit"     // dispute accepted, discount
	KindInterest   = "interest"   // late interest charged
	KindReversal   = "reversal"   // refund, chargeback, payment undone
	// Interest money: what a debtor paid of the interest charged (negative)
	// and what a refund gave back of it (positive). Kept apart from
	// KindInterest (a charge, no money moves) so the remittance can account
	// for every peso collected while recovery counts principal only.
	KindInterestPaid   = "interest_paid"
	KindInterestRefund = "interest_refund"
)

// Contact is one way to reach a debtor. Contacts are only ever added (or
// marked invalid), never overwritten by a blank cell.
type Contact struct {
	Kind    string    `bson:"kind" json:"kind"` // email, phone, whatsapp, address
	Value   string    `bson:"value" json:"value"`
	City    string    `bson:"city,omitempty" json:"city,omitempty"`
	Source  string    `bson:"source" json:"source"` // import, collector, debtor
	Invalid bool      `bson:"invalid,omitempty" json:"invalid,omitempty"`
	AddedAt time.Time `bson:"addedAt" json:"addedAt"`
}

// Debtor is a person or company that owes one or more invoices to a tenant.
// _id is "<tenant>:<document>".
type Debtor struct {
	ID           string    `bson:"_id"`
	TenantID     string    `bson:"tenantId"`
	Document     string    `bson:"document"`
	DocumentType string    `bson:"documentType,omitempty"`
	Name         string    `bson:"name"`
	Contacts     []Contact `bson:"contacts"`
	// AccountIDs is the debtor's read model of its accounts, so a statement
	// is read by _id and never by scanning the tenant.
	AccountIDs     []string  `bson:"accountIds"`
	AccessCodeHash string    `bson:"accessCodeHash,omitempty"`
	TokenVersion   int64     `bson:"tokenVersion"`
	CreatedAt      time.Time `bson:"createdAt"`
	UpdatedAt      time.Time `bson:"updatedAt"`
	Rev            int64     `bson:"rev"`
}

// Movement is an entry of an account's money history, kept on the account
// as a read model of its ledger entries.
type Movement struct {
	LedgerID string    `bson:"ledgerId" json:"id"`
	Kind     string    `bson:"kind" json:"kind"`
	Channel  string    `bson:"channel,omitempty" json:"channel,omitempty"`
	Amount   int64     `bson:"amount" json:"amount"`
	At       time.Time `bson:"at" json:"at"`
	Note     string    `bson:"note,omitempty" json:"note,omitempty"`
}

// Account is one invoice owed. _id is "<tenant>:<invoice>".
type Account struct {
	ID          string     `bson:"_id"`
	TenantID    string     `bson:"tenantId"`
	Invoice     string     `bson:"invoice"`
	DebtorID    string     `bson:"debtorId"`
	Document    string     `bson:"document"`   // denormalised for lists and search
	DebtorName  string     `bson:"debtorName"` // denormalised for lists and search
	IssueDate   *time.Time `bson:"issueDate,omitempty"`
	DueDate     time.Time  `bson:"dueDate"`
	Original    int64      `bson:"original"` // as placed (latest amount the client sent)
	Balance     int64      `bson:"balance"`  // sum of the ledger entries of this account
	Currency    string     `bson:"currency"`
	Status      string     `bson:"status"`
	CollectorID string     `bson:"collectorId,omitempty"`
	Segment     string     `bson:"segment,omitempty"`
	Description string     `bson:"description,omitempty"`
	ImportID    string     `bson:"importId,omitempty"`
	RecallNote  string     `bson:"recallNote,omitempty"`
	RecalledAt  *time.Time `bson:"recalledAt,omitempty"` // when the client took it back (reports date it)
	History     []Movement `bson:"history"`
	CreatedAt   time.Time  `bson:"createdAt"`
	UpdatedAt   time.Time  `bson:"updatedAt"`
	Rev         int64      `bson:"rev"`
}

// LedgerEntry is an append-only money movement. _id is its idempotency key,
// so a retried import, payment or webhook is applied once.
type LedgerEntry struct {
	ID        string    `bson:"_id"`
	TenantID  string    `bson:"tenantId"`
	AccountID string    `bson:"accountId"`
	DebtorID  string    `bson:"debtorId"`
	Kind      string    `bson:"kind"`
	Channel   string    `bson:"channel,omitempty"` // payments: online, manual, client_reported
	Amount    int64     `bson:"amount"`            // signed effect on the balance
	Currency  string    `bson:"currency"`
	Ref       string    `bson:"ref,omitempty"`
	Note      string    `bson:"note,omitempty"`
	By        string    `bson:"by,omitempty"`
	At        time.Time `bson:"at"`
}

// Import is a portfolio upload and its progress.
type Import struct {
	ID         string            `bson:"_id"`
	TenantID   string            `bson:"tenantId"`
	FileName   string            `bson:"fileName"`
	FileID     string            `bson:"fileId"`
	SHA256     string            `bson:"sha256"`
	Size       int64             `bson:"size"`
	Kind       string            `bson:"kind"`
	Mapping    map[string]string `bson:"mapping,omitempty"`
	Status     string            `bson:"status"` // queued, running, done, failed
	Total      int               `bson:"total"`
	Processed  int               `bson:"processed"`
	Inserted   int               `bson:"inserted"`
	Updated    int               `bson:"updated"`
	Unchanged  int               `bson:"unchanged"`
	Rejected   int               `bson:"rejected"`
	NewDebtors int               `bson:"newDebtors"`
	Assigned   int               `bson:"assigned"`
	Errors     []RowError        `bson:"errors"` // the first 100
	Failure    string            `bson:"failure,omitempty"`
	CodesReady bool              `bson:"codesReady"` // new debtors' access codes await their one download
	CreatedBy  string            `bson:"createdBy"`
	CreatedAt  time.Time         `bson:"createdAt"`
	StartedAt  *time.Time        `bson:"startedAt,omitempty"`
	FinishedAt *time.Time        `bson:"finishedAt,omitempty"`
	Rev        int64             `bson:"rev"`
}

// RowError says why a row was rejected.
type RowError struct {
	Row     int    `bson:"row" json:"row"`
	Column  string `bson:"column" json:"column"`
	Message string `bson:"message" json:"message"`
}
