package queue

import (
	"time"

	"cartera/portal/i18n"
	"cartera/portal/money"
	"cartera/portal/strategy"
)

// compose writes an automatic message for a ladder step in the tenant's
// language (the catalogue's msg.* texts). Texts never carry the debtor's
// document number; they point to portal: the account's payment link, or
// the tenant's debtor page.
func compose(c *ctxTenant, a accountDoc, st *strategy.Step, portal string, tr func(lang, key string) string) (subject, body string) {
	lang := i18n.OfLocale(c.t.Locale)
	t := func(key string) string { return tr(lang, key) }
	vars := map[string]string{"name": a.DebtorName, "invoice": a.Invoice, "company": c.t.Name,
		"amount": money.Format(a.Balance, a.Currency, c.t.Locale), "due": i18n.LongDate(a.DueDate, lang),
		"portal": portal}
	kind := "notice"
	switch {
	case st.Day < 0:
		kind = "before"
	case st.Day <= 15:
		kind = "overdue"
	}
	subject = i18n.Fill(t("msg."+kind+".subject"), vars)
	if st.Channel == strategy.ChannelSMS || st.Channel == strategy.ChannelWhatsApp {
		return subject, i18n.Fill(t("msg.short"), vars)
	}
	return subject, i18n.Fill(t("msg."+kind+".body")+t("msg.footer"), vars)
}

// spanishDate writes "5 de marzo de 2026" (notices that exist only under
// Colombian law).
func spanishDate(t time.Time) string { return i18n.LongDate(t, "es") }
