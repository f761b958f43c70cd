package web

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/payments/bankfile"
	"cartera/payments/reconciliation"
	"cartera/portal/apperr"
)

// BankFiles is the bank-file reconciliation behind these routes.
type BankFiles = reconciliation.Service

// Bank files are reconciled by those who may record payments for the whole
// portfolio: the client company and the BPO's managers (collectors record
// payments only on their own accounts).
func (s *Server) bankFileRoutes(r fiber.Router) {
	s.route(r, fiber.MethodPost, "/tenants/:tenant/bank-files", s.uploadBankFile, portfolioOwners...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/bank-files/:id", s.getBankFile, portfolioOwners...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/bank-files/:id/movements", s.listBankMovements, portfolioOwners...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/bank-files/:id/movements/:mid/confirm", s.confirmBankMovement, portfolioOwners...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/bank-files/:id/movements/:mid/reject", s.rejectBankMovement, portfolioOwners...)
}

func (s *Server) uploadBankFile(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.Field("file", "adjunte el archivo del banco (campo file)")
	}
	if fh.Size > s.ImportMaxBytes {
		return fmt.Errorf("%w: %d bytes > %d", apperr.ErrTooLarge, fh.Size, s.ImportMaxBytes)
	}
	if fh.Size == 0 {
		return fmt.Errorf("%w: empty file", apperr.ErrUnsupported)
	}
	format := c.FormValue("format")
	switch format {
	case "", bankfile.FormatAsobancaria, bankfile.FormatCSV:
	default:
		return apperr.Field("format", "use asobancaria o csv")
	}
	var mapping map[string]string
	if m := c.FormValue("mapping"); m != "" {
		if err := json.Unmarshal([]byte(m), &mapping); err != nil {
			return apperr.Field("mapping", `JSON {"encabezado": "campo"} no válido`)
		}
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, s.ImportMaxBytes+1))
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	bf, err := s.BankFiles.Process(c.UserContext(), param(c, "tenant"), reconciliation.Upload{Name: fh.Filename, Data: data, Format: format, Mapping: mapping})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(s.bankFileJSON(c, bf))
}

type bankFileOut struct {
	ID              string               `json:"id"`
	Name            string               `json:"fileName"`
	Format          string               `json:"format"`
	Status          string               `json:"status"`
	Movements       int                  `json:"movements"`
	Matched         int                  `json:"matched"`
	Suggested       int                  `json:"suggested"`
	Unmatched       int                  `json:"unmatched"`
	Rejected        int                  `json:"rejected"`
	MatchedAmount   int64                `json:"matchedAmount"`
	SuggestedAmount int64                `json:"suggestedAmount"`
	UnmatchedAmount int64                `json:"unmatchedAmount"`
	RejectedAmount  int64                `json:"rejectedAmount"`
	Errors          []bankfile.LineError `json:"errors"`
	CreatedAt       time.Time            `json:"createdAt"`
}

func (s *Server) bankFileJSON(c *fiber.Ctx, f reconciliation.File) bankFileOut {
	l := lang(c)
	errs := make([]bankfile.LineError, len(f.Errors))
	for i, e := range f.Errors {
		e.Message = s.phrases.T(l, e.Message)
		errs[i] = e
	}
	return bankFileOut{ID: keyOf(f.ID), Name: f.Name, Format: f.Format, Status: f.Status, Movements: f.Count,
		Matched: f.Counts[reconciliation.StatusMatched], Suggested: f.Counts[reconciliation.StatusSuggested],
		Unmatched: f.Counts[reconciliation.StatusUnmatched], Rejected: f.Counts[reconciliation.StatusRejected],
		MatchedAmount: f.Amounts[reconciliation.StatusMatched], SuggestedAmount: f.Amounts[reconciliation.StatusSuggested],
		UnmatchedAmount: f.Amounts[reconciliation.StatusUnmatched], RejectedAmount: f.Amounts[reconciliation.StatusRejected],
		Errors: errs, CreatedAt: f.CreatedAt}
}

func (s *Server) getBankFile(c *fiber.Ctx) error {
	f, err := s.BankFiles.File(c.UserContext(), param(c, "tenant"), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(s.bankFileJSON(c, f))
}

type bankMovementOut struct {
	ID         string                   `json:"id"`
	Line       int                      `json:"line"`
	Date       string                   `json:"date"`
	Amount     int64                    `json:"amount"`
	Reference  string                   `json:"reference,omitempty"`
	Document   string                   `json:"document,omitempty"`
	BankID     string                   `json:"bankId,omitempty"`
	Detail     string                   `json:"detail,omitempty"`
	Status     string                   `json:"status"`
	Confidence string                   `json:"confidence,omitempty"`
	Reason     string                   `json:"reason,omitempty"`
	Debtor     string                   `json:"debtor,omitempty"` // the debtor's document
	Suggestion []string                 `json:"accountIds"`
	Postings   []reconciliation.Posting `json:"postings"`
	DecidedBy  string                   `json:"decidedBy,omitempty"`
}

func movementJSON(m reconciliation.Movement) bankMovementOut {
	out := bankMovementOut{ID: strconv.Itoa(m.N), Line: m.Line, Date: m.Date.Format(time.DateOnly), Amount: m.Amount,
		Reference: m.Reference, Document: m.Document, BankID: m.BankID, Detail: m.Detail, Status: m.Status,
		Confidence: m.Confidence, Reason: m.Reason, Debtor: keyOf(m.DebtorID), Suggestion: []string{}, Postings: []reconciliation.Posting{}, DecidedBy: m.DecidedBy}
	for _, id := range m.Suggestion {
		out.Suggestion = append(out.Suggestion, keyOf(id))
	}
	for _, p := range m.Postings {
		out.Postings = append(out.Postings, reconciliation.Posting{AccountID: keyOf(p.AccountID), Amount: p.Amount})
	}
	return out
}

func (s *Server) listBankMovements(c *fiber.Ctx) error {
	limit := c.QueryInt("limit", 50)
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	cursor, _ := strconv.Atoi(c.Query("cursor"))
	ms, next, err := s.BankFiles.Movements(c.UserContext(), param(c, "tenant"), param(c, "id"), query(c, "status"), cursor, limit)
	if err != nil {
		return err
	}
	items := make([]bankMovementOut, 0, len(ms))
	for _, m := range ms {
		items = append(items, movementJSON(m))
	}
	nx := ""
	if next > 0 {
		nx = strconv.Itoa(next)
	}
	return c.JSON(fiber.Map{"items": items, "next": nx})
}

type decideReq struct {
	AccountIDs []string `json:"accountIds"`
}

func (s *Server) confirmBankMovement(c *fiber.Ctx) error {
	var req decideReq
	if len(c.Body()) > 0 {
		if err := decode(c, &req); err != nil {
			return err
		}
	}
	m, err := s.BankFiles.Confirm(c.UserContext(), param(c, "tenant"), param(c, "id"), param(c, "mid"), req.AccountIDs)
	if err != nil {
		return err
	}
	return c.JSON(movementJSON(m))
}

func (s *Server) rejectBankMovement(c *fiber.Ctx) error {
	var req decideReq
	if len(c.Body()) > 0 {
		if err := decode(c, &req); err != nil {
			return err
		}
	}
	m, err := s.BankFiles.Reject(c.UserContext(), param(c, "tenant"), param(c, "id"), param(c, "mid"))
	if err != nil {
		return err
	}
	return c.JSON(movementJSON(m))
}
