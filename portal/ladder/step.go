package ladder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/outbox"
	"cartera/portal/queue"
	"cartera/portal/strategy"
)

// OutcomeDone is the outcome of an activity that records a manual ladder
// step carried out (a credit suspension notified to the client, a final
// notice handed over, a case passed to legal, a visit made).
const OutcomeDone = "done"

// StepDone is the answer to marking a manual step done.
type StepDone struct {
	Step       string            `json:"step"`
	Already    bool              `json:"already"` // it had been marked before: nothing changed
	ActivityID string            `json:"activityId"`
	NextAction *queue.NextAction `json:"nextAction"`
}

// MarkStepDone records that the collector (or a manager) carried out a
// manual ladder step of an account: an activity with the note goes into the
// timeline, the step joins the account's ladder state so the ladder moves
// on, and the collector's worklist entry is rebuilt. The activity's _id is
// derived from the step, so marking it again changes nothing and says so.
// Manual steps on channels the outbox cannot send (credit suspension, final
// notice, legal) only ever end this way.
func (s *Service) MarkStepDone(ctx context.Context, tenant, key, step, note string) (StepDone, error) {
	det, err := s.accounts.Get(ctx, tenant, key) // membership and the collector rule first
	if err != nil {
		return StepDone{}, err
	}
	note = strings.TrimSpace(note)
	f := apperr.Fields{}
	if step == "" {
		f.Add("step", "indique el paso de la escalera, por ejemplo D+60:credit_suspension")
	}
	if note == "" {
		f.Add("note", "escriba qué se hizo (queda en el historial)")
	} else if utf8.RuneCountInString(note) > 1000 {
		f.Add("note", "máximo 1000 caracteres")
	}
	if err := f.Err(); err != nil {
		return StepDone{}, err
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return StepDone{}, err
	}
	arms, err := s.policies.Arms(ctx, tenant)
	if err != nil {
		return StepDone{}, err
	}
	pol := arms.Champion
	if det.Test != nil {
		pol = arms.Of(det.Test.ID, det.Test.Arm)
	}
	loc := t.Location()
	today := civilToday(s.now(), loc)
	idx := slices.IndexFunc(pol.Steps, func(st strategy.Step) bool { return st.Key() == step })
	if idx < 0 {
		return StepDone{}, apperr.Field("step", "ese paso no está en la política del cliente")
	}
	st := pol.Steps[idx]
	if st.SentByOutbox() {
		return StepDone{}, &apperr.Refusal{Code: "automatic_step", Reason: "Ese paso lo envía el sistema por la bandeja de salida; no se marca a mano."}
	}
	if due := pol.Anchor(det.DueDate, det.CreatedAt.In(loc)).AddDate(0, 0, st.Day); due.After(today) {
		return StepDone{}, &apperr.Refusal{Code: "step_not_due", Reason: fmt.Sprintf("Ese paso vence el %s: aún no se puede marcar como hecho.", due.Format("02/01/2006"))}
	}
	sc := s.db.Tenant(tenant)
	out := StepDone{Step: step}
	id := sc.ID("step-" + sc.Key(det.ID) + "-" + step)
	out.ActivityID = sc.Key(id)
	a := actor.From(ctx)
	now := s.now()
	act := bson.D{
		{Key: "_id", Value: id}, {Key: "tenantId", Value: t.ID}, {Key: "accountId", Value: det.ID},
		{Key: "debtorId", Value: det.DebtorID}, {Key: "channel", Value: st.Channel}, {Key: "direction", Value: "outbound"},
		{Key: "outcome", Value: OutcomeDone}, {Key: "note", Value: stepLabel(st.Label, st.Channel) + ": " + note}, {Key: "decision", Value: "task"},
		{Key: "step", Value: step}, {Key: "by", Value: a.UserID}, {Key: "byRole", Value: a.Role}, {Key: "at", Value: now},
	}
	err = sc.C("activities").Insert(ctx, act)
	if errors.Is(err, apperr.ErrConflict) {
		out.Already = true
	} else if err != nil {
		return out, fmt.Errorf("step done: %w", err)
	}
	// The activity in the account's timeline list (the newest 200), once.
	if err := accounts.RecordContact(ctx, sc, det.ID, accounts.Touch{ActivityID: id}); err != nil {
		return out, err
	}
	// The ladder state and the worklist entry (idempotent: a step already
	// in ladderDone is not added twice).
	next, err := s.queue.RecordStep(ctx, tenant, det.ID, step)
	if err != nil {
		return out, fmt.Errorf("step done: %w", err)
	}
	out.NextAction = next
	if !out.Already {
		s.log.Info("ladder step done", "tenant", tenant, "step", step, "by", a.UserID)
	}
	return out, nil
}

func stepLabel(label, channel string) string {
	if label != "" {
		return label
	}
	return outbox.ChannelName(channel)
}
