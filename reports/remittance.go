package reports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/readside/tally"
	"cartera/portal/store"
	"cartera/tenants"
)

// RemitLine is one payment (or reversal) of the remittance.
//
// Commission is charged per line at the tenant's rate, rounded half away
// from zero to the minor unit: a reversal gets the negative of the same
// rule, so a payment refunded in full cancels its commission exactly, and
// the total commission is the sum of the lines. Money the debtor paid to the
// client directly (client_reported) is not in the BPO's hands: the line owes
// the commission to the BPO and remits nothing, so its ToRemit is
// −Commission.
type RemitLine struct {
	LedgerID   string    `json:"id"`
	At         time.Time `json:"at"`
	Date       string    `json:"date"` // civil date in the tenant's zone
	Invoice    string    `json:"invoice"`
	Debtor     string    `json:"debtor"`
	Kind       string    `json:"kind"` // payment, reversal
	Channel    string    `json:"channel"`
	Ref        string    `json:"ref"`
	Amount     int64     `json:"amount"` // collected: positive payment, negative reversal
	Commission int64     `json:"commission"`
	ToRemit    int64     `json:"toRemit"`
}

// Remittance is the statement of what was collected in a period, the
// BPO's commission and the net owed to the client.
type Remittance struct {
	Tenant       string      `json:"tenant"`
	TenantName   string      `json:"tenantName"`
	Currency     string      `json:"currency"`
	Locale       string      `json:"locale"`
	From         string      `json:"from"`
	To           string      `json:"to"`
	CommissionBP int64       `json:"commissionBp"`
	Lines        []RemitLine `json:"lines"`
	// Collected is Σ Amount: exactly −Σ of the ledger's payment and
	// reversal entries dated in the period.
	Collected      int64 `json:"collected"`
	ClientReported int64 `json:"clientReported"` // part of Collected the client already holds
	Commission     int64 `json:"commission"`
	Net            int64 `json:"net"` // Σ ToRemit = Collected − ClientReported − Commission

	period Period
}

// Period is the period the remittance covers.
func (r Remittance) Period() Period { return r.period }

// Commission is amount × bp / 10000 rounded half away from zero.
func Commission(amount, bp int64) int64 { return mulDivRound(amount, bp, 10000) }

// remitKinds are the ledger entries that move money between the debtor and
// the BPO: payments and their reversals, and the late interest paid with a
// payment and given back by a refund. Every peso collected is remitted.
var remitKinds = bson.A{accounts.KindPayment, accounts.KindReversal, accounts.KindInterestPaid, accounts.KindInterestRefund,
	accounts.KindOverpayment, accounts.KindCreditRefund}

// Remit builds the remittance of tenant t for period p from the ledger.
func Remit(ctx context.Context, db *store.DB, t tenants.Tenant, p Period) (Remittance, error) {
	sc := db.Tenant(t.ID)
	r := Remittance{Tenant: t.ID, TenantName: t.Name, Currency: t.Currency, Locale: t.Locale, CommissionBP: t.CommissionBP,
		From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), Lines: []RemitLine{}, period: p}
	filter := bson.D{
		{Key: "kind", Value: bson.D{{Key: "$in", Value: remitKinds}}},
		{Key: "at", Value: bson.D{{Key: "$gte", Value: p.Start}, {Key: "$lt", Value: p.End}}},
	}
	proj := bson.D{{Key: "accountId", Value: 1}, {Key: "kind", Value: 1}, {Key: "channel", Value: 1}, {Key: "amount", Value: 1},
		{Key: "currency", Value: 1}, {Key: "ref", Value: 1}, {Key: "at", Value: 1}}
	currencies := map[string]bool{}
	err := sc.C("ledger").Each(ctx, filter, options.Find().SetProjection(proj), func(raw bson.Raw) error {
		var e accounts.LedgerEntry
		if err := bson.Unmarshal(raw, &e); err != nil {
			return err
		}
		if !p.Contains(e.At) || !slices.Contains(remitKinds, any(e.Kind)) {
			return nil
		}
		if e.Currency != "" {
			currencies[e.Currency] = true
		}
		l := RemitLine{LedgerID: e.ID, At: e.At, Date: e.At.In(p.Loc).Format(time.DateOnly), Invoice: sc.Key(e.AccountID),
			Kind: e.Kind, Channel: tally.Channel(e.Channel), Ref: e.Ref, Amount: -e.Amount}
		l.Commission = Commission(l.Amount, t.CommissionBP)
		l.ToRemit = l.Amount - l.Commission
		if l.Channel == "client_reported" {
			l.ToRemit = -l.Commission
			r.ClientReported += l.Amount
		}
		r.Lines = append(r.Lines, l)
		return nil
	})
	if err != nil {
		return Remittance{}, fmt.Errorf("remittance: %w", err)
	}
	if len(currencies) > 1 {
		cs := make([]string, 0, len(currencies))
		for c := range currencies {
			cs = append(cs, c)
		}
		sort.Strings(cs)
		return Remittance{}, errMultiCurrency(cs)
	}
	for c := range currencies {
		r.Currency = c
	}
	sort.Slice(r.Lines, func(i, j int) bool {
		if !r.Lines[i].At.Equal(r.Lines[j].At) {
			return r.Lines[i].At.Before(r.Lines[j].At)
		}
		return r.Lines[i].LedgerID < r.Lines[j].LedgerID
	})
	// Debtor names, read by _id once per account.
	names := map[string]string{}
	for i := range r.Lines {
		l := &r.Lines[i]
		id := sc.ID(l.Invoice)
		name, ok := names[id]
		if !ok {
			var a struct {
				DebtorName string `bson:"debtorName"`
			}
			if err := sc.C("accounts").Get(ctx, id, &a); err != nil && !errors.Is(err, apperr.ErrNotFound) {
				return Remittance{}, fmt.Errorf("remittance: %w", err)
			}
			name, names[id] = a.DebtorName, a.DebtorName
		}
		l.Debtor = name
		r.Collected += l.Amount
		r.Commission += l.Commission
		r.Net += l.ToRemit
	}
	return r, nil
}

// RemittanceHeader is the header of remittance.csv.
var RemittanceHeader = []string{"fecha", "factura", "deudor", "tipo", "canal", "referencia", "recaudado", "comision", "a_girar"}

// Rows are the remittance's CSV rows, a totals row last. Text cells are
// made safe against formula injection; the amounts are numbers the portal
// formatted itself (digits, a sign, the decimal separator) and stay
// numbers, negatives included, so a spreadsheet can add them up.
func (r Remittance) Rows() [][]string {
	out := make([][]string, 0, len(r.Lines)+1)
	num := func(v int64) string { return plain(v, r.Locale) }
	for _, l := range r.Lines {
		out = append(out, append(safeRow(l.Date, l.Invoice, l.Debtor, l.Kind, l.Channel, l.Ref), num(l.Amount), num(l.Commission), num(l.ToRemit)))
	}
	out = append(out, append(safeRow("total", "", "", "", "", ""), num(r.Collected), num(r.Commission), num(r.Net)))
	return out
}
