package reports

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/i18n"
	"cartera/portal/store"
	"cartera/tenants"
)

// plain writes minor units as a spreadsheet reads them in the tenant's
// locale: no grouping, the locale's decimal mark ("1234567,89" in es-CO).
func plain(v int64, locale string) string { return i18n.Plain(v, locale) }

// safeRow passes every cell through accounts.SafeCell, so no cell a
// spreadsheet opens runs as a formula (negative amounts come out as text).
func safeRow(cells ...string) []string {
	for i, c := range cells {
		cells[i] = accounts.SafeCell(c)
	}
	return cells
}

// AccountsHeader is the header of accounts.csv.
var AccountsHeader = []string{"factura", "documento", "deudor", "vencimiento", "dias_mora", "franja", "valor_original", "saldo", "moneda", "estado", "gestor", "segmento"}

func exportAccounts(ctx context.Context, db *store.DB, t tenants.Tenant, asOf time.Time, write func([]string) error) (int, error) {
	if err := write(AccountsHeader); err != nil {
		return 0, err
	}
	loc := t.Location()
	day := asOf.Add(12 * time.Hour)
	n := 0
	proj := bson.D{{Key: "history", Value: 0}, {Key: "activityIds", Value: 0}, {Key: "promiseIds", Value: 0}, {Key: "recentContacts", Value: 0}}
	err := db.Tenant(t.ID).C("accounts").Each(ctx, bson.D{}, options.Find().SetProjection(proj).SetSort(bson.D{{Key: "_id", Value: 1}}), func(raw bson.Raw) error {
		var a accounts.Account
		if err := bson.Unmarshal(raw, &a); err != nil {
			return err
		}
		dpd := calc.DaysPastDue(a.DueDate, day, loc)
		n++
		return write(safeRow(a.Invoice, a.Document, a.DebtorName, a.DueDate.Format(time.DateOnly), strconv.Itoa(dpd), calc.Bucket(dpd),
			plain(a.Original, t.Locale), plain(a.Balance, t.Locale), a.Currency, a.Status, a.CollectorID, a.Segment))
	})
	if err != nil {
		return n, fmt.Errorf("export accounts: %w", err)
	}
	return n, nil
}

// ActivitiesHeader is the header of activities.csv.
var ActivitiesHeader = []string{"fecha", "factura", "deudor", "canal", "direccion", "resultado", "nota", "gestor"}

func exportActivities(ctx context.Context, db *store.DB, t tenants.Tenant, p Period, write func([]string) error) (int, error) {
	sc := db.Tenant(t.ID)
	names := map[string]string{}
	err := sc.C("accounts").Each(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "debtorName", Value: 1}}), func(raw bson.Raw) error {
		id, _ := raw.Lookup("_id").StringValueOK()
		name, _ := raw.Lookup("debtorName").StringValueOK()
		names[id] = name
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("export activities: %w", err)
	}
	if err := write(ActivitiesHeader); err != nil {
		return 0, err
	}
	n := 0
	filter := bson.D{{Key: "at", Value: bson.D{{Key: "$gte", Value: p.Start}, {Key: "$lt", Value: p.End}}}}
	err = sc.C("activities").Each(ctx, filter, options.Find().SetSort(bson.D{{Key: "at", Value: 1}}), func(raw bson.Raw) error {
		var a struct {
			AccountID string    `bson:"accountId"`
			Channel   string    `bson:"channel"`
			Direction string    `bson:"direction"`
			Outcome   string    `bson:"outcome"`
			Note      string    `bson:"note"`
			By        string    `bson:"by"`
			At        time.Time `bson:"at"`
		}
		if err := bson.Unmarshal(raw, &a); err != nil {
			return err
		}
		n++
		return write(safeRow(a.At.In(p.Loc).Format("2006-01-02 15:04"), sc.Key(a.AccountID), names[a.AccountID],
			a.Channel, a.Direction, a.Outcome, a.Note, a.By))
	})
	if err != nil {
		return n, fmt.Errorf("export activities: %w", err)
	}
	return n, nil
}
