// Package reconciliation matches the movements of a bank file to debtors
// and posts the money through the manual-transfer path: an exact payment
// reference posts at once, a document with the amount owed waits as a
// suggestion, the rest waits unmatched; staff confirm (optionally split
// across chosen accounts) or reject what waits.
package reconciliation

import (
	"time"

	"cartera/payments/bankfile"
)

// Movement states.
const (
	StatusMatched   = "matched"   // posted to the ledger
	StatusSuggested = "suggested" // a likely debtor and accounts, for a person to confirm
	StatusUnmatched = "unmatched" // nobody found
	StatusRejected  = "rejected"  // a person said it is not a debtor's payment
	// statusPosting is a confirmed movement whose money is being posted;
	// confirming it again resumes the same plan.
	statusPosting = "posting"
)

// Confidence of a match.
const (
	High   = "high"   // payment reference with a valid check digit
	Medium = "medium" // the debtor's document and an amount they owe
)

// Reasons a movement waits or how it was matched; the pages word them
// through the catalogue (bank.reason.<code>).
const (
	ReasonReference        = "reference"
	ReasonDocumentAmount   = "document_amount"
	ReasonInvalidReference = "invalid_reference" // looked like a reference, check digit wrong
	ReasonOverOwed         = "over_owed"         // more money than the debtor owes: a person decides
	ReasonNothingOwed      = "nothing_owed"
	ReasonAmountDiffers    = "amount_differs" // the document is a debtor's, the amount matches nothing owed
	ReasonAmbiguous        = "ambiguous_reference"
	ReasonDuplicate        = "already_posted" // the same bank movement came in another file
	ReasonConfirmed        = "confirmed"
)

// File is one uploaded bank file. _id is "<tenant>:<sha256 prefix of the
// bytes>", so the same file again is the same document.
type File struct {
	ID        string               `bson:"_id"`
	TenantID  string               `bson:"tenantId"`
	Name      string               `bson:"name"`
	Format    string               `bson:"format"`
	Status    string               `bson:"status"` // queued, running, done, failed
	Count     int                  `bson:"count"`  // movements, numbered 1..Count
	Counts    map[string]int       `bson:"counts"` // per movement state
	Amounts   map[string]int64     `bson:"amounts"`
	Errors    []bankfile.LineError `bson:"errors"`
	CreatedBy string               `bson:"createdBy"`
	CreatedAt time.Time            `bson:"createdAt"`
	Rev       int64                `bson:"rev"`
}

// Posting is money of a movement applied to one account.
type Posting struct {
	AccountID string `bson:"accountId" json:"accountId"`
	Amount    int64  `bson:"amount" json:"amount"`
}

// Movement is one credit of a file and what became of it. _id is
// "<file _id>:<n>" so a file's movements are read by _id.
type Movement struct {
	ID         string    `bson:"_id"`
	TenantID   string    `bson:"tenantId"`
	FileID     string    `bson:"fileId"`
	N          int       `bson:"n"`
	BankMoveID string    `bson:"bankMoveId"` // bankfile.Movement.ID: the idempotency key across files
	BankID     string    `bson:"bankId,omitempty"`
	Line       int       `bson:"line"`
	Date       time.Time `bson:"date"`
	Amount     int64     `bson:"amount"`
	Reference  string    `bson:"reference,omitempty"`
	Document   string    `bson:"document,omitempty"`
	Detail     string    `bson:"detail,omitempty"`
	Status     string    `bson:"status"`
	Confidence string    `bson:"confidence,omitempty"`
	Reason     string    `bson:"reason,omitempty"`
	DebtorID   string    `bson:"debtorId,omitempty"`
	Suggestion []string  `bson:"suggestion,omitempty"` // account ids
	Postings   []Posting `bson:"postings,omitempty"`
	DecidedBy  string    `bson:"decidedBy,omitempty"`
	DecidedAt  time.Time `bson:"decidedAt,omitempty"`
	Rev        int64     `bson:"rev"`
}

// claim is the one posting plan of a bank movement, whichever file brings
// it: inserted before any money moves, so a crash resumes the same plan and
// a second file with the same movement posts nothing. _id is
// "<tenant>:mv:<bank movement id>".
type claim struct {
	ID       string    `bson:"_id"`
	TenantID string    `bson:"tenantId"`
	Movement string    `bson:"movement"` // the Movement _id that posts it
	Postings []Posting `bson:"postings"`
	At       time.Time `bson:"at"`
}
