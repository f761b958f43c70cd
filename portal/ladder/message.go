package ladder

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/i18n"
	"cartera/portal/money"
	"cartera/portal/outbox"
	"cartera/portal/paylinks"
	"cartera/portal/queue"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// MessageID is the outbox key of an account's ladder step.
func MessageID(tenant, accountKey string, day int, channel string) string {
	return fmt.Sprintf("%s:%s:%d:%s", tenant, accountKey, day, channel)
}

// debtor reads a debtor once per pass (a missing one has no contacts).
func (s *Service) debtor(ctx context.Context, sc *store.Scope, cache map[string]outbox.Debtor, id string) (outbox.Debtor, error) {
	if d, ok := cache[id]; ok {
		return d, nil
	}
	var d outbox.Debtor
	if err := sc.C("debtors").Get(ctx, id, &d); err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return d, err
	}
	if len(cache) > 5000 {
		clear(cache)
	}
	cache[id] = d
	return d, nil
}

// message composes the outbox message of a due automatic step, already
// deferred or held when a contact rule or a missing contact says so. The
// caller inserts it; a duplicate _id means the step was queued before.
// The message carries a payment link to the account (returned for the
// caller to store first) when links are wired and the channel is read on
// a screen.
func (s *Service) message(p *queue.Pass, a accounts.Account, d outbox.Debtor, st strategy.Step) (outbox.Message, *paylinks.Link, error) {
	t, loc := p.Tenant(), p.Location()
	id := MessageID(t.ID, s.db.Tenant(t.ID).Key(a.ID), st.Day, st.Channel)
	now := s.now()
	portal := tenants.DebtorURL(s.publicURL, t.ID)
	step := st
	step.Channel = p.Policy().SendChannel(step.Channel) // WhatsApp only where the sender may
	to := outbox.Address(d, step.Channel)
	var link *paylinks.Link
	if s.links != nil && to != "" && screenChannel(step.Channel) {
		token, l, err := paylinks.Mint(time.Now(), t.ID, a.DebtorID, []string{a.ID}, id)
		if err != nil {
			return outbox.Message{}, nil, err
		}
		portal, link = paylinks.URL(portal, token), &l
	}
	subject, body := compose(t, a, &step, portal, s.tr)
	m := outbox.Message{ID: id, TenantID: t.ID, AccountID: a.ID, DebtorID: a.DebtorID, Step: st.Key(), Channel: step.Channel,
		Template: st.Template, To: to, Subject: subject, Body: body, Status: outbox.StatusQueued,
		NextAttemptAt: now, CreatedAt: now}
	if m.To == "" {
		m.Status, m.Code, m.Reason = outbox.StatusHeld, "no_contact", "El deudor no tiene un dato de contacto válido para "+outbox.ChannelName(step.Channel)+"."
	} else if dec := s.checker.Check(outbox.Request(t.Country, loc, d, step.Channel, now)); !dec.Allowed {
		m.Code, m.Reason = dec.Code, dec.Reason
		if dec.Next.IsZero() {
			m.Status = outbox.StatusHeld
		} else {
			m.Status, m.NextAttemptAt = outbox.StatusDeferred, dec.Next.UTC()
			m.Reason += " Próximo momento permitido: " + dec.Next.In(loc).Format("02/01/2006 15:04") + "."
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

// compose writes an automatic message for a ladder step in the tenant's
// language (the catalogue's msg.* texts). Texts never carry the debtor's
// document number; they point to portal: the account's payment link, or
// the tenant's debtor page.
func compose(t tenants.Tenant, a accounts.Account, st *strategy.Step, portal string, tr func(lang, key string) string) (subject, body string) {
	lang := i18n.OfLocale(t.Locale)
	tt := func(key string) string { return tr(lang, key) }
	vars := map[string]string{"name": a.DebtorName, "invoice": a.Invoice, "company": t.Name,
		"amount": money.Format(a.Balance, a.Currency, t.Locale), "due": i18n.LongDate(a.DueDate, lang),
		"portal": portal}
	kind := "notice"
	switch {
	case st.Day < 0:
		kind = "before"
	case st.Day <= 15:
		kind = "overdue"
	}
	subject = i18n.Fill(tt("msg."+kind+".subject"), vars)
	if st.Channel == strategy.ChannelSMS || st.Channel == strategy.ChannelWhatsApp {
		return subject, i18n.Fill(tt("msg.short"), vars)
	}
	return subject, i18n.Fill(tt("msg."+kind+".body")+tt("msg.footer"), vars)
}
