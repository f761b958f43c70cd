// Package outbox holds the messages the portal sends on its own (the
// ladder's automatic steps, credit-bureau and dispute notices, access
// codes, plan reminders) and delivers them under the contact rules: e-mail
// by SMTP, WhatsApp and SMS through a provider's HTTP API, letters held to
// be printed. Every message is a document in the outbox collection with
// what happened to it, so a manager sees why one is held, deferred or
// failed.
package outbox

import (
	"context"
	"time"
)

// Message statuses.
const (
	StatusQueued   = "queued"   // ready to send at nextAttemptAt
	StatusDeferred = "deferred" // a contact rule blocks it until nextAttemptAt
	StatusSending  = "sending"  // claimed by a delivery run until claimUntil
	StatusHeld     = "held"     // no way to send it configured (or a letter to print)
	StatusSent     = "sent"
	StatusFailed   = "failed" // gave up after MaxAttempts
)

// Message is an automatic contact in the outbox. A ladder step's _id is
// "<tenant>:<accountKey>:<stepDay>:<channel>", so each step of an account is
// queued once however many runners try.
type Message struct {
	ID            string     `bson:"_id" json:"id"`
	TenantID      string     `bson:"tenantId" json:"tenant"`
	AccountID     string     `bson:"accountId" json:"accountId"`
	DebtorID      string     `bson:"debtorId" json:"-"`
	Step          string     `bson:"step" json:"step"`
	Channel       string     `bson:"channel" json:"channel"`
	Template      string     `bson:"template" json:"template"`
	To            string     `bson:"to" json:"-"`
	Subject       string     `bson:"subject" json:"subject"`
	Body          string     `bson:"body" json:"-"`
	Status        string     `bson:"status" json:"status"`
	Code          string     `bson:"code,omitempty" json:"code,omitempty"` // why held or deferred
	Reason        string     `bson:"reason,omitempty" json:"reason,omitempty"`
	Attempts      int        `bson:"attempts" json:"attempts"`
	NextAttemptAt time.Time  `bson:"nextAttemptAt" json:"nextAttemptAt"`
	ClaimUntil    time.Time  `bson:"claimUntil" json:"-"`
	LastError     string     `bson:"lastError,omitempty" json:"lastError,omitempty"`
	CreatedAt     time.Time  `bson:"createdAt" json:"createdAt"`
	SentAt        *time.Time `bson:"sentAt,omitempty" json:"sentAt,omitempty"`
	Rev           int64      `bson:"rev" json:"-"`
}

// Sender delivers one message; an error means "try again later".
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// DeliveryStats counts what a delivery pass did.
type DeliveryStats struct {
	Sent, Retried, Failed, Deferred, Held int
}
