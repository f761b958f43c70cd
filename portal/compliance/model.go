// Package compliance decides whether a collection contact may happen now, and
// if not, why and when it next may. The rules of each jurisdiction (CO, MX,
// PE, US) are data in jurisdictions.go; docs/compliance.md cites their sources.
package compliance

import (
	"fmt"
	"time"
)

// Channels. Letters (and statements) are mail: no time window applies to them.
const (
	Call     = "call"
	Email    = "email"
	WhatsApp = "whatsapp"
	SMS      = "sms"
	Visit    = "visit"
	Letter   = "letter"
)

// Directions of a contact. Anything other than Inbound is treated as outbound.
const (
	Outbound = "outbound"
	Inbound  = "inbound"
)

// Decision codes.
const (
	CodeOK                    = "ok"
	CodeInbound               = "inbound"
	CodeOutsideHours          = "outside_hours"
	CodeHoliday               = "holiday"
	CodeSunday                = "sunday"
	CodeSaturday              = "saturday"
	CodeClosedDay             = "closed_day"
	CodeDailyCap              = "daily_cap"
	CodeWeeklyChannel         = "weekly_channel"
	CodeCallCap7d             = "call_cap_7d"
	CodeCallAfterConversation = "call_after_conversation"
	CodeChannelNotAuthorized  = "channel_not_authorized"
	CodeOptedOut              = "opted_out"
	CodeThirdParty            = "third_party"
	CodeDisputeOpen           = "dispute_open"
	CodeNoticeMissing         = "notice_missing"
	CodeNoticePeriod          = "notice_period"
	CodeUnknownJurisdiction   = "unknown_jurisdiction"
	CodeUnknownChannel        = "unknown_channel"
	CodeUnknownTimezone       = "unknown_timezone"
)

// Channels lists every channel Check knows.
func Channels() []string { return []string{Call, Email, WhatsApp, SMS, Visit, Letter} }

// Direct reports whether a channel reaches the debtor directly (everything
// but mail). Only direct contacts count toward daily and weekly limits.
func Direct(channel string) bool {
	switch channel {
	case Call, Email, WhatsApp, SMS, Visit:
		return true
	}
	return false
}

func knownChannel(channel string) bool { return Direct(channel) || channel == Letter }

// Window is a daily span of wall-clock time, [From, To), measured from local
// midnight. To < From means the window runs past midnight into the next day;
// To == From is empty. Use 24*time.Hour as To for "until midnight".
type Window struct {
	From, To time.Duration
}

func (w Window) crosses() bool { return w.To < w.From }

// contains reports whether a wall-clock offset falls inside the window,
// counting both sides of midnight for a crossing window.
func (w Window) contains(wall time.Duration) bool {
	if w.crosses() {
		return wall >= w.From || wall < w.To
	}
	return wall >= w.From && wall < w.To
}

func (w Window) String() string { return clock(w.From) + "–" + clock(w.To) }

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// ChannelConsent is what the debtor said about one channel.
type ChannelConsent struct {
	Authorized bool
	OptedOut   bool
	At         time.Time // when the debtor said it
	How        string    // how it was recorded, e.g. "formulario web", "llamada grabada"
}

// Consent is the debtor's record of channel choices and hours.
type Consent struct {
	Channels map[string]ChannelConsent
	// ExtendedHours: the debtor authorized (in writing where the law asks for
	// it) contact outside the legal days and hours. Only jurisdictions whose
	// ConsentLiftsHours is set honour it.
	ExtendedHours bool
	// PreferredWindow narrows contact to a daily window. With ExtendedHours
	// (where honoured) it replaces the legal hours instead.
	PreferredWindow *Window
}

// Contact is one past contact with the debtor.
type Contact struct {
	At        time.Time
	Channel   string
	Direction string
	// Conversation: a right-party conversation took place (US 7-day rule).
	Conversation bool
}

// Request asks whether a contact may happen at At.
type Request struct {
	Country string
	// Loc is the debtor's time zone. When nil the jurisdiction's single zone
	// is used; countries with several zones (MX, US) then refuse.
	Loc       *time.Location
	At        time.Time
	Channel   string
	Direction string
	// ThirdParty: the contact targets someone other than the debtor or a
	// co-obligor (a reference, a relative, an employer).
	ThirdParty bool
	Consent    Consent
	// DefaultAuthorized lists the channels treated as authorized when
	// Consent.Channels is empty, typically those supplied with the debtor in
	// the original portfolio. It matters only where authorization is
	// required (CO); once Consent.Channels has any entry it is ignored.
	DefaultAuthorized []string
	History           []Contact
}

// Decision is the answer to a Request or a bureau report question.
type Decision struct {
	Allowed bool
	Code    string
	Reason  string // Spanish, for the collector and the debtor
	Rule    string // citation of the rule applied
	// Next is the earliest moment the same request would be allowed, At itself
	// when allowed, zero when never (or not within the search horizon).
	Next time.Time
}

// ParseClock reads "HH:MM" (24 h; "24:00" is the end of the day) as an
// offset from midnight.
func ParseClock(s string) (time.Duration, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, b := range []byte{s[0], s[1], s[3], s[4]} {
		if b < '0' || b > '9' {
			return 0, false
		}
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// ParseWindow reads a debtor's preferred window "HH:MM"–"HH:MM"; nil when
// either end is missing or unreadable (no narrowing: the legal hours apply).
func ParseWindow(from, to string) *Window {
	f, ok1 := ParseClock(from)
	t, ok2 := ParseClock(to)
	if !ok1 || !ok2 || f == t {
		return nil
	}
	return &Window{From: f, To: t}
}
