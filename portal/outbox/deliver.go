package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// claimFor is how long a delivery run holds a message it is sending.
const claimFor = 5 * time.Minute

// backoff is the wait after the n-th failed attempt: 1 min, 4, 16, 64…, at
// most 6 hours.
func backoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 4
	}
	return min(d, 6*time.Hour)
}

func (s *Service) senderFor(channel string) Sender {
	switch channel {
	case strategy.ChannelEmail, strategy.ChannelStatement:
		return s.email
	case strategy.ChannelWhatsApp, strategy.ChannelSMS:
		return s.messenger
	}
	return nil
}

// due reports whether a delivery pass should take m now.
func (s *Service) due(m Message, now time.Time) bool {
	switch m.Status {
	case StatusQueued, StatusDeferred:
		return !m.NextAttemptAt.After(now)
	case StatusSending:
		return m.ClaimUntil.Before(now) // a run died holding it
	case StatusHeld:
		return m.Code == "no_sender" && s.senderFor(m.Channel) != nil
	}
	return false
}

// tenantCtx is a tenant with what a delivery pass needs, loaded once.
type tenantCtx struct {
	t   tenants.Tenant
	sc  *store.Scope
	loc *time.Location
}

func (s *Service) load(ctx context.Context, tenant string) (*tenantCtx, error) {
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return &tenantCtx{t: t, sc: s.db.Tenant(tenant), loc: t.Location()}, nil
}

// Deliver sends a tenant's due outbox messages: each is claimed first (a
// compare-and-set), the contact rules are checked again and the contact is
// counted on the debtor in one compare-and-set, then it is sent outside any
// lock. Failures retry with backoff until MaxAttempts, then stay failed and
// visible. Without a sender for a channel the message is held, in the same
// compare-and-set that would have claimed it.
func (s *Service) Deliver(ctx context.Context, tenant string) (DeliveryStats, error) {
	var st DeliveryStats
	c, err := s.load(ctx, tenant)
	if err != nil {
		return st, err
	}
	now := s.now()
	var ready []string
	err = c.sc.C("outbox").Each(ctx, s.deliverable(), options.Find().SetProjection(bson.D{{Key: "body", Value: 0}}), func(raw bson.Raw) error {
		var m Message
		if err := bson.Unmarshal(raw, &m); err != nil {
			return err
		}
		if s.due(m, now) {
			ready = append(ready, m.ID)
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("outbox: %w", err)
	}
	for _, id := range ready {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := s.deliverOne(ctx, c, id, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// deliverable is the filter of the messages a delivery pass may take (due
// decides): held ones only when waiting for a sender that is now there,
// so the letters to print and the messages no rule will let out are not
// read back on every pass.
func (s *Service) deliverable() bson.D {
	or := bson.A{bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{StatusQueued, StatusDeferred, StatusSending}}}}}}
	var ready bson.A
	for _, ch := range []string{strategy.ChannelEmail, strategy.ChannelStatement, strategy.ChannelWhatsApp, strategy.ChannelSMS} {
		if s.senderFor(ch) != nil {
			ready = append(ready, ch)
		}
	}
	if len(ready) > 0 {
		or = append(or, bson.D{{Key: "status", Value: StatusHeld}, {Key: "code", Value: "no_sender"}, {Key: "channel", Value: bson.D{{Key: "$in", Value: ready}}}})
	}
	return bson.D{{Key: "$or", Value: or}}
}

func (s *Service) deliverOne(ctx context.Context, c *tenantCtx, id string, st *DeliveryStats) error {
	now := s.now()
	var m Message
	claimed, held := false, false
	err := c.sc.C("outbox").Mutate(ctx, id, &m, func() (bson.D, error) {
		if !s.due(m, now) {
			return nil, nil
		}
		// Nothing to send it with: held at once, with no claim (nothing
		// goes out, so two runners cannot send it twice).
		if s.senderFor(m.Channel) == nil {
			held = true
			reason, code := "No hay un medio de envío configurado para este canal (SMTP_URL o proveedor de mensajes).", "no_sender"
			if m.Channel == strategy.ChannelLetter {
				reason, code = "Carta lista para imprimir y enviar por correo físico (descárguela en PDF).", "print"
			}
			return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusHeld}, {Key: "code", Value: code}, {Key: "reason", Value: reason}}}}, nil
		}
		claimed = true
		return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusSending}, {Key: "claimUntil", Value: now.Add(claimFor)}}}}, nil
	})
	if held && err == nil {
		st.Held++
	}
	if err != nil || !claimed {
		return err
	}
	finish := func(set bson.D) error {
		return c.sc.C("outbox").Update(ctx, id, bson.D{{Key: "$set", Value: set}})
	}
	sender := s.senderFor(m.Channel)
	// The rules again, now, and the contact counted on the debtor in the
	// same compare-and-set, so manual and automatic contacts share the caps.
	var d Debtor
	var refused *struct {
		code, reason string
		next         time.Time
	}
	err = c.sc.C("debtors").Mutate(ctx, m.DebtorID, &d, func() (bson.D, error) {
		dec := s.checker.Check(Request(c.t.Country, c.loc, d, m.Channel, now))
		if !dec.Allowed {
			refused = &struct {
				code, reason string
				next         time.Time
			}{dec.Code, dec.Reason, dec.Next}
			return nil, nil
		}
		hist := make([]RecentContact, 0, len(d.RecentContacts)+1)
		for _, r := range d.RecentContacts {
			if now.Sub(r.At) <= 60*24*time.Hour {
				hist = append(hist, r)
			}
		}
		hist = append(hist, RecentContact{At: now, Channel: RuleChannel(m.Channel), Direction: "outbound"})
		return bson.D{{Key: "$set", Value: bson.D{{Key: "recentContacts", Value: hist}}}}, nil
	})
	if err != nil {
		return err
	}
	if refused != nil {
		if refused.next.IsZero() {
			st.Held++
			return finish(bson.D{{Key: "status", Value: StatusHeld}, {Key: "code", Value: refused.code}, {Key: "reason", Value: refused.reason}})
		}
		st.Deferred++
		return finish(bson.D{{Key: "status", Value: StatusDeferred}, {Key: "code", Value: refused.code},
			{Key: "reason", Value: refused.reason + " Próximo momento permitido: " + refused.next.In(c.loc).Format("02/01/2006 15:04") + "."},
			{Key: "nextAttemptAt", Value: refused.next.UTC()}})
	}
	sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	sendErr := sender.Send(sendCtx, m)
	cancel()
	attempts := m.Attempts + 1
	if sendErr != nil {
		// A contact that did not happen does not count toward the caps.
		var dd Debtor
		err := c.sc.C("debtors").Mutate(ctx, m.DebtorID, &dd, func() (bson.D, error) {
			kept := dd.RecentContacts[:0:0]
			for _, r := range dd.RecentContacts {
				if !(r.At.Equal(now) && r.Channel == RuleChannel(m.Channel) && r.Direction == "outbound") {
					kept = append(kept, r)
				}
			}
			if len(kept) == len(dd.RecentContacts) {
				return nil, nil
			}
			return bson.D{{Key: "$set", Value: bson.D{{Key: "recentContacts", Value: kept}}}}, nil
		})
		if err != nil {
			return err
		}
		msg := sendErr.Error()
		if len(msg) > 300 {
			msg = msg[:300]
		}
		if attempts >= s.maxAttempts {
			st.Failed++
			return finish(bson.D{{Key: "status", Value: StatusFailed}, {Key: "attempts", Value: attempts}, {Key: "lastError", Value: msg},
				{Key: "reason", Value: fmt.Sprintf("Falló tras %d intentos.", attempts)}})
		}
		st.Retried++
		return finish(bson.D{{Key: "status", Value: StatusQueued}, {Key: "attempts", Value: attempts}, {Key: "lastError", Value: msg},
			{Key: "nextAttemptAt", Value: now.Add(backoff(attempts))}})
	}
	st.Sent++
	sent := s.now()
	if err := finish(bson.D{{Key: "status", Value: StatusSent}, {Key: "attempts", Value: attempts}, {Key: "sentAt", Value: sent},
		{Key: "code", Value: ""}, {Key: "reason", Value: ""}, {Key: "lastError", Value: ""}}); err != nil {
		return err
	}
	return s.logSent(ctx, c, m, sent)
}

// logSent writes the automatic contact into the account's timeline.
func (s *Service) logSent(ctx context.Context, c *tenantCtx, m Message, at time.Time) error {
	act := bson.D{
		{Key: "_id", Value: c.sc.ID("outbox-" + c.sc.Key(m.ID))}, {Key: "tenantId", Value: c.t.ID}, {Key: "accountId", Value: m.AccountID},
		{Key: "debtorId", Value: m.DebtorID}, {Key: "channel", Value: RuleChannel(m.Channel)}, {Key: "direction", Value: "outbound"},
		{Key: "outcome", Value: "left_message"}, {Key: "note", Value: "Envío automático: " + m.Subject}, {Key: "decision", Value: "ok"},
		{Key: "by", Value: actor.From(ctx).UserID}, {Key: "byRole", Value: "system"}, {Key: "at", Value: at},
	}
	id := act[0].Value.(string)
	if err := c.sc.C("activities").Insert(ctx, act); err != nil && !errors.Is(err, apperr.ErrConflict) {
		return err
	}
	return accounts.RecordContact(ctx, c.sc, m.AccountID, accounts.Touch{ActivityID: id})
}
