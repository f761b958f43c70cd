package compliance

import (
	"slices"
	"strings"
	"time"
)

// Jurisdiction is the contact rules of one country, as data. A zero or empty
// field means the rule does not exist there. Citations are those of
// docs/compliance.md, taken from secondary sources: counsel must check them.
type Jurisdiction struct {
	Country string
	Name    string
	// Zone is used when a request carries no time zone; nil where the country
	// spans several zones.
	Zone *time.Location
	// Hours restrict days and times per group of channels. A channel in no
	// group (letters everywhere) may be used at any time.
	Hours []Hours
	// ConsentLiftsHours: Consent.ExtendedHours replaces Hours.
	ConsentLiftsHours bool
	ConsentRule       string

	RequireAuthorization bool // only channels the debtor authorized
	AuthorizationRule    string
	ThirdPartyBanned     bool
	ThirdPartyRule       string
	OptOutRule           string

	// DailyCap: outbound direct contacts per local calendar day.
	DailyCap     int
	DailyCapRule string
	// OneChannelPerWeek: within a calendar week (Monday–Sunday, local),
	// outbound direct contacts only through the first channel used that week.
	OneChannelPerWeek bool
	WeeklyRule        string

	// CallCap: at most CallCap outbound calls in any CallCapDays consecutive
	// local calendar days.
	CallCap     int
	CallCapDays int
	CallCapRule string
	// QuietDaysAfterConversation: no call in the N-day period that starts on
	// the day of a telephone conversation (that day is day 1).
	QuietDaysAfterConversation int
	ConversationRule           string
}

// Hours is the legal contact window of a group of channels.
type Hours struct {
	Channels []string
	// Week holds the windows of each day, indexed by time.Weekday; a day with
	// none is closed. A window crossing midnight belongs to the day it starts.
	Week             [7][]Window
	ClosedOnHolidays bool
	Summary          string // Spanish, quoted in reasons
	Rule             string
}

func (j Jurisdiction) hoursFor(channel string) (Hours, bool) {
	for _, h := range j.Hours {
		if slices.Contains(h.Channels, channel) {
			return h, true
		}
	}
	return Hours{}, false
}

// Countries lists the jurisdictions Lookup knows.
func Countries() []string { return []string{"CO", "MX", "PE", "US"} }

// Lookup returns the rules of a country (ISO 3166 alpha-2, any case). Each
// call builds a fresh value, so callers may adapt it freely.
func Lookup(country string) (Jurisdiction, bool) {
	switch strings.ToUpper(country) {
	case "CO":
		return colombiaRules(), true
	case "MX":
		return mexicoRules(), true
	case "PE":
		return peruRules(), true
	case "US":
		return usRules(), true
	}
	return Jurisdiction{}, false
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// week builds a Week from a window for weekdays and optional ones for
// Saturday and Sunday.
func week(weekdays, saturday, sunday []Window) [7][]Window {
	var w [7][]Window
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = weekdays
	}
	w[time.Saturday], w[time.Sunday] = saturday, sunday
	return w
}

func directChannels() []string { return []string{Call, Visit, WhatsApp, SMS, Email} }

func colombiaRules() Jurisdiction {
	const ley2300 = "Ley 2300 de 2023, art. 3"
	return Jurisdiction{
		Country: "CO",
		Name:    "Colombia",
		Zone:    time.FixedZone("-05", -5*3600), // no DST since 1993
		Hours: []Hours{{
			Channels:         directChannels(),
			Week:             week([]Window{{hm(7, 0), hm(19, 0)}}, []Window{{hm(8, 0), hm(15, 0)}}, nil),
			ClosedOnHolidays: true,
			Summary:          "lunes a viernes de 07:00 a 19:00 y sábados de 08:00 a 15:00; nunca domingos ni festivos",
			Rule:             ley2300,
		}},
		ConsentLiftsHours:    true,
		ConsentRule:          ley2300,
		RequireAuthorization: true,
		AuthorizationRule:    ley2300,
		// Ley 2300 also forbids contacting personal references.
		ThirdPartyBanned:  true,
		ThirdPartyRule:    ley2300,
		OptOutRule:        ley2300,
		DailyCap:          1,
		DailyCapRule:      ley2300,
		OneChannelPerWeek: true,
		WeeklyRule:        ley2300,
	}
}

func mexicoRules() Jurisdiction {
	const condusef = "CONDUSEF, Disposiciones de carácter general aplicables a los despachos de cobranza (DOF 2014)"
	every := []Window{{hm(7, 0), hm(22, 0)}}
	return Jurisdiction{
		Country: "MX",
		Name:    "México",
		Hours: []Hours{{
			Channels: []string{Call, Visit},
			Week:     week(every, every, every),
			Summary:  "llamadas y visitas de 07:00 a 22:00, todos los días",
			Rule:     condusef,
		}},
		ThirdPartyBanned: true,
		ThirdPartyRule:   condusef,
		OptOutRule:       "Política de la agencia: se respeta la revocación del deudor",
	}
}

func peruRules() Jurisdiction {
	const ley29571 = "Ley 29571, Código de Protección y Defensa del Consumidor, art. 62"
	return Jurisdiction{
		Country: "PE",
		Name:    "Perú",
		Zone:    time.FixedZone("-05", -5*3600), // no DST since 1994
		Hours: []Hours{{
			Channels:         []string{Call, Visit, SMS, WhatsApp},
			Week:             week([]Window{{hm(7, 0), hm(20, 0)}}, nil, nil),
			ClosedOnHolidays: true,
			Summary:          "lunes a viernes de 07:00 a 20:00; nunca sábados, domingos ni feriados",
			Rule:             ley29571,
		}},
		OptOutRule: "Política de la agencia: se respeta la revocación del deudor",
	}
}

func usRules() Jurisdiction {
	every := []Window{{hm(8, 0), hm(21, 0)}}
	return Jurisdiction{
		Country: "US",
		Name:    "Estados Unidos",
		Hours: []Hours{{
			Channels: directChannels(),
			Week:     week(every, every, every),
			Summary:  "de 08:00 a 21:00, hora local del deudor",
			Rule:     "12 CFR 1006.6(b)(1)(i)",
		}},
		ConsentLiftsHours:          true,
		ConsentRule:                "12 CFR 1006.6(b)(1)",
		OptOutRule:                 "12 CFR 1006.6(e); 12 CFR 1006.14(h)",
		CallCap:                    7,
		CallCapDays:                7,
		CallCapRule:                "12 CFR 1006.14(b)(2)(i)(A)",
		QuietDaysAfterConversation: 7,
		ConversationRule:           "12 CFR 1006.14(b)(2)(i)(B)",
	}
}
