package work

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/compliance"
	"cartera/portal/strategy"
)

// ActivityInput is a contact to log.
type ActivityInput struct {
	Channel   string
	Direction string // outbound (default) or inbound: the debtor reached us
	Outcome   string
	Note      string
	Promise   *PromiseInput
}

// PromiseInput is the promise made in a contact.
type PromiseInput struct {
	Amount int64
	Date   string // YYYY-MM-DD
}

// MaxNote bounds an activity's note.
const MaxNote = 2000

// Logged is a logged contact and the promise it created, if any.
type Logged struct {
	Activity Activity
	Promise  *Promise
}

func (in *ActivityInput) validate() error {
	f := apperr.Fields{}
	in.Channel, in.Outcome = strings.TrimSpace(in.Channel), strings.TrimSpace(in.Outcome)
	if !slices.Contains(compliance.Channels(), in.Channel) {
		f.Add("channel", "use call, email, whatsapp, sms, visit o letter")
	}
	switch strings.TrimSpace(in.Direction) {
	case "", compliance.Outbound:
		in.Direction = compliance.Outbound
	case compliance.Inbound:
		in.Direction = compliance.Inbound
	default:
		f.Add("direction", "use outbound o inbound")
	}
	if !slices.Contains(Outcomes(), in.Outcome) {
		f.Add("outcome", "use contacted, no_answer, promise, refused, wrong_number, left_message o dispute")
	}
	in.Note = strings.TrimSpace(in.Note)
	if !utf8.ValidString(in.Note) || utf8.RuneCountInString(in.Note) > MaxNote {
		f.Add("note", fmt.Sprintf("máximo %d caracteres", MaxNote))
	}
	switch {
	case in.Outcome == OutcomePromise && in.Promise == nil:
		f.Add("promise", "indique el valor y la fecha de la promesa de pago")
	case in.Outcome != OutcomePromise && in.Promise != nil:
		f.Add("promise", "solo un contacto con resultado promise lleva promesa de pago")
	}
	return f.Err()
}

// LogActivity records a contact on an account. An outbound contact first
// passes the compliance rules of the tenant's country, in the tenant's time
// zone, with the debtor's consent and recent contacts; a refused one is not
// recorded and comes back as an *apperr.Refusal. The check and the update of
// the debtor's contact history happen in one compare-and-set, so two
// collectors cannot both use the day's only allowed contact.
func (s *Service) LogActivity(ctx context.Context, tenant, key string, in ActivityInput) (Logged, error) {
	if err := in.validate(); err != nil {
		return Logged{}, err
	}
	tg, err := s.open(ctx, tenant, key)
	if err != nil {
		return Logged{}, err
	}
	acc, sc, loc := tg.acc, tg.sc, tg.tenant.Location()
	now := s.now()
	if in.Direction == compliance.Outbound && acc.Status == accounts.StatusRecalled {
		return Logged{}, &apperr.Refusal{Code: "account_recalled", Reason: "El cliente retiró esta cuenta de cobranza: no se puede contactar al deudor por ella."}
	}
	var aw accountWork
	if err := sc.C("accounts").Get(ctx, acc.ID, &aw); err != nil {
		return Logged{}, err
	}
	var promise *Promise
	if in.Promise != nil {
		if promise, err = s.newPromise(ctx, tg, aw, *in.Promise, now); err != nil {
			return Logged{}, err
		}
	}
	a := actor.From(ctx)
	act := Activity{
		ID: sc.ID(primitive.NewObjectIDFromTimestamp(now).Hex()), TenantID: tenant, AccountID: acc.ID, DebtorID: acc.DebtorID,
		Channel: in.Channel, Direction: in.Direction, Outcome: in.Outcome, Note: in.Note,
		By: a.UserID, ByRole: a.Role, At: now,
	}
	var d debtorWork
	var refused *compliance.Decision
	err = sc.C("debtors").Mutate(ctx, acc.DebtorID, &d, func() (bson.D, error) {
		history := trimRecent(d.RecentContacts, now)
		if in.Direction == compliance.Outbound {
			req := compliance.Request{
				Country: tg.tenant.Country, Loc: loc, At: now, Channel: in.Channel, Direction: in.Direction,
				Consent: d.Consent.complianceConsent(), DefaultAuthorized: defaultAuthorized(d.Contacts),
				History: complianceHistory(history),
			}
			dec := s.checker.Check(req)
			if !dec.Allowed {
				refused = &dec
				return nil, refusal(dec, loc)
			}
			act.Decision = dec.Code
		} else {
			act.Decision = compliance.CodeInbound
		}
		history = append(history, RecentContact{At: now, Channel: in.Channel, Direction: in.Direction, Conversation: conversation(in.Outcome)})
		return bson.D{{Key: "$set", Value: bson.D{{Key: "recentContacts", Value: history}}}}, nil
	})
	if err != nil {
		if refused != nil {
			s.recordBlocked(ctx, tg, in.Channel, *refused, err, a.UserID, now)
		}
		return Logged{}, err
	}
	if promise != nil {
		act.PromiseID = promise.ID
		promise.ActivityID = act.ID
		if err := sc.C("promises").Insert(ctx, promise); err != nil {
			return Logged{}, fmt.Errorf("record promise: %w", err)
		}
	}
	if err := sc.C("activities").Insert(ctx, act); err != nil {
		return Logged{}, fmt.Errorf("record activity: %w", err)
	}
	touch := accounts.Touch{ActivityID: act.ID, At: &now}
	// Calls in a row nobody answers are a warning sign in the queue.
	switch {
	case in.Channel == compliance.Call && in.Direction == compliance.Outbound && in.Outcome == OutcomeNoAnswer:
		touch.Calls = accounts.CallsCount
	case conversation(in.Outcome):
		touch.Calls = accounts.CallsReset
	}
	if promise != nil {
		touch.PromiseID = promise.ID
	}
	if err := accounts.RecordContact(ctx, sc, acc.ID, touch); err != nil {
		return Logged{}, err
	}
	details := map[string]any{"channel": act.Channel, "direction": act.Direction, "outcome": act.Outcome, "account": acc.ID}
	if promise != nil {
		details["promise"] = promise.ID
	}
	_ = s.audit.Record(ctx, tenant, "activity.create", act.ID, details)
	if s.hooks != nil {
		s.hooks.ActivityLogged(ctx, tenant, acc.ID, act.Channel, act.Direction, now)
	}
	return Logged{Activity: act, Promise: promise}, nil
}

// recordBlocked keeps a refused contact on the account and in the audit
// trail; failing to keep it does not change the answer.
func (s *Service) recordBlocked(ctx context.Context, tg target, channel string, dec compliance.Decision, refusal error, by string, now time.Time) {
	b := BlockedAttempt{At: now, Channel: channel, Code: dec.Code, Rule: dec.Rule, By: by}
	var ref *apperr.Refusal
	if errors.As(refusal, &ref) {
		b.Reason = ref.Reason
	}
	if !dec.Next.IsZero() {
		next := dec.Next.UTC()
		b.Next = &next
	}
	if err := accounts.RecordBlocked(ctx, tg.sc, tg.acc.ID, b); err != nil {
		slog.Warn("keep blocked attempt", "account", tg.acc.ID, "err", err)
	}
	_ = s.audit.Record(ctx, tg.tenant.ID, "activity.blocked", tg.acc.ID, map[string]any{"channel": channel, "code": dec.Code})
}

// policyOf is the policy the target account follows (its strategy-test
// arm's while the test runs).
func (s *Service) policyOf(ctx context.Context, tg target) (strategy.Policy, error) {
	if tg.acc.Test == nil {
		return s.policy.For(ctx, tg.tenant.ID)
	}
	return s.policy.ForAccount(ctx, tg.tenant.ID, tg.acc.Test.ID, tg.acc.Test.Arm)
}

// newPromise validates a promise against the account and the policy.
func (s *Service) newPromise(ctx context.Context, tg target, aw accountWork, in PromiseInput, now time.Time) (*Promise, error) {
	acc := tg.acc
	if acc.Status != accounts.StatusOpen || acc.Balance <= 0 {
		return nil, &apperr.Refusal{Code: "account_not_open", Reason: "La cuenta no tiene saldo pendiente: no admite promesas de pago."}
	}
	pol, err := s.policyOf(ctx, tg)
	if err != nil {
		return nil, err
	}
	f := apperr.Fields{}
	switch {
	case in.Amount <= 0:
		f.Add("promise.amount", "el valor prometido debe ser mayor que cero")
	case in.Amount > acc.Balance:
		f.Add("promise.amount", "el valor prometido no puede superar el saldo de la cuenta")
	case in.Amount < pol.Promises.MinAmount:
		f.Add("promise.amount", fmt.Sprintf("el valor mínimo de una promesa es %d (unidades menores)", pol.Promises.MinAmount))
	}
	today := civilToday(now, tg.tenant.Location())
	date, perr := time.Parse(time.DateOnly, strings.TrimSpace(in.Date))
	switch {
	case perr != nil:
		f.Add("promise.date", "fecha AAAA-MM-DD")
	case date.Before(today):
		f.Add("promise.date", "la fecha de la promesa ya pasó")
	case date.After(today.AddDate(0, 0, pol.Promises.MaxDaysAhead)):
		f.Add("promise.date", fmt.Sprintf("la política admite promesas a máximo %d días", pol.Promises.MaxDaysAhead))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	live, err := s.promises(ctx, tg.sc, aw.PromiseIDs)
	if err != nil {
		return nil, err
	}
	for _, p := range live {
		if p.Status == PromiseLive {
			return nil, &apperr.Refusal{Code: "promise_live", Reason: fmt.Sprintf("Ya hay una promesa vigente para el %s: espere a que se cumpla o se incumpla.", p.Date.Format("02/01/2006"))}
		}
	}
	return &Promise{
		ID: tg.sc.ID(primitive.NewObjectIDFromTimestamp(now).Hex()), TenantID: tg.tenant.ID, AccountID: acc.ID, DebtorID: acc.DebtorID,
		Amount: in.Amount, Currency: acc.Currency, Date: date, GraceDays: pol.Promises.GraceDays, Status: PromiseLive,
		By: actor.From(ctx).UserID, CreatedAt: now,
	}, nil
}

// refusal turns a compliance decision into the 422 the collector sees,
// saying when the contact would next be allowed.
func refusal(d compliance.Decision, loc *time.Location) error {
	reason, next := d.Reason, ""
	if !d.Next.IsZero() {
		reason += " Próximo momento permitido: " + d.Next.In(loc).Format("02/01/2006 15:04") + "."
		next = d.Next.In(loc).Format("2006-01-02 15:04")
	}
	return &apperr.Refusal{Code: d.Code, Reason: reason, Rule: d.Rule, Next: next}
}

func trimRecent(list []RecentContact, now time.Time) []RecentContact {
	out := make([]RecentContact, 0, len(list)+1)
	for _, c := range list {
		if now.Sub(c.At) <= recentWindow {
			out = append(out, c)
		}
	}
	if len(out) >= maxRecent {
		out = out[len(out)-maxRecent+1:]
	}
	return out
}

func complianceHistory(list []RecentContact) []compliance.Contact {
	out := make([]compliance.Contact, len(list))
	for i, c := range list {
		out[i] = compliance.Contact{At: c.At, Channel: c.Channel, Direction: c.Direction, Conversation: c.Conversation}
	}
	return out
}

// Timeline is an account's activities and promises, newest first, with what
// the policy ladder asks for next.
type Timeline struct {
	Activities []Activity
	Promises   []Promise
	Blocked    []BlockedAttempt // newest first
	Next       strategy.Next
}

// Timeline reads an account's activities and promises by _id (never a scan).
func (s *Service) Timeline(ctx context.Context, tenant, key string) (Timeline, error) {
	tg, err := s.open(ctx, tenant, key)
	if err != nil {
		return Timeline{}, err
	}
	var aw accountWork
	if err := tg.sc.C("accounts").Get(ctx, tg.acc.ID, &aw); err != nil {
		return Timeline{}, err
	}
	tl := Timeline{Activities: []Activity{}, Promises: []Promise{}, Blocked: []BlockedAttempt{}}
	for i := len(aw.BlockedAttempts) - 1; i >= 0; i-- {
		tl.Blocked = append(tl.Blocked, aw.BlockedAttempts[i])
	}
	for _, id := range aw.ActivityIDs {
		var a Activity
		if err := tg.sc.C("activities").Get(ctx, id, &a); errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return Timeline{}, err
		}
		tl.Activities = append(tl.Activities, a)
	}
	if tl.Promises, err = s.promises(ctx, tg.sc, aw.PromiseIDs); err != nil {
		return Timeline{}, err
	}
	sort.SliceStable(tl.Activities, func(i, j int) bool { return tl.Activities[i].At.After(tl.Activities[j].At) })
	sort.SliceStable(tl.Promises, func(i, j int) bool { return tl.Promises[i].CreatedAt.After(tl.Promises[j].CreatedAt) })
	pol, err := s.policyOf(ctx, tg)
	if err != nil {
		return Timeline{}, err
	}
	loc := tg.tenant.Location()
	contacts := map[string][]time.Time{}
	pause := strategy.Pause{Paid: tg.acc.Status == accounts.StatusPaid || tg.acc.Balance <= 0, Recalled: tg.acc.Status == accounts.StatusRecalled}
	for _, a := range tl.Activities {
		if a.Direction == compliance.Outbound {
			contacts[a.Channel] = append(contacts[a.Channel], civilOf(a.At, loc))
		}
	}
	for _, p := range tl.Promises {
		pause.Promise = pause.Promise || p.Status == PromiseLive
	}
	anchor := pol.Anchor(tg.acc.DueDate, tg.acc.CreatedAt.In(loc))
	tl.Next = strategy.NextStep(pol, anchor, civilToday(s.now(), loc), strategy.DoneFrom(pol, anchor, contacts), pause)
	return tl, nil
}
