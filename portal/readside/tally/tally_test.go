package tally_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/readside/tally"
	"cartera/portal/store/storetest"
	"cartera/tenants"
)

var acme = tenants.Tenant{ID: "acme", Name: "Acme", Currency: "COP", Timezone: "America/Bogota"}

type lookup struct{}

func (lookup) TenantByID(_ context.Context, slug string) (tenants.Tenant, error) {
	if slug != acme.ID {
		return tenants.Tenant{}, fmt.Errorf("tenant %q: %w", slug, apperr.ErrNotFound)
	}
	return acme, nil
}

// The counters follow the writes of their sources, read back as figures
// and sets (a segment's under their plain names), skip a suspended tenant
// until Resume rebuilds it, and a write that bypasses the store is found
// by Compare and undone by Repair.
func TestCountersFollowWritesAndRepair(t *testing.T) {
	db := storetest.New(t)
	tl := tally.New(db, lookup{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tl.Watch()
	ctx := context.Background()
	sc := db.Tenant("acme")
	at := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC) // 10 March in Bogotá
	account := func(i int, segment string) accounts.Account {
		id := sc.ID(fmt.Sprintf("F-%d", i))
		return accounts.Account{ID: id, TenantID: "acme", Invoice: fmt.Sprintf("F-%d", i), DebtorID: sc.ID("d"), DueDate: at,
			Original: 1000, Balance: 1000, Currency: "COP", Status: accounts.StatusOpen, CollectorID: "c1", Segment: segment,
			History: []accounts.Movement{{LedgerID: id + ":p", Kind: accounts.KindPlacement, Amount: 1000, At: at}}, CreatedAt: at, UpdatedAt: at}
	}
	for i, seg := range []string{"hogares", "hogares", "pymes"} {
		if err := sc.C("accounts").Insert(ctx, account(i, seg)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.C("activities").Insert(ctx, bson.D{{Key: "_id", Value: sc.ID("a0")}, {Key: "tenantId", Value: "acme"}, {Key: "accountId", Value: sc.ID("F-0")},
		{Key: "direction", Value: "outbound"}, {Key: "outcome", Value: "contacted"}, {Key: "by", Value: "c1"}, {Key: "at", Value: at}}); err != nil {
		t.Fatal(err)
	}
	day, month := tally.DayDoc("20260310"), tally.MonthDoc("202603")
	read := func() map[string]tally.Counts {
		t.Helper()
		c, err := tl.Read(ctx, "acme", []string{tally.StateDoc, day, month})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := read()
	st, m := c[tally.StateDoc], c[month]
	if st.N[tally.PlacedCount] != 3 || m.N[tally.PlacedAmount] != 3000 || c[day].N[tally.UserContacts("c1")] != 1 || st.N[tally.Assigned("c1")] != 3 {
		t.Errorf("figures: state %v month %v", st.N, m.N)
	}
	if m.Sets[tally.SetContacted].GetCardinality() != 1 || m.Sets[tally.SetRightParty].GetCardinality() != 1 || m.Sets[tally.Worked("c1")].GetCardinality() != 1 {
		t.Errorf("sets: %v", m.Sets)
	}
	if fmt.Sprint(tally.Segments(st.N)) != "[hogares pymes]" {
		t.Errorf("segments %v", tally.Segments(st.N))
	}
	h, py := m.Of("hogares"), m.Of("pymes")
	if h.N[tally.PlacedCount] != 2 || py.N[tally.PlacedCount] != 1 || h.Sets[tally.SetContacted].GetCardinality() != 1 || py.Sets[tally.SetContacted] != nil {
		t.Errorf("by segment: %v %v / %v %v", h.N, h.Sets, py.N, py.Sets)
	}
	// The reader on the store alone reads the same.
	if r, err := tally.NewReader(db).Read(ctx, "acme", []string{month}); err != nil || r[month].N[tally.PlacedCount] != 3 {
		t.Errorf("reader: %v %v", r[month].N, err)
	}

	tl.Suspend("acme")
	if err := sc.C("accounts").Insert(ctx, account(3, "pymes")); err != nil {
		t.Fatal(err)
	}
	if n := read()[tally.StateDoc].N[tally.PlacedCount]; n != 3 {
		t.Errorf("suspended: %d placements counted, want 3", n)
	}
	if err := tl.Resume(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if n := read()[tally.StateDoc].N[tally.PlacedCount]; n != 4 {
		t.Errorf("resumed: %d placements counted, want 4", n)
	}
	if drifts, err := tl.Compare(ctx, "acme"); err != nil || len(drifts) != 0 {
		t.Fatalf("live counters differ from a rebuild: %v %+v", err, drifts)
	}

	if _, err := db.C("tallies").Raw().DeleteOne(ctx, bson.D{{Key: "_id", Value: sc.ID(day)}}); err != nil {
		t.Fatal(err)
	}
	db.ForgetCached() // as the restart after a crash would
	drifts, err := tl.Compare(ctx, "acme")
	want := tally.Drift{Doc: day, Key: tally.PlacedCount, Stored: 0, Rebuilt: 4}
	found := false
	for _, d := range drifts {
		found = found || d == want
	}
	if err != nil || !found {
		t.Errorf("drifts %+v (%v), want %+v among them", drifts, err, want)
	}
	if fixed, err := tl.Repair(ctx, "acme"); err != nil || len(fixed) != len(drifts) {
		t.Errorf("repair %+v %v", fixed, err)
	}
	if drifts, err := tl.Compare(ctx, "acme"); err != nil || len(drifts) != 0 {
		t.Errorf("after repair %+v %v", drifts, err)
	}
	if n := read()[day].N[tally.PlacedCount]; n != 4 {
		t.Errorf("after repair: %d placements on the day, want 4", n)
	}
}
