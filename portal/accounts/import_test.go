package accounts_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/apptest"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func portfolioCSV(rows int) []byte { return portfolioFile(rows, false) }

// portfolioFile is rows invoices of rows/3 debtors; spread puts a debtor's
// invoices far apart (as an ERP exporting in invoice or date order does)
// instead of next to each other.
func portfolioFile(rows int, spread bool) []byte {
	var b bytes.Buffer
	b.WriteString("documento;nombre;factura;vencimiento;valor;correo\n")
	debtors := max(rows/3, 1)
	for i := 0; i < rows; i++ {
		d := i / 3
		if spread {
			d = i % debtors
		}
		fmt.Fprintf(&b, "%d;Deudor %d;F-%06d;15/%02d/2026;%d.%03d,50;d%d@x.co\n", 5000+d, d, i, 1+i%12, 1+i%900, i%1000, d)
	}
	return b.Bytes()
}

// An import stopped midway (a crash, a restart) and run again completes with
// no duplicate and every balance equal to its ledger.
func TestInterruptedImportCompletesOnRerun(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	ctx := e.Ctx()
	svc := e.App.Accounts
	svc.BatchSize = 10
	csv := portfolioCSV(100)
	imp, err := svc.ImportNow(ctx, "acme", accounts.Upload{Name: "warmup.csv", Size: 2, File: bytes.NewReader([]byte("x\n"))})
	if err == nil {
		t.Fatalf("a file without the columns must be refused, got %+v", imp)
	}
	runCtx, cancel := context.WithCancel(ctx)
	svc.AfterBatch = func(processed int) {
		if processed >= 40 {
			cancel() // the process "dies" after the 4th batch
		}
	}
	first, err := svc.ImportNow(runCtx, "acme", accounts.Upload{Name: "p.csv", Size: int64(len(csv)), File: bytes.NewReader(csv)})
	if err == nil {
		t.Fatalf("interrupted import reported success: %+v", first)
	}
	svc.AfterBatch = nil
	db := e.App.DB
	n, _ := db.Tenant("acme").C("accounts").Count(ctx, bson.D{})
	if n == 0 || n >= 100 {
		t.Fatalf("after the interruption %d accounts, want some but not all", n)
	}
	var stuck []accounts.Import
	_ = db.Tenant("acme").C("imports").Find(ctx, bson.D{{Key: "status", Value: "running"}}, &stuck)
	if len(stuck) != 1 {
		t.Fatalf("interrupted import should stay running (to be resumed), found %d", len(stuck))
	}
	// What a restart does: resume unfinished imports from their stored file.
	if err := svc.RunImport(ctx, "acme", stuck[0].ID); err != nil {
		t.Fatal(err)
	}
	done, err := svc.GetImport(ctx, "acme", stuck[0].ID)
	if err != nil || done.Status != "done" || done.Total != 100 || done.Inserted+done.Unchanged != 100 || done.Rejected != 0 {
		t.Fatalf("resumed import: %+v %v", done, err)
	}
	checkLedger(t, e, "acme", 100)
	// And the same file once more changes nothing.
	again, err := svc.ImportNow(ctx, "acme", accounts.Upload{Name: "p.csv", Size: int64(len(csv)), File: bytes.NewReader(csv)})
	if err != nil || again.Inserted != 0 || again.Updated != 0 || again.Unchanged != 100 {
		t.Fatalf("same file again: %+v %v", again, err)
	}
	checkLedger(t, e, "acme", 100)
}

// checkLedger proves every account's balance equals the sum of its ledger
// entries, each account appears once, and each debtor lists its accounts.
func checkLedger(t *testing.T, e *apptest.Env, tenant string, want int) {
	t.Helper()
	ctx := e.Ctx()
	sc := e.App.DB.Tenant(tenant)
	var accs []accounts.Account
	if err := sc.C("accounts").Find(ctx, bson.D{}, &accs); err != nil {
		t.Fatal(err)
	}
	if len(accs) != want {
		t.Fatalf("%d accounts, want %d", len(accs), want)
	}
	var entries []accounts.LedgerEntry
	if err := sc.C("ledger").Find(ctx, bson.D{}, &entries); err != nil {
		t.Fatal(err)
	}
	sum := map[string]int64{}
	for _, le := range entries {
		sum[le.AccountID] += le.Amount
	}
	owned := map[string]bool{}
	var debtors []accounts.Debtor
	_ = sc.C("debtors").Find(ctx, bson.D{}, &debtors)
	for _, d := range debtors {
		for _, id := range d.AccountIDs {
			if owned[id] {
				t.Fatalf("account %s listed twice", id)
			}
			owned[id] = true
		}
	}
	for _, a := range accs {
		if a.Balance != sum[a.ID] || a.Balance != a.Original {
			t.Fatalf("%s: balance %d, ledger %d, original %d", a.ID, a.Balance, sum[a.ID], a.Original)
		}
		if !owned[a.ID] {
			t.Fatalf("%s missing from its debtor's list", a.ID)
		}
	}
}

// New debtors' access codes download once, as CSV, for managers only.
func TestAccessCodesDownloadOnce(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	_, client := e.User("acme", "client")
	m := e.Import("acme", mgr, "c.csv", portfolioCSV(9))
	id := m["id"].(string)
	if m["codesReady"] != true || int(m["newDebtors"].(float64)) != 3 {
		t.Fatalf("import: %v", m)
	}
	if r := e.Do("GET", "/api/tenants/acme/imports/"+id+"/access-codes.csv", client, nil); r.Status != 403 {
		t.Fatalf("client downloads codes: %d", r.Status)
	}
	r := e.Do("GET", "/api/tenants/acme/imports/"+id+"/access-codes.csv", mgr, nil)
	if r.Status != 200 || bytes.Count(r.Body, []byte("\n")) != 4 {
		t.Fatalf("codes: %d %q", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/tenants/acme/imports/"+id+"/access-codes.csv", mgr, nil); r.Status != 404 {
		t.Fatalf("second download: %d", r.Status)
	}
	// A new code for one debtor replaces the old one.
	r = e.Do("POST", "/api/tenants/acme/debtors/5000/access-code", mgr, nil)
	if r.Status != 200 || len(r.JSON()["code"].(string)) != 12 {
		t.Fatalf("new code: %d %s", r.Status, r.Body)
	}
}

// An import in invoice order holds at most its staging bound of debtors in
// memory (the rest wait on disk) and still writes each debtor whole: all
// its accounts, its contacts, one access code per new debtor.
func TestImportStagingIsBounded(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	ctx := e.Ctx()
	svc := e.App.Accounts
	svc.BatchSize = 10
	most := 0
	svc.SetStaging(5, func(n int) { most = max(most, n) })
	csv := portfolioFile(99, true)
	imp, err := svc.ImportNow(ctx, "acme", accounts.Upload{Name: "p.csv", Size: int64(len(csv)), File: bytes.NewReader(csv)})
	if err != nil || imp.Inserted != 99 || imp.NewDebtors != 33 || !imp.CodesReady {
		t.Fatalf("import: %+v %v", imp, err)
	}
	if most == 0 || most > 5 {
		t.Fatalf("held up to %d debtors, bound 5", most)
	}
	checkLedger(t, e, "acme", 99)
	var debtors []accounts.Debtor
	if err := e.App.DB.Tenant("acme").C("debtors").Find(ctx, bson.D{}, &debtors); err != nil || len(debtors) != 33 {
		t.Fatalf("%d debtors: %v", len(debtors), err)
	}
	for _, d := range debtors {
		if len(d.AccountIDs) != 3 || len(d.Contacts) != 1 || d.AccessCodeHash == "" {
			t.Fatalf("debtor %s: %d accounts, %d contacts, code %q", d.ID, len(d.AccountIDs), len(d.Contacts), d.AccessCodeHash)
		}
	}
	codes, err := svc.TakeAccessCodes(ctx, "acme", imp.ID)
	if err != nil || bytes.Count(codes, []byte("\n")) != 34 {
		t.Fatalf("codes: %q %v", codes, err)
	}
}

// An invoice that appears twice in a file goes in once; the later row is
// rejected with the row of the first, whole in the import and in its
// downloadable errors (the reading pass checks only the invoices the
// counting pass saw repeat).
func TestImportDuplicateInvoiceInFile(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	ctx := e.Ctx()
	csv := string(portfolioCSV(30)) +
		"5001;Deudor 1;F-000004;15/05/2026;10,00;d1@x.co\n" + // row 32: F-000004 is row 6
		"5001;Deudor 1;F-000004;15/05/2026;10,00;d1@x.co\n" + // row 33: again
		"5001;Deudor 1;F-000004b;31/02/2026;10,00;d1@x.co\n" + // row 34: bad date, not taken
		"5001;Deudor 1;F-000004b;15/05/2026;10,00;d1@x.co\n" // row 35: so this one goes in
	imp, err := e.App.Accounts.ImportNow(ctx, "acme", accounts.Upload{Name: "p.csv", Size: int64(len(csv)), File: bytes.NewReader([]byte(csv))})
	if err != nil || imp.Total != 34 || imp.Inserted != 31 || imp.Rejected != 3 {
		t.Fatalf("import: %+v %v", imp, err)
	}
	want := []accounts.RowError{
		{Row: 32, Column: "factura", Message: "la factura F-000004 ya aparece en la fila 6"},
		{Row: 33, Column: "factura", Message: "la factura F-000004 ya aparece en la fila 6"},
	}
	var got []accounts.RowError
	err = e.App.Accounts.ImportErrors(ctx, "acme", imp.ID, func(re accounts.RowError) error {
		if re.Row != 34 {
			got = append(got, re)
		}
		return nil
	})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("row errors\n got %+v\nwant %+v (%v)", got, want, err)
	}
	if len(imp.Errors) != 3 || fmt.Sprint(imp.Errors[:2]) != fmt.Sprint(want) {
		t.Fatalf("import errors %+v", imp.Errors)
	}
	checkLedger(t, e, "acme", 31)
}

// An import never runs more than a batch ahead of the projections: when
// a batch is written, every change of the batch before it is applied, so
// the changes waiting (with their documents' images) stay about two
// batches however big the file. A slow projection makes the import wait
// rather than pile up changes.
func TestImportKeepsUpWithProjections(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	ctx := e.Ctx()
	db := e.App.DB
	// Slower than the import's writes (what a loaded machine does).
	db.Project(store.Projection{Name: "test.slow", Sources: map[string][]string{"accounts": nil}, Apply: func(context.Context, store.Batch) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	}})
	svc := e.App.Accounts
	svc.BatchSize = 20
	var marks []int64
	behind := 0
	svc.AfterBatch = func(int) {
		if len(marks) > 0 && db.ProjectedUpTo() < marks[len(marks)-1] {
			behind++
		}
		marks = append(marks, db.Recorded())
	}
	t.Cleanup(func() { svc.AfterBatch = nil })
	csv := portfolioFile(400, true)
	imp, err := svc.ImportNow(ctx, "acme", accounts.Upload{Name: "p.csv", Size: int64(len(csv)), File: bytes.NewReader(csv)})
	if err != nil || imp.Inserted != 400 {
		t.Fatalf("import: %+v %v", imp, err)
	}
	if len(marks) != 20 || behind != 0 {
		t.Fatalf("%d batches, %d written before the one before was applied", len(marks), behind)
	}
	checkLedger(t, e, "acme", 400)
}
