package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/compliance"
	"cartera/portal/strategy"
)

// LadderStats counts what a ladder pass did.
type LadderStats struct {
	Accounts int `json:"accounts"` // open accounts looked at
	Queued   int `json:"queued"`   // automatic steps put in the outbox now
	Deferred int `json:"deferred"` // of those, blocked by a contact rule for now
	Held     int `json:"held"`     // of those, with no way to send (no contact, opted out)
	Already  int `json:"already"`  // steps another runner had queued
	Written  int `json:"written"`  // accounts whose ladder state changed
	Entries  int `json:"entries"`  // worklist entries rewritten
	Removed  int `json:"removed"`  // worklist entries dropped
}

// RunLadder runs a tenant's policy ladder over its open accounts: automatic
// steps that are due go to the outbox once per (account, step), after the
// contact rules are checked; the next manual step becomes the collector's
// next action. It writes only what changed, and also reconciles the
// worklists with the accounts (changes no hook saw: online payments,
// disputes, recalls). It scans the tenant's accounts: run it from the
// scheduler. Two runners at once do every step once: the outbox _id is the
// step's key, and the ladder state is a compare-and-set union.
func (s *Service) RunLadder(ctx context.Context, tenant string) (LadderStats, error) {
	var st LadderStats
	c, err := s.load(ctx, tenant)
	if err != nil {
		return st, err
	}
	type held struct {
		col string
		rev int64
	}
	have := map[string]held{}
	err = c.sc.C("worklists").Each(ctx, bson.D{}, nil, func(raw bson.Raw) error {
		var wl Worklist
		if err := bson.Unmarshal(raw, &wl); err != nil {
			return err
		}
		entries, err := wl.Entries()
		if err != nil {
			return err
		}
		for k, e := range entries {
			have[k] = held{col: wl.CollectorID, rev: e.Rev}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("ladder: worklists: %w", err)
	}
	var open []accountDoc
	err = c.sc.C("accounts").Find(ctx, bson.D{{Key: "status", Value: accounts.StatusOpen}}, &open, options.Find().SetProjection(accountProjection))
	if err != nil {
		return st, fmt.Errorf("ladder: accounts: %w", err)
	}
	w := newWrites()
	seen := map[string]bool{}
	for _, a := range open {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		st.Accounts++
		live, err := c.livePromise(ctx, a)
		if err != nil {
			return st, err
		}
		pause := pauseOf(a, live)
		done := slices.Clone(a.LadderDone)
		var added []string
		for range c.pol.Steps {
			n := strategy.NextStep(c.pol, a.DueDate, c.today, done, pause)
			if n.Step == nil || n.Due.After(c.today) || !automatic(n.Step) {
				break
			}
			status, err := s.enqueue(ctx, c, a, n)
			if err != nil {
				return st, err
			}
			switch status {
			case "":
				st.Already++
			case StatusDeferred:
				st.Deferred++
			case StatusHeld:
				st.Held++
			}
			if status != "" {
				st.Queued++
			}
			done = append(done, n.Step.Key())
			added = append(added, n.Step.Key())
		}
		probe := a
		probe.LadderDone = done
		changed := len(added) > 0 || !wantedAction(c.pol, probe, live, c.today).equal(a.NextAction)
		if changed {
			err := s.saveLadder(ctx, c, a.ID, live, func(_ *ctxTenant, cur *accountDoc) {
				for _, k := range added {
					if !slices.Contains(cur.LadderDone, k) {
						cur.LadderDone = append(cur.LadderDone, k)
					}
				}
			})
			if err != nil {
				return st, err
			}
			if err := c.sc.C("accounts").Get(ctx, a.ID, &a); err != nil {
				return st, err
			}
			st.Written++
		}
		key := c.sc.Key(a.ID)
		ek := key
		h, ok := have[ek]
		if !inWorklist(a) {
			continue
		}
		seen[ek] = true
		if ok && h.col != a.CollectorID {
			w.remove(h.col, key)
		}
		if !ok || h.col != a.CollectorID || h.rev != a.Rev || changed {
			if err := s.stage(ctx, c, w, a); err != nil {
				return st, err
			}
			st.Entries++
		}
	}
	for ek, h := range have {
		if !seen[ek] {
			w.remove(h.col, ek)
			st.Removed++
		}
	}
	return st, w.apply(ctx, c.sc, s.now())
}

// debtorFull is the debtor as the contact rules need it.
type debtorFull struct {
	ID             string          `bson:"_id"`
	Name           string          `bson:"name"`
	Contacts       []contactDoc    `bson:"contacts"`
	Consent        *consentDoc     `bson:"consent"`
	RecentContacts []recentContact `bson:"recentContacts"`
}

type recentContact struct {
	At           time.Time `bson:"at"`
	Channel      string    `bson:"channel"`
	Direction    string    `bson:"direction"`
	Conversation bool      `bson:"conversation"`
}

// ruleChannel is the contact channel the rules know a step channel by.
func ruleChannel(ch string) string {
	switch ch {
	case strategy.ChannelStatement:
		return compliance.Email
	case strategy.ChannelLetter:
		return compliance.Letter
	}
	return ch
}

// request is the compliance question for an automatic contact now.
func (s *Service) request(c *ctxTenant, d debtorFull, channel string, at time.Time) compliance.Request {
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
	return compliance.Request{Country: c.t.Country, Loc: c.loc, At: at, Channel: ruleChannel(channel), Direction: compliance.Outbound,
		Consent: cons, DefaultAuthorized: defaults, History: hist}
}

// addressFor picks the debtor's contact for a channel (the newest valid one).
func addressFor(d debtorFull, channel string) string {
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

// MessageID is the outbox key of an account's ladder step.
func MessageID(tenant, accountKey string, day int, channel string) string {
	return fmt.Sprintf("%s:%s:%d:%s", tenant, accountKey, day, channel)
}

// enqueue puts a due automatic step in the outbox and returns its status,
// or "" when it was already there (another runner, an earlier pass).
func (s *Service) enqueue(ctx context.Context, c *ctxTenant, a accountDoc, n strategy.Next) (string, error) {
	id := MessageID(c.t.ID, c.sc.Key(a.ID), n.Step.Day, n.Step.Channel)
	var existing struct {
		ID string `bson:"_id"`
	}
	if err := c.sc.C("outbox").Get(ctx, id, &existing); err == nil {
		return "", nil
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return "", err
	}
	var d debtorFull
	if err := c.sc.C("debtors").Get(ctx, a.DebtorID, &d); err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return "", err
	}
	now := s.now()
	subject, body := compose(c, a, n.Step, s.PublicURL)
	m := Message{ID: id, TenantID: c.t.ID, AccountID: a.ID, DebtorID: a.DebtorID, Step: n.Step.Key(), Channel: n.Step.Channel,
		Template: n.Step.Template, To: addressFor(d, n.Step.Channel), Subject: subject, Body: body, Status: StatusQueued,
		NextAttemptAt: now, CreatedAt: now}
	if m.To == "" {
		m.Status, m.Code, m.Reason = StatusHeld, "no_contact", "El deudor no tiene un dato de contacto válido para "+channelName(n.Step.Channel)+"."
	} else if dec := s.checker.Check(s.request(c, d, n.Step.Channel, now)); !dec.Allowed {
		m.Code, m.Reason = dec.Code, dec.Reason
		if dec.Next.IsZero() {
			m.Status = StatusHeld
		} else {
			m.Status, m.NextAttemptAt = StatusDeferred, dec.Next.UTC()
			m.Reason += " Próximo momento permitido: " + dec.Next.In(c.loc).Format("02/01/2006 15:04") + "."
		}
	}
	err := c.sc.C("outbox").Insert(ctx, m)
	if errors.Is(err, apperr.ErrConflict) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("outbox %s: %w", id, err)
	}
	return m.Status, nil
}

func channelName(ch string) string {
	return map[string]string{"email": "correo electrónico", "statement": "correo electrónico", "sms": "SMS", "whatsapp": "WhatsApp",
		"letter": "carta (dirección)", "call": "llamada", "visit": "visita",
		"credit_suspension": "aviso de suspensión de crédito", "final_notice": "aviso final", "legal": "etapa jurídica"}[ch]
}
