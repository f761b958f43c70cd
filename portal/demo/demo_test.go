package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apptest"
	"cartera/portal/demo"
	"cartera/reports"
	"cartera/tenants"
)

// The demo replays a year through the services: every part of the story
// happened, the ledger and the accounts agree, no balance is negative, the
// report counters equal a rebuild, and the twelve months' reports add up to
// the year's figure. A second load changes nothing. (The load time is
// printed by -demo, not asserted: speed is not a test.)
func TestDemoYear(t *testing.T) {
	e := apptest.New(t, apptest.Sandbox)
	ctx := actor.With(context.Background(), actor.Actor{UserID: "test", Role: tenants.RoleAdmin})
	out, err := demo.Load(context.Background(), e.App)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out)
	for _, want := range []string{"Distribuidora Andina S.A.S. (demo): a year replayed", "Acme Supply Co. (demo-us): a year replayed", "/pay/demo-us  document"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q", want)
		}
	}
	// The checks scan whole collections: the scheduler's jobs (a minute
	// in, payments.reprocess may settle a payment) must not write
	// meanwhile, and the read models must have caught up.
	e.App.StopBackground()
	if err := e.App.DB.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{demo.Tenant, demo.TenantUS} {
		sc := e.App.DB.Tenant(slug)
		drifts, err := accounts.Reconcile(ctx, sc)
		if err != nil || len(drifts) != 0 {
			t.Fatalf("%s: ledger and accounts disagree: %v %v", slug, drifts, err)
		}
		var neg []accounts.Account
		// (The interest book goes below zero by design: late interest is
		// computed, not booked, so paying it is a negative entry.)
		if err := sc.C("accounts").Find(ctx, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "balance", Value: bson.D{{Key: "$lt", Value: 0}}}}, bson.D{{Key: "credit", Value: bson.D{{Key: "$lt", Value: 0}}}}}}}, &neg); err != nil || len(neg) != 0 {
			t.Fatalf("%s: negative balances: %d %v", slug, len(neg), err)
		}
		if d, err := e.App.Tally.Compare(ctx, slug); err != nil || len(d) != 0 {
			t.Fatalf("%s: report counters drift: %v %v", slug, d, err)
		}
		tn, err := e.App.Tenants.TenantByID(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		loc := tn.Location()
		months, err := e.App.Web.Reports.MonthlyList(ctx, slug)
		if err != nil || len(months) != 11 {
			t.Fatalf("%s: monthly reports: %d %v", slug, len(months), err)
		}
		// The months reported add up to the same span asked in one go.
		var sum int64
		first, last := months[0].Month, months[0].Month
		for _, m := range months {
			sum += m.Recovered
			first, last = min(first, m.Month), max(last, m.Month)
		}
		from, _ := time.ParseInLocation("2006-01", first, loc)
		to, _ := time.ParseInLocation("2006-01", last, loc)
		k, err := reports.Summary(ctx, e.App.DB, tn, reports.NewPeriod(from, to.AddDate(0, 1, -1), loc))
		if err != nil {
			t.Fatal(err)
		}
		if k.Recovered.Amount != sum || sum <= 0 {
			t.Fatalf("%s: months add to %d, the span says %d", slug, sum, k.Recovered.Amount)
		}
		if k.Promises.Kept == 0 || k.Promises.Broken == 0 || k.Disputes.Opened == 0 || k.Plans.Created == 0 || k.ContactRate.Contacted == 0 {
			t.Fatalf("%s: the year lacks part of the story: %+v %+v %+v %+v", slug, k.Promises, k.Disputes, k.Plans, k.ContactRate)
		}
	}
	// A second load finds the tenants and replays nothing.
	again, err := demo.Load(context.Background(), e.App)
	if err != nil || strings.Contains(again, "replayed") {
		t.Fatalf("second load: %v\n%s", err, again)
	}
}
