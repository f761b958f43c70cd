package bureau

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/compliance"
	"cartera/portal/money"
	"cartera/portal/outbox"
	"cartera/tenants"
)

// The credit-bureau workflow (Ley 1266 de 2008 art. 12, Ley 2157 de 2021):
// before a negative report the debtor gets a prior notice (a letter to print
// or an e-mail, through the outbox); the report may be made 20 calendar days
// after it (after the second of two notices on different days for a small
// debt), never while a dispute is open, and the house also holds back
// accounts in a current installment plan. Cartera does not talk to any
// bureau: it lists the accounts that may be reported and exports them for
// the client, who reports.
//
// The accounts with a notice are kept in one read model per tenant
// (collection counters, _id "<tenant>:bureau"), so the list is an _id read
// plus an _id read per listed account, never a scan.

// Item statuses.
const (
	Reportable    = "reportable"
	Waiting       = "waiting"        // the notice period is running
	NoticeMissing = "notice_missing" // a (second) notice is needed
	Blocked       = "blocked"        // dispute, plan, paid or recalled
)

// countries are where the workflow applies (Colombian law).
var countries = []string{"CO"}

// noticeRec is one prior notice sent for an account.
type noticeRec struct {
	At        time.Time `json:"at"` // generated
	Channel   string    `json:"channel"`
	MessageID string    `json:"messageId"`
	By        string    `json:"by"`
}

type entry struct {
	AccountID  string      `json:"accountId"`
	Invoice    string      `json:"invoice"`
	DebtorName string      `json:"debtorName"`
	Document   string      `json:"document"`
	Notices    []noticeRec `json:"notices"`
}

type listDoc struct {
	ID       string `bson:"_id"`
	TenantID string `bson:"tenantId"`
	Data     []byte `bson:"data"` // gzip'd JSON of map[accountKey]entry
	Count    int    `bson:"count"`
	Rev      int64  `bson:"rev"`
}

func decodeList(data []byte) (map[string]entry, error) {
	m := map[string]entry{}
	if len(data) == 0 {
		return m, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	return m, json.Unmarshal(raw, &m)
}

func encodeList(m map[string]entry) ([]byte, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// loadTenant checks the caller and that the workflow applies to the tenant.
func (s *Service) loadTenant(ctx context.Context, tenant string) (*tenantCtx, error) {
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil { // membership
		return nil, err
	}
	c, err := s.load(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(countries, c.t.Country) {
		return nil, &apperr.Refusal{Code: "bureau_not_applicable",
			Reason: "El aviso previo de reporte a centrales de riesgo (Ley 1266 de 2008) aplica a clientes de Colombia."}
	}
	return c, nil
}

// SendNotice generates the prior notice for an account: an outbox
// message (a letter to print, or an e-mail the outbox delivers under the
// contact rules) with the notice text, recorded on the tenant's bureau list.
// A second notice on the same day is refused: it would not count as a
// separate notice for a small debt.
func (s *Service) SendNotice(ctx context.Context, tenant, key, channel string) (Item, error) {
	det, err := s.accounts.Get(ctx, tenant, key) // membership and the collector rule
	if err != nil {
		return Item{}, err
	}
	if channel != "email" && channel != "letter" {
		return Item{}, apperr.Field("channel", "use email o letter")
	}
	c, err := s.loadTenant(ctx, tenant)
	if err != nil {
		return Item{}, err
	}
	var a account
	if err := c.sc.C("accounts").Get(ctx, det.ID, &a); err != nil {
		return Item{}, err
	}
	if a.Status != "open" || a.Balance <= 0 {
		return Item{}, &apperr.Refusal{Code: compliance.CodePaid, Reason: "La cuenta no está en cobro o no tiene saldo: no hay nada que avisar."}
	}
	var d outbox.Debtor
	if err := c.sc.C("debtors").Get(ctx, a.DebtorID, &d); err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return Item{}, err
	}
	key = c.sc.Key(a.ID)
	cur, err := s.entries(ctx, c)
	if err != nil {
		return Item{}, err
	}
	now := s.now()
	today := civilToday(now, c.loc)
	prev := cur[key]
	for _, n := range prev.Notices {
		if civilToday(n.At, c.loc).Equal(today) {
			return Item{}, &apperr.Refusal{Code: "notice_same_day",
				Reason: "Ya se generó un aviso hoy para esta cuenta; un segundo aviso debe ser en otro día."}
		}
	}
	n := len(prev.Notices) + 1
	m := outbox.Message{ID: fmt.Sprintf("%s:%s:bureau:%d:%s", c.t.ID, key, n, channel), TenantID: c.t.ID, AccountID: a.ID, DebtorID: a.DebtorID,
		Step: "bureau_notice", Channel: channel, Template: "bureau_notice", To: outbox.Address(d, channel), Status: outbox.StatusQueued,
		NextAttemptAt: now, CreatedAt: now}
	m.Subject, m.Body = noticeText(c, a, s.publicURL, s.tr)
	if m.To == "" {
		m.Status, m.Code, m.Reason = outbox.StatusHeld, "no_contact", "El deudor no tiene un dato de contacto válido para "+outbox.ChannelName(channel)+"."
	} else if dec := s.checker.Check(outbox.Request(c.t.Country, c.loc, d, channel, now)); !dec.Allowed && channel == "email" {
		m.Code, m.Reason = dec.Code, dec.Reason
		if dec.Next.IsZero() {
			m.Status = outbox.StatusHeld
		} else {
			m.Status, m.NextAttemptAt = outbox.StatusDeferred, dec.Next.UTC()
			m.Reason += " Próximo momento permitido: " + dec.Next.In(c.loc).Format("02/01/2006 15:04") + "."
		}
	}
	if m.Status == outbox.StatusHeld && m.Code == "no_contact" {
		return Item{}, &apperr.Refusal{Code: "no_contact", Reason: m.Reason}
	}
	if err := c.sc.C("outbox").Insert(ctx, m); err != nil && !errors.Is(err, apperr.ErrConflict) {
		return Item{}, fmt.Errorf("bureau notice: %w", err)
	}
	rec := noticeRec{At: now, Channel: channel, MessageID: m.ID, By: actor.From(ctx).UserID}
	err = s.editList(ctx, c, func(all map[string]entry) {
		e := all[key]
		e.AccountID, e.Invoice, e.DebtorName, e.Document = key, a.Invoice, a.DebtorName, a.Document
		if !slices.ContainsFunc(e.Notices, func(x noticeRec) bool { return x.MessageID == rec.MessageID }) {
			e.Notices = append(e.Notices, rec)
		}
		all[key] = e
	})
	if err != nil {
		return Item{}, err
	}
	s.log.Info("bureau notice", "tenant", tenant, "channel", channel, "n", n)
	all, err := s.entries(ctx, c)
	if err != nil {
		return Item{}, err
	}
	return s.item(ctx, c, all[key])
}

func listID(c *tenantCtx) string { return c.sc.ID("bureau") }

func (s *Service) entries(ctx context.Context, c *tenantCtx) (map[string]entry, error) {
	var doc listDoc
	if err := c.sc.C("counters").Get(ctx, listID(c), &doc); errors.Is(err, apperr.ErrNotFound) {
		return map[string]entry{}, nil
	} else if err != nil {
		return nil, err
	}
	m, err := decodeList(doc.Data)
	if err != nil {
		return nil, fmt.Errorf("bureau list: %w", err)
	}
	return m, nil
}

// editList changes the tenant's bureau list with a compare-and-set
// (created on first use). fn only computes.
func (s *Service) editList(ctx context.Context, c *tenantCtx, fn func(map[string]entry)) error {
	id := listID(c)
	for range 5 {
		var doc listDoc
		err := c.sc.C("counters").Mutate(ctx, id, &doc, func() (bson.D, error) {
			m, err := decodeList(doc.Data)
			if err != nil {
				return nil, err
			}
			fn(m)
			data, err := encodeList(m)
			if err != nil {
				return nil, err
			}
			return bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: data}, {Key: "count", Value: len(m)}}}}, nil
		})
		if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		m := map[string]entry{}
		fn(m)
		data, err := encodeList(m)
		if err != nil {
			return err
		}
		err = c.sc.C("counters").Insert(ctx, listDoc{ID: id, TenantID: c.t.ID, Data: data, Count: len(m)})
		if !errors.Is(err, apperr.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("bureau list: %w", apperr.ErrConflict)
}

// Item is an account on the bureau list with what the rules say.
type Item struct {
	AccountID   string         `json:"accountId"`
	Invoice     string         `json:"invoice"`
	DebtorName  string         `json:"debtorName"`
	Document    string         `json:"document"`
	Balance     int64          `json:"balance"`
	Currency    string         `json:"currency"`
	DueDate     string         `json:"dueDate"`
	DaysPastDue int            `json:"daysPastDue"`
	SmallDebt   bool           `json:"smallDebt"`
	Notices     []NoticeStatus `json:"notices"`
	Status      string         `json:"status"`
	Code        string         `json:"code"`
	Reason      string         `json:"reason"`
	Rule        string         `json:"rule,omitempty"`
	ReportFrom  string         `json:"reportFrom,omitempty"` // the first day a report is allowed, when known
}

// NoticeStatus is one notice and whether it counts yet.
type NoticeStatus struct {
	Date    string `json:"date"`    // when it counts from (YYYY-MM-DD), empty while not sent
	Channel string `json:"channel"` // email or letter
	Status  string `json:"status"`  // the outbox status
	Counted bool   `json:"counted"`
}

// noticeTime is when a notice was communicated: an e-mail when the outbox
// sent it, a letter the day it was generated (it is dated that day and
// printed for mailing). A notice not communicated yet does not count.
func (s *Service) noticeTime(ctx context.Context, c *tenantCtx, n noticeRec) (time.Time, string, error) {
	var m struct {
		Status string     `bson:"status"`
		SentAt *time.Time `bson:"sentAt"`
	}
	err := c.sc.C("outbox").Get(ctx, n.MessageID, &m)
	if errors.Is(err, apperr.ErrNotFound) {
		return time.Time{}, "", nil
	} else if err != nil {
		return time.Time{}, "", err
	}
	switch {
	case n.Channel == "letter" && m.Status != outbox.StatusFailed:
		return n.At, m.Status, nil
	case m.Status == outbox.StatusSent && m.SentAt != nil:
		return *m.SentAt, m.Status, nil
	}
	return time.Time{}, m.Status, nil
}

func (s *Service) item(ctx context.Context, c *tenantCtx, e entry) (Item, error) {
	var a account
	if err := c.sc.C("accounts").Get(ctx, c.sc.ID(e.AccountID), &a); err != nil {
		return Item{}, err
	}
	it := Item{AccountID: e.AccountID, Invoice: a.Invoice, DebtorName: a.DebtorName, Document: a.Document, Balance: a.Balance,
		Currency: a.Currency, DueDate: a.DueDate.Format(time.DateOnly), DaysPastDue: daysBetween(a.DueDate, c.today), Notices: []NoticeStatus{}}
	var times []time.Time
	for _, n := range e.Notices {
		at, status, err := s.noticeTime(ctx, c, n)
		if err != nil {
			return Item{}, err
		}
		ns := NoticeStatus{Channel: n.Channel, Status: status}
		if !at.IsZero() {
			ns.Date, ns.Counted = at.In(c.loc).Format(time.DateOnly), true
			times = append(times, at.In(c.loc))
		}
		it.Notices = append(it.Notices, ns)
	}
	now := s.now().In(c.loc)
	wage, _ := compliance.MinimumWage(now.Year())
	it.SmallDebt = a.Currency == "COP" && compliance.IsSmallDebt(a.Balance, wage, compliance.SmallDebtPercent)
	dec := compliance.BureauEligibility(compliance.BureauCase{Notices: times, Balance: a.Balance, DisputeOpen: a.Disputed,
		PlanActive: a.PlanID != "", Paid: a.Status == "paid", Recalled: a.Status == "recalled"}, now)
	it.Code, it.Reason, it.Rule = dec.Code, dec.Reason, dec.Rule
	switch dec.Code {
	case compliance.CodeOK:
		it.Status = Reportable
	case compliance.CodeNoticePeriod:
		it.Status, it.ReportFrom = Waiting, dec.Next.Format(time.DateOnly)
	case compliance.CodeNoticeMissing:
		it.Status = NoticeMissing
		if len(e.Notices) > len(times) {
			it.Reason = "El aviso aún no se ha enviado (está en la bandeja de salida). " + it.Reason
		}
	default:
		it.Status = Blocked
	}
	return it, nil
}

// List lists the tenant's accounts that have a prior notice, with
// whether each may be reported now and why not (status "" = all). Reads by
// _id only: the tenant's bureau list, then each account and notice message.
func (s *Service) List(ctx context.Context, tenant, status string) ([]Item, error) {
	switch status {
	case "", Reportable, Waiting, NoticeMissing, Blocked:
	default:
		return nil, apperr.Field("status", "use reportable, waiting, notice_missing o blocked")
	}
	a := actor.From(ctx)
	if a.Role == tenants.RoleCollector {
		return nil, fmt.Errorf("bureau list: %w", apperr.ErrForbidden)
	}
	c, err := s.loadTenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	all, err := s.entries(ctx, c)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []Item{}
	for _, k := range keys {
		it, err := s.item(ctx, c, all[k])
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if status == "" || it.Status == status {
			out = append(out, it)
		}
	}
	return out, nil
}

// ExportHeader is the header of the file for the client.
var ExportHeader = []string{"factura", "documento", "deudor", "vencimiento", "dias_mora", "saldo", "moneda",
	"aviso_1", "aviso_2", "reportable_desde", "estado", "motivo"}

// ExportRows are the rows of the export (every listed account, with
// its status, so the client sees the blocked ones and why). Amounts in the
// tenant's locale without the currency sign.
func (s *Service) ExportRows(ctx context.Context, tenant string) ([][]string, error) {
	items, err := s.List(ctx, tenant, "")
	if err != nil {
		return nil, err
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		n1, n2 := "", ""
		var dates []string
		for _, n := range it.Notices {
			if n.Counted {
				dates = append(dates, n.Date+" ("+n.Channel+")")
			}
		}
		if len(dates) > 0 {
			n1 = dates[0]
		}
		if len(dates) > 1 {
			n2 = strings.Join(dates[1:], ", ")
		}
		from := it.ReportFrom
		if it.Status == Reportable {
			from = "ya"
		}
		amount := strings.TrimSpace(strings.TrimPrefix(money.Format(it.Balance, it.Currency, t.Locale), "$"))
		rows = append(rows, []string{it.Invoice, it.Document, it.DebtorName, it.DueDate, fmt.Sprint(it.DaysPastDue), amount, it.Currency,
			n1, n2, from, it.Status, it.Reason})
	}
	return rows, nil
}

// noticeText is the notice's subject and body (the letter of level 3 says
// the same on paper).
// It is Colombian law (countries), so it is written in Spanish.
func noticeText(c *tenantCtx, a account, publicURL string, tr func(lang, key string) string) (string, string) {
	amount := money.Format(a.Balance, a.Currency, c.t.Locale)
	portal := tenants.DebtorURL(publicURL, c.t.ID)
	subject := "Aviso previo de reporte a centrales de riesgo — factura " + a.Invoice
	body := "Estimado(a) " + a.DebtorName + ":\n\n" +
		"La factura " + a.Invoice + " de " + c.t.Name + ", vencida desde el " + spanishDate(a.DueDate) + ", presenta un saldo de " + amount + ". " +
		tr("es", "letter.3.opening") + "\n\n" + tr("es", "letter.3.closing") +
		"\n\nPuede consultar su estado de cuenta, pagar o presentar una reclamación en " + portal +
		"\n\nCordialmente,\nÁrea de cartera — " + c.t.Name
	return subject, body
}
