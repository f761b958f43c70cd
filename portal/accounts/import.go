package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/sync/errgroup"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/ingest"
	"cartera/portal/store"
	"cartera/tenants"
)

// maxKeptErrors is how many row errors the import document keeps; the full
// list is in importrows and downloads as CSV.
const maxKeptErrors = 100

// Upload is a file handed to the portfolio import.
type Upload struct {
	Name    string
	Size    int64
	File    io.ReaderAt // the whole file, e.g. a multipart.File
	Mapping map[string]string
	// DateOrder is "DMY" or "MDY" when the person chose it; empty means
	// the saved layout's, else the tenant's locale's.
	DateOrder string
	// savedMapping marks Mapping as taken from the saved layout.
	savedMapping bool
	// api marks a batch placed through the API: its columns are the field
	// names, so the tenant's saved file layout neither applies nor changes.
	api bool
	// repeats are the invoices the counting pass saw more than once (nil:
	// not counted, every invoice is checked for duplicates).
	repeats *ingest.Repeats
}

// Preview is what a client sees before starting an import: how the columns
// were understood and the first rows as they would go in.
type Preview struct {
	Kind    string          `json:"kind"`
	Columns []PreviewColumn `json:"columns"`
	Rows    []PreviewRow    `json:"rows"`
	// Headers is every cell of the header row, recognised or not, for the
	// column-mapping editor.
	Headers []string `json:"headers"`
	// Mapping is the mapping applied: typed, or the tenant's saved one
	// (SavedMapping true).
	Mapping      map[string]string `json:"mapping,omitempty"`
	SavedMapping bool              `json:"savedMapping"`
	Dates        DateCheck         `json:"dates"`
}

// PreviewColumn maps a header to a field.
type PreviewColumn struct {
	Header string `json:"header"`
	Field  string `json:"field"`
}

// PreviewRow is one parsed row with its errors.
type PreviewRow struct {
	Row      int        `json:"row"`
	Document string     `json:"document,omitempty"`
	Name     string     `json:"name,omitempty"`
	Invoice  string     `json:"invoice,omitempty"`
	DueDate  string     `json:"dueDate,omitempty"`
	Amount   int64      `json:"amount,omitempty"`
	Currency string     `json:"currency,omitempty"`
	Errors   []RowError `json:"errors,omitempty"`
}

func (s *Service) openReader(u Upload, t tenants.Tenant) (*ingest.Reader, ingest.Kind, error) {
	head := make([]byte, 4096)
	n, err := u.File.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("read upload: %w", err)
	}
	kind, err := ingest.Detect(head[:n])
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", apperr.ErrUnsupported, err)
	}
	opts := ingest.Options{Locale: t.Locale, DefaultCurrency: t.Currency, Mapping: u.Mapping,
		SavedMapping: u.savedMapping, DateOrder: ingest.DateOrder(u.DateOrder), Repeats: u.repeats}
	var r *ingest.Reader
	if kind == ingest.KindXLSX {
		r, err = ingest.NewXLSXReader(u.File, u.Size, opts)
	} else {
		r, err = ingest.NewReader(io.NewSectionReader(u.File, 0, u.Size), kind, opts)
	}
	if err != nil {
		return nil, kind, fileError(err)
	}
	return r, kind, nil
}

// fileError maps a file-level reading error to what the person can do.
func fileError(err error) error {
	var he *ingest.HeaderError
	switch {
	case errors.As(err, &he):
		inv := &apperr.Invalid{Msg: he.Message, Fields: map[string]string{"file": he.Message}}
		if len(he.Headers) > 0 {
			inv.Detail = map[string]any{"headers": he.Headers}
		}
		return inv
	case errors.Is(err, ingest.ErrTooLarge):
		return fmt.Errorf("%w: %v", apperr.ErrTooLarge, err)
	case errors.Is(err, ingest.ErrUnsupported):
		return fmt.Errorf("%w: %v", apperr.ErrUnsupported, err)
	case errors.Is(err, ingest.ErrCorrupt):
		return &apperr.Invalid{Msg: "el archivo está dañado o no se puede leer", Fields: map[string]string{"file": err.Error()}}
	}
	var inv *apperr.Invalid
	if errors.As(err, &inv) {
		return err
	}
	return &apperr.Invalid{Msg: err.Error(), Fields: map[string]string{"mapping": err.Error()}}
}

// Preview reads the header and the first rows without writing anything.
func (s *Service) Preview(ctx context.Context, tenant string, u Upload) (Preview, error) {
	if !canManage(ctx) {
		return Preview{}, forbidden("preview")
	}
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return Preview{}, err
	}
	if u, u.savedMapping, err = s.withLayout(ctx, sc, u); err != nil {
		return Preview{}, err
	}
	r, kind, err := s.openReader(u, t)
	if err != nil {
		return Preview{}, err
	}
	defer r.Close()
	p := Preview{Kind: kind.String(), Columns: []PreviewColumn{}, Rows: []PreviewRow{}, Headers: r.Headers(),
		Mapping: u.Mapping, SavedMapping: u.savedMapping}
	for _, c := range r.Mapping() {
		p.Columns = append(p.Columns, PreviewColumn{Header: c.Header, Field: string(c.Field)})
	}
	for len(p.Rows) < 10 {
		rec, ferrs, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Preview{}, fileError(err)
		}
		pr := PreviewRow{Row: rec.Row, Document: rec.Document, Name: rec.Name, Invoice: rec.Invoice, Amount: rec.Amount, Currency: rec.Currency}
		if !rec.DueDate.IsZero() {
			pr.DueDate = rec.DueDate.Format(time.DateOnly)
		}
		for _, fe := range ferrs {
			pr.Row = fe.Row
			pr.Errors = append(pr.Errors, RowError{Row: fe.Row, Column: fe.Column, Message: fe.Message})
		}
		p.Rows = append(p.Rows, pr)
	}
	// The dates of the whole file, not just the rows shown: one 13th is
	// enough to tell day first from month first.
	for {
		_, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Preview{}, fileError(err)
		}
	}
	p.Dates = dateCheck(r)
	return p, nil
}

// StartImport checks the file (type, header, mapping), stores it and queues
// the import job. The job can be re-run from the stored file after a crash.
func (s *Service) StartImport(ctx context.Context, tenant string, u Upload) (Import, error) {
	imp, err := s.createImport(ctx, tenant, u)
	if err != nil {
		return Import{}, err
	}
	if err := s.submit(tenant, imp.ID); err != nil {
		return Import{}, err
	}
	return imp, nil
}

// ImportNow imports a file synchronously (operator tools, demo data).
func (s *Service) ImportNow(ctx context.Context, tenant string, u Upload) (Import, error) {
	imp, err := s.createImport(ctx, tenant, u)
	if err != nil {
		return Import{}, err
	}
	if err := s.RunImport(ctx, tenant, imp.ID); err != nil {
		return Import{}, err
	}
	return s.GetImport(ctx, tenant, imp.ID)
}

func (s *Service) createImport(ctx context.Context, tenant string, u Upload) (Import, error) {
	if !canManage(ctx) {
		return Import{}, forbidden("import")
	}
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return Import{}, err
	}
	typed := u
	if !u.api {
		if u, u.savedMapping, err = s.withLayout(ctx, sc, u); err != nil {
			return Import{}, err
		}
	}
	r, kind, err := s.openReader(u, t)
	if err != nil {
		return Import{}, err
	}
	r.Close()
	if !u.api && (len(typed.Mapping) > 0 || typed.DateOrder != "") {
		// What the person typed for a file that reads is what the next
		// file of this ERP will need.
		if err := s.saveLayout(ctx, sc, u, actor.From(ctx).UserID); err != nil {
			return Import{}, err
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(u.File, 0, u.Size)); err != nil {
		return Import{}, fmt.Errorf("hash upload: %w", err)
	}
	id := sc.ID(primitive.NewObjectID().Hex())
	imp := Import{
		ID: id, TenantID: tenant, FileName: cleanName(u.Name), FileID: id, SHA256: hex.EncodeToString(h.Sum(nil)),
		Size: u.Size, Kind: kind.String(), Mapping: u.Mapping, SavedMapping: u.savedMapping, DateOrder: u.DateOrder, Status: "queued", Errors: []RowError{},
		CreatedBy: actor.From(ctx).UserID, CreatedAt: s.now(),
	}
	if err := s.db.PutFile(ctx, id, imp.FileName, io.NewSectionReader(u.File, 0, u.Size)); err != nil {
		return Import{}, err
	}
	if err := sc.C("imports").Insert(ctx, imp); err != nil {
		return Import{}, fmt.Errorf("import: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "import.start", id, map[string]any{"file": imp.FileName, "size": imp.Size, "sha256": imp.SHA256})
	return imp, nil
}

func (s *Service) submit(tenant, id string) error {
	if s.pool == nil {
		return errors.New("import: no worker pool")
	}
	return s.pool.Submit(func(ctx context.Context) {
		ctx = actor.System(ctx, "import")
		if err := s.RunImport(ctx, tenant, id); err != nil {
			s.log.Error("import failed", "import", id, "err", err)
		}
	})
}

// ResumeImports re-queues imports left queued or running by a stopped
// process; re-running is safe because every write is keyed.
func (s *Service) ResumeImports(ctx context.Context) (int, error) {
	var list []Import
	err := s.db.C("imports").Find(ctx, bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{"queued", "running"}}}}}, &list)
	if err != nil {
		return 0, fmt.Errorf("resume imports: %w", err)
	}
	for _, imp := range list {
		if err := s.submit(imp.TenantID, imp.ID); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// GetImport returns an import of tenant.
func (s *Service) GetImport(ctx context.Context, tenant, id string) (Import, error) {
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return Import{}, err
	}
	var imp Import
	if err := sc.C("imports").Get(ctx, id, &imp); err != nil {
		return Import{}, fmt.Errorf("import: %w", err)
	}
	return imp, nil
}

// ListImports returns the tenant's latest imports.
func (s *Service) ListImports(ctx context.Context, tenant string) ([]Import, error) {
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := []Import{}
	err = sc.C("imports").Find(ctx, bson.D{}, &out, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}}).SetLimit(50).SetProjection(bson.D{{Key: "errors", Value: 0}}))
	return out, err
}

// errorChunk holds up to 1,000 row errors of an import (importrows).
type errorChunk struct {
	ID       string     `bson:"_id"`
	TenantID string     `bson:"tenantId"`
	ImportID string     `bson:"importId"`
	N        int        `bson:"n"`
	Errors   []RowError `bson:"errors"`
}

// ImportErrors streams every rejected row of an import, in order.
func (s *Service) ImportErrors(ctx context.Context, tenant, id string, fn func(RowError) error) error {
	imp, err := s.GetImport(ctx, tenant, id)
	if err != nil {
		return err
	}
	sc := s.db.Tenant(tenant)
	for n := 0; ; n++ {
		var ch errorChunk
		err := sc.C("importrows").Get(ctx, fmt.Sprintf("%s:err:%d", imp.ID, n), &ch)
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, e := range ch.Errors {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
}

// run is one import's working state.
type run struct {
	s          *Service
	sc         *store.Scope
	t          tenants.Tenant
	imp        *Import
	now        time.Time
	errBuf     []RowError
	errChunk   int
	assign     *assigner
	arm        func(accountID string) (testKey, arm string) // nil: no strategy test runs
	codes      []issuedCode                                 // new debtors' codes of the chunk being written
	codeChunks int
	batchNo    int // the last code chunk sealed
	// debtors are the debtors of the rows so far, merged, written once at
	// the end of the run; moves are the accounts assigned meanwhile, told
	// to the worklists after that (see importstage.go).
	debtors *debtorStage
	moves   moveSpill
	// recorded is the last change recorded by the previous batch, which
	// the projections must have applied before the next one is written.
	recorded int64
}

// RunImport processes an import's file from the start. Every write is keyed
// (accounts by invoice, debtors by document, ledger entries by invoice and
// file), so running it again after a crash completes it without duplicates.
func (s *Service) RunImport(ctx context.Context, tenant, id string) error {
	sc := s.db.Tenant(tenant)
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return err
	}
	var imp Import
	if err := sc.C("imports").Get(ctx, id, &imp); err != nil {
		return err
	}
	if imp.Status == "done" || imp.Status == "failed" {
		return nil
	}
	now := s.now()
	// Counters restart with the file: a resumed run counts every row again.
	err = sc.C("imports").Update(ctx, id, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: "running"}, {Key: "startedAt", Value: now},
		{Key: "total", Value: 0}, {Key: "processed", Value: 0}, {Key: "inserted", Value: 0}, {Key: "updated", Value: 0},
		{Key: "unchanged", Value: 0}, {Key: "rejected", Value: 0}, {Key: "newDebtors", Value: 0}, {Key: "assigned", Value: 0},
		{Key: "errors", Value: bson.A{}},
	}}})
	if err != nil {
		return err
	}
	imp.Status, imp.Errors = "running", []RowError{}
	imp.Total, imp.Processed, imp.Inserted, imp.Updated, imp.Unchanged, imp.Rejected, imp.NewDebtors, imp.Assigned = 0, 0, 0, 0, 0, 0, 0, 0
	rn := &run{s: s, sc: sc, t: t, imp: &imp, now: now, debtors: newDebtorStage(s.stageLimit)}
	rn.debtors.held = s.stageHeld
	if rn.assign, err = s.newAssigner(ctx, t); err != nil {
		return s.failImport(ctx, sc, id, err)
	}
	if s.arms != nil {
		if rn.arm, err = s.arms.ArmPicker(ctx, tenant); err != nil {
			return s.failImport(ctx, sc, id, fmt.Errorf("strategy test: %w", err))
		}
	}
	if err := rn.process(ctx); err != nil {
		if ctx.Err() != nil {
			return err // shutting down: leave it running, it resumes on start
		}
		return s.failImport(ctx, sc, id, err)
	}
	return nil
}

func (s *Service) failImport(ctx context.Context, sc *store.Scope, id string, cause error) error {
	msg := cause.Error()
	var inv *apperr.Invalid
	if errors.As(cause, &inv) {
		msg = inv.Msg
	}
	fin := s.now()
	_ = sc.C("imports").Update(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "failed"}, {Key: "failure", Value: msg}, {Key: "finishedAt", Value: fin}}}})
	return cause
}

func (rn *run) process(ctx context.Context) error {
	src, err := rn.s.db.OpenFile(ctx, rn.imp.FileID)
	if err != nil {
		return err
	}
	defer src.Close()
	defer rn.dropStaged()
	// XLSX needs random access; spool to a temporary file either way.
	tmp, err := os.CreateTemp("", "cartera-import-*")
	if err != nil {
		return fmt.Errorf("spool upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := io.Copy(tmp, src)
	if err != nil {
		return fmt.Errorf("spool upload: %w", err)
	}
	// Closed now, not at the end: the download of a file the driver's
	// GridFS wrote (before 2026-12-07) holds a batch of its chunks, up to
	// 16 MB.
	src.Close()
	if err := rn.resumeCodes(ctx); err != nil {
		return err
	}
	up := Upload{Name: rn.imp.FileName, Size: size, File: tmp, Mapping: rn.imp.Mapping, DateOrder: rn.imp.DateOrder, savedMapping: rn.imp.SavedMapping}
	// A first pass counts the rows, so progress can say "n of N" and a
	// percentage from the start; reading is cheap next to writing.
	// It also notes the invoices that repeat, so the duplicate check of
	// the reading pass keeps those only.
	expected, repeats, err := rn.s.countRows(up, rn.t)
	if err != nil {
		return err
	}
	up.repeats = repeats
	rn.imp.Expected = expected
	if err := rn.progress(ctx); err != nil {
		return err
	}
	r, _, err := rn.s.openReader(up, rn.t)
	if err != nil {
		return err
	}
	defer r.Close()
	batch := make([]ingest.Record, 0, rn.s.BatchSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, ferrs, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fileError(err)
		}
		rn.imp.Total++
		if len(ferrs) > 0 {
			for _, fe := range ferrs {
				rn.reject(RowError{Row: fe.Row, Column: fe.Column, Message: fe.Message})
			}
			rn.imp.Rejected++
			rn.imp.Processed++
			continue
		}
		if rec.Currency != rn.t.Currency {
			rn.reject(RowError{Row: rec.Row, Column: "currency", Message: fmt.Sprintf("moneda %s distinta de la moneda del cliente (%s)", rec.Currency, rn.t.Currency)})
			rn.imp.Rejected++
			rn.imp.Processed++
			continue
		}
		batch = append(batch, rec)
		if len(batch) == cap(batch) {
			if err := rn.flush(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := rn.flush(ctx, batch); err != nil {
		return err
	}
	if err := rn.writeStaged(ctx); err != nil {
		return err
	}
	if err := rn.flushErrors(ctx, true); err != nil {
		return err
	}
	fin := rn.s.now()
	rn.imp.Status = "done"
	if err := rn.progress(ctx, bson.E{Key: "finishedAt", Value: fin}, bson.E{Key: "codesReady", Value: rn.codeChunks > 0 || rn.imp.NewDebtors > 0}); err != nil {
		return err
	}
	_ = rn.s.audit.Record(ctx, rn.t.ID, "import.done", rn.imp.ID, map[string]any{
		"total": rn.imp.Total, "inserted": rn.imp.Inserted, "updated": rn.imp.Updated, "rejected": rn.imp.Rejected})
	return nil
}

// countRows reads a file through, keeping only the hashes of its invoices
// (see ingest.Repeats).
func (s *Service) countRows(u Upload, t tenants.Tenant) (int, *ingest.Repeats, error) {
	r, _, err := s.openReader(u, t)
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	n, rep, err := r.Count()
	if err != nil {
		return 0, nil, fileError(err)
	}
	return n, rep, nil
}

func (rn *run) reject(e RowError) {
	if len(rn.imp.Errors) < maxKeptErrors {
		rn.imp.Errors = append(rn.imp.Errors, e)
	}
	rn.errBuf = append(rn.errBuf, e)
}

// flushErrors writes full chunks of row errors (and the last partial one).
func (rn *run) flushErrors(ctx context.Context, final bool) error {
	for len(rn.errBuf) >= 1000 || (final && len(rn.errBuf) > 0) {
		n := min(1000, len(rn.errBuf))
		ch := errorChunk{ID: fmt.Sprintf("%s:err:%d", rn.imp.ID, rn.errChunk), TenantID: rn.t.ID, ImportID: rn.imp.ID, N: rn.errChunk, Errors: rn.errBuf[:n]}
		// Upsert: a resumed run rewrites its chunks from the start.
		_, err := rn.sc.C("importrows").Upsert(ctx, ch.ID, bson.D{{Key: "$set", Value: bson.D{{Key: "importId", Value: ch.ImportID}, {Key: "n", Value: ch.N}, {Key: "errors", Value: ch.Errors}}}})
		if err != nil {
			return fmt.Errorf("store row errors: %w", err)
		}
		rn.errBuf = rn.errBuf[n:]
		rn.errChunk++
	}
	return nil
}

func (rn *run) progress(ctx context.Context, extra ...bson.E) error {
	set := bson.D{
		{Key: "status", Value: rn.imp.Status}, {Key: "expected", Value: rn.imp.Expected}, {Key: "total", Value: rn.imp.Total}, {Key: "processed", Value: rn.imp.Processed},
		{Key: "inserted", Value: rn.imp.Inserted}, {Key: "updated", Value: rn.imp.Updated}, {Key: "unchanged", Value: rn.imp.Unchanged},
		{Key: "rejected", Value: rn.imp.Rejected}, {Key: "newDebtors", Value: rn.imp.NewDebtors}, {Key: "assigned", Value: rn.imp.Assigned},
		{Key: "errors", Value: rn.imp.Errors},
	}
	set = append(set, extra...)
	return rn.sc.C("imports").Update(ctx, rn.imp.ID, bson.D{{Key: "$set", Value: set}})
}

// flush writes one batch: placements, new accounts in bulk (existing ones
// row by row), then debtors in bulk (existing ones row by row).
func (rn *run) flush(ctx context.Context, batch []ingest.Record) error {
	if len(batch) == 0 {
		return nil
	}
	sc := rn.sc
	ledger := make([]any, 0, len(batch))
	accts := make([]any, 0, len(batch))
	for _, rec := range batch {
		acctID, debtorID := sc.ID(rec.Invoice), sc.ID(rec.Document)
		lid := sc.ID("place:" + rec.Invoice)
		ledger = append(ledger, LedgerEntry{ID: lid, TenantID: rn.t.ID, AccountID: acctID, DebtorID: debtorID, Kind: KindPlacement,
			Amount: rec.Amount, Currency: rec.Currency, Ref: rn.imp.ID, At: rn.now})
		a := Account{
			ID: acctID, TenantID: rn.t.ID, Invoice: rec.Invoice, DebtorID: debtorID, Document: rec.Document, DebtorName: rec.Name,
			DueDate: rec.DueDate, Original: rec.Amount, Balance: rec.Amount, Currency: rec.Currency, Status: StatusOpen,
			Segment: rec.Segment, Description: rec.Description, ImportID: rn.imp.ID,
			History:   []Movement{{LedgerID: lid, Kind: KindPlacement, Amount: rec.Amount, At: rn.now}},
			CreatedAt: rn.now, UpdatedAt: rn.now,
		}
		if !rec.IssueDate.IsZero() {
			d := rec.IssueDate
			a.IssueDate = &d
		}
		a.CollectorID = rn.assign.pick(a)
		if rn.arm != nil {
			// Only an insert takes it: a re-uploaded invoice is a duplicate
			// and keeps the arm (or none) it was placed with.
			key, arm := rn.arm(acctID)
			a.Test = &TestArm{ID: key, Arm: arm, At: rn.now}
		}
		accts = append(accts, a)
	}
	if _, err := sc.C("ledger").InsertMany(ctx, ledger); err != nil {
		return fmt.Errorf("placements: %w", err)
	}
	dups, err := sc.C("accounts").InsertMany(ctx, accts)
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	isDup := make(map[int]bool, len(dups))
	for _, i := range dups {
		isDup[i] = true
	}
	owned := make([]bool, len(batch)) // the row's account is its debtor's
	for i, rec := range batch {
		a := accts[i].(Account)
		rn.imp.Processed++
		if !isDup[i] {
			rn.imp.Inserted++
			if a.CollectorID != "" {
				rn.imp.Assigned++
				if err := rn.moves.add(Move{AccountID: a.ID, To: a.CollectorID, Account: &a}); err != nil {
					return err
				}
			}
			owned[i] = true
			continue
		}
		changed, err := rn.updateAccount(ctx, rec, a)
		var inv *apperr.Invalid
		switch {
		case errors.As(err, &inv):
			rn.reject(RowError{Row: rec.Row, Column: "invoice", Message: inv.Msg})
			rn.imp.Rejected++
			continue
		case err != nil:
			return err
		case changed:
			rn.imp.Updated++
		default:
			rn.imp.Unchanged++
		}
		owned[i] = true
	}
	if err := rn.stageDebtors(batch, owned); err != nil {
		return err
	}
	if err := rn.flushErrors(ctx, false); err != nil {
		return err
	}
	if err := rn.progress(ctx); err != nil {
		return err
	}
	// Backpressure: the projections (index, counters, worklists) apply a
	// batch while the next is written, never more behind than that, so
	// the changes waiting (each with its images) stay about two batches
	// whatever the file's size.
	if err := rn.s.db.WaitProjected(ctx, rn.recorded); err != nil {
		return fmt.Errorf("import batch: %w", err)
	}
	rn.recorded = rn.s.db.Recorded()
	if rn.s.AfterBatch != nil {
		rn.s.AfterBatch(rn.imp.Processed)
	}
	return nil
}

// updateAccount applies a re-uploaded row to an existing account: due date,
// descriptive fields, and a change of amount as a keyed ledger adjustment.
// The ledger entry is written first (outside the account's compare-and-set)
// and applied once: the account's history says whether it already was.
func (rn *run) updateAccount(ctx context.Context, rec ingest.Record, fresh Account) (bool, error) {
	accounts := rn.sc.C("accounts")
	var cur Account
	if err := accounts.Get(ctx, fresh.ID, &cur); err != nil {
		return false, err
	}
	if cur.DebtorID != fresh.DebtorID {
		return false, &apperr.Invalid{Msg: fmt.Sprintf("la factura %s ya existe para otro deudor (documento %s)", rec.Invoice, maskDoc(cur.Document))}
	}
	adjID := rn.sc.ID("adj:" + rec.Invoice + ":" + rn.imp.SHA256[:16])
	changed := false
	var moved []Movement
	err := accounts.Mutate(ctx, fresh.ID, &cur, func() (bson.D, error) {
		changed, moved = false, nil
		set := bson.D{}
		if !cur.DueDate.Equal(fresh.DueDate) {
			set = append(set, bson.E{Key: "dueDate", Value: fresh.DueDate})
		}
		if fresh.IssueDate != nil && (cur.IssueDate == nil || !cur.IssueDate.Equal(*fresh.IssueDate)) {
			set = append(set, bson.E{Key: "issueDate", Value: fresh.IssueDate})
		}
		if fresh.DebtorName != "" && fresh.DebtorName != cur.DebtorName {
			set = append(set, bson.E{Key: "debtorName", Value: fresh.DebtorName})
		}
		if fresh.Segment != "" && fresh.Segment != cur.Segment {
			set = append(set, bson.E{Key: "segment", Value: fresh.Segment})
		}
		if fresh.Description != "" && fresh.Description != cur.Description {
			set = append(set, bson.E{Key: "description", Value: fresh.Description})
		}
		// A changed amount is an adjustment of the principal, imputed on the
		// account itself (then journaled): lowered below what was already
		// paid, the principal stops at zero and the money paid beyond the
		// new amount becomes the debtor's credit, never a negative balance.
		if diff := fresh.Original - cur.Original; diff != 0 && !hasMovement(cur, adjID) {
			p := max(diff, -max(cur.Balance, 0))
			moved = append(moved, Movement{LedgerID: adjID, Kind: KindAdjustment, Amount: p, At: rn.now, Ref: rn.imp.ID, Note: "valor cambiado por el cliente"})
			if over := p - diff; over > 0 {
				v := rn.now
				moved = append(moved, Movement{LedgerID: adjID + ":x", Kind: KindOverpayment, Amount: -over, At: rn.now, Value: &v, Ref: rn.imp.ID,
					Note: "pagado de más sobre el nuevo valor de la factura"})
			}
			set = append(set, bson.E{Key: "original", Value: fresh.Original})
		}
		if len(set) == 0 && len(moved) == 0 {
			return nil, nil
		}
		changed = true
		if len(moved) == 0 {
			return bson.D{{Key: "$set", Value: append(set, bson.E{Key: "updatedAt", Value: rn.now})}}, nil
		}
		upd := bookUpdate(cur, rn.now, moved...)
		upd[0].Value = append(upd[0].Value.(bson.D), set...)
		return upd, nil
	})
	if err != nil {
		return changed, err
	}
	// Journal the adjustment (also what an interrupted run left only on the account).
	for _, m := range cur.History {
		if partOf(m.LedgerID, adjID) {
			moved = append(moved, m)
		}
	}
	for _, m := range moved {
		if err := journal(ctx, rn.sc, cur, m); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

func hasMovement(a Account, ledgerID string) bool {
	for _, m := range a.History {
		if m.LedgerID == ledgerID {
			return true
		}
	}
	return false
}

// stageDebtors adds the batch's debtors to the run's: name and document
// type the latest, contacts added, accounts collected (those of owned rows).
func (rn *run) stageDebtors(batch []ingest.Record, owned []bool) error {
	for i, rec := range batch {
		row := &stagedDebtor{ID: rn.sc.ID(rec.Document), Document: rec.Document, Name: rec.Name, DocumentType: rec.DocumentType,
			Contacts: rowContacts(rec, rn.now)}
		if owned[i] {
			row.AccountIDs = []string{rn.sc.ID(rec.Invoice)}
		}
		if err := rn.debtors.add(row); err != nil {
			return err
		}
	}
	return nil
}

// writeStaged writes the staged debtors writeChunk at a time, sealing each
// chunk's new access codes, then tells the worklists of the accounts
// assigned meanwhile (their entries show the debtor's contacts).
func (rn *run) writeStaged(ctx context.Context) error {
	chunk := make([]*Debtor, 0, writeChunk)
	write := func() error {
		if err := rn.writeDebtors(ctx, chunk); err != nil {
			return err
		}
		chunk = chunk[:0]
		return rn.storeCodes(ctx)
	}
	err := rn.debtors.each(func(sd *stagedDebtor) error {
		d := &Debtor{ID: sd.ID, TenantID: rn.t.ID, Document: sd.Document, DocumentType: sd.DocumentType, Name: sd.Name,
			Contacts: sd.Contacts, AccountIDs: sd.AccountIDs, CreatedAt: rn.now}
		if d.Contacts == nil {
			d.Contacts = []Contact{}
		}
		if d.AccountIDs == nil {
			d.AccountIDs = []string{}
		}
		if chunk = append(chunk, d); len(chunk) == writeChunk {
			return write()
		}
		return nil
	})
	if err == nil && len(chunk) > 0 {
		err = write()
	}
	if err != nil {
		return err
	}
	return rn.moves.each(func(m []Move) { rn.s.moved(ctx, rn.t.ID, m) })
}

// dropStaged removes what an unfinished run staged (and its files).
func (rn *run) dropStaged() {
	rn.debtors.close()
	rn.moves.close()
}

// writeDebtors creates the new debtors among ds in bulk (with a fresh
// access code each) and merges the others, eight at a time (each is its
// own document): contacts added, never blanked; accounts added.
func (rn *run) writeDebtors(ctx context.Context, ds []*Debtor) error {
	docs := make([]any, 0, len(ds))
	codes := make([]string, 0, len(ds))
	for _, d := range ds {
		code := NewAccessCode()
		codes = append(codes, code)
		d.AccessCodeHash = rn.s.HashCode(d.ID, code)
		d.UpdatedAt = rn.now
		docs = append(docs, *d)
	}
	dups, err := rn.sc.C("debtors").InsertMany(ctx, docs)
	if err != nil {
		return fmt.Errorf("debtors: %w", err)
	}
	isDup := map[int]bool{}
	for _, i := range dups {
		isDup[i] = true
	}
	var g errgroup.Group
	g.SetLimit(8)
	for i, d := range ds {
		if !isDup[i] {
			rn.imp.NewDebtors++
			rn.codes = append(rn.codes, issuedCode{Document: d.Document, Name: d.Name, Code: codes[i]})
			continue
		}
		g.Go(func() error { return rn.mergeDebtor(ctx, d.ID, d) })
	}
	return g.Wait()
}

// mergeDebtor adds a staged debtor's data to the stored one.
func (rn *run) mergeDebtor(ctx context.Context, id string, d *Debtor) error {
	var cur Debtor
	err := rn.sc.C("debtors").Mutate(ctx, id, &cur, func() (bson.D, error) {
		set := bson.D{}
		if d.Name != "" && d.Name != cur.Name {
			set = append(set, bson.E{Key: "name", Value: d.Name})
		}
		if d.DocumentType != "" && d.DocumentType != cur.DocumentType {
			set = append(set, bson.E{Key: "documentType", Value: d.DocumentType})
		}
		merged := mergeContacts(cur.Contacts, d.Contacts)
		if len(merged) != len(cur.Contacts) {
			set = append(set, bson.E{Key: "contacts", Value: merged})
		}
		var add []string
		for _, a := range d.AccountIDs {
			if !containsStr(cur.AccountIDs, a) {
				add = append(add, a)
			}
		}
		if len(add) > 0 {
			set = append(set, bson.E{Key: "accountIds", Value: append(append([]string{}, cur.AccountIDs...), add...)})
		}
		if len(set) == 0 {
			return nil, nil
		}
		set = append(set, bson.E{Key: "updatedAt", Value: rn.now})
		return bson.D{{Key: "$set", Value: set}}, nil
	})
	if err != nil {
		return fmt.Errorf("debtor merge: %w", err)
	}
	return nil
}

func rowContacts(rec ingest.Record, now time.Time) []Contact {
	var out []Contact
	add := func(kind, v, city string) {
		if v != "" {
			out = append(out, Contact{Kind: kind, Value: v, City: city, Person: rec.ContactName, Role: rec.ContactRole, Source: "import", AddedAt: now})
		}
	}
	add("email", rec.Email, "")
	add("phone", rec.Phone, "")
	add("whatsapp", rec.WhatsApp, "")
	add("address", rec.Address, rec.City)
	return out
}

// mergeContacts adds the contacts of add that cur lacks (same kind and value).
func mergeContacts(cur, add []Contact) []Contact {
	out := append([]Contact{}, cur...)
	for _, c := range add {
		found := false
		for _, x := range out {
			if x.Kind == c.Kind && strings.EqualFold(x.Value, c.Value) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, c)
		}
	}
	return out
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// maskDoc shows only the last 4 characters of a document number.
func maskDoc(doc string) string {
	if len(doc) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(doc)-4) + doc[len(doc)-4:]
}

// cleanName keeps the base name of an uploaded file, without paths or
// control characters.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return -1
		}
		return r
	}, name)
	if len(name) > 200 {
		name = name[:200]
	}
	if name == "" {
		name = "archivo"
	}
	return name
}
