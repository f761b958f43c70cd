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

// Ledger entry kinds. An account keeps three books (see Book); Amount is
// the signed effect on its book: positive raises what the debtor owes.
const (
	// The principal book (Account.Balance).
	KindPlacement  = "placement"  // the invoice as placed by the client
	KindAdjustment = "adjustment" // the client changed the amount on a re-upload
	KindPayment    = "payment"    // principal paid (online, manual, client-reported, bank)
	KindCredit     = "credit"     // dispute accepted, settlement discount (positive: a discount revoked)
	KindReversal   = "reversal"   // principal put back by a refund or chargeback
	// The interest book (Account.Interest). Late interest is never booked:
	// the engine computes it from the principal's history (calc.Price).
	KindInterest       = "interest"        // interest charged: a plan installment's financing interest
	KindInterestPaid   = "interest_paid"   // interest paid (negative)
	KindInterestRefund = "interest_refund" // interest paid back by a refund or chargeback (positive)
	KindInterestCredit = "interest_credit" // interest waived (negative)
	// The credit book (Account.Credit): money received beyond everything
	// owed, held for the debtor until staff refund it. Never a negative
	// balance.
	KindOverpayment  = "overpayment"   // money beyond the debt (negative)
	KindCreditRefund = "credit_refund" // held money given back (positive)
)

// Books.
const (
	BookPrincipal = "principal"
	BookInterest  = "interest"
	BookCredit    = "credit"
)

// Book is the book a ledger kind belongs to.
func Book(kind string) string {
	switch kind {
	case KindInterest, KindInterestPaid, KindInterestRefund, KindInterestCredit:
		return BookInterest
	case KindOverpayment, KindCreditRefund:
		return BookCredit
	}
	return BookPrincipal
}

// bookField is the account field a book's entries add to.
func bookField(kind string) string {
	switch Book(kind) {
	case BookInterest:
		return "interest"
	case BookCredit:
		return "credit"
	}
	return "balance"
}

// Collected is the money a movement brought in (positive) or gave back
// (negative): payments of principal and interest, money held as credit, and
// their reversals. Placements, adjustments, credits and charges move no money.
func Collected(kind string, amount int64) int64 {
	switch kind {
	case KindPayment, KindReversal, KindInterestPaid, KindInterestRefund, KindOverpayment, KindCreditRefund:
		return -amount
	}
	return 0
}

// Recovered is the principal a movement recovered (recovery rates count
// principal only; interest is collected, not recovered).
func Recovered(kind string, amount int64) int64 {
	if kind == KindPayment || kind == KindReversal {
		return -amount
	}
	return 0
}

// Contact is one way to reach a debtor. Contacts are only ever added (or
// marked invalid), never overwritten by a blank cell.
type Contact struct {
	Kind  string `bson:"kind" json:"kind"` // email, phone, whatsapp, address
	Value string `bson:"value" json:"value"`
	City  string `bson:"city,omitempty" json:"city,omitempty"`
	// Label is the kind of address or number (home, office, billing,
	// delivery, mobile, other); Person and Role say whom it reaches, since
	// a company's debt is paid by a person in treasury or accounts payable.
	Label   string    `bson:"label,omitempty" json:"label,omitempty"`
	Person  string    `bson:"person,omitempty" json:"person,omitempty"`
	Role    string    `bson:"role,omitempty" json:"role,omitempty"`
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
	// Value is the civil date from which the movement counts for interest
	// (the day money moved; a refund takes its payment's). Nil: from the
	// start (placements, re-upload corrections, dispute credits).
	Value *time.Time `bson:"value,omitempty" json:"value,omitempty"`
	Of    string     `bson:"of,omitempty" json:"of,omitempty"` // a reversal: the payment key it reverses
	Ref   string     `bson:"ref,omitempty" json:"ref,omitempty"`
	By    string     `bson:"by,omitempty" json:"-"`
	Note  string     `bson:"note,omitempty" json:"note,omitempty"`
}

// Pause is a run of days without late interest on an account: an
// installment plan accepted on From and ended by default on To (nil while
// it runs).
type Pause struct {
	PlanID string     `bson:"planId"`
	From   time.Time  `bson:"from"`
	To     *time.Time `bson:"to,omitempty"`
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
	Balance     int64      `bson:"balance"`  // principal outstanding: Σ the principal book's ledger entries
	Interest    int64      `bson:"interest"` // the interest book: Σ its entries (charges − paid + refunds − waived); late interest is computed, not booked
	Credit      int64      `bson:"credit"`   // money held for the debtor beyond the debt: −Σ the credit book's entries
	Currency    string     `bson:"currency"`
	Status      string     `bson:"status"`
	CollectorID string     `bson:"collectorId,omitempty"`
	Segment     string     `bson:"segment,omitempty"`
	Description string     `bson:"description,omitempty"`
	ImportID    string     `bson:"importId,omitempty"`
	RecallNote  string     `bson:"recallNote,omitempty"`
	RecalledAt  *time.Time `bson:"recalledAt,omitempty"` // when the client took it back (reports date it)
	History     []Movement `bson:"history"`
	Pauses      []Pause    `bson:"pauses,omitempty"`
	PlanID      string     `bson:"planId,omitempty"`     // the active installment plan that covers it
	DisputeIDs  []string   `bson:"disputeIds,omitempty"` // open disputes on it
	// Test is the strategy test and arm the account was placed in (nil:
	// none ran); set once at placement and never changed.
	Test      *TestArm  `bson:"test,omitempty"`
	CreatedAt time.Time `bson:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt"`
	Rev       int64     `bson:"rev"`
}

// TestArm is an account's arm in a strategy test (strategy.ArmOf).
type TestArm struct {
	ID  string `bson:"id" json:"id"`
	Arm string `bson:"arm" json:"arm"`
	// At is when the account entered the test (its placement, or its
	// enrolment as an open account); the report counts from then.
	At time.Time `bson:"at" json:"at"`
	// Base is the principal outstanding when an open account was enrolled
	// (0 for an account placed in the test: its placed amount counts).
	Base int64 `bson:"base,omitempty" json:"base,omitempty"`
}

// LedgerEntry is an append-only money movement. _id is its idempotency key,
// so a retried import, payment or webhook is applied once.
type LedgerEntry struct {
	ID        string     `bson:"_id"`
	TenantID  string     `bson:"tenantId"`
	AccountID string     `bson:"accountId"`
	DebtorID  string     `bson:"debtorId"`
	Kind      string     `bson:"kind"`
	Channel   string     `bson:"channel,omitempty"` // payments: online, manual, client_reported
	Amount    int64      `bson:"amount"`            // signed effect on its book (Book(Kind))
	Currency  string     `bson:"currency"`
	Ref       string     `bson:"ref,omitempty"`
	Note      string     `bson:"note,omitempty"`
	By        string     `bson:"by,omitempty"`
	At        time.Time  `bson:"at"`
	Value     *time.Time `bson:"value,omitempty"` // as Movement.Value
	Of        string     `bson:"of,omitempty"`    // as Movement.Of
}

// movement is the entry as its account's history keeps it.
func (e LedgerEntry) movement() Movement {
	return Movement{LedgerID: e.ID, Kind: e.Kind, Channel: e.Channel, Amount: e.Amount, At: e.At, Value: e.Value, Of: e.Of, Ref: e.Ref, By: e.By, Note: e.Note}
}

// Import is a portfolio upload and its progress.
type Import struct {
	ID       string            `bson:"_id"`
	TenantID string            `bson:"tenantId"`
	FileName string            `bson:"fileName"`
	FileID   string            `bson:"fileId"`
	SHA256   string            `bson:"sha256"`
	Size     int64             `bson:"size"`
	Kind     string            `bson:"kind"`
	Mapping  map[string]string `bson:"mapping,omitempty"`
	// SavedMapping: Mapping is the tenant's saved layout (lenient).
	SavedMapping bool   `bson:"savedMapping,omitempty"`
	DateOrder    string `bson:"dateOrder,omitempty"`
	Status       string `bson:"status"` // queued, running, done, failed
	// Expected is the file's row count, known after a first reading pass.
	Expected   int        `bson:"expected"`
	Total      int        `bson:"total"`
	Processed  int        `bson:"processed"`
	Inserted   int        `bson:"inserted"`
	Updated    int        `bson:"updated"`
	Unchanged  int        `bson:"unchanged"`
	Rejected   int        `bson:"rejected"`
	NewDebtors int        `bson:"newDebtors"`
	Assigned   int        `bson:"assigned"`
	Errors     []RowError `bson:"errors"` // the first 100
	Failure    string     `bson:"failure,omitempty"`
	CodesReady bool       `bson:"codesReady"` // new debtors' access codes await their one download
	CreatedBy  string     `bson:"createdBy"`
	CreatedAt  time.Time  `bson:"createdAt"`
	StartedAt  *time.Time `bson:"startedAt,omitempty"`
	FinishedAt *time.Time `bson:"finishedAt,omitempty"`
	Rev        int64      `bson:"rev"`
}

// RowError says why a row was rejected.
type RowError struct {
	Row     int    `bson:"row" json:"row"`
	Column  string `bson:"column" json:"column"`
	Message string `bson:"message" json:"message"`
}
