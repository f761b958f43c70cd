package strategy

import "time"

// Pause is what the account's state says about running the ladder.
type Pause struct {
	Paid     bool // nothing owed
	Recalled bool // the client took the account back
	Dispute  bool // an open dispute on the account
	Promise  bool // a live promise to pay
	Plan     bool // a current installment plan
}

// Pause reasons, in order of precedence.
const (
	PausedPaid     = "paid"
	PausedRecalled = "recalled"
	PausedDispute  = "dispute"
	PausedPlan     = "plan"
	PausedPromise  = "promise"
	Completed      = "completed"
)

func (p Pause) reason() string {
	switch {
	case p.Paid:
		return PausedPaid
	case p.Recalled:
		return PausedRecalled
	case p.Dispute:
		return PausedDispute
	case p.Plan:
		return PausedPlan
	case p.Promise:
		return PausedPromise
	}
	return ""
}

// Next is what the ladder asks for next.
type Next struct {
	Step  *Step     `json:"step,omitempty"`
	Index int       `json:"index"`          // position in Policy.Steps; -1 when none
	Due   time.Time `json:"due,omitzero"`   // civil date the step is due (UTC midnight)
	Late  bool      `json:"late"`           // Due is before today
	Stop  string    `json:"stop,omitempty"` // why there is no step: a pause reason or "completed"
	// Skipped counts earlier steps passed over because a later one is due
	// (an account placed late does not get the courtesy call).
	Skipped int `json:"skipped"`
}

// NextStep returns the ladder step to do next for an account due on dueDate,
// as of today (both read as civil dates), given the keys (Step.Key) of the
// steps already done and the account's pauses. Pure: no clock, no store.
//
// The ladder only moves forward: steps before the furthest one done are not
// revisited. Of the remaining steps, when several are already due only the
// latest day's are kept (doing a D+1 notice at D+50 makes no sense); the
// first of them in ladder order is returned. When none is due yet, the next
// future step is returned with its date.
func NextStep(p Policy, dueDate, today time.Time, done []string, pause Pause) Next {
	if r := pause.reason(); r != "" {
		return Next{Index: -1, Stop: r}
	}
	due, now := civil(dueDate), civil(today)
	isDone := make(map[string]bool, len(done))
	for _, k := range done {
		isDone[k] = true
	}
	start := 0
	for i, s := range p.Steps {
		if isDone[s.Key()] {
			start = i + 1
		}
	}
	latest := -1 // first not-done step of the latest arrived day
	for i := start; i < len(p.Steps); i++ {
		s := p.Steps[i]
		if isDone[s.Key()] {
			continue
		}
		if due.AddDate(0, 0, s.Day).After(now) {
			if latest >= 0 {
				break
			}
			return Next{Step: &p.Steps[i], Index: i, Due: due.AddDate(0, 0, s.Day), Skipped: 0}
		}
		if latest < 0 || s.Day > p.Steps[latest].Day {
			latest = i
		}
	}
	if latest < 0 {
		return Next{Index: -1, Stop: Completed}
	}
	skipped := 0
	for i := start; i < latest; i++ {
		if !isDone[p.Steps[i].Key()] {
			skipped++
		}
	}
	s := p.Steps[latest]
	d := due.AddDate(0, 0, s.Day)
	return Next{Step: &p.Steps[latest], Index: latest, Due: d, Late: d.Before(now), Skipped: skipped}
}

// DoneFrom derives the steps done from the contacts made: a step counts as
// done when an outbound contact on its channel happened on or after its date
// (contacts are civil dates of outbound contacts per channel).
func DoneFrom(p Policy, dueDate time.Time, contacts map[string][]time.Time) []string {
	due := civil(dueDate)
	var out []string
	for _, s := range p.Steps {
		on := due.AddDate(0, 0, s.Day)
		for _, at := range contacts[s.Channel] {
			if !civil(at).Before(on) {
				out = append(out, s.Key())
				break
			}
		}
	}
	return out
}

// Ladder start options (Policy.LadderStart).
const (
	StartDue       = "due"
	StartPlacement = "placement"
)

// Anchor is the date the ladder's days count from for an account due on
// due and placed on placed (the placement instant, in the tenant's zone).
// Under StartPlacement an account placed when its first step had already
// passed starts the ladder at that first step on the placement day: its
// days count from placed shifted back by the first step's day (a ladder
// opening at D-10 puts D-10 on the placement day, D+1 eleven days later).
// Accounts placed in time, and every account under StartDue, count from
// the due date. Reminders and letters still say the real days past due.
func (p Policy) Anchor(due, placed time.Time) time.Time {
	due = civil(due)
	if p.LadderStart != StartPlacement || placed.IsZero() || len(p.Steps) == 0 {
		return due
	}
	first := p.Steps[0].Day
	for _, s := range p.Steps {
		first = min(first, s.Day)
	}
	at := civil(placed)
	if !due.AddDate(0, 0, first).Before(at) {
		return due
	}
	return at.AddDate(0, 0, -first)
}

// civil is the calendar date of t in its own location, at UTC midnight.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
