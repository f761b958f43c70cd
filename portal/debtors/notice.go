package debtors

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/i18n"
	"cartera/portal/money"
	"cartera/portal/outbox"
	"cartera/portal/store"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// noticeDebtor is what the decision notice needs of the debtor.
type noticeDebtor struct {
	ID       string             `bson:"_id"`
	Name     string             `bson:"name"`
	Document string             `bson:"document"`
	Contacts []accounts.Contact `bson:"contacts"`
	// Lang is the debtor's language when one was recorded ("en"); Spanish
	// otherwise.
	Lang string `bson:"lang,omitempty"`
}

// noticeChannels are tried in order: the first with a valid contact carries
// the notice (the outbox still checks consent and the contact rules when it
// delivers it).
var noticeChannels = []struct{ channel, kind string }{
	{strategy.ChannelEmail, "email"},
	{strategy.ChannelWhatsApp, "whatsapp"},
	{strategy.ChannelSMS, "phone"},
}

// NoticeID is the outbox key of the notice of a dispute's decision: one per
// dispute and decision, so a retried resolution writes one.
func NoticeID(sc *store.Scope, disputeID, status string) string {
	return sc.ID("dispute:" + sc.Key(disputeID) + ":" + status)
}

// notify writes the debtor's notice of the decision to the outbox, in the
// debtor's language, with the texts of the catalogue (dispute.notice.*).
// It never carries the debtor's document number: a note that typed it is
// masked. Without a valid contact the notice is held (no_contact), visible
// in the manager's outbox.
func (s *Service) notify(ctx context.Context, sc *store.Scope, t tenants.Tenant, dis Dispute, disputed int64) (outbox.Message, error) {
	var d noticeDebtor
	if err := sc.C("debtors").Get(ctx, dis.DebtorID, &d); err != nil {
		return outbox.Message{}, err
	}
	lang := i18n.For(d.Lang, t.Locale)
	tr := func(key string) string { return s.translate(lang, key) }
	kind := dis.Status
	if dis.Status == DisputeAccepted && dis.CreditTotal < disputed {
		kind = "partial"
	}
	portal := tenants.DebtorURL(s.publicURL, t.ID)
	note := dis.Note
	if doc := strings.TrimSpace(d.Document); doc != "" {
		note = strings.ReplaceAll(note, doc, Mask(doc))
	}
	vars := map[string]string{
		"name": d.Name, "company": t.Name, "invoices": strings.Join(dis.Invoices, ", "), "portal": portal,
		"credit": money.Format(dis.CreditTotal, dis.Currency, t.Locale), "note": note,
	}
	fill := func(text string) string {
		for k, v := range vars {
			text = strings.ReplaceAll(text, "{"+k+"}", v)
		}
		return text
	}
	now := s.Now().UTC()
	m := outbox.Message{
		ID: NoticeID(sc, dis.ID, dis.Status), TenantID: sc.Slug(), DebtorID: d.ID, Step: "dispute_" + dis.Status,
		Template: "dispute_" + kind, Status: outbox.StatusQueued, NextAttemptAt: now, CreatedAt: now,
	}
	if len(dis.AccountIDs) > 0 {
		m.AccountID = dis.AccountIDs[0] // an outbox message belongs to an account
	}
	for _, nc := range noticeChannels {
		if m.To = contactOf(d.Contacts, nc.kind); m.To != "" {
			m.Channel = nc.channel
			break
		}
	}
	m.Subject = fill(tr("dispute.notice." + kind + ".subject"))
	if m.Channel == strategy.ChannelEmail || m.Channel == "" {
		m.Body = fill(tr("dispute.notice."+kind+".body")) + "\n\n" + fill(tr("dispute.notice.footer"))
	} else {
		m.Body = fill(tr("dispute.notice." + kind + ".short"))
	}
	if m.To == "" {
		m.Channel, m.Status, m.Code = strategy.ChannelEmail, outbox.StatusHeld, "no_contact"
	}
	if err := sc.C("outbox").Insert(ctx, m); err != nil && !errors.Is(err, apperr.ErrConflict) {
		return outbox.Message{}, fmt.Errorf("dispute notice: %w", err)
	}
	return m, nil
}

// contactOf is the newest valid contact of kind ("" when none).
func contactOf(list []accounts.Contact, kind string) string {
	for i := len(list) - 1; i >= 0; i-- {
		if c := list[i]; c.Kind == kind && !c.Invalid && strings.TrimSpace(c.Value) != "" {
			return c.Value
		}
	}
	return ""
}
