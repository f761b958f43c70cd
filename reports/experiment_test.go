package reports

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments"
	"cartera/portal/accounts"
	"cartera/portal/store/storetest"
	"cartera/portal/strategy"
	"cartera/portal/work"
	"cartera/tenants"
)

// TestStrategyUpliftByHand: four accounts per arm, each placed at
// 1,000.00 (100000 minor units).
//
//	champion:   recovered 1,000.00 (day 3), 0, 0, 500.00 (day 10)
//	challenger: recovered 1,000.00 (day 1), 1,000.00 (day 4), 500.00 (day 7), 0
//
// Amount-weighted recovery: 150000/400000 = 37.50 %, 250000/400000 = 62.50 %.
// Per-account rates: champion {1, 0, 0, 0.5}, mean 0.375; challenger
// {1, 1, 0.5, 0}, mean 0.625. Payers: 2/4 = 0.5 and 3/4 = 0.75. Median
// days to the first payment: (3+10)/2 = 6.5 and 4.
//
// Payers, Wald: d = 0.75 − 0.5 = 0.25;
// SE = √(0.5·0.5/4 + 0.75·0.25/4) = √0.109375 = 0.330719;
// CI = 0.25 ± 1.959964·0.330719 = 0.25 ± 0.648197 = [−0.398197, 0.898197]
// → −3982 bp to 8982 bp, not significant.
//
// Recovery, Welch: both arms have Σ(r−r̄)² = 0.6875, s² = 0.6875/3 =
// 0.229167; d = 0.625 − 0.375 = 0.25; SE = √(2·0.229167/4) = 0.338502;
// CI = 0.25 ± 0.663451 = [−0.413451, 0.913451] → −4135 bp to 9135 bp;
// ν = (2q)² / (2q²/3) = 6 with q = s²/4.
func TestStrategyUpliftByHand(t *testing.T) {
	const placed = 100000
	champ := []sample{{placed, 100000, 100000, 3}, {placed, 0, 0, -1}, {placed, 0, 0, -1}, {placed, 50000, 50000, 10}}
	chall := []sample{{placed, 100000, 100000, 1}, {placed, 100000, 100000, 4}, {placed, 50000, 50000, 7}, {placed, 0, 0, -1}}
	c1, c2, payers, recovery := compare(champ, chall)
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"champion accounts", c1.Accounts, 4}, {"challenger accounts", c2.Accounts, 4},
		{"champion placed", c1.Placed, 400000}, {"challenger placed", c2.Placed, 400000},
		{"champion recovered", c1.Recovered, 150000}, {"challenger recovered", c2.Recovered, 250000},
		{"champion rate", c1.RecoveryRate.BP, 3750}, {"challenger rate", c2.RecoveryRate.BP, 6250},
		{"champion mean rate", c1.MeanRateBP, 3750}, {"challenger mean rate", c2.MeanRateBP, 6250},
		{"champion payers", c1.Payers, 2}, {"challenger payers", c2.Payers, 3},
		{"champion payer rate", c1.PayerRate.BP, 5000}, {"challenger payer rate", c2.PayerRate.BP, 7500},
		{"payers diff", payers.DiffBP, 2500}, {"payers low", payers.LowBP, -3982}, {"payers high", payers.HighBP, 8982},
		{"recovery diff", recovery.DiffBP, 2500}, {"recovery low", recovery.LowBP, -4135}, {"recovery high", recovery.HighBP, 9135},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if c1.MedianDaysToPay == nil || *c1.MedianDaysToPay != 6.5 || c2.MedianDaysToPay == nil || *c2.MedianDaysToPay != 4 {
		t.Errorf("median days to pay: %v %v, want 6.5 and 4", c1.MedianDaysToPay, c2.MedianDaysToPay)
	}
	if payers.Significant || recovery.Significant || !payers.Defined || !recovery.Defined {
		t.Errorf("4 vs 4 is defined and not significant: %+v %+v", payers, recovery)
	}
	if recovery.DF != 6 || payers.Method != MethodWald || recovery.Method != MethodWelch {
		t.Errorf("df %v, methods %s %s", recovery.DF, payers.Method, recovery.Method)
	}
}

// TestStrategyUpliftSignificant: 30 of 100 champion accounts pay, 50 of
// 100 challenger accounts do. d = 0.2; SE = √(0.3·0.7/100 + 0.5·0.5/100)
// = √0.0046 = 0.067823; CI = 0.2 ± 0.132931 = [0.067069, 0.332931] →
// 671 bp to 3329 bp: the interval leaves out zero.
func TestStrategyUpliftSignificant(t *testing.T) {
	d := waldDiff(30, 100, 50, 100)
	if d.DiffBP != 2000 || d.LowBP != 671 || d.HighBP != 3329 || !d.Significant {
		t.Fatalf("got %+v, want 2000 [671, 3329] significant", d)
	}
	if d := waldDiff(1, 1, 1, 5); d.Defined {
		t.Fatalf("an arm of one account has no interval: %+v", d)
	}
	if v := perThousand(3, 150000, "COP"); v == nil || *v != 2 {
		t.Fatalf("3 contacts for 1,500.00 recovered: %v per 1,000, want 2", v)
	}
}

// TestStrategyReportFromTheStore: the report's passes over the store count
// each document once per arm, only from the account's entry into the test,
// and leave out accounts of other tests.
func TestStrategyReportFromTheStore(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	sc := db.Tenant("acme")
	tn := tenants.Tenant{ID: "acme", Name: "Acme", Currency: "COP", Timezone: "America/Bogota", Locale: "es-CO"}
	start := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return start.AddDate(0, 0, d) }
	acc := func(key, test, arm string, at time.Time, base int64, moves ...accounts.Movement) accounts.Account {
		return accounts.Account{ID: "acme:" + key, TenantID: "acme", Invoice: key, Original: 100000, Balance: 100000, Currency: "COP",
			Status: accounts.StatusOpen, Test: &accounts.TestArm{ID: test, Arm: arm, At: at, Base: base}, History: moves, CreatedAt: at}
	}
	pay := func(d int, amount int64) accounts.Movement {
		return accounts.Movement{LedgerID: fmt.Sprint("p", d, amount), Kind: accounts.KindPayment, Amount: -amount, At: day(d)}
	}
	docs := []any{
		acc("A1", "t1", strategy.ArmChampion, start, 0, pay(4, 40000)),
		acc("A2", "t1", strategy.ArmChampion, start, 0),
		acc("B1", "t1", strategy.ArmChallenger, start, 0, pay(2, 100000)),
		// Enrolled on day 10 owing 60000: the payment of day 1 is not the test's.
		acc("B2", "t1", strategy.ArmChallenger, day(10), 60000, pay(1, 40000), pay(13, 30000)),
		acc("X1", "t0", strategy.ArmChallenger, start, 0, pay(1, 100000)), // another test's
	}
	for _, d := range docs {
		if err := sc.C("accounts").Insert(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	insert := func(coll string, d bson.M) {
		t.Helper()
		d["tenantId"] = "acme"
		if err := sc.C(coll).Insert(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	insert("promises", bson.M{"_id": "acme:p1", "accountId": "acme:A1", "status": work.PromiseKept, "createdAt": day(3)})
	insert("promises", bson.M{"_id": "acme:p2", "accountId": "acme:B2", "status": work.PromiseKept, "createdAt": day(5)}) // before B2 joined
	insert("promises", bson.M{"_id": "acme:p3", "accountId": "acme:B2", "status": work.PromiseBroken, "createdAt": day(11)})
	insert("plans", bson.M{"_id": "acme:l1", "kind": "plan", "status": payments.PlanCompleted, "accountIds": bson.A{"acme:B1", "acme:A2"}, "createdAt": day(1)})
	insert("plans", bson.M{"_id": "acme:l2", "kind": "plan", "status": payments.PlanActive, "accountIds": bson.A{"acme:A1"}, "createdAt": day(1)})
	insert("disputes", bson.M{"_id": "acme:d1", "accountIds": bson.A{"acme:A1", "acme:A2"}, "createdAt": day(2)})
	for i, a := range []string{"A1", "A1", "B1", "B2", "X1"} {
		insert("activities", bson.M{"_id": fmt.Sprint("acme:a", i), "accountId": "acme:" + a, "direction": "outbound", "at": day(11)})
	}
	insert("activities", bson.M{"_id": "acme:in", "accountId": "acme:A1", "direction": "inbound", "at": day(11)})

	rep, err := StrategyTestReport(ctx, db, tn, strategy.Test{Key: "t1", TenantID: "acme"}, day(20))
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := rep.Champion, rep.Challenger
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"champion accounts", c1.Accounts, 2}, {"challenger accounts", c2.Accounts, 2},
		{"champion placed", c1.Placed, 200000}, {"challenger placed (B2 at its base)", c2.Placed, 160000},
		{"champion recovered", c1.Recovered, 40000}, {"challenger recovered (not B2's day 1)", c2.Recovered, 130000},
		{"champion payers", c1.Payers, 1}, {"challenger payers", c2.Payers, 2},
		{"champion promises", c1.PromisesMade, 1}, {"champion kept", c1.PromisesKept, 1},
		{"challenger promises (from B2's entry)", c2.PromisesMade, 1}, {"challenger kept", c2.PromisesKept, 0},
		{"champion plans completed", c1.PlansCompleted, 1}, {"challenger plans completed", c2.PlansCompleted, 1},
		{"champion disputes (one dispute, two accounts)", c1.Disputes, 1}, {"challenger disputes", c2.Disputes, 0},
		{"champion contacts", c1.Contacts, 2}, {"challenger contacts", c2.Contacts, 2},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	// Days to the first payment: A1 day 4; B1 day 2, B2 day 13 − 10 = 3.
	if c1.MedianDaysToPay == nil || *c1.MedianDaysToPay != 4 || c2.MedianDaysToPay == nil || *c2.MedianDaysToPay != 2.5 {
		t.Errorf("median days: %v %v", c1.MedianDaysToPay, c2.MedianDaysToPay)
	}
	// 2 contacts for 400.00 recovered = 5 per 1,000; 2 for 1,300.00 = 1.54.
	if c1.ContactsPerThousand == nil || *c1.ContactsPerThousand != 5 || c2.ContactsPerThousand == nil || *c2.ContactsPerThousand != 1.54 {
		t.Errorf("contacts per 1,000: %v %v", c1.ContactsPerThousand, c2.ContactsPerThousand)
	}
}
