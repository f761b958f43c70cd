package reconciliation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments/bankfile"
	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/ingest"
	"cartera/portal/store"
	"cartera/portal/work"
	"cartera/tenants"
)

// Recorder posts reconciled money to an account; work.Service is one.
type Recorder interface {
	RecordBankPayment(ctx context.Context, tenant, accountID string, in work.BankPayment) (work.Recorded, error)
}

// RuleSource gives a tenant's money rules (strategy.Service).
type RuleSource interface {
	Rules(ctx context.Context, tenant string) (calc.Rules, error)
}

// Service reconciles bank files.
type Service struct {
	db      *store.DB
	tenants *tenants.Service
	rules   RuleSource
	rec     Recorder
	audit   *audit.Log
	log     *slog.Logger
}

// New wires the reconciliation service.
func New(db *store.DB, t *tenants.Service, rules RuleSource, rec Recorder, a *audit.Log, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, tenants: t, rules: rules, rec: rec, audit: a, log: log}
}

// Upload is a bank file handed in.
type Upload struct {
	Name    string
	Data    []byte
	Format  string // asobancaria, csv, or "" to tell by content
	Mapping map[string]string
}

// allowed: who may reconcile money of a tenant (those who may record
// payments for the whole portfolio; collectors work only their accounts).
func allowed(ctx context.Context) bool {
	switch actor.From(ctx).Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient:
		return true
	}
	return false
}

func (s *Service) scope(ctx context.Context, tenant string) (*store.Scope, tenants.Tenant, error) {
	if !allowed(ctx) {
		return nil, tenants.Tenant{}, fmt.Errorf("bank files: %w", apperr.ErrForbidden)
	}
	t, err := s.tenants.Tenant(ctx, tenant) // membership: another tenant's is not found
	if err != nil {
		return nil, t, err
	}
	return s.db.Tenant(tenant), t, nil
}

// Process reads, stores, matches and posts a bank file, in the request:
// bank files are a day's collections (hundreds of lines). The same bytes
// again return the same file and change nothing; a file left running by a
// crash is resumed by uploading it again (every posting is keyed).
func (s *Service) Process(ctx context.Context, tenant string, u Upload) (File, error) {
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return File{}, err
	}
	sum := sha256.Sum256(u.Data)
	id := sc.ID(hex.EncodeToString(sum[:12]))
	format := u.Format
	if format == "" {
		format = detect(u.Data)
	}
	var res bankfile.Result
	switch format {
	case bankfile.FormatAsobancaria:
		res, err = bankfile.ReadAsobancaria(bytes.NewReader(u.Data))
	case bankfile.FormatCSV:
		res, err = bankfile.ReadStatement(bytes.NewReader(u.Data), int64(len(u.Data)), t.Locale, u.Mapping)
	default:
		return File{}, apperr.Field("format", "use asobancaria o csv")
	}
	if err != nil {
		return File{}, readError(err)
	}
	// Read first (a wrong mapping is the person's to fix whatever the
	// bytes), then the same bytes again are the same file.
	var f File
	if err := sc.C("bankfiles").Get(ctx, id, &f); err == nil {
		if f.Status == "done" || f.Status == "failed" {
			return f, nil
		}
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return File{}, err
	}
	if f.ID == "" {
		f = File{ID: id, TenantID: tenant, Name: cleanName(u.Name), Format: format, Status: "running", Count: len(res.Movements),
			Counts: map[string]int{}, Amounts: map[string]int64{}, Errors: res.Errors, CreatedBy: actor.From(ctx).UserID, CreatedAt: time.Now().UTC()}
		if f.Errors == nil {
			f.Errors = []bankfile.LineError{}
		}
		// A file whose own controls fail is not posted: its figures cannot
		// be trusted (Asobancaria); a statement's bad rows are left out.
		if format == bankfile.FormatAsobancaria && len(res.Errors) > 0 {
			f.Status, f.Count = "failed", 0
		}
		if err := sc.C("bankfiles").Insert(ctx, f); err != nil && !errors.Is(err, apperr.ErrConflict) {
			return File{}, fmt.Errorf("bank file: %w", err)
		}
		_ = s.audit.Record(ctx, tenant, "bankfile.upload", id, map[string]any{"format": format, "movements": len(res.Movements), "errors": len(res.Errors)})
		if f.Status == "failed" {
			return f, nil
		}
	}
	idx, err := s.index(ctx, sc)
	if err != nil {
		return File{}, err
	}
	for i, bm := range res.Movements {
		if err := s.match(ctx, sc, t, idx, f.ID, i+1, bm); err != nil {
			return File{}, fmt.Errorf("bank file line %d: %w", bm.Line, err)
		}
	}
	if err := s.recount(ctx, sc, f.ID, "done"); err != nil {
		return File{}, err
	}
	return s.File(ctx, tenant, sc.Key(f.ID))
}

// detect tells an Asobancaria file (a first line "01" and digits) from a
// statement.
func detect(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimRight(line, "\r ")
	if len(line) >= 23 && bytes.HasPrefix(line, []byte("01")) {
		for _, c := range line[:20] {
			if c != ' ' && (c < '0' || c > '9') {
				return bankfile.FormatCSV
			}
		}
		return bankfile.FormatAsobancaria
	}
	return bankfile.FormatCSV
}

func readError(err error) error {
	var he *ingest.HeaderError
	switch {
	case errors.As(err, &he):
		inv := &apperr.Invalid{Msg: he.Message, Fields: map[string]string{"file": he.Message}}
		if len(he.Headers) > 0 {
			inv.Detail = map[string]any{"headers": he.Headers}
		}
		return inv
	case errors.Is(err, ingest.ErrUnsupported):
		return fmt.Errorf("%w: %v", apperr.ErrUnsupported, err)
	case errors.Is(err, ingest.ErrTooLarge):
		return fmt.Errorf("%w: %v", apperr.ErrTooLarge, err)
	}
	return &apperr.Invalid{Msg: "el archivo está dañado o no se puede leer", Fields: map[string]string{"file": err.Error()}}
}

func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, s)
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// debtorRef is what matching needs of a debtor.
type debtorRef struct {
	ID         string   `bson:"_id"`
	Document   string   `bson:"document"`
	AccountIDs []string `bson:"accountIds"`
}

// index resolves references and documents to debtors. It is built once a
// file by reading the tenant's debtors (a background-sized scan, off the
// hot paths): a reference is derived from the debtor, so there is nothing
// to keep up to date, and two debtors sharing one are told apart by a person.
type index struct {
	byRef map[string][]string
	byDoc map[string]string
}

func (s *Service) index(ctx context.Context, sc *store.Scope) (index, error) {
	idx := index{byRef: map[string][]string{}, byDoc: map[string]string{}}
	err := sc.C("debtors").Each(ctx, bson.D{}, nil, func(raw bson.Raw) error {
		var d debtorRef
		if err := bson.Unmarshal(raw, &d); err != nil {
			return err
		}
		if ref := accounts.PaymentReference(sc.Slug(), d.Document); ref != "" {
			idx.byRef[ref] = append(idx.byRef[ref], d.ID)
		}
		idx.byDoc[ingest.NormalizeDocument(d.Document)] = d.ID
		return nil
	})
	if err != nil {
		return idx, fmt.Errorf("reconciliation index: %w", err)
	}
	return idx, nil
}

// candidates are the payment references a movement's text carries: the
// whole text when it is one number of the reference's length, else every
// such number inside it.
func candidates(text string) []string {
	var out []string
	clean := strings.NewReplacer(" ", "", "-", "", ".", "").Replace(strings.TrimSpace(text))
	if isDigits(clean) {
		clean = strings.TrimLeft(clean, "0")
		if len(clean) == accounts.ReferenceDigits+1 {
			return []string{clean}
		}
	}
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool { return r < '0' || r > '9' }) {
		if len(tok) == accounts.ReferenceDigits+1 {
			out = append(out, tok)
		}
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// open is an account a movement may pay, with what it owes on the day.
type open struct {
	ID   string
	Due  time.Time
	Owed int64
	Bal  int64
}

// openAccounts reads a debtor's accounts in collection by _id, oldest due
// first, priced on day.
func (s *Service) openAccounts(ctx context.Context, sc *store.Scope, rules calc.Rules, ids []string, day time.Time) ([]open, error) {
	var out []open
	for _, id := range ids {
		var a accounts.Account
		if err := sc.C("accounts").Get(ctx, id, &a); err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				continue
			}
			return nil, err
		}
		if a.Status != accounts.StatusOpen || a.Balance <= 0 {
			continue
		}
		out = append(out, open{ID: a.ID, Due: a.DueDate, Owed: accounts.Price(rules, nil, a, day).Owed(), Bal: a.Balance})
	}
	slices.SortStableFunc(out, func(a, b open) int { return a.Due.Compare(b.Due) })
	return out, nil
}

// split gives each account in order what it owes until the money runs
// out; money beyond the whole debt is refused (no negative balance, no
// silent credit): the person decides.
func split(amount int64, accts []open) ([]Posting, int64, bool) {
	var out []Posting
	left, owed := amount, int64(0)
	for _, a := range accts {
		owed += a.Owed
		take := min(left, a.Owed)
		if take > 0 {
			out = append(out, Posting{AccountID: a.ID, Amount: take})
			left -= take
		}
	}
	return out, owed, left == 0 && len(out) > 0
}

// match decides one movement and posts it when the reference is exact.
func (s *Service) match(ctx context.Context, sc *store.Scope, t tenants.Tenant, idx index, fileID string, n int, bm bankfile.Movement) error {
	mid := fileID + ":" + strconv.Itoa(n)
	var m Movement
	if err := sc.C("bankmovements").Get(ctx, mid, &m); err == nil {
		// Seen before a crash: an exact match whose claim was written goes
		// on with that plan (every posting is keyed); the rest stay decided.
		var c claim
		if m.Reason != ReasonReference || m.Status == StatusRejected {
			return nil
		}
		if err := sc.C("bankclaims").Get(ctx, sc.ID("mv:"+m.BankMoveID), &c); err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				return nil
			}
			return err
		}
		return s.post(ctx, sc, &m, c.Postings)
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	m = Movement{ID: mid, TenantID: sc.Slug(), FileID: fileID, N: n, BankMoveID: bm.ID, BankID: bm.BankID, Line: bm.Line,
		Date: bm.Date, Amount: bm.Amount, Reference: bm.Reference, Document: bm.Document, Detail: bm.Detail, Status: StatusUnmatched}
	rules, err := s.rules.Rules(ctx, sc.Slug())
	if err != nil {
		return err
	}
	day := time.Date(bm.Date.Year(), bm.Date.Month(), bm.Date.Day(), 0, 0, 0, 0, t.Location())
	var plan []Posting
	invalid := false
	for _, c := range candidates(bm.Reference) {
		ref, ok := accounts.ValidReference(c)
		if !ok {
			invalid = true
			continue
		}
		debtors := idx.byRef[ref]
		if len(debtors) == 0 {
			continue
		}
		m.DebtorID, m.Confidence = debtors[0], High
		if len(debtors) > 1 {
			m.Status, m.Reason = StatusSuggested, ReasonAmbiguous
			break
		}
		var d debtorRef
		if err := sc.C("debtors").Get(ctx, debtors[0], &d); err != nil {
			return err
		}
		accts, err := s.openAccounts(ctx, sc, rules, d.AccountIDs, day)
		if err != nil {
			return err
		}
		for _, a := range accts {
			m.Suggestion = append(m.Suggestion, a.ID)
		}
		p, _, ok := split(bm.Amount, accts)
		switch {
		case len(accts) == 0:
			m.Status, m.Reason = StatusSuggested, ReasonNothingOwed
		case !ok:
			m.Status, m.Reason = StatusSuggested, ReasonOverOwed
		default:
			m.Status, m.Reason, plan = StatusMatched, ReasonReference, p
		}
		break
	}
	if m.DebtorID == "" {
		if err := s.byDocument(ctx, sc, rules, idx, day, &m); err != nil {
			return err
		}
		if m.DebtorID == "" && invalid {
			m.Reason = ReasonInvalidReference
		}
	}
	if plan == nil {
		m.Postings = nil
		if err := sc.C("bankmovements").Insert(ctx, m); err != nil && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
		return nil
	}
	m.Status, m.Postings = StatusSuggested, nil // until the money is posted
	if err := sc.C("bankmovements").Insert(ctx, m); err != nil && !errors.Is(err, apperr.ErrConflict) {
		return err
	}
	m.Reason, m.Confidence = ReasonReference, High
	return s.post(ctx, sc, &m, plan)
}

// byDocument suggests the debtor whose document the movement carries
// (its own column, or the reference when it is no payment reference) when
// the amount is what one account, or all of them, owe.
func (s *Service) byDocument(ctx context.Context, sc *store.Scope, rules calc.Rules, idx index, day time.Time, m *Movement) error {
	var debtorID string
	for _, doc := range []string{m.Document, m.Reference} {
		if doc == "" {
			continue
		}
		if id, ok := idx.byDoc[ingest.NormalizeDocument(doc)]; ok {
			debtorID = id
			break
		}
	}
	if debtorID == "" {
		return nil
	}
	var d debtorRef
	if err := sc.C("debtors").Get(ctx, debtorID, &d); err != nil {
		return err
	}
	accts, err := s.openAccounts(ctx, sc, rules, d.AccountIDs, day)
	if err != nil {
		return err
	}
	m.DebtorID = debtorID
	var total int64
	for _, a := range accts {
		total += a.Owed
		if m.Amount == a.Owed || m.Amount == a.Bal {
			m.Status, m.Confidence, m.Reason, m.Suggestion = StatusSuggested, Medium, ReasonDocumentAmount, []string{a.ID}
			return nil
		}
	}
	if len(accts) > 0 && m.Amount == total {
		m.Status, m.Confidence, m.Reason = StatusSuggested, Medium, ReasonDocumentAmount
		for _, a := range accts {
			m.Suggestion = append(m.Suggestion, a.ID)
		}
		return nil
	}
	m.Reason = ReasonAmountDiffers // unmatched, with the debtor as a hint
	for _, a := range accts {
		m.Suggestion = append(m.Suggestion, a.ID)
	}
	return nil
}

// post applies a movement's money once: the claim on the bank movement id
// is written first, so a retry (or the same movement in another file) uses
// the plan already chosen; each posting is keyed by movement and account.
func (s *Service) post(ctx context.Context, sc *store.Scope, m *Movement, plan []Posting) error {
	cid := sc.ID("mv:" + m.BankMoveID)
	c := claim{ID: cid, TenantID: sc.Slug(), Movement: m.ID, Postings: plan, At: time.Now().UTC()}
	if err := sc.C("bankclaims").Insert(ctx, c); err != nil {
		if !errors.Is(err, apperr.ErrConflict) {
			return err
		}
		if err := sc.C("bankclaims").Get(ctx, cid, &c); err != nil {
			return err
		}
	}
	reason := m.Reason
	if c.Movement != m.ID {
		// Posted by another file's line: this one only records that.
		reason = ReasonDuplicate
	} else {
		for _, p := range c.Postings {
			_, err := s.rec.RecordBankPayment(ctx, sc.Slug(), p.AccountID, work.BankPayment{
				Amount: p.Amount, Key: m.BankMoveID + ":" + sc.Key(p.AccountID), Ref: refOf(m), Day: m.Date.Format(time.DateOnly)})
			if err != nil && !errors.Is(err, accounts.ErrRecorded) {
				return fmt.Errorf("post movement %s: %w", sc.Key(m.ID), err)
			}
		}
	}
	m.Status, m.Postings, m.Reason = StatusMatched, c.Postings, reason
	return sc.C("bankmovements").Update(ctx, m.ID, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: m.Status}, {Key: "postings", Value: m.Postings}, {Key: "reason", Value: m.Reason},
		{Key: "confidence", Value: m.Confidence}, {Key: "decidedBy", Value: m.DecidedBy}, {Key: "decidedAt", Value: m.DecidedAt}}}})
}

// refOf is the reference kept on the ledger entry: the bank's id or the
// payer's reference (no ':' or '$', at most 64 characters).
func refOf(m *Movement) string {
	r := m.BankID
	if r == "" {
		r = m.Reference
	}
	r = strings.NewReplacer(":", "", "$", "").Replace(r)
	if len(r) > 64 {
		r = r[:64]
	}
	return r
}

// recount sets a file's counters from its movements (read by _id) and its status.
func (s *Service) recount(ctx context.Context, sc *store.Scope, fileID, status string) error {
	var f File
	if err := sc.C("bankfiles").Get(ctx, fileID, &f); err != nil {
		return err
	}
	counts := map[string]int{StatusMatched: 0, StatusSuggested: 0, StatusUnmatched: 0, StatusRejected: 0}
	amounts := map[string]int64{StatusMatched: 0, StatusSuggested: 0, StatusUnmatched: 0, StatusRejected: 0}
	for n := 1; n <= f.Count; n++ {
		var m Movement
		if err := sc.C("bankmovements").Get(ctx, fileID+":"+strconv.Itoa(n), &m); err != nil {
			return err
		}
		counts[m.Status]++
		amounts[m.Status] += m.Amount
	}
	set := bson.D{{Key: "counts", Value: counts}, {Key: "amounts", Value: amounts}}
	if status != "" {
		set = append(set, bson.E{Key: "status", Value: status})
	}
	return sc.C("bankfiles").Update(ctx, fileID, bson.D{{Key: "$set", Value: set}})
}

// File returns a bank file of the tenant.
func (s *Service) File(ctx context.Context, tenant, key string) (File, error) {
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return File{}, err
	}
	var f File
	if err := sc.C("bankfiles").Get(ctx, sc.ID(key), &f); err != nil {
		return File{}, err
	}
	return f, nil
}

// Movements lists a file's movements in file order, those in status when
// given, from the cursor (a movement number) on.
func (s *Service) Movements(ctx context.Context, tenant, key, status string, cursor, limit int) ([]Movement, int, error) {
	switch status {
	case "", StatusMatched, StatusSuggested, StatusUnmatched, StatusRejected:
	default:
		return nil, 0, apperr.Field("status", "use matched, suggested, unmatched o rejected")
	}
	f, err := s.File(ctx, tenant, key)
	if err != nil {
		return nil, 0, err
	}
	sc := s.db.Tenant(tenant)
	out := []Movement{}
	for n := max(cursor, 1); n <= f.Count; n++ {
		if len(out) == limit {
			return out, n, nil
		}
		var m Movement
		if err := sc.C("bankmovements").Get(ctx, f.ID+":"+strconv.Itoa(n), &m); err != nil {
			return nil, 0, err
		}
		if status == "" || m.Status == status {
			out = append(out, m)
		}
	}
	return out, 0, nil
}

// Confirm posts a waiting movement to the accounts given (in that order,
// each taking what it owes until the money runs out), or to the suggested
// ones. Money beyond what they owe is refused (422 over_owed).
func (s *Service) Confirm(ctx context.Context, tenant, key, n string, accountIDs []string) (Movement, error) {
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return Movement{}, err
	}
	var f File
	if err := sc.C("bankfiles").Get(ctx, sc.ID(key), &f); err != nil {
		return Movement{}, err
	}
	mid := f.ID + ":" + n
	var m Movement
	if err := sc.C("bankmovements").Get(ctx, mid, &m); err != nil {
		return Movement{}, err
	}
	if m.Status == statusPosting {
		// A confirmation cut short (a crash, a refusal mid-way): go on with
		// the plan its claim holds; every posting is keyed.
		var c claim
		err := sc.C("bankclaims").Get(ctx, sc.ID("mv:"+m.BankMoveID), &c)
		switch {
		case err == nil:
			if err := s.post(ctx, sc, &m, c.Postings); err != nil {
				return Movement{}, err
			}
			return m, s.recount(ctx, sc, f.ID, "")
		case !errors.Is(err, apperr.ErrNotFound):
			return Movement{}, err
		}
		// Cut short before its claim: no money moved, decide afresh.
		if err := sc.C("bankmovements").Update(ctx, mid, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusSuggested}}}}); err != nil {
			return Movement{}, err
		}
		m.Status = StatusSuggested
	}
	if m.Status != StatusSuggested && m.Status != StatusUnmatched {
		return Movement{}, &apperr.Refusal{Code: "already_decided", Reason: "este movimiento ya fue decidido"}
	}
	ids := m.Suggestion
	if len(accountIDs) > 0 {
		ids = nil
		for _, k := range accountIDs {
			id := k
			if !sc.Owns(id) {
				id = sc.ID(k)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return Movement{}, apperr.Field("accountIds", "indique las cuentas a las que se aplica el pago")
	}
	rules, err := s.rules.Rules(ctx, tenant)
	if err != nil {
		return Movement{}, err
	}
	day := time.Date(m.Date.Year(), m.Date.Month(), m.Date.Day(), 0, 0, 0, 0, t.Location())
	var accts []open
	for _, id := range ids {
		got, err := s.openAccounts(ctx, sc, rules, []string{id}, day)
		if err != nil {
			return Movement{}, err
		}
		if len(got) == 0 {
			var a accounts.Account
			if err := sc.C("accounts").Get(ctx, id, &a); err != nil {
				return Movement{}, fmt.Errorf("account %s: %w", sc.Key(id), err)
			}
			return Movement{}, &apperr.Refusal{Code: "nothing_owed", Fields: map[string]string{"accountId": sc.Key(id)}}
		}
		accts = append(accts, got...)
	}
	plan, owed, ok := split(m.Amount, accts)
	if !ok {
		return Movement{}, &apperr.Refusal{Code: "over_owed", Reason: "el valor supera lo que deben esas cuentas",
			Fields: map[string]string{"owed": strconv.FormatInt(owed, 10), "amount": strconv.FormatInt(m.Amount, 10)}}
	}
	// One decision per movement: the guarded state change is the lock.
	err = sc.C("bankmovements").Mutate(ctx, mid, &m, func() (bson.D, error) {
		if m.Status != StatusSuggested && m.Status != StatusUnmatched {
			return nil, &apperr.Refusal{Code: "already_decided", Reason: "este movimiento ya fue decidido"}
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: statusPosting}}}}, nil
	})
	if err != nil {
		return Movement{}, err
	}
	m.Reason, m.DecidedBy, m.DecidedAt = ReasonConfirmed, actor.From(ctx).UserID, time.Now().UTC()
	if err := s.post(ctx, sc, &m, plan); err != nil {
		return Movement{}, err
	}
	_ = s.audit.Record(ctx, tenant, "bankfile.confirm", mid, map[string]any{"amount": m.Amount, "accounts": len(plan)})
	if err := s.recount(ctx, sc, f.ID, ""); err != nil {
		return Movement{}, err
	}
	return m, nil
}

// Reject marks a waiting movement as not a debtor's payment.
func (s *Service) Reject(ctx context.Context, tenant, key, n string) (Movement, error) {
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return Movement{}, err
	}
	var f File
	if err := sc.C("bankfiles").Get(ctx, sc.ID(key), &f); err != nil {
		return Movement{}, err
	}
	mid := f.ID + ":" + n
	var m Movement
	err = sc.C("bankmovements").Mutate(ctx, mid, &m, func() (bson.D, error) {
		if m.Status != StatusSuggested && m.Status != StatusUnmatched {
			return nil, &apperr.Refusal{Code: "already_decided", Reason: "este movimiento ya fue decidido"}
		}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusRejected},
			{Key: "decidedBy", Value: actor.From(ctx).UserID}, {Key: "decidedAt", Value: time.Now().UTC()}}}}, nil
	})
	if err != nil {
		return Movement{}, err
	}
	if err := sc.C("bankmovements").Get(ctx, mid, &m); err != nil {
		return Movement{}, err
	}
	_ = s.audit.Record(ctx, tenant, "bankfile.reject", mid, map[string]any{"amount": m.Amount})
	if err := s.recount(ctx, sc, f.ID, ""); err != nil {
		return Movement{}, err
	}
	return m, nil
}
