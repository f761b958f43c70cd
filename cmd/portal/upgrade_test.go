package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/store"
)

func getJSON(t *testing.T, url, token string) any {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	var v any
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// formats names the first byte of every packed field in tenant acme's read
// models, by model (0x1f: gob+gzip, 'W' 0x57: the worklists' own format,
// 0xc5: readside/packed).
func formats(t *testing.T, dir string) map[string]string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	out := map[string]string{}
	sc := db.Tenant("acme")
	err = sc.C("accountindex").Each(ctx, bson.D{}, nil, func(raw bson.Raw) error {
		id, _ := raw.Lookup("_id").StringValueOK()
		if _, b, ok := raw.Lookup("rows").BinaryOK(); ok && len(b) > 0 {
			kind := "chunk"
			if strings.Contains(id, ":dv:") {
				kind = "view"
			} else if strings.Contains(id, ":lx:s:") {
				kind = "segment"
			}
			out[kind] += fmt.Sprintf("%02x", b[0])[:2] + " "
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = sc.C("worklists").Each(ctx, bson.D{}, nil, func(raw bson.Raw) error {
		if _, b, ok := raw.Lookup("data").BinaryOK(); ok && len(b) > 0 {
			out["worklist"] += fmt.Sprintf("%02x ", b[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range out {
		uniq := map[string]bool{}
		for _, f := range strings.Fields(v) {
			uniq[f] = true
		}
		out[k] = fmt.Sprint(uniq)
	}
	return out
}

// A data directory written by the previous release (PORTAL_PREVIOUS_BIN, a
// portal binary built from it; skipped without) reads the same after the
// upgrade: the account list, a search, a collector's queue and debtors'
// statements, equal as JSON values. Its gob+gzip index and views, and its
// 'W' worklists (stale: the first queue read rebuilds them), are rewritten
// in readside/packed.
func TestUpgradeFromPreviousBinary(t *testing.T) {
	prev := os.Getenv("PORTAL_PREVIOUS_BIN")
	if prev == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PORTAL_PREVIOUS_BIN not set (.ci/run builds it from .ci/previous-release)")
		}
		t.Skip("PORTAL_PREVIOUS_BIN not set (.ci/run builds it from .ci/previous-release)")
	}
	bin := build(t)
	dir, err := os.MkdirTemp("", "up")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, prev, dir, addr)
	_, m := call(t, "POST", base+"/api/auth/login", "", `{"email":"admin@proc.test","password":"proc-password-1"}`)
	tok := m["token"].(string)
	if st, m := call(t, "POST", base+"/api/tenants", tok, `{"slug":"acme","name":"Acme","country":"CO"}`); st != 201 {
		t.Fatalf("tenant %d %v", st, m)
	}
	st, m := call(t, "POST", base+"/api/tenants/acme/users", tok, `{"email":"col@proc.test","name":"Col","role":"collector","password":"proc-password-1"}`)
	if st != 201 {
		t.Fatalf("user %d %v", st, m)
	}
	colID := m["id"].(string)
	_, m = call(t, "POST", base+"/api/auth/login", "", `{"email":"col@proc.test","password":"proc-password-1"}`)
	colTok := m["token"].(string)
	pol := `{"steps":[{"day":1,"channel":"email","template":"overdue_notice","automatic":true},{"day":5,"channel":"call","template":"follow_up_call","label":"Llamada de seguimiento"}],"lateInterestBP":2400,"plans":{"maxInstallments":6,"minDownPaymentBP":1000,"monthlyRateBP":100,"maxTermDays":200},"promises":{"maxDaysAhead":30,"graceDays":2}}`
	if st, m := call(t, "PUT", base+"/api/tenants/acme/policy", tok, pol); st != 200 {
		t.Fatalf("policy %d %v", st, m)
	}
	var csv bytes.Buffer
	csv.WriteString("documento;nombre;factura;vencimiento;valor;celular\n")
	var ids []string
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&csv, "%d;Deudor %d;F-%04d;15/01/2026;%d;3001%06d\n", 70000+i/4, i/4, i, 100000+i*1000, i)
		ids = append(ids, fmt.Sprintf("F-%04d", i))
	}
	st, imp := upload(t, base+"/api/tenants/acme/imports", tok, csv.Bytes())
	if st != 202 {
		t.Fatalf("upload %d %v", st, imp)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, m := call(t, "GET", base+"/api/tenants/acme/imports/"+imp["id"].(string), tok, "")
		if m["status"] == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import: %v", m)
		}
	}
	body, _ := json.Marshal(map[string]any{"accountIds": ids, "collectorId": colID})
	if st, m := call(t, "POST", base+"/api/tenants/acme/assignments", tok, string(body)); st != 200 {
		t.Fatalf("assign %d %v", st, m)
	}
	// Payments on three accounts (movements in the views).
	for _, inv := range []string{"F-0001", "F-0002", "F-0005"} {
		if st, m := call(t, "POST", base+"/api/tenants/acme/accounts/"+inv+"/payments", tok, `{"amount":5000,"method":"cash","reference":"r-`+inv+`","paidAt":"2026-02-01"}`); st != 201 && st != 200 {
			t.Fatalf("payment %d %v", st, m)
		}
	}
	statements := func() []any {
		var out []any
		for d := 0; d < 5; d++ {
			doc := fmt.Sprint(70000 + d)
			_, m := call(t, "POST", base+"/api/tenants/acme/debtors/"+doc+"/access-code", tok, "")
			st, m := call(t, "POST", base+"/api/debtor/login", "", fmt.Sprintf(`{"tenant":"acme","document":%q,"code":%q}`, doc, m["code"]))
			if st != 200 {
				t.Fatalf("debtor login %d %v", st, m)
			}
			out = append(out, getJSON(t, base+"/api/debtor/statement", m["token"].(string)))
		}
		return out
	}
	reads := func() map[string]any {
		return map[string]any{
			"list":       getJSON(t, base+"/api/tenants/acme/accounts?limit=500", tok),
			"search":     getJSON(t, base+"/api/tenants/acme/accounts?limit=50&q=deudor+1", tok),
			"queue":      getJSON(t, base+"/api/work/queue?tenant=acme&limit=500", colTok),
			"statements": statements(),
		}
	}
	before := reads()
	stop(t, p)
	if f := fmt.Sprint(formats(t, dir)); f != "map[chunk:map[1f:true] segment:map[1f:true] view:map[1f:true] worklist:map[57:true]]" {
		t.Fatalf("the previous release wrote %s", f)
	}

	p = start(t, bin, dir, addr)
	after := reads()
	for k := range before {
		if !reflect.DeepEqual(before[k], after[k]) {
			b1, _ := json.Marshal(before[k])
			b2, _ := json.Marshal(after[k])
			t.Errorf("%s differs after the upgrade:\n%.2000s\n%.2000s", k, b1, b2)
		}
	}
	stop(t, p)
	if f := fmt.Sprint(formats(t, dir)); f != "map[chunk:map[c5:true] view:map[c5:true] worklist:map[c5:true]]" {
		t.Fatalf("after the upgrade: %s", f)
	}
}
