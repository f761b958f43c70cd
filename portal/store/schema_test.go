package store_test

import (
	"context"
	"slices"
	"sort"
	"testing"

	"cartera/portal/store"
	"cartera/portal/store/storetest"
)

// The server holds exactly the indexes the numbered steps declare (the
// dropped ones gone), and running every step again changes nothing.
func TestSchemaLeavesTheDeclaredIndexes(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	want := map[string][]string{}
	for _, ix := range store.Indexes() {
		want[ix.Coll] = append(want[ix.Coll], ix.Name())
	}
	check := func(when string) {
		t.Helper()
		for _, coll := range store.Collections {
			specs, err := db.C(coll).Raw().Indexes().ListSpecifications(ctx)
			if err != nil {
				t.Fatalf("%s: list %s: %v", when, coll, err)
			}
			var got []string
			for _, s := range specs {
				if s.Name != "_id_" {
					got = append(got, s.Name)
				}
			}
			w := slices.Clone(want[coll])
			sort.Strings(got)
			sort.Strings(w)
			if !slices.Equal(got, w) {
				t.Errorf("%s: %s has indexes %v, the schema declares %v", when, coll, got, w)
			}
		}
	}
	check("after the migrations")
	if err := store.Remigrate(ctx, db); err != nil {
		t.Fatalf("steps run again: %v", err)
	}
	check("after running the steps again")
	// The dropped ones are not declared.
	for _, ix := range store.Indexes() {
		if ix.Coll == "ledger" && ix.Name() == "tenantId_1_accountId_1_at_1" {
			t.Errorf("unused ledger index still declared")
		}
	}
}
