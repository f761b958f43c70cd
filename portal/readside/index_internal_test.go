package readside

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/store/storetest"
)

// Inserts pile up as segments and fold into the chunks past maxSegments;
// updates and deletes win over the segments' older rows; the merged rows
// equal a scan throughout.
func TestIndexSegmentsFold(t *testing.T) {
	db := storetest.New(t)
	x := NewIndex(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	x.Watch()
	ctx := context.Background()
	sc := db.Tenant("acme")
	check := func(when string) {
		t.Helper()
		got, ok, err := x.rows(ctx, sc)
		if err != nil || !ok {
			t.Fatalf("%s: rows %v %v", when, ok, err)
		}
		want, err := x.scan(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
		sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: index %d rows, scan %d rows differ", when, len(got), len(want))
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	for b := 0; b < maxSegments+3; b++ {
		var docs []any
		for i := 0; i < 5; i++ {
			inv := fmt.Sprintf("F-%03d-%d", b, i)
			docs = append(docs, accounts.Account{ID: sc.ID(inv), TenantID: "acme", Invoice: inv, DebtorID: sc.ID("d"), DueDate: now, Balance: int64(b), Status: accounts.StatusOpen, History: []accounts.Movement{}})
		}
		if _, err := sc.C("accounts").InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
		if b == 3 {
			check("segments only")
			// An update lands in a chunk and hides the segment's row.
			if err := sc.C("accounts").Update(ctx, sc.ID("F-001-1"), bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: accounts.StatusPaid}, {Key: "balance", Value: int64(0)}}}}); err != nil {
				t.Fatal(err)
			}
			if err := sc.C("accounts").Delete(ctx, sc.ID("F-002-2")); err != nil {
				t.Fatal(err)
			}
			check("after update and delete")
		}
	}
	var man manifestDoc
	if err := sc.C("accountindex").Get(ctx, sc.ID(manifestKey), &man); err != nil {
		t.Fatal(err)
	}
	if len(man.Segs) >= maxSegments {
		t.Fatalf("%d segments never folded", len(man.Segs))
	}
	check("after the fold")
	// A second process (empty cache) reads the same.
	x2 := NewIndex(db, x.log)
	a, _, _ := x.rows(ctx, sc)
	b, _, _ := x2.rows(ctx, sc)
	if len(a) != len(b) || len(a) != (maxSegments+3)*5-1 {
		t.Fatalf("rows: this process %d, a fresh one %d", len(a), len(b))
	}
}
