package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/app"
	"cartera/portal/config"
	"cartera/portal/store"
)

const crashWhsec = "whsec_crash_test_secret"

func upload(t *testing.T, url, token string, content []byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", "big.csv")
	_, _ = fw.Write(content)
	_ = w.Close()
	req, _ := http.NewRequest("POST", url, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = jsonUnmarshal(b, &m)
	return res.StatusCode, m
}

func kill(t *testing.T, p *proc) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = p.cmd.Process.Wait()
}

func stop(t *testing.T, p *proc) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = p.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		t.Fatal("portal did not stop")
	}
}

// SIGKILL in the middle of an import and in the middle of webhook
// recording: after a restart on the same data directory the import resumes
// and completes, every redelivered webhook applies once, and every balance
// equals its ledger.
func TestCrashDuringImportAndWebhooks(t *testing.T) {
	bin := build(t)
	dir, err := os.MkdirTemp("", "ck")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addr := freeAddr(t)
	base := "http://" + addr
	env := []string{"STRIPE_WEBHOOK_SECRET=" + crashWhsec, "PORTAL_SANDBOX=1"}
	p := start(t, bin, dir, addr, env...)

	_, m := call(t, "POST", base+"/api/auth/login", "", `{"email":"admin@proc.test","password":"proc-password-1"}`)
	tok := m["token"].(string)
	if st, m := call(t, "POST", base+"/api/tenants", tok, `{"slug":"acme","name":"Acme","country":"CO"}`); st != 201 {
		t.Fatalf("tenant %d %v", st, m)
	}
	const rows = 20000
	var csv bytes.Buffer
	csv.WriteString("documento;nombre;factura;vencimiento;valor\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&csv, "%d;Deudor %d;F-%06d;15/01/2026;%d\n", 70000+i/4, i/4, i, 1000+i)
	}
	st, imp := upload(t, base+"/api/tenants/acme/imports", tok, csv.Bytes())
	if st != 202 {
		t.Fatalf("upload %d %v", st, imp)
	}
	id := imp["id"].(string)
	// Kill it once it is part-way through.
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, m := call(t, "GET", base+"/api/tenants/acme/imports/"+id, tok, "")
		if n, _ := m["processed"].(float64); n >= 2000 {
			if m["status"] == "done" {
				t.Fatal("import finished before the kill; make the file bigger")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import did not progress: %v", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
	kill(t, p)

	p = start(t, bin, dir, addr, env...)
	deadline = time.Now().Add(180 * time.Second)
	var done map[string]any
	for {
		_, done = call(t, "GET", base+"/api/tenants/acme/imports/"+id, tok, "")
		if done["status"] == "done" || done["status"] == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resumed import did not finish: %v", done)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if done["status"] != "done" || int(done["total"].(float64)) != rows || int(done["rejected"].(float64)) != 0 ||
		int(done["inserted"].(float64))+int(done["unchanged"].(float64)) != rows {
		t.Fatalf("resumed import: %v", done)
	}

	// Online payments by five debtors, each completed by a webhook that is
	// delivered concurrently and interrupted by a SIGKILL.
	type pay struct{ id, body string }
	var pays []pay
	for d := 0; d < 5; d++ {
		doc := fmt.Sprint(70000 + d)
		_, m := call(t, "POST", base+"/api/tenants/acme/debtors/"+doc+"/access-code", tok, "")
		code := m["code"].(string)
		st, m := call(t, "POST", base+"/api/debtor/login", "", fmt.Sprintf(`{"tenant":"acme","document":%q,"code":%q}`, doc, code))
		if st != 200 {
			t.Fatalf("debtor login %d %v", st, m)
		}
		st, m = call(t, "POST", base+"/api/debtor/checkout", m["token"].(string), `{}`)
		if st != 200 {
			t.Fatalf("checkout %d %v", st, m)
		}
		pid := "acme:" + m["paymentId"].(string)
		amount := int64(m["amount"].(float64))
		pays = append(pays, pay{pid, fmt.Sprintf(`{"id":"evt_%d","object":"event","api_version":"2023-10-16","created":%d,"type":"checkout.session.completed","data":{"object":{"id":"cs_%d","object":"checkout.session","payment_status":"paid","amount_total":%d,"currency":"cop","payment_intent":"pi_%d","metadata":{"tenant":"acme","payment":%q}}}}`,
			d, time.Now().Unix(), d, amount, d, pid)})
	}
	send := func(body string) {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: crashWhsec})
		req, _ := http.NewRequest("POST", base+"/api/webhooks/stripe", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", sp.Header)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}
	var wg sync.WaitGroup
	for _, py := range pays {
		for k := 0; k < 3; k++ {
			wg.Add(1)
			go func(b string) { defer wg.Done(); send(b) }(py.body)
		}
	}
	time.Sleep(5 * time.Millisecond)
	kill(t, p)
	wg.Wait()

	// Stripe redelivers every event it did not see acknowledged; we send all.
	p = start(t, bin, dir, addr, env...)
	for _, py := range pays {
		send(py.body)
		send(py.body)
	}
	stop(t, p)

	// Check the data directory directly.
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	sc := db.Tenant("acme")
	n, _ := sc.C("accounts").Count(ctx, bson.D{})
	if n != rows {
		t.Fatalf("%d accounts after the crash, want %d", n, rows)
	}
	drift, err := accounts.Reconcile(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range drift {
		if d.Balance != d.Ledger {
			t.Fatalf("balance differs from ledger: %+v", d)
		}
	}
	// The read models: the restart after each kill replayed what its
	// journal held (the killed batch exactly once); a clean stop leaves
	// nothing queued. Counters, portfolio index and debtor statements
	// agree with the accounts they are kept from.
	if lag := db.ProjectionLag(); lag != 0 {
		t.Fatalf("%d changes left in the journal after a clean stop", lag)
	}
	a, err := app.New(ctx, config.Config{DataDir: dir, PublicURL: base, SessionTTL: time.Hour}, nil, db, app.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := a.Tally.Compare(ctx, "acme"); err != nil || len(d) != 0 {
		t.Fatalf("report counters after the crashes differ from a rebuild: %v %v", d, err)
	}
	if fixed, err := a.Read.Index.Verify(ctx, "acme"); err != nil || fixed != 0 {
		t.Fatalf("portfolio index after the crashes: %d rows wrong, %v", fixed, err)
	}
	payments, _ := sc.C("ledger").Count(ctx, bson.D{{Key: "kind", Value: "payment"}})
	if payments != 5*4 { // 5 debtors x 4 invoices each, paid in full once
		t.Fatalf("%d payment entries, want 20", payments)
	}
	for d := 0; d < 5; d++ {
		for k := 0; k < 4; k++ {
			var a accounts.Account
			if err := sc.C("accounts").Get(ctx, fmt.Sprintf("acme:F-%06d", d*4+k), &a); err != nil {
				t.Fatal(err)
			}
			if a.Balance != 0 || a.Status != accounts.StatusPaid {
				t.Fatalf("%s after payment: balance %d status %s", a.ID, a.Balance, a.Status)
			}
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return jsonDecode(bytes.NewReader(b), v) }
