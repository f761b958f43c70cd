package queue

import (
	"fmt"
	"math"
	"strings"

	"cartera/portal/i18n"
	"cartera/portal/money"
)

// Factors are the inputs of an account's priority.
type Factors struct {
	Balance         int64  // minor units
	Currency        string // ISO 4217
	Locale          string // how reasons print amounts
	Lang            string // the reasons' language ("": the locale's)
	DaysPastDue     int
	BrokenPromises  int
	UnansweredCalls int
	ValidContacts   int
	Channels        int // channels the rules let us use (consent, opt-outs)
	Segment         string
}

// perUSD roughly converts a currency's major unit to US dollars, so that the
// balance points mean the same in every country. Precision does not matter:
// the score is logarithmic.
var perUSD = map[string]float64{"COP": 4000, "MXN": 18, "PEN": 3.7, "USD": 1}

// segmentPoints weighs the client's own segments (matched without case).
var segmentPoints = map[string]int{"vip": 10, "premium": 10, "corporativo": 6, "corporate": 6, "empresas": 6, "pyme": 3}

// Score weighs an account for the queue: the points of each component add
// up, and each component that counts says so in a Spanish reason.
//
//	balance      8 per power of ten of the balance in US dollars, 0..35
//	             ("saldo alto" from ~US$ 1.000)
//	days late    1 per 6 days past due, 0..30
//	promises     8 per broken promise, 0..24; +6 more from the second
//	             (repeated broken promises are a warning sign)
//	no answer    +6 from three unanswered calls in a row
//	contact      +4 when reachable; -15 without a valid contact, -10 when
//	             every channel is closed (opted out or not authorised)
//	segment      the segment's points (VIP/premium 10, corporate 6, pyme 3)
//
// The total never goes below zero.
func Score(f Factors) (int, []string) { return score(f, true) }

// Points is Score without the reasons (sorting thousands of entries).
func Points(f Factors) int {
	p, _ := score(f, false)
	return p
}

func score(f Factors, explain bool) (int, []string) {
	total := 0
	var reasons []string
	add := func(p int, reason string) {
		total += p
		if explain && reason != "" {
			reasons = append(reasons, reason)
		}
	}
	// Sorting thousands of entries wants only the points: build no text.
	pl := func(n int, one, many string) string {
		if !explain {
			return ""
		}
		return plural(n, one, many)
	}
	amount := ""
	if explain {
		amount = money.Format(f.Balance, f.Currency, f.Locale)
	}
	// The reasons speak the reader's language, by default the tenant's.
	lang := f.Lang
	if lang == "" {
		lang = i18n.OfLocale(f.Locale)
	}
	w := reasonWords[i18n.Pick(lang)]
	if bp := balancePoints(f.Balance, f.Currency); bp >= 24 {
		add(bp, w["high"]+amount)
	} else {
		add(bp, w["balance"]+amount)
	}
	switch d := f.DaysPastDue; {
	case d > 0:
		add(min(d, 180)/6, pl(d, w["late1"], w["late"]))
	case d == 0:
		add(0, w["today"])
	default:
		add(0, w["in"]+pl(-d, w["day1"], w["days"]))
	}
	if n := f.BrokenPromises; n > 0 {
		add(min(n*8, 24), pl(n, w["broken1"], w["broken"]))
		if n >= 2 {
			add(6, w["alertBroken"])
		}
	}
	if n := f.UnansweredCalls; n >= 3 {
		add(6, w["alert"]+pl(n, w["unanswered1"], w["unanswered"])+w["inARow"])
	}
	switch {
	case f.ValidContacts == 0:
		add(-15, w["noContact"])
	case f.Channels == 0:
		add(-10, w["noChannel"])
	default:
		add(4, w["reach"]+pl(f.Channels, w["channel1"], w["channels"]))
	}
	if p := segmentPoints[strings.ToLower(strings.TrimSpace(f.Segment))]; p > 0 {
		add(p, w["segment"]+strings.TrimSpace(f.Segment))
	}
	return max(total, 0), reasons
}

// reasonWords are the reasons' words by language (pages match "alerta" /
// "alert" to mark them).
var reasonWords = map[string]map[string]string{
	"es": {"high": "saldo alto: ", "balance": "saldo: ", "late1": "día de mora", "late": "días de mora", "today": "vence hoy", "in": "vence en ",
		"day1": "día", "days": "días", "broken1": "promesa incumplida", "broken": "promesas incumplidas", "alertBroken": "alerta: incumple promesas repetidamente",
		"alert": "alerta: ", "unanswered1": "llamada sin respuesta", "unanswered": "llamadas sin respuesta", "inARow": " seguidas",
		"noContact": "sin datos de contacto válidos", "noChannel": "sin canal autorizado por el deudor", "reach": "contactable por ",
		"channel1": "canal", "channels": "canales", "segment": "segmento "},
	"en": {"high": "high balance: ", "balance": "balance: ", "late1": "day past due", "late": "days past due", "today": "due today", "in": "due in ",
		"day1": "day", "days": "days", "broken1": "broken promise", "broken": "broken promises", "alertBroken": "alert: breaks promises repeatedly",
		"alert": "alert: ", "unanswered1": "unanswered call", "unanswered": "unanswered calls", "inARow": " in a row",
		"noContact": "no valid contact details", "noChannel": "no channel the debtor allows", "reach": "reachable on ",
		"channel1": "channel", "channels": "channels", "segment": "segment "},
}

// balancePoints is 8 × log10 of the balance in US dollars, within 0..35.
func balancePoints(minor int64, currency string) int {
	if minor <= 0 {
		return 0
	}
	exp, err := money.Exponent(currency)
	if err != nil {
		exp = 2
	}
	rate := perUSD[currency]
	if rate == 0 {
		rate = 1
	}
	usd := float64(minor) / math.Pow10(exp) / rate
	if usd < 1 {
		return 0
	}
	return min(int(8*math.Log10(usd)), 35)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
