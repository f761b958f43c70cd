package queue

import (
	"fmt"
	"time"

	"cartera/portal/money"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// compose writes an automatic message in Spanish for a ladder step. Texts
// never carry the debtor's document number; they point to the debtor portal.
func compose(c *ctxTenant, a accountDoc, st *strategy.Step, publicURL string) (subject, body string) {
	amount := money.Format(a.Balance, a.Currency, c.t.Locale)
	due := spanishDate(a.DueDate)
	portal := tenants.DebtorURL(publicURL, c.t.ID)
	name := c.t.Name
	switch {
	case st.Day < 0:
		subject = "Recordatorio: su factura " + a.Invoice + " vence el " + due
		body = "Estimado(a) " + a.DebtorName + ":\n\nLe recordamos que la factura " + a.Invoice + " de " + name + " por " + amount +
			" vence el " + due + ". Si ya realizó el pago, por favor ignore este mensaje."
	case st.Day <= 15:
		subject = "Factura " + a.Invoice + " vencida: saldo pendiente " + amount
		body = "Estimado(a) " + a.DebtorName + ":\n\nLa factura " + a.Invoice + " de " + name + " venció el " + due +
			" y presenta un saldo pendiente de " + amount + ". Le invitamos a ponerse al día o a comunicarse con nosotros para acordar una fecha de pago."
	default:
		subject = "Aviso de cobro: factura " + a.Invoice + " con saldo de " + amount
		body = "Estimado(a) " + a.DebtorName + ":\n\nA la fecha no hemos recibido el pago de la factura " + a.Invoice + " de " + name +
			", vencida desde el " + due + ", por " + amount + ". Le solicitamos realizar el pago a la mayor brevedad para evitar gestiones adicionales."
	}
	if st.Channel == strategy.ChannelSMS || st.Channel == strategy.ChannelWhatsApp {
		body = name + ": su factura " + a.Invoice + " tiene un saldo de " + amount + " (vencimiento " + due + "). Pague o acuerde una fecha en " + portal
		return subject, body
	}
	body += "\n\nPuede consultar su estado de cuenta y pagar en línea en " + portal + "\n\nCordialmente,\nÁrea de cartera — " + name
	return subject, body
}

var meses = [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}

// spanishDate writes "5 de marzo de 2026".
func spanishDate(t time.Time) string {
	return fmt.Sprintf("%d de %s de %d", t.Day(), meses[t.Month()-1], t.Year())
}
