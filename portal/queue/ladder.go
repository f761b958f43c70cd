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
	"cartera/portal/paylinks"
	"cartera/portal/strategy"
	"cartera/tenants"
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

// ladderBatch is how many accounts a pass handles between its writes: the
// batch's outbox messages go in one InsertMany (one short hold of the
// embedded write lock), each changed account in its own compare-and-set.
const ladderBatch = 500

// RunLadder runs a tenant's policy ladder over its open accounts: automatic
// steps that are due go to the outbox once per (account, step), after the
// contact rules are checked; the next manual step becomes the collector's
// next action. It writes only what changed, and also reconciles the
// worklists with the accounts (changes no hook saw: online payments,
// disputes, recalls). It scans the tenant's accounts: run it from the
// scheduler. Two runners at once do every step once: the outbox _id is the
// step's key, and the ladder state is a compare-and-set union.
//
// The pass is linear in the accounts: one scan, then per batch of
// ladderBatch accounts one bulk insert of the due messages (duplicates are
// steps already queued), one compare-and-set per account whose ladder state
// changed, and, at the end, one write per collector's worklist. Accounts
// whose state and entry are unchanged cost no write at all. No lock is held
// across more than one of those writes, so requests interleave with a pass.
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
		return wl.each(func(k string, e Entry) { have[k] = held{col: wl.CollectorID, rev: e.Rev} })
	})
	if err != nil {
		return st, fmt.Errorf("ladder: worklists: %w", err)
	}
	var open []accountDoc
	err = c.sc.C("accounts").Find(ctx, bson.D{{Key: "status", Value: accounts.StatusOpen}}, &open, options.Find().SetProjection(accountProjection))
	if err != nil {
		return st, fmt.Errorf("ladder: accounts: %w", err)
	}
	w := s.newWrites()
	seen := map[string]bool{}
	type plan struct {
		live  bool
		added []string
	}
	for start := 0; start < len(open); start += ladderBatch {
		batch := open[start:min(start+ladderBatch, len(open))]
		plans := make([]plan, len(batch))
		var msgs []any
		var statuses []string
		var links []paylinks.Link
		for i, a := range batch {
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
			plans[i].live = live
			for range c.pol.Steps {
				n := strategy.NextStep(c.pol, c.anchor(a), c.today, done, pause)
				if n.Step == nil || n.Due.After(c.today) || !automatic(n.Step) {
					break
				}
				m, link, err := s.message(ctx, c, a, n)
				if err != nil {
					return st, err
				}
				if link != nil {
					links = append(links, *link)
				}
				msgs, statuses = append(msgs, m), append(statuses, m.Status)
				done = append(done, n.Step.Key())
				plans[i].added = append(plans[i].added, n.Step.Key())
			}
		}
		// The links first: a message never goes out with a link that
		// opens nothing.
		if s.Links != nil {
			if err := s.Links.Store(ctx, c.t.ID, links); err != nil {
				return st, fmt.Errorf("ladder: %w", err)
			}
		}
		dups, err := c.sc.C("outbox").InsertMany(ctx, msgs)
		if err != nil {
			return st, fmt.Errorf("ladder: outbox: %w", err)
		}
		dup := map[int]bool{}
		for _, i := range dups {
			dup[i] = true
		}
		for i, status := range statuses {
			st.Queued++
			switch {
			case dup[i]:
				st.Queued--
				st.Already++
			case status == StatusDeferred:
				st.Deferred++
			case status == StatusHeld:
				st.Held++
			}
		}
		for i, a := range batch {
			p := plans[i]
			probe := a
			probe.LadderDone = append(slices.Clone(a.LadderDone), p.added...)
			changed := len(p.added) > 0 || !wantedAction(c, probe, p.live).equal(a.NextAction)
			if changed {
				a, err = s.saveLadderDoc(ctx, c, a.ID, p.live, func(_ *ctxTenant, cur *accountDoc) {
					for _, k := range p.added {
						if !slices.Contains(cur.LadderDone, k) {
							cur.LadderDone = append(cur.LadderDone, k)
						}
					}
				})
				if errors.Is(err, apperr.ErrNotFound) {
					continue
				} else if err != nil {
					return st, err
				}
				st.Written++
			}
			key := c.sc.Key(a.ID)
			h, ok := have[key]
			if !inWorklist(a) {
				continue
			}
			seen[key] = true
			if ok && h.col != a.CollectorID {
				w.remove(h.col, key)
			}
			if !ok || h.col != a.CollectorID || h.rev != a.Rev || changed {
				if err := s.stageLive(ctx, c, w, a, p.live); err != nil {
					return st, err
				}
				st.Entries++
			}
		}
	}
	for k, h := range have {
		if !seen[k] {
			w.remove(h.col, k)
			st.Removed++
		}
	}
	return st, w.apply(ctx, c.sc, s.now())
}

// debtorFull is the debtor as the contact rules need it.
type debtorFull struct {
	ID             string          `bson:"_id"`
	Document       string          `bson:"document"`
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

// message composes the outbox message of a due automatic step, already
// deferred or held when a contact rule or a missing contact says so. The
// caller inserts it; a duplicate _id means the step was queued before.
// The message carries a payment link to the account (returned for the
// caller to store first) when links are wired and the channel is read on
// a screen.
func (s *Service) message(ctx context.Context, c *ctxTenant, a accountDoc, n strategy.Next) (Message, *paylinks.Link, error) {
	id := MessageID(c.t.ID, c.sc.Key(a.ID), n.Step.Day, n.Step.Channel)
	d, err := c.getDebtor(ctx, a.DebtorID)
	if err != nil {
		return Message{}, nil, err
	}
	now := s.now()
	portal := tenants.DebtorURL(s.PublicURL, c.t.ID)
	step := *n.Step
	step.Channel = c.pol.SendChannel(step.Channel) // WhatsApp only where the sender may
	to := addressFor(d, step.Channel)
	var link *paylinks.Link
	if s.Links != nil && to != "" && screenChannel(step.Channel) {
		token, l, err := paylinks.Mint(time.Now(), c.t.ID, a.DebtorID, []string{a.ID}, id)
		if err != nil {
			return Message{}, nil, err
		}
		portal, link = paylinks.URL(portal, token), &l
	}
	subject, body := compose(c, a, &step, portal, s.tr)
	m := Message{ID: id, TenantID: c.t.ID, AccountID: a.ID, DebtorID: a.DebtorID, Step: n.Step.Key(), Channel: step.Channel,
		Template: n.Step.Template, To: to, Subject: subject, Body: body, Status: StatusQueued,
		NextAttemptAt: now, CreatedAt: now}
	if m.To == "" {
		m.Status, m.Code, m.Reason = StatusHeld, "no_contact", "El deudor no tiene un dato de contacto válido para "+channelName(step.Channel)+"."
	} else if dec := s.checker.Check(s.request(c, d, step.Channel, now)); !dec.Allowed {
		m.Code, m.Reason = dec.Code, dec.Reason
		if dec.Next.IsZero() {
			m.Status = StatusHeld
		} else {
			m.Status, m.NextAttemptAt = StatusDeferred, dec.Next.UTC()
			m.Reason += " Próximo momento permitido: " + dec.Next.In(c.loc).Format("02/01/2006 15:04") + "."
		}
	}
	return m, link, nil
}

// screenChannel reports whether a channel's message is read where a link
// can be followed (e-mail, SMS, WhatsApp).
func screenChannel(ch string) bool {
	switch ch {
	case strategy.ChannelEmail, strategy.ChannelStatement, strategy.ChannelSMS, strategy.ChannelWhatsApp:
		return true
	}
	return false
}

func channelName(ch string) string {
	return map[string]string{"email": "correo electrónico", "statement": "correo electrónico", "sms": "SMS", "whatsapp": "WhatsApp",
		"letter": "carta (dirección)", "call": "llamada", "visit": "visita",
		"credit_suspension": "aviso de suspensión de crédito", "final_notice": "aviso final", "legal": "etapa jurídica"}[ch]
}
