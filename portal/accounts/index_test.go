package accounts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
)

// The account list comes from the portfolio index, kept by the store
// watcher through imports, payments, assignment and recall; it answers like
// the scan it replaced, and the daily check repairs a row a write that
// bypassed the store left stale.
func TestPortfolioIndex(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	_, manager := e.User("acme", "manager")
	collectorID, collector := e.User("acme", "collector")
	var b strings.Builder
	b.WriteString("documento,nombre,factura,vencimiento,valor\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "%d,Deudor %d,F-%04d,2026-0%d-15,%d\n", 1000+i%120, i%120, i, 1+i%9, 100000+i)
	}
	if m := e.Import("acme", client, "c.csv", []byte(b.String())); m["inserted"].(float64) != 300 {
		t.Fatalf("import %v", m)
	}
	if r := e.Do("POST", "/api/tenants/acme/assignments", manager, map[string]any{"accountIds": []string{"F-0001", "F-0002", "F-0150"}, "collectorId": collectorID}); r.Status != 200 {
		t.Fatalf("assign %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/tenants/acme/accounts/F-0002/recall", client, map[string]any{"reason": "acuerdo"}); r.Status != 200 {
		t.Fatalf("recall %d %s", r.Status, r.Body)
	}
	list := func(tok, q string) (ids []string, next string) {
		t.Helper()
		var out struct {
			Items []struct {
				ID      string `json:"id"`
				Status  string `json:"status"`
				Balance int64  `json:"balance"`
			} `json:"items"`
			Next string `json:"next"`
		}
		e.Do("GET", "/api/tenants/acme/accounts?"+q, tok, nil).Decode(t, &out)
		for _, it := range out.Items {
			ids = append(ids, it.ID)
		}
		return ids, out.Next
	}
	if ids, _ := list(collector, ""); strings.Join(ids, ",") != "F-0001,F-0002,F-0150" {
		t.Errorf("collector sees %v", ids)
	}
	if ids, _ := list(client, "status=recalled"); strings.Join(ids, ",") != "F-0002" {
		t.Errorf("recalled %v", ids)
	}
	if ids, _ := list(client, "q=f-029&limit=500"); len(ids) != 10 || ids[0] != "F-0290" { // case-insensitive
		t.Errorf("search by invoice %v", ids)
	}
	if ids, _ := list(client, "q=DEUDOR%20119&limit=500"); strings.Join(ids, ",") != "F-0119,F-0239" {
		t.Errorf("search by name %v", ids)
	}
	// Paging: 300 accounts in pages of 120 come back in order, once each.
	var all []string
	cursor := ""
	for page := 0; page < 5; page++ {
		ids, next := list(client, "limit=120&cursor="+cursor)
		all = append(all, ids...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 300 || all[0] != "F-0000" || all[299] != "F-0299" {
		t.Errorf("paged %d accounts: %v … %v", len(all), all[:1], all[len(all)-1:])
	}
	ctx := context.Background()
	if n, err := e.App.Read.Index.Verify(ctx, "acme"); err != nil || n != 0 {
		t.Fatalf("index differs from the accounts after the flows: %d %v", n, err)
	}
	// A write behind the store's back: the list is stale until the check.
	if _, err := e.App.DB.C("accounts").Raw().UpdateOne(ctx, bson.D{{Key: "_id", Value: "acme:F-0005"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "legal"}}}}); err != nil {
		t.Fatal(err)
	}
	e.App.DB.ForgetCached()
	if ids, _ := list(client, "status=legal"); len(ids) != 0 {
		t.Fatalf("the index saw a write that bypassed the store: %v", ids)
	}
	if n, err := e.App.Read.Index.Verify(ctx, "acme"); err != nil || n != 1 {
		t.Fatalf("verify fixed %d (%v), want 1", n, err)
	}
	if ids, _ := list(client, "status=legal"); strings.Join(ids, ",") != "F-0005" {
		t.Errorf("after repair %v", ids)
	}
}
