package debtors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/payments/calc"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/tenants"
)

// NewDispute is what a debtor sends to open a dispute.
type NewDispute struct {
	AccountIDs  []string // invoice keys, as the statement lists them
	Reason      string
	Description string
	File        io.Reader // optional attachment
	FileName    string
}

// sniff names the type of an attachment from its first bytes; the name and
// the declared Content-Type are not believed.
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	}
	return ""
}

// AttachmentType is the type of an attachment detected from its first
// bytes ("" when it is not a PDF, JPEG or PNG).
func AttachmentType(head []byte) string { return sniff(head) }

// AttachmentName is the download name of a dispute's attachment: made from
// the detected type, never from the name the debtor's file had.
func AttachmentName(disputeKey, typ string) string {
	ext := map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[typ]
	if ext == "" {
		ext = ".bin"
	}
	key := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, disputeKey)
	return "attachment-" + key + ext
}

// ErrAttachmentType refuses an attachment that is not a PDF, JPEG or PNG
// (415; the catalogue words it: error.unsupported_attachment).
var ErrAttachmentType = &apperr.Unsupported{Code: "unsupported_attachment"}

// cleanName keeps a file name printable and short.
func cleanName(n string) string {
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == '"' {
			return -1
		}
		return r
	}, n)
	if utf8.RuneCountInString(n) > 120 {
		n = string([]rune(n)[:120])
	}
	if n == "" {
		n = "adjunto"
	}
	return n
}

// OpenDispute records a debtor's dispute on some of their own invoices,
// stores the attachment and marks the accounts disputed (which pauses
// collection on them). An invoice that is not the debtor's is not found.
func (s *Service) OpenDispute(ctx context.Context, in NewDispute) (Dispute, error) {
	d, sc, err := s.me(ctx)
	if err != nil {
		return Dispute{}, err
	}
	f := apperr.Fields{}
	if !slices.Contains(Reasons, in.Reason) {
		f.Add("reason", "use not_received, wrong_amount, already_paid, quality u other")
	}
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > MaxDescription {
		f.Add("description", fmt.Sprintf("máximo %d caracteres", MaxDescription))
	}
	if in.Reason == "other" && in.Description == "" {
		f.Add("description", "explique el motivo")
	}
	if len(in.AccountIDs) == 0 || len(in.AccountIDs) > 200 {
		f.Add("accountIds", "elija al menos una factura")
	}
	if err := f.Err(); err != nil {
		return Dispute{}, err
	}
	var accs []accountDoc
	seen := map[string]bool{}
	for _, key := range in.AccountIDs {
		id := sc.ID(strings.TrimSpace(key))
		if seen[id] {
			continue
		}
		seen[id] = true
		if !slices.Contains(d.AccountIDs, id) {
			return Dispute{}, fmt.Errorf("dispute: account %q: %w", key, apperr.ErrNotFound)
		}
		var a accountDoc
		if err := sc.C("accounts").Get(ctx, id, &a); err != nil {
			return Dispute{}, fmt.Errorf("dispute: %w", err)
		}
		accs = append(accs, a)
	}
	now := s.Now().UTC()
	a := actor.From(ctx)
	dis := Dispute{
		ID: sc.ID(primitive.NewObjectID().Hex()), TenantID: sc.Slug(), DebtorID: d.ID, DebtorName: d.Name,
		Reason: in.Reason, Description: in.Description, Status: DisputeOpen, CreatedAt: now,
		History: []Event{{Action: "opened", By: a.UserID, Role: a.Role, Message: in.Description, At: now}},
	}
	for _, acc := range accs {
		dis.AccountIDs = append(dis.AccountIDs, acc.ID)
		dis.Invoices = append(dis.Invoices, acc.Invoice)
		dis.Currency = acc.Currency
	}
	if in.File != nil {
		head := make([]byte, 512)
		n, err := io.ReadFull(in.File, head)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return Dispute{}, fmt.Errorf("dispute attachment: %w", err)
		}
		head = head[:n]
		typ := sniff(head)
		if typ == "" {
			return Dispute{}, fmt.Errorf("dispute attachment: %w", ErrAttachmentType)
		}
		// Read one byte past the limit to know it was exceeded.
		body, err := io.ReadAll(io.LimitReader(io.MultiReader(bytes.NewReader(head), in.File), MaxAttachment+1))
		if err != nil {
			return Dispute{}, fmt.Errorf("dispute attachment: %w", err)
		}
		if len(body) > MaxAttachment {
			return Dispute{}, fmt.Errorf("dispute attachment: %w", apperr.ErrTooLarge)
		}
		fileID := "dispute:" + dis.ID
		if err := s.db.PutFile(ctx, fileID, cleanName(in.FileName), bytes.NewReader(body)); err != nil {
			return Dispute{}, err
		}
		dis.Attachment = &Attachment{FileID: fileID, Name: cleanName(in.FileName), Type: typ, Size: int64(len(body))}
	}
	if err := sc.C("disputes").Insert(ctx, dis); err != nil {
		return Dispute{}, fmt.Errorf("dispute: %w", err)
	}
	// Read models: the debtor's list of disputes, then each account's open
	// disputes. Each write is a compare-and-set of one document.
	var dd debtorDoc
	if err := sc.C("debtors").Mutate(ctx, d.ID, &dd, func() (bson.D, error) {
		return bson.D{{Key: "$set", Value: bson.D{{Key: "disputeIds", Value: append(slices.Clone(dd.DisputeIDs), dis.ID)}}}}, nil
	}); err != nil {
		return Dispute{}, fmt.Errorf("dispute: debtor: %w", err)
	}
	for _, acc := range accs {
		if err := s.markAccount(ctx, sc, acc.ID, dis.ID, true); err != nil {
			return Dispute{}, err
		}
	}
	_ = s.audit.Record(ctx, sc.Slug(), "dispute.open", dis.ID, map[string]any{"accounts": len(accs), "reason": dis.Reason, "attachment": dis.Attachment != nil})
	return dis, nil
}

// markAccount adds (or removes) a dispute from an account's open disputes.
func (s *Service) markAccount(ctx context.Context, sc *store.Scope, accountID, disputeID string, add bool) error {
	return accounts.MarkDispute(ctx, sc, accountID, disputeID, add)
}

// MyDisputes lists the calling debtor's disputes, newest first, read by _id
// from the debtor's own list.
func (s *Service) MyDisputes(ctx context.Context) ([]Dispute, error) {
	d, sc, err := s.me(ctx)
	if err != nil {
		return nil, err
	}
	out := []Dispute{}
	for _, id := range d.DisputeIDs {
		var dis Dispute
		if err := sc.C("disputes").Get(ctx, id, &dis); err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				continue
			}
			return nil, err
		}
		if dis.DebtorID == d.ID {
			out = append(out, dis)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// MyAttachment opens the attachment of one of the calling debtor's disputes.
func (s *Service) MyAttachment(ctx context.Context, key string) (Attachment, io.ReadCloser, error) {
	d, sc, err := s.me(ctx)
	if err != nil {
		return Attachment{}, nil, err
	}
	id := sc.ID(key)
	if !slices.Contains(d.DisputeIDs, id) {
		return Attachment{}, nil, fmt.Errorf("dispute %q: %w", key, apperr.ErrNotFound)
	}
	return s.attachment(ctx, sc.C("disputes"), id)
}

type getter interface {
	Get(ctx context.Context, id string, out any) error
}

func (s *Service) attachment(ctx context.Context, c getter, id string) (Attachment, io.ReadCloser, error) {
	var dis Dispute
	if err := c.Get(ctx, id, &dis); err != nil {
		return Attachment{}, nil, err
	}
	if dis.Attachment == nil {
		return Attachment{}, nil, fmt.Errorf("dispute attachment: %w", apperr.ErrNotFound)
	}
	r, err := s.db.OpenFile(ctx, dis.Attachment.FileID)
	if err != nil {
		return Attachment{}, nil, err
	}
	return *dis.Attachment, r, nil
}

// resolvers may see and resolve a tenant's disputes.
func canResolve(ctx context.Context) bool {
	switch actor.From(ctx).Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient:
		return true
	}
	return false
}

// Disputes lists a tenant's disputes (staff), newest first, optionally of one
// status. It scans the tenant's disputes: a small collection, read rarely.
func (s *Service) Disputes(ctx context.Context, tenant, status string, limit, skip int64) ([]Dispute, bool, error) {
	if !canResolve(ctx) {
		return nil, false, fmt.Errorf("disputes: %w", apperr.ErrForbidden)
	}
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil {
		return nil, false, err
	}
	f := bson.D{}
	switch status {
	case "":
	case DisputeOpen, DisputeAccepted, DisputeRejected:
		f = append(f, bson.E{Key: "status", Value: status})
	default:
		return nil, false, apperr.Field("status", "use open, accepted o rejected")
	}
	out := []Dispute{}
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: 1}}).SetSkip(skip).SetLimit(limit + 1)
	if err := s.db.Tenant(tenant).C("disputes").Find(ctx, f, &out, opts); err != nil {
		return nil, false, err
	}
	more := int64(len(out)) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// Attachment opens a dispute's attachment for staff of the tenant.
func (s *Service) Attachment(ctx context.Context, tenant, key string) (Attachment, io.ReadCloser, error) {
	if !canResolve(ctx) {
		return Attachment{}, nil, fmt.Errorf("dispute attachment: %w", apperr.ErrForbidden)
	}
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil {
		return Attachment{}, nil, err
	}
	sc := s.db.Tenant(tenant)
	return s.attachment(ctx, sc.C("disputes"), sc.ID(key))
}

// Resolution is the staff's decision on a dispute.
type Resolution struct {
	Decision     string // accept, reject
	CreditAmount *int64 // accept: nil credits the whole balance of the disputed accounts
	Note         string
}

// Resolve accepts or rejects an open dispute. The decision is recorded on the
// dispute first with a compare-and-set (a second resolution is ErrConflict),
// including the credits an acceptance grants, spread oldest invoice first;
// then each credit is posted to the ledger under a key derived from the
// dispute and the account, so it applies exactly once; finally the accounts
// drop the dispute from their open disputes.
func (s *Service) Resolve(ctx context.Context, tenant, key string, r Resolution) (Dispute, error) {
	if !canResolve(ctx) {
		return Dispute{}, fmt.Errorf("resolve dispute: %w", apperr.ErrForbidden)
	}
	t, err := s.tenants.Tenant(ctx, tenant)
	if err != nil {
		return Dispute{}, err
	}
	sc := s.db.Tenant(tenant)
	id := sc.ID(key)
	r.Note = strings.TrimSpace(r.Note)
	f := apperr.Fields{}
	switch r.Decision {
	case "accept":
		if r.CreditAmount != nil && *r.CreditAmount <= 0 {
			f.Add("creditAmount", "debe ser mayor que cero (en centavos)")
		}
	case "reject":
		if r.Note == "" {
			f.Add("note", "explique al deudor por qué se rechaza")
		}
		if r.CreditAmount != nil {
			f.Add("creditAmount", "un rechazo no lleva abono")
		}
	default:
		f.Add("decision", "use accept o reject")
	}
	if utf8.RuneCountInString(r.Note) > MaxDescription {
		f.Add("note", fmt.Sprintf("máximo %d caracteres", MaxDescription))
	}
	if err := f.Err(); err != nil {
		return Dispute{}, err
	}
	// Current balances of the disputed accounts (reads, before the lock).
	var cur Dispute
	if err := sc.C("disputes").Get(ctx, id, &cur); err != nil {
		return Dispute{}, err
	}
	if cur.Status != DisputeOpen {
		return Dispute{}, fmt.Errorf("dispute already %s: %w", cur.Status, apperr.ErrConflict)
	}
	var credits []Credit
	var creditTotal, sum int64
	if r.Decision == "accept" {
		open := make([]calc.Open, 0, len(cur.AccountIDs))
		for _, aid := range cur.AccountIDs {
			var a accountDoc
			if err := sc.C("accounts").Get(ctx, aid, &a); err != nil {
				return Dispute{}, err
			}
			if a.Balance > 0 {
				open = append(open, calc.Open{ID: a.ID, DueDate: a.DueDate, Balance: a.Balance})
				sum += a.Balance
			}
		}
		amount := sum
		if r.CreditAmount != nil {
			amount = *r.CreditAmount
		}
		if amount > sum {
			return Dispute{}, apperr.Field("creditAmount", fmt.Sprintf("no puede superar el saldo de las facturas en disputa (%d)", sum))
		}
		if amount > 0 {
			allocs, _, err := calc.Allocate(amount, open, nil)
			if err != nil {
				return Dispute{}, apperr.Field("creditAmount", err.Error())
			}
			for _, al := range allocs {
				credits = append(credits, Credit{AccountID: al.ID, Amount: al.Amount,
					LedgerID: sc.ID("credit:dispute:" + key + ":" + sc.Key(al.ID))})
				creditTotal += al.Amount
			}
		}
	}
	a := actor.From(ctx)
	now := s.Now().UTC()
	status := DisputeRejected
	if r.Decision == "accept" {
		status = DisputeAccepted
	}
	var dis Dispute
	err = sc.C("disputes").Mutate(ctx, id, &dis, func() (bson.D, error) {
		if dis.Status != DisputeOpen {
			return nil, fmt.Errorf("dispute already %s: %w", dis.Status, apperr.ErrConflict)
		}
		ev := Event{Action: status, By: a.UserID, Role: a.Role, Message: r.Note, At: now}
		dis.Status, dis.Note, dis.Credits, dis.CreditTotal, dis.ResolvedAt = status, r.Note, credits, creditTotal, &now
		dis.History = append(dis.History, ev)
		return bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: status}, {Key: "note", Value: r.Note}, {Key: "credits", Value: credits},
			{Key: "creditTotal", Value: creditTotal}, {Key: "resolvedAt", Value: now}, {Key: "history", Value: dis.History},
		}}}, nil
	})
	if err != nil {
		return Dispute{}, err
	}
	for _, c := range credits {
		var acc accountDoc
		if err := sc.C("accounts").Get(ctx, c.AccountID, &acc); err != nil {
			return Dispute{}, err
		}
		err := accounts.Post(ctx, sc, accounts.LedgerEntry{
			ID: c.LedgerID, TenantID: sc.Slug(), AccountID: c.AccountID, DebtorID: dis.DebtorID,
			Kind: accounts.KindCredit, Amount: -c.Amount, Currency: acc.Currency, Ref: dis.ID,
			Note: "Disputa aceptada", By: a.UserID, At: now,
		})
		if err != nil && !errors.Is(err, accounts.ErrRecorded) {
			return Dispute{}, fmt.Errorf("resolve dispute: credit %s: %w", c.AccountID, err)
		}
	}
	for _, aid := range dis.AccountIDs {
		if err := s.markAccount(ctx, sc, aid, dis.ID, false); err != nil {
			return Dispute{}, err
		}
	}
	_ = s.audit.Record(ctx, tenant, "dispute."+status, dis.ID, map[string]any{"credit": creditTotal})
	// The debtor hears of the decision through the outbox. The decision
	// stands if the notice cannot be written; the audit says so.
	if m, err := s.notify(ctx, sc, t, dis, sum); err != nil {
		_ = s.audit.Record(ctx, tenant, "dispute.notice.failed", dis.ID, map[string]any{"error": err.Error()})
	} else {
		_ = s.audit.Record(ctx, tenant, "dispute.notice", m.ID, map[string]any{"channel": m.Channel, "status": m.Status, "template": m.Template})
	}
	return dis, nil
}
