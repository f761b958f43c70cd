package strategy

import (
	"strings"
	"testing"
	"time"

	"cartera/portal/apperr"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDefaultIsValidAndSpanish(t *testing.T) {
	p := Default()
	if err := p.Validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
	var days []int
	for _, s := range p.Steps {
		days = append(days, s.Day)
		if s.Label == "" || s.Template == "" {
			t.Fatalf("step %+v lacks a label or template", s)
		}
	}
	want := []int{-10, -3, 1, 10, 15, 30, 45, 60, 60, 75, 90}
	if len(days) != len(want) {
		t.Fatalf("days %v, want %v", days, want)
	}
	for i := range want {
		if days[i] != want[i] {
			t.Fatalf("days %v, want %v", days, want)
		}
	}
	if p.Steps[0].Automatic || !p.Steps[1].Automatic || p.Steps[len(p.Steps)-1].Channel != ChannelLegal {
		t.Fatalf("automatic flags or last stage wrong: %+v", p.Steps)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(p *Policy)
		field string // "" = valid
		says  string
	}{
		{"default", func(p *Policy) {}, "", ""},
		{"no steps", func(p *Policy) { p.Steps = nil }, "steps", "al menos un paso"},
		{"unsorted", func(p *Policy) { p.Steps[2].Day = -20 }, "steps[2].day", "orden"},
		{"day too far", func(p *Policy) { p.Steps[10].Day = 5000 }, "steps[10].day", "1080"},
		{"unknown channel", func(p *Policy) { p.Steps[3].Channel = "fax" }, "steps[3].channel", "canal desconocido"},
		{"same day same channel", func(p *Policy) { p.Steps[8].Channel = ChannelLetter }, "steps[8].channel", "ya usa el canal letter"},
		{"same day other channel is fine", func(p *Policy) { p.Steps[8].Channel = ChannelSMS }, "", ""},
		{"automatic call", func(p *Policy) { p.Steps[0].Automatic = true }, "steps[0].automatic", "persona"},
		{"bad template", func(p *Policy) { p.Steps[1].Template = "Carta Uno!" }, "steps[1].template", "plantilla"},
		{"rate in percent by mistake", func(p *Policy) { p.LateInterestBP = 24000 }, "lateInterestBP", "puntos básicos"},
		{"negative rate", func(p *Policy) { p.LateInterestBP = -1 }, "lateInterestBP", ""},
		{"grace too long", func(p *Policy) { p.GraceDays = 91 }, "graceDays", "0 a 90"},
		{"early discount too big", func(p *Policy) { p.EarlyPayment.PercentBP = 6000 }, "earlyPayment.percentBP", ""},
		{"early days negative", func(p *Policy) { p.EarlyPayment.DaysBefore = -1 }, "earlyPayment.daysBefore", ""},
		{"duplicate tier", func(p *Policy) { p.Settlement[1].MinDaysPastDue = 90 }, "settlement[1].minDaysPastDue", "ya hay"},
		{"tier zero percent", func(p *Policy) { p.Settlement[0].PercentBP = 0 }, "settlement[0].percentBP", ""},
		{"tier negative cap", func(p *Policy) { p.Settlement[2].MaxAmount = -5 }, "settlement[2].maxAmount", ""},
		{"plan without installments", func(p *Policy) { p.Plans.MaxInstallments = 0 }, "plans", "cuotas"},
		{"plan down payment over 100%", func(p *Policy) { p.Plans.MinDownPaymentBP = 20000 }, "plans", ""},
		{"promise horizon zero", func(p *Policy) { p.Promises.MaxDaysAhead = 0 }, "promises.maxDaysAhead", "1 a 180"},
		{"promise grace too long", func(p *Policy) { p.Promises.GraceDays = 31 }, "promises.graceDays", ""},
		{"promise min negative", func(p *Policy) { p.Promises.MinAmount = -1 }, "promises.minAmount", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Default()
			c.edit(&p)
			err := p.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			inv, ok := err.(*apperr.Invalid)
			if !ok {
				t.Fatalf("want *apperr.Invalid on %s, got %v", c.field, err)
			}
			why, ok := inv.Fields[c.field]
			if !ok || !strings.Contains(why, c.says) {
				t.Fatalf("fields %v: want %s saying %q", inv.Fields, c.field, c.says)
			}
		})
	}
}

func TestNextStep(t *testing.T) {
	p := Default()
	due := date("2026-03-31")
	key := func(day int, ch string) string { return Step{Day: day, Channel: ch}.Key() }
	cases := []struct {
		name    string
		today   string
		done    []string
		pause   Pause
		want    string // "<day>:<channel>" of the step, or the stop reason
		wantDue string
		late    bool
		skipped int
	}{
		{"a month before: courtesy call ahead", "2026-03-01", nil, Pause{}, "D-10:call", "2026-03-21", false, 0},
		{"courtesy call day", "2026-03-21", nil, Pause{}, "D-10:call", "2026-03-21", false, 0},
		{"courtesy call missed by two days", "2026-03-23", nil, Pause{}, "D-10:call", "2026-03-21", true, 0},
		{"call done: reminder ahead", "2026-03-23", []string{key(-10, "call")}, Pause{}, "D-3:email", "2026-03-28", false, 0},
		{"due date itself, reminder done", "2026-03-31", []string{key(-10, "call"), key(-3, "email")}, Pause{}, "D+1:email", "2026-04-01", false, 0},
		{"placed late at D+12: follow-up call, earlier skipped", "2026-04-12", nil, Pause{}, "D+10:call", "2026-04-10", true, 3},
		{"D+16 with the call done: the SMS due", "2026-04-16", []string{key(10, "call")}, Pause{}, "D+15:sms", "2026-04-15", true, 0},
		{"forward only: a later step done means earlier ones are not revisited", "2026-04-20", []string{key(15, "sms")}, Pause{}, "D+30:letter", "2026-04-30", false, 0},
		{"D+60 has two steps: letter 2 first", "2026-05-30", []string{key(45, "visit")}, Pause{}, "D+60:letter", "2026-05-30", false, 0},
		{"letter 2 done: credit suspension same day", "2026-05-30", []string{key(45, "visit"), key(60, "letter")}, Pause{}, "D+60:credit_suspension", "2026-05-30", false, 0},
		{"D+80: final notice", "2026-06-19", []string{key(60, "letter"), key(60, "credit_suspension")}, Pause{}, "D+75:final_notice", "2026-06-14", true, 0},
		{"D+200 untouched: legal stage", "2026-10-17", nil, Pause{}, "D+90:legal", "2026-06-29", true, 10},
		{"all done", "2026-10-17", []string{key(90, "legal")}, Pause{}, Completed, "", false, 0},
		{"paused by open dispute", "2026-04-12", nil, Pause{Dispute: true}, PausedDispute, "", false, 0},
		{"paused by live promise", "2026-04-12", nil, Pause{Promise: true}, PausedPromise, "", false, 0},
		{"paused by current plan", "2026-04-12", nil, Pause{Plan: true}, PausedPlan, "", false, 0},
		{"recalled", "2026-04-12", nil, Pause{Recalled: true, Promise: true}, PausedRecalled, "", false, 0},
		{"paid wins over everything", "2026-04-12", nil, Pause{Paid: true, Dispute: true}, PausedPaid, "", false, 0},
		{"time zone: today is a civil date", "2026-03-21T23:30:00-05:00", nil, Pause{}, "D-10:call", "2026-03-21", false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			today, err := time.Parse(time.RFC3339, c.today)
			if err != nil {
				today = date(c.today)
			}
			n := NextStep(p, due, today, c.done, c.pause)
			got := n.Stop
			if n.Step != nil {
				got = n.Step.Key()
				if n.Index < 0 || p.Steps[n.Index].Key() != got {
					t.Fatalf("index %d does not point at %s", n.Index, got)
				}
			}
			gotDue := ""
			if !n.Due.IsZero() {
				gotDue = n.Due.Format(time.DateOnly)
			}
			if got != c.want || gotDue != c.wantDue || n.Late != c.late || n.Skipped != c.skipped {
				t.Fatalf("got %s due %q late %v skipped %d; want %s due %q late %v skipped %d", got, gotDue, n.Late, n.Skipped, c.want, c.wantDue, c.late, c.skipped)
			}
		})
	}
}

func TestDoneFrom(t *testing.T) {
	p := Default()
	due := date("2026-03-31")
	done := DoneFrom(p, due, map[string][]time.Time{
		"call":  {date("2026-03-22")}, // after D-10, before D+10
		"email": {date("2026-03-28")}, // D-3 exactly; not yet D+1
	})
	want := "D-10:call D-3:email"
	if strings.Join(done, " ") != want {
		t.Fatalf("done %v, want %s", done, want)
	}
	n := NextStep(p, due, date("2026-04-02"), done, Pause{})
	if n.Step == nil || n.Step.Key() != "D+1:email" || !n.Late {
		t.Fatalf("next after the contacts: %+v", n)
	}
}

// The ladder start decides what the steps' days count from. The default
// ladder opens at D-10 (courtesy call), so under StartPlacement an account
// is "in time" when placed on or before due-10; otherwise its D-10 falls on
// the placement day and every later step follows at the same spacing.
func TestAnchor(t *testing.T) {
	due := date("2025-06-01")
	bogota := time.FixedZone("COT", -5*3600)
	placement := Default()
	placement.LadderStart = StartPlacement
	cases := []struct {
		name   string
		p      Policy
		placed time.Time
		want   string
	}{
		{"due start ignores placement", Default(), date("2026-12-06"), "2025-06-01"},
		{"empty start is due start", Policy{Steps: Default().Steps}, date("2026-12-06"), "2025-06-01"},
		{"placed in time (exactly D-10)", placement, date("2025-05-22"), "2025-06-01"},
		{"placed before the ladder opens", placement, date("2025-04-01"), "2025-06-01"},
		{"placed one day after D-10: D-10 moves to the placement day", placement, date("2025-05-23"), "2025-06-02"},
		{"placed 18 months late", placement, date("2026-12-06"), "2026-12-16"},
		// 21:30 on 5 Dec in Bogotá is already 6 Dec in UTC: the placement
		// day is the tenant's.
		{"placement day in the tenant's zone", placement, time.Date(2026, 12, 6, 2, 30, 0, 0, time.UTC).In(bogota), "2026-12-15"},
	}
	for _, c := range cases {
		if got := c.p.Anchor(due, c.placed).Format(time.DateOnly); got != c.want {
			t.Errorf("%s: anchor %s, want %s", c.name, got, c.want)
		}
	}
	// A ladder whose first step is after the due date: the first step lands
	// on the placement day all the same.
	late := Policy{LadderStart: StartPlacement, Steps: []Step{{Day: 5, Channel: ChannelEmail}, {Day: 30, Channel: ChannelLetter}}}
	if got := late.Anchor(due, date("2026-01-10")).Format(time.DateOnly); got != "2026-01-05" {
		t.Errorf("ladder from D+5: anchor %s, want 2026-01-05", got)
	}
	// Walking it: placed 18 months late, the first step is the courtesy
	// call today, then the D-3 reminder a week later — never the legal stage.
	a := placement.Anchor(due, date("2026-12-06"))
	n := NextStep(placement, a, date("2026-12-06"), nil, Pause{})
	if n.Step == nil || n.Step.Template != "courtesy_call" || n.Due.Format(time.DateOnly) != "2026-12-06" || n.Skipped != 0 {
		t.Fatalf("first step: %+v", n)
	}
	n = NextStep(placement, a, date("2026-12-13"), []string{n.Step.Key()}, Pause{})
	if n.Step == nil || n.Step.Template != "reminder_statement" || n.Due.Format(time.DateOnly) != "2026-12-13" {
		t.Fatalf("second step: %+v", n)
	}
	if n := NextStep(Default(), due, date("2026-12-06"), nil, Pause{}); n.Step == nil || n.Step.Channel != ChannelLegal {
		t.Fatalf("due start, 18 months late: %+v", n)
	}
	// The option is validated.
	bad := Default()
	bad.LadderStart = "assignment"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "placement") {
		t.Fatalf("bad ladder start: %v", err)
	}
}

// WhatsApp carries collection messages only where the tenant says its
// sender may (Meta's policy lists debt collection as prohibited); the house
// ladder texts by SMS, and by e-mail in the US (carriers refuse third-party
// collection SMS).
func TestMessagingChannels(t *testing.T) {
	p := Default()
	if got := p.SendChannel(ChannelWhatsApp); got != ChannelSMS {
		t.Fatalf("WhatsApp without approval goes by %s", got)
	}
	p.WhatsAppAllowed = true
	if got := p.SendChannel(ChannelWhatsApp); got != ChannelWhatsApp {
		t.Fatalf("approved WhatsApp goes by %s", got)
	}
	for _, country := range []string{"CO", "MX", "PE", "US"} {
		for _, st := range DefaultFor(country).Steps {
			if st.Channel == ChannelWhatsApp {
				t.Errorf("%s house ladder uses WhatsApp: %+v", country, st)
			}
			if country == "US" && st.Channel == ChannelSMS {
				t.Errorf("US house ladder texts: %+v", st)
			}
		}
	}
}
