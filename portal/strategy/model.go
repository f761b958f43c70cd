// Package strategy holds a tenant's collection policy: the ladder of steps
// keyed by days relative to the due date, late interest, discounts, plan and
// promise rules, and NextStep, which says what the ladder asks for next.
package strategy

import (
	"strings"
	"time"

	"cartera/payments/calc"
)

// Channels a ladder step may use. The first six are contact channels the
// compliance rules know; the rest are stages carried out by letter or by the
// client (statement by e-mail, credit suspension notice, final notice, legal).
const (
	ChannelCall             = "call"
	ChannelEmail            = "email"
	ChannelWhatsApp         = "whatsapp"
	ChannelSMS              = "sms"
	ChannelVisit            = "visit"
	ChannelLetter           = "letter"
	ChannelStatement        = "statement"
	ChannelCreditSuspension = "credit_suspension"
	ChannelFinalNotice      = "final_notice"
	ChannelLegal            = "legal"
)

// Channels lists every step channel, in the order the forms show them.
func Channels() []string {
	return []string{ChannelCall, ChannelEmail, ChannelWhatsApp, ChannelSMS, ChannelVisit, ChannelLetter,
		ChannelStatement, ChannelCreditSuspension, ChannelFinalNotice, ChannelLegal}
}

// canAutomate reports whether a step on channel may be sent by the outbox
// instead of becoming a collector's task. Calls, visits and the legal stage
// need a person.
func canAutomate(channel string) bool {
	switch channel {
	case ChannelEmail, ChannelWhatsApp, ChannelSMS, ChannelLetter, ChannelStatement, ChannelCreditSuspension, ChannelFinalNotice:
		return true
	}
	return false
}

// Step is one rung of the ladder: on due date + Day (negative: before it),
// do Channel with Template.
type Step struct {
	Day       int    `bson:"day" json:"day"`
	Channel   string `bson:"channel" json:"channel"`
	Template  string `bson:"template" json:"template"`
	Automatic bool   `bson:"automatic" json:"automatic"` // outbox; false: a task in the collector's queue
	Label     string `bson:"label,omitempty" json:"label,omitempty"`
}

// Key identifies a step within a policy (days are unique per channel).
func (s Step) Key() string { return dayLabel(s.Day) + ":" + s.Channel }

// SentByOutbox reports whether the step is sent by the outbox: automatic
// and on a channel the outbox sends (e-mail, WhatsApp, SMS, letters,
// statements). An automatic credit suspension or final notice still needs
// a person: it becomes the collector's next action.
func (s Step) SentByOutbox() bool {
	switch s.Channel {
	case ChannelEmail, ChannelWhatsApp, ChannelSMS, ChannelLetter, ChannelStatement:
		return s.Automatic
	}
	return false
}

// EarlyPayment is the discount for paying ahead of the due date.
type EarlyPayment struct {
	DaysBefore int   `bson:"daysBefore" json:"daysBefore"`
	PercentBP  int64 `bson:"percentBP" json:"percentBP"`
}

// Calc converts to the calculator's type.
func (e EarlyPayment) Calc() calc.EarlyPayment {
	return calc.EarlyPayment{DaysBefore: e.DaysBefore, PercentBP: e.PercentBP}
}

// SettlementTier is a discount to settle an account at least MinDaysPastDue late.
type SettlementTier struct {
	MinDaysPastDue int   `bson:"minDaysPastDue" json:"minDaysPastDue"`
	PercentBP      int64 `bson:"percentBP" json:"percentBP"`
	MaxAmount      int64 `bson:"maxAmount" json:"maxAmount"` // 0: uncapped
}

// PlanRules are the installment plan rules, as calc.PlanRules with JSON names.
type PlanRules struct {
	MaxInstallments  int   `bson:"maxInstallments" json:"maxInstallments"`
	MinDownPaymentBP int64 `bson:"minDownPaymentBP" json:"minDownPaymentBP"`
	MinDownPayment   int64 `bson:"minDownPayment" json:"minDownPayment"`
	MonthlyRateBP    int64 `bson:"monthlyRateBP" json:"monthlyRateBP"`
	MaxTermDays      int   `bson:"maxTermDays" json:"maxTermDays"`
	MinInstallment   int64 `bson:"minInstallment" json:"minInstallment"`
	IntervalDays     int   `bson:"intervalDays" json:"intervalDays"`
	// GraceDays is how many days after its date an unpaid installment
	// counts as missed; nil (policies saved before it existed) falls back
	// to the promise grace.
	GraceDays *int `bson:"graceDays,omitempty" json:"graceDays,omitempty"`
	// MaxMissed is how many missed installments default a plan (its
	// accounts return to the ladder); 0 means the house figure, 2.
	MaxMissed int `bson:"maxMissed,omitempty" json:"maxMissed,omitempty"`
}

// Calc converts to the calculator's type.
func (p PlanRules) Calc() calc.PlanRules {
	return calc.PlanRules{MaxInstallments: p.MaxInstallments, MinDownPaymentBP: p.MinDownPaymentBP, MinDownPayment: p.MinDownPayment,
		MonthlyRateBP: p.MonthlyRateBP, MaxTermDays: p.MaxTermDays, MinInstallment: p.MinInstallment, IntervalDays: p.IntervalDays}
}

// PromiseRules bound what a promise to pay may say.
type PromiseRules struct {
	MaxDaysAhead int   `bson:"maxDaysAhead" json:"maxDaysAhead"` // the promised date at most this many days from today
	GraceDays    int   `bson:"graceDays" json:"graceDays"`       // a promise is broken this many days after its date
	MinAmount    int64 `bson:"minAmount" json:"minAmount"`       // minor units; 0: any positive amount
}

// Policy is a tenant's collection policy, stored in the tenant document's
// `policy` field.
type Policy struct {
	Steps []Step `bson:"steps" json:"steps"`
	// LadderStart is what the steps' days count from: StartDue (the due
	// date; also the default) or StartPlacement (for accounts placed after
	// the ladder's first step had passed, the placement date, so an old
	// portfolio walks the ladder from its first step instead of landing in
	// the legal stage on the day it arrives).
	LadderStart string `bson:"ladderStart,omitempty" json:"ladderStart"`
	// LateInterestBP is the annual late interest rate in basis points; the
	// interest calculation still caps it at the legal maximum of the day.
	LateInterestBP int64            `bson:"lateInterestBP" json:"lateInterestBP"`
	GraceDays      int              `bson:"graceDays" json:"graceDays"` // days after the due date before interest runs
	EarlyPayment   EarlyPayment     `bson:"earlyPayment" json:"earlyPayment"`
	Settlement     []SettlementTier `bson:"settlement" json:"settlement"`
	Plans          PlanRules        `bson:"plans" json:"plans"`
	Promises       PromiseRules     `bson:"promises" json:"promises"`
	// WhatsAppAllowed says the tenant's WhatsApp sender may carry these
	// messages. Meta's WhatsApp Business Messaging Policy lists debt
	// collection among prohibited uses (docs/messaging-channels.md), so it
	// is off unless a manager turns it on (a client collecting its own
	// first-party invoices from an approved account); off, WhatsApp steps
	// go out by SMS.
	WhatsAppAllowed bool       `bson:"whatsAppAllowed,omitempty" json:"whatsAppAllowed"`
	UpdatedAt       *time.Time `bson:"updatedAt,omitempty" json:"updatedAt,omitempty"`
	UpdatedBy       string     `bson:"updatedBy,omitempty" json:"updatedBy,omitempty"`
	// Default is true when the tenant has not saved a policy of its own.
	Default bool `bson:"-" json:"default"`
}

// SettlementTiers converts the tiers to the calculator's type.
func (p Policy) SettlementTiers() []calc.SettlementTier {
	out := make([]calc.SettlementTier, len(p.Settlement))
	for i, t := range p.Settlement {
		out[i] = calc.SettlementTier{MinDaysPastDue: t.MinDaysPastDue, PercentBP: t.PercentBP, MaxAmount: t.MaxAmount}
	}
	return out
}

// Rules are the policy's money rules under a cap table, for the engine.
func (p Policy) Rules(caps calc.CapTable) calc.Rules {
	r := calc.Rules{GraceDays: p.GraceDays, AnnualBP: p.LateInterestBP, Caps: caps, Settlement: p.SettlementTiers()}
	if p.EarlyPayment.PercentBP > 0 {
		ep := p.EarlyPayment.Calc()
		r.EarlyPayment = &ep
	}
	return r
}

// DefaultFor is the house policy for a tenant's country. Outside Colombia it
// charges no late interest: there is no statutory rate to fall back on, and
// a US collector may charge only what the agreement or the law authorises
// (FDCPA 15 U.S.C. §1692f(1)); the client sets its contract rate
// (docs/money.md).
//
// The steps' labels are the client's own words once it saves its policy;
// the house ladder's are written in the language of the country's staff
// (a US company's collectors read English).
func DefaultFor(country string) Policy {
	p := Default()
	c := strings.ToUpper(strings.TrimSpace(country))
	if c != "CO" {
		p.LateInterestBP = 0
	}
	if c == "US" {
		for i := range p.Steps {
			// US carriers refuse third-party debt collection over SMS
			// (CTIA's messaging principles, enforced by the aggregators:
			// Twilio error 30863), so the US house ladder e-mails instead.
			if p.Steps[i].Channel == ChannelSMS {
				p.Steps[i].Channel, p.Steps[i].Template = ChannelEmail, "reminder_email"
			}
			if l, ok := englishLabels[p.Steps[i].Template]; ok {
				p.Steps[i].Label = l
			}
		}
	}
	return p
}

// englishLabels are the house ladder's labels in English, by template.
var englishLabels = map[string]string{
	"courtesy_call": "Courtesy call", "reminder_statement": "Reminder with statement", "overdue_notice": "Past-due notice",
	"follow_up_call": "Follow-up call", "sms_reminder": "SMS reminder", "reminder_email": "Reminder e-mail", "letter_1": "Letter 1", "visit": "Visit",
	"letter_2": "Letter 2", "credit_suspension_notice": "Credit suspension notice to the client",
	"final_deadline": "Final deadline before legal collection", "legal_stage": "Legal stage",
}

// SendChannel is the channel an automatic step of channel ch goes out on
// under the policy: WhatsApp only where the tenant's sender may carry
// collection messages, SMS otherwise.
func (p Policy) SendChannel(ch string) string {
	if ch == ChannelWhatsApp && !p.WhatsAppAllowed {
		return ChannelSMS
	}
	return ch
}

// Default is the house policy, the staged practice of the collections
// manuals (DESIGN.md, "Collection policy and compliance").
func Default() Policy {
	return Policy{
		Steps: []Step{
			{Day: -10, Channel: ChannelCall, Template: "courtesy_call", Label: "Llamada de cortesía"},
			{Day: -3, Channel: ChannelEmail, Template: "reminder_statement", Automatic: true, Label: "Recordatorio con estado de cuenta"},
			{Day: 1, Channel: ChannelEmail, Template: "overdue_notice", Automatic: true, Label: "Aviso de vencimiento"},
			{Day: 10, Channel: ChannelCall, Template: "follow_up_call", Label: "Llamada de seguimiento"},
			{Day: 15, Channel: ChannelSMS, Template: "sms_reminder", Automatic: true, Label: "Recordatorio por SMS"},
			{Day: 30, Channel: ChannelLetter, Template: "letter_1", Automatic: true, Label: "Carta 1"},
			{Day: 45, Channel: ChannelVisit, Template: "visit", Label: "Visita"},
			{Day: 60, Channel: ChannelLetter, Template: "letter_2", Automatic: true, Label: "Carta 2"},
			{Day: 60, Channel: ChannelCreditSuspension, Template: "credit_suspension_notice", Automatic: true, Label: "Aviso de suspensión de crédito al cliente"},
			{Day: 75, Channel: ChannelFinalNotice, Template: "final_deadline", Automatic: true, Label: "Plazo final antes de cobro jurídico"},
			{Day: 90, Channel: ChannelLegal, Template: "legal_stage", Label: "Etapa jurídica"},
		},
		LadderStart:    StartDue,
		LateInterestBP: 2400, // 24 % annual, capped at the usury rate when computed
		GraceDays:      0,
		EarlyPayment:   EarlyPayment{DaysBefore: 5, PercentBP: 200},
		Settlement: []SettlementTier{
			{MinDaysPastDue: 90, PercentBP: 1000},
			{MinDaysPastDue: 180, PercentBP: 2000},
			{MinDaysPastDue: 360, PercentBP: 3000},
		},
		Plans:    PlanRules{MaxInstallments: 12, MinDownPaymentBP: 1000, MonthlyRateBP: 150, MaxTermDays: 366},
		Promises: PromiseRules{MaxDaysAhead: 30, GraceDays: 2, MinAmount: 0},
		Default:  true,
	}
}
