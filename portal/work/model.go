// Package work is what collectors do on an account: contacts (activities)
// checked against the compliance rules before they happen, promises to pay
// and their follow-up, manual payments, the debtor's consent record and new
// contact data. It knows nothing of HTTP.
package work

import (
	"time"

	"cartera/portal/accounts"
	"cartera/portal/compliance"
)

// Outcomes of a contact.
const (
	OutcomeContacted   = "contacted"
	OutcomeNoAnswer    = "no_answer"
	OutcomePromise     = "promise"
	OutcomeRefused     = "refused"
	OutcomeWrongNumber = "wrong_number"
	OutcomeLeftMessage = "left_message"
	OutcomeDispute     = "dispute"
)

// Outcomes lists the outcomes a contact may have.
func Outcomes() []string {
	return []string{OutcomeContacted, OutcomeNoAnswer, OutcomePromise, OutcomeRefused, OutcomeWrongNumber, OutcomeLeftMessage, OutcomeDispute}
}

// conversation reports whether an outcome means someone actually talked to
// the debtor (the US seven-day rule counts those).
func conversation(outcome string) bool {
	switch outcome {
	case OutcomeContacted, OutcomePromise, OutcomeRefused, OutcomeDispute:
		return true
	}
	return false
}

// Promise statuses.
const (
	PromiseLive   = "live"
	PromiseKept   = "kept"
	PromiseBroken = "broken"
)

// Payment methods of a manual payment.
const (
	MethodTransfer       = "transfer"
	MethodCash           = "cash"
	MethodCheck          = "check"
	MethodClientReported = "client_reported"
)

// Activity is one contact with the debtor, as logged. _id is
// "<tenant>:<objectid hex>".
type Activity struct {
	ID        string    `bson:"_id"`
	TenantID  string    `bson:"tenantId"`
	AccountID string    `bson:"accountId"`
	DebtorID  string    `bson:"debtorId"`
	Channel   string    `bson:"channel"`
	Direction string    `bson:"direction"`
	Outcome   string    `bson:"outcome"`
	Note      string    `bson:"note,omitempty"`
	PromiseID string    `bson:"promiseId,omitempty"`
	Decision  string    `bson:"decision,omitempty"` // compliance code that allowed it
	By        string    `bson:"by"`
	ByRole    string    `bson:"byRole,omitempty"`
	At        time.Time `bson:"at"`
}

// Promise is a promise to pay an amount by a date. _id is
// "<tenant>:<objectid hex>".
type Promise struct {
	ID         string     `bson:"_id"`
	TenantID   string     `bson:"tenantId"`
	AccountID  string     `bson:"accountId"`
	DebtorID   string     `bson:"debtorId"`
	ActivityID string     `bson:"activityId,omitempty"`
	Amount     int64      `bson:"amount"`
	Currency   string     `bson:"currency"`
	Date       time.Time  `bson:"date"` // civil date, UTC midnight
	GraceDays  int        `bson:"graceDays"`
	Status     string     `bson:"status"`
	Paid       int64      `bson:"paid"` // paid toward it when it was settled
	By         string     `bson:"by"`
	CreatedAt  time.Time  `bson:"createdAt"`
	SettledAt  *time.Time `bson:"settledAt,omitempty"`
	Rev        int64      `bson:"rev"`
}

// ChannelConsent is what the debtor said about one channel, and how we know.
type ChannelConsent struct {
	Authorized bool      `bson:"authorized" json:"authorized"`
	OptedOut   bool      `bson:"optedOut" json:"optedOut"`
	At         time.Time `bson:"at" json:"at"`
	How        string    `bson:"how" json:"how"`
}

// Consent is the debtor's consent record, kept on the debtor document
// (field `consent`).
type Consent struct {
	Channels        map[string]ChannelConsent `bson:"channels" json:"channels"`
	ExtendedHours   bool                      `bson:"extendedHours" json:"extendedHours"`
	PreferredWindow *HoursWindow              `bson:"preferredWindow,omitempty" json:"preferredWindow"`
	How             string                    `bson:"how,omitempty" json:"how,omitempty"`
	UpdatedAt       *time.Time                `bson:"updatedAt,omitempty" json:"updatedAt,omitempty"`
	UpdatedBy       string                    `bson:"updatedBy,omitempty" json:"updatedBy,omitempty"`
	// History is every change, oldest first (the last maxConsentHistory):
	// the record stays provable after a channel is changed again.
	History []ConsentEvent `bson:"history,omitempty" json:"history"`
}

// ConsentEvent is one change of the consent record: who recorded what the
// debtor said, when, how and with what evidence.
type ConsentEvent struct {
	// Channel is a contact channel, or "hours" (extended hours) or
	// "window" (preferred hours).
	Channel string `bson:"channel" json:"channel"`
	// Change is authorized, opted_out, revoked (neither), extended_on,
	// extended_off, window_set or window_cleared.
	Change   string    `bson:"change" json:"change"`
	Window   string    `bson:"window,omitempty" json:"window,omitempty"` // "08:00-12:00"
	At       time.Time `bson:"at" json:"at"`
	By       string    `bson:"by" json:"by"`
	ByRole   string    `bson:"byRole,omitempty" json:"byRole,omitempty"`
	How      string    `bson:"how" json:"how"`
	Evidence string    `bson:"evidence,omitempty" json:"evidence,omitempty"`
}

// maxConsentHistory bounds the history kept on the debtor document; the
// audit trail keeps every change regardless.
const maxConsentHistory = 200

// HoursWindow is a daily span "HH:MM"–"HH:MM" in the debtor's time.
type HoursWindow struct {
	From string `bson:"from" json:"from"`
	To   string `bson:"to" json:"to"`
}

// RecentContact is an entry of the debtor's recent contact history, the read
// model the compliance check needs (field `recentContacts`, last 60 days).
type RecentContact struct {
	At           time.Time `bson:"at"`
	Channel      string    `bson:"channel"`
	Direction    string    `bson:"direction"`
	Conversation bool      `bson:"conversation"`
}

// recentWindow is how far back the debtor's contact history is kept; it
// covers every period the rules count (a day, a week, seven days).
const recentWindow = 60 * 24 * time.Hour

// maxRecent bounds the history whatever happens.
const maxRecent = 300

// debtorWork is the part of the debtor document this package reads and
// writes.
type debtorWork struct {
	ID             string          `bson:"_id"`
	TenantID       string          `bson:"tenantId"`
	Document       string          `bson:"document"`
	Name           string          `bson:"name"`
	Contacts       []contactDoc    `bson:"contacts"`
	AccountIDs     []string        `bson:"accountIds"`
	Consent        *Consent        `bson:"consent,omitempty"`
	RecentContacts []RecentContact `bson:"recentContacts"`
	Rev            int64           `bson:"rev"`
}

type contactDoc struct {
	Kind    string    `bson:"kind"`
	Value   string    `bson:"value"`
	City    string    `bson:"city,omitempty"`
	Label   string    `bson:"label,omitempty"`
	Person  string    `bson:"person,omitempty"`
	Role    string    `bson:"role,omitempty"`
	Source  string    `bson:"source"`
	Invalid bool      `bson:"invalid,omitempty"`
	AddedAt time.Time `bson:"addedAt"`
}

// accountWork is the part of the account document this package reads: the
// ids that make its timeline readable by _id (written through the accounts
// package, the document's owner).
type accountWork = accounts.Marks

// BlockedAttempt is a contact the compliance rules refused (kept on the
// account by the accounts package).
type BlockedAttempt = accounts.BlockedAttempt

// defaultAuthorized maps the debtor's valid contacts to the channels they
// make possible: the channels treated as authorized until the debtor records
// a choice.
func defaultAuthorized(contacts []contactDoc) []string {
	set := map[string]bool{}
	for _, c := range contacts {
		if c.Invalid {
			continue
		}
		switch c.Kind {
		case "email":
			set[compliance.Email] = true
		case "phone":
			set[compliance.Call], set[compliance.SMS] = true, true
		case "whatsapp":
			set[compliance.WhatsApp] = true
		case "address":
			set[compliance.Visit], set[compliance.Letter] = true, true
		}
	}
	var out []string
	for _, ch := range compliance.Channels() {
		if set[ch] {
			out = append(out, ch)
		}
	}
	return out
}

// complianceConsent converts the stored record to the rules' type.
func (c *Consent) complianceConsent() compliance.Consent {
	if c == nil {
		return compliance.Consent{}
	}
	out := compliance.Consent{ExtendedHours: c.ExtendedHours}
	if len(c.Channels) > 0 {
		out.Channels = make(map[string]compliance.ChannelConsent, len(c.Channels))
		for k, v := range c.Channels {
			out.Channels[k] = compliance.ChannelConsent{Authorized: v.Authorized, OptedOut: v.OptedOut, At: v.At, How: v.How}
		}
	}
	if w := c.PreferredWindow; w != nil {
		from, ok1 := parseClock(w.From)
		to, ok2 := parseClock(w.To)
		if ok1 && ok2 {
			out.PreferredWindow = &compliance.Window{From: from, To: to}
		}
	}
	return out
}

// parseClock reads "HH:MM" (24 h; "24:00" is midnight at the end of the day).
func parseClock(s string) (time.Duration, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	for _, b := range []byte{s[0], s[1], s[3], s[4]} {
		if b < '0' || b > '9' {
			return 0, false
		}
	}
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}
