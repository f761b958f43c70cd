package outbox

import (
	"context"
	"fmt"
	"strings"

	"cartera/portal/accounts"
	"cartera/portal/i18n"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Access codes sent to the debtor (accounts.CodeCourier): a client company
// may have a new code sent, never shown, and only to a channel the client
// could not have typed in itself. A verified channel is a valid contact
// confirmed by the BPO (added by a collector after speaking to the debtor)
// or given by the debtor; contacts that came in a client's upload are not.
// Channels the debtor opted out of are skipped.

// codeChannels are the channels a code may go to, in order of preference,
// with the contact kinds each is sent to.
var codeChannels = []struct{ channel, kind string }{
	{strategy.ChannelEmail, "email"},
	{strategy.ChannelWhatsApp, "whatsapp"},
	{strategy.ChannelSMS, "phone"},
}

// verifiedSource reports whether a contact from source is the debtor's own.
func verifiedSource(source string) bool { return source == "collector" || source == "debtor" }

// codeAddress is the channel and address a code for d goes to ("" when none).
func (s *Service) codeAddress(ctx context.Context, tenant string, d accounts.Debtor) (channel, to string, err error) {
	var full Debtor
	if err := s.db.Tenant(tenant).C("debtors").Get(ctx, d.ID, &full); err != nil {
		return "", "", err
	}
	if len(d.AccountIDs) == 0 {
		return "", "", nil // an outbox message belongs to an account
	}
	for _, cc := range codeChannels {
		if full.Consent != nil && full.Consent.Channels[RuleChannel(cc.channel)].OptedOut {
			continue
		}
		for i := len(d.Contacts) - 1; i >= 0; i-- {
			ct := d.Contacts[i]
			if ct.Kind == cc.kind && !ct.Invalid && strings.TrimSpace(ct.Value) != "" && verifiedSource(ct.Source) {
				return cc.channel, ct.Value, nil
			}
		}
	}
	return "", "", nil
}

// CodeChannel is the channel a new code for d would be sent on, "" when d
// has no verified channel.
func (s *Service) CodeChannel(ctx context.Context, tenant string, d accounts.Debtor) (string, error) {
	ch, _, err := s.codeAddress(ctx, tenant, d)
	return ch, err
}

// SendCode queues the message carrying a new access code to the debtor;
// the outbox delivers it under the contact rules like any other message.
func (s *Service) SendCode(ctx context.Context, tenant string, d accounts.Debtor, channel, code string) error {
	ch, to, err := s.codeAddress(ctx, tenant, d)
	if err != nil {
		return err
	}
	if ch != channel || to == "" {
		return fmt.Errorf("access code: channel %q is no longer available", channel)
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return err
	}
	sc := s.db.Tenant(tenant)
	now := s.now()
	m := Message{ID: sc.ID("access-code:" + sc.Key(d.ID) + ":" + fmt.Sprint(now.UnixNano())), TenantID: tenant, AccountID: d.AccountIDs[0],
		DebtorID: d.ID, Step: "access_code", Channel: channel, Template: "access_code", To: to, Status: StatusQueued,
		NextAttemptAt: now, CreatedAt: now}
	m.Subject, m.Body = s.codeText(t, d.Name, code, channel)
	if err := sc.C("outbox").Insert(ctx, m); err != nil {
		return fmt.Errorf("access code: outbox: %w", err)
	}
	s.log.Info("access code queued", "tenant", tenant, "channel", channel)
	return nil
}

// codeText is the message with a new access code in the company's language
// (the Spanish one carries an English line too).
func (s *Service) codeText(t tenants.Tenant, name, code, channel string) (subject, body string) {
	lang := i18n.OfLocale(t.Locale)
	vars := map[string]string{"company": t.Name, "name": name, "code": code, "portal": tenants.DebtorURL(s.publicURL, t.ID)}
	subject = i18n.Fill(s.tr(lang, "accesscode.subject"), vars)
	if channel != strategy.ChannelEmail {
		return subject, i18n.Fill(s.tr(lang, "accesscode.short"), vars)
	}
	return subject, i18n.Fill(s.tr(lang, "accesscode.body"), vars)
}
