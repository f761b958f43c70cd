// Package webhooks sends a client company's ERP signed notices of what
// happened to its portfolio: endpoints per tenant, durable deliveries
// retried with backoff for a day, a delivery log and replay.
package webhooks

import "time"

// Event types a client may subscribe to.
const (
	PaymentSucceeded = "payment.succeeded"
	PaymentRefunded  = "payment.refunded"
	PromiseMade      = "promise.made"
	PromiseBroken    = "promise.broken"
	DisputeOpened    = "dispute.opened"
	DisputeResolved  = "dispute.resolved"
	PlanAccepted     = "plan.accepted"
	PlanDefaulted    = "plan.defaulted"
	AccountPaid      = "account.paid"
	AccountRecalled  = "account.recalled"
	ImportFinished   = "import.finished"
)

// Events lists every event type.
var Events = []string{PaymentSucceeded, PaymentRefunded, PromiseMade, PromiseBroken, DisputeOpened, DisputeResolved,
	PlanAccepted, PlanDefaulted, AccountPaid, AccountRecalled, ImportFinished}

// Endpoint is where a tenant receives events. A tenant's endpoints live in
// one document (Registry) so publishing an event is one read by _id.
type Endpoint struct {
	ID        string    `bson:"id" json:"id"`
	URL       string    `bson:"url" json:"url"`
	Events    []string  `bson:"events" json:"events"`
	Secret    string    `bson:"secret" json:"-"` // signs the deliveries; shown once
	CreatedAt time.Time `bson:"createdAt" json:"createdAt"`
	CreatedBy string    `bson:"createdBy" json:"-"`
}

// Registry is a tenant's endpoints (collection webhookendpoints, _id
// "<tenant>:endpoints").
type Registry struct {
	ID        string     `bson:"_id"`
	TenantID  string     `bson:"tenantId"`
	Endpoints []Endpoint `bson:"endpoints"`
	Rev       int64      `bson:"rev"`
}

// Delivery statuses.
const (
	StatusPending   = "pending"   // stored, not yet tried or waiting for its next attempt
	StatusSending   = "sending"   // claimed by a delivery run until ClaimUntil
	StatusDelivered = "delivered" // the receiver answered 2xx
	StatusFailed    = "failed"    // retried for a day without success
)

// Delivery is one event for one endpoint, stored before it is sent so a
// crash loses none (collection webhookdeliveries, _id
// "<tenant>:<event id>:<endpoint id>": an event is stored once per endpoint
// however often its source change is replayed).
type Delivery struct {
	ID            string     `bson:"_id" json:"-"`
	TenantID      string     `bson:"tenantId" json:"-"`
	EndpointID    string     `bson:"endpointId" json:"endpointId"`
	EventID       string     `bson:"eventId" json:"eventId"`
	Type          string     `bson:"type" json:"type"`
	Body          string     `bson:"body" json:"body"` // the exact JSON sent (and signed)
	Status        string     `bson:"status" json:"status"`
	Attempts      int        `bson:"attempts" json:"attempts"`
	LastStatus    int        `bson:"lastStatus,omitempty" json:"lastStatus,omitempty"` // the receiver's HTTP status
	LastError     string     `bson:"lastError,omitempty" json:"lastError,omitempty"`
	CreatedAt     time.Time  `bson:"createdAt" json:"createdAt"`
	NextAttemptAt time.Time  `bson:"nextAttemptAt" json:"nextAttemptAt"`
	RetryFrom     time.Time  `bson:"retryFrom,omitempty" json:"-"` // a replay starts a new day of retries
	ClaimUntil    time.Time  `bson:"claimUntil,omitempty" json:"-"`
	DeliveredAt   *time.Time `bson:"deliveredAt,omitempty" json:"deliveredAt,omitempty"`
	Rev           int64      `bson:"rev" json:"-"`
}

// Event is what the receiver gets (the delivery's body).
type Event struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Created int64          `json:"created"` // unix seconds
	Tenant  string         `json:"tenant"`
	Data    map[string]any `json:"data"`
}
