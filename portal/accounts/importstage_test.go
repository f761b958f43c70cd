package accounts

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// Spilled to disk in many runs (more than maxRuns, so they are also merged
// in between), the staged debtors come out as they do held in memory: once
// each, in id order, their rows merged in file order.
func TestDebtorStageSpillsAndMerges(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(1, 2))
	rows := make([]stagedDebtor, 3000)
	for i := range rows {
		d := rnd.IntN(400)
		rows[i] = stagedDebtor{ID: fmt.Sprintf("acme:%d", d), Document: fmt.Sprint(d), Name: fmt.Sprintf("Deudor %d v%d", d, rnd.IntN(3)),
			Contacts:   []Contact{{Kind: "email", Value: fmt.Sprintf("d%d-%d@x.co", d, rnd.IntN(4)), Source: "import", AddedAt: now}},
			AccountIDs: []string{fmt.Sprintf("acme:F-%d", i)}}
		if i%7 == 0 {
			rows[i].DocumentType = "NIT"
		}
	}
	collect := func(st *debtorStage) []stagedDebtor {
		for i := range rows {
			r := rows[i]
			r.Contacts = append([]Contact{}, r.Contacts...)
			r.AccountIDs = append([]string{}, r.AccountIDs...)
			if err := st.add(&r); err != nil {
				t.Fatal(err)
			}
		}
		var out []stagedDebtor
		if err := st.each(func(d *stagedDebtor) error { out = append(out, *d); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := collect(newDebtorStage(len(rows)))
	small := newDebtorStage(7)
	most := 0
	small.held = func(n int) { most = max(most, n) }
	got := collect(small)
	if most > 7 {
		t.Fatalf("held %d debtors, limit 7", most)
	}
	if len(want) != 400 || !reflect.DeepEqual(got, want) {
		t.Fatalf("spilled stage differs: %d debtors, want %d", len(got), len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].ID >= got[i].ID {
			t.Fatalf("not in id order at %d", i)
		}
	}
}

// Past writeChunk the assigned accounts wait on disk and come back in
// order, writeChunk at a time, with the account they carry.
func TestMoveSpillKeepsOrder(t *testing.T) {
	var ms moveSpill
	n := 2*writeChunk + 17
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("acme:F-%d", i)
		if err := ms.add(Move{AccountID: id, To: "c1", Account: &Account{ID: id, Balance: int64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	next := 0
	err := ms.each(func(chunk []Move) {
		if len(chunk) > writeChunk {
			t.Fatalf("chunk of %d", len(chunk))
		}
		for _, m := range chunk {
			if m.AccountID != fmt.Sprintf("acme:F-%d", next) || m.Account == nil || m.Account.Balance != int64(next) || m.To != "c1" {
				t.Fatalf("move %d: %+v", next, m)
			}
			next++
		}
	})
	if err != nil || next != n {
		t.Fatalf("%d moves back of %d: %v", next, n, err)
	}
}
