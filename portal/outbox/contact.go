package outbox

import (
	"time"

	"cartera/portal/compliance"
	"cartera/portal/strategy"
)

// Debtor is the debtor document as the contact rules need it for an
// automatic contact: its contacts, the consent it gave or withdrew, and
// the recent contacts the caps count.
type Debtor struct {
	ID             string          `bson:"_id"`
	Document       string          `bson:"document"`
	Name           string          `bson:"name"`
	Contacts       []Contact       `bson:"contacts"`
	Consent        *Consent        `bson:"consent"`
	RecentContacts []RecentContact `bson:"recentContacts"`
}

// Contact is one of the debtor's contact data.
type Contact struct {
	Kind    string `bson:"kind"` // email, phone, whatsapp, address
	Value   string `bson:"value"`
	City    string `bson:"city"`
	Invalid bool   `bson:"invalid"`
}

// ChannelConsent is what the debtor said about one channel.
type ChannelConsent struct {
	Authorized bool `bson:"authorized"`
	OptedOut   bool `bson:"optedOut"`
}

// Consent is the debtor's consent record as the rules need it: channels
// authorized or opted out, extended hours, and the preferred daily window
// (written by the collectors' consent endpoint and the debtor's
// preferences).
type Consent struct {
	Channels        map[string]ChannelConsent `bson:"channels"`
	ExtendedHours   bool                      `bson:"extendedHours"`
	PreferredWindow *struct {
		From string `bson:"from"`
		To   string `bson:"to"`
	} `bson:"preferredWindow"`
}

// RecentContact is a contact the caps per period count.
type RecentContact struct {
	At           time.Time `bson:"at"`
	Channel      string    `bson:"channel"`
	Direction    string    `bson:"direction"`
	Conversation bool      `bson:"conversation"`
}

// RuleChannel is the contact channel the rules know a step channel by.
func RuleChannel(ch string) string {
	switch ch {
	case strategy.ChannelStatement:
		return compliance.Email
	case strategy.ChannelLetter:
		return compliance.Letter
	}
	return ch
}

// Request is the compliance question for an automatic contact with d on
// channel at a moment, in a tenant of country whose zone is loc.
func Request(country string, loc *time.Location, d Debtor, channel string, at time.Time) compliance.Request {
	cons := compliance.Consent{}
	if d.Consent != nil {
		cons.ExtendedHours = d.Consent.ExtendedHours
		if w := d.Consent.PreferredWindow; w != nil {
			cons.PreferredWindow = compliance.ParseWindow(w.From, w.To)
		}
		if len(d.Consent.Channels) > 0 {
			cons.Channels = map[string]compliance.ChannelConsent{}
			for k, v := range d.Consent.Channels {
				cons.Channels[k] = compliance.ChannelConsent{Authorized: v.Authorized, OptedOut: v.OptedOut}
			}
		}
	}
	var defaults []string
	for _, ct := range d.Contacts {
		if ct.Invalid {
			continue
		}
		switch ct.Kind {
		case "email":
			defaults = append(defaults, compliance.Email)
		case "phone":
			defaults = append(defaults, compliance.Call, compliance.SMS)
		case "whatsapp":
			defaults = append(defaults, compliance.WhatsApp)
		case "address":
			defaults = append(defaults, compliance.Visit, compliance.Letter)
		}
	}
	hist := make([]compliance.Contact, 0, len(d.RecentContacts))
	for _, r := range d.RecentContacts {
		hist = append(hist, compliance.Contact{At: r.At, Channel: r.Channel, Direction: r.Direction, Conversation: r.Conversation})
	}
	return compliance.Request{Country: country, Loc: loc, At: at, Channel: RuleChannel(channel), Direction: compliance.Outbound,
		Consent: cons, DefaultAuthorized: defaults, History: hist}
}

// Address picks the debtor's contact for a channel (the newest valid one).
func Address(d Debtor, channel string) string {
	kinds := map[string][]string{
		strategy.ChannelEmail: {"email"}, strategy.ChannelStatement: {"email"},
		strategy.ChannelSMS: {"phone"}, strategy.ChannelWhatsApp: {"whatsapp", "phone"}, strategy.ChannelLetter: {"address"},
	}[channel]
	for _, k := range kinds {
		for i := len(d.Contacts) - 1; i >= 0; i-- {
			ct := d.Contacts[i]
			if ct.Kind == k && !ct.Invalid && ct.Value != "" {
				if ct.City != "" && k == "address" {
					return ct.Value + ", " + ct.City
				}
				return ct.Value
			}
		}
	}
	return ""
}

// ChannelName names a step channel in the reasons people read.
func ChannelName(ch string) string {
	return map[string]string{"email": "correo electrónico", "statement": "correo electrónico", "sms": "SMS", "whatsapp": "WhatsApp",
		"letter": "carta (dirección)", "call": "llamada", "visit": "visita",
		"credit_suspension": "aviso de suspensión de crédito", "final_notice": "aviso final", "legal": "etapa jurídica"}[ch]
}
