package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apikeys"
	"cartera/portal/apperr"
	"cartera/tenants"
)

// Who may do what with a portfolio.
var (
	portfolioReaders = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient, tenants.RoleCollector}
	portfolioOwners  = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient}
	managers         = []string{tenants.RoleAdmin, tenants.RoleManager}
)

func (s *Server) portfolioRoutes(r fiber.Router) {
	s.route(r, fiber.MethodPost, "/tenants/:tenant/imports/preview", s.previewImport, portfolioOwners...)
	s.keyRoute(r, apikeys.ScopePlacementsWrite, fiber.MethodPost, "/tenants/:tenant/imports", s.startImport, portfolioOwners...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/imports", s.listImports, portfolioOwners...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/imports/layout", s.getLayout, portfolioOwners...)
	s.route(r, fiber.MethodDelete, "/tenants/:tenant/imports/layout", s.forgetLayout, portfolioOwners...)
	s.keyRoute(r, apikeys.ScopePlacementsWrite, fiber.MethodGet, "/tenants/:tenant/imports/:id", s.getImport, portfolioOwners...)
	s.keyRoute(r, apikeys.ScopePlacementsWrite, fiber.MethodGet, "/tenants/:tenant/imports/:id/errors.csv", s.importErrors, portfolioOwners...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/imports/:id/access-codes.csv", s.importCodes, managers...)
	s.keyRoute(r, apikeys.ScopeAccountsRead, fiber.MethodGet, "/tenants/:tenant/accounts", s.listAccounts, portfolioReaders...)
	s.keyRoute(r, apikeys.ScopeAccountsRead, fiber.MethodGet, "/tenants/:tenant/accounts/:id", s.getAccount, portfolioReaders...)
	s.keyRoute(r, apikeys.ScopePlacementsWrite, fiber.MethodPost, "/tenants/:tenant/accounts/:id/recall", s.recallAccount, portfolioOwners...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/assignments", s.assign, managers...)
	s.route(r, fiber.MethodPut, "/tenants/:tenant/assignment-rule", s.setAssignRule, managers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/assignment", s.assignmentState, managers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/assignments/preview", s.previewAssign, managers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/assignments/runs/:run/recall", s.recallAssignRun, managers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/debtors/:document", s.getDebtor, portfolioReaders...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/debtors/:document/access-code", s.newAccessCode, portfolioReaders...)
}

// upload reads an import request's multipart body as it arrives: the file
// goes to a temporary file on disk (never whole into memory: a 50 MB
// portfolio costs a few kilobytes of buffer), the mapping and date order
// are read as small fields. done removes the temporary file.
func (s *Server) upload(c *fiber.Ctx) (accounts.Upload, func(), error) {
	noFile := apperr.Field("file", "adjunte el archivo (campo file, CSV o XLSX)")
	boundary := string(c.Request().Header.MultipartFormBoundary())
	if boundary == "" {
		return accounts.Upload{}, nil, noFile
	}
	body := c.Context().RequestBodyStream()
	if body == nil {
		body = bytes.NewReader(c.Body())
	}
	var (
		u      accounts.Upload
		tmp    *os.File
		fields = map[string]string{}
	)
	done := func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}
	fail := func(err error) (accounts.Upload, func(), error) { done(); return accounts.Upload{}, nil, err }
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(&apperr.Invalid{Msg: "el formulario llegó incompleto o dañado", Fields: map[string]string{"file": "vuelva a enviar el archivo"}})
		}
		switch name := part.FormName(); {
		case name == "file" && tmp == nil:
			if tmp, err = os.CreateTemp("", "cartera-upload-*"); err != nil {
				return fail(fmt.Errorf("upload: %w", err))
			}
			n, err := io.Copy(tmp, io.LimitReader(part, s.ImportMaxBytes+1))
			if err != nil {
				return fail(&apperr.Invalid{Msg: "el formulario llegó incompleto o dañado", Fields: map[string]string{"file": "vuelva a enviar el archivo"}})
			}
			if n > s.ImportMaxBytes {
				return fail(fmt.Errorf("%w: more than %d bytes", apperr.ErrTooLarge, s.ImportMaxBytes))
			}
			u.Name, u.Size = part.FileName(), n
		case name == "mapping" || name == "dateOrder":
			v, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return fail(&apperr.Invalid{Msg: "el formulario llegó incompleto o dañado", Fields: map[string]string{"file": "vuelva a enviar el archivo"}})
			}
			fields[name] = string(v)
		default:
			_, _ = io.Copy(io.Discard, part) // bounded by the body limit
		}
		part.Close()
	}
	if tmp == nil {
		return fail(noFile)
	}
	if u.Size == 0 {
		return fail(fmt.Errorf("%w: empty file", apperr.ErrUnsupported))
	}
	// The content decides the format (ingest.Detect); a name saying it is
	// something else (.txt, .pdf, .xls) is refused as that, with 415.
	switch strings.ToLower(filepath.Ext(u.Name)) {
	case "", ".csv", ".xlsx", ".xlsm", ".tsv":
	default:
		return fail(fmt.Errorf("%w: %s", apperr.ErrUnsupported, filepath.Ext(u.Name)))
	}
	u.DateOrder = fields["dateOrder"]
	switch u.DateOrder {
	case "", "DMY", "MDY":
	default:
		return fail(apperr.Field("dateOrder", "use DMY (día/mes/año) o MDY (mes/día/año)"))
	}
	if m := fields["mapping"]; m != "" {
		if err := json.Unmarshal([]byte(m), &u.Mapping); err != nil {
			return fail(apperr.Field("mapping", `JSON {"encabezado": "campo"} no válido`))
		}
	}
	u.File = tmp
	return u, done, nil
}

func (s *Server) previewImport(c *fiber.Ctx) error {
	u, done, err := s.upload(c)
	if err != nil {
		return err
	}
	defer done()
	p, err := s.Accounts.Preview(c.UserContext(), param(c, "tenant"), u)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// getLayout returns the tenant's saved column mapping and date order.
func (s *Server) getLayout(c *fiber.Ctx) error {
	l, err := s.Accounts.SavedLayout(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	if l.SavedAt.IsZero() {
		return c.JSON(fiber.Map{"mapping": fiber.Map{}, "dateOrder": ""})
	}
	return c.JSON(l)
}

func (s *Server) forgetLayout(c *fiber.Ctx) error {
	if err := s.Accounts.ForgetLayout(c.UserContext(), param(c, "tenant")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) startImport(c *fiber.Ctx) error {
	u, done, err := s.upload(c)
	if err != nil {
		return err
	}
	defer done()
	imp, err := s.Accounts.StartImport(c.UserContext(), param(c, "tenant"), u)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(s.importJSON(c, imp))
}

type importOut struct {
	ID         string              `json:"id"`
	FileName   string              `json:"fileName"`
	Status     string              `json:"status"`
	Expected   int                 `json:"expected"`
	Total      int                 `json:"total"`
	Processed  int                 `json:"processed"`
	Inserted   int                 `json:"inserted"`
	Updated    int                 `json:"updated"`
	Unchanged  int                 `json:"unchanged"`
	Rejected   int                 `json:"rejected"`
	NewDebtors int                 `json:"newDebtors"`
	Assigned   int                 `json:"assigned"`
	Errors     []accounts.RowError `json:"errors"`
	Failure    string              `json:"failure,omitempty"`
	CodesReady bool                `json:"codesReady"`
	CreatedAt  time.Time           `json:"createdAt"`
	FinishedAt *time.Time          `json:"finishedAt,omitempty"`
	Mapping    map[string]string   `json:"mapping,omitempty"`
}

func (s *Server) importJSON(c *fiber.Ctx, i accounts.Import) importOut {
	errs := make([]accounts.RowError, len(i.Errors))
	l := lang(c)
	for k, e := range i.Errors { // in the reader's language
		e.Message = s.phrases.T(l, e.Message)
		errs[k] = e
	}
	if i.Failure != "" { // header problems come joined by "; "
		parts := strings.Split(i.Failure, "; ")
		for k := range parts {
			parts[k] = s.phrases.T(l, parts[k])
		}
		i.Failure = strings.Join(parts, "; ")
	}
	return importOut{ID: keyOf(i.ID), FileName: i.FileName, Status: i.Status, Expected: i.Expected, Total: i.Total, Processed: i.Processed,
		Inserted: i.Inserted, Updated: i.Updated, Unchanged: i.Unchanged, Rejected: i.Rejected, NewDebtors: i.NewDebtors,
		Assigned: i.Assigned, Errors: errs, Failure: i.Failure, CodesReady: i.CodesReady, CreatedAt: i.CreatedAt,
		FinishedAt: i.FinishedAt, Mapping: i.Mapping}
}

// keyOf strips the tenant prefix of an _id for the API.
func keyOf(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return id[i+1:]
		}
	}
	return id
}

func (s *Server) listImports(c *fiber.Ctx) error {
	list, err := s.Accounts.ListImports(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	items := make([]importOut, 0, len(list))
	for _, i := range list {
		items = append(items, s.importJSON(c, i))
	}
	return c.JSON(fiber.Map{"items": items, "next": ""})
}

func (s *Server) importID(c *fiber.Ctx) string { return param(c, "tenant") + ":" + param(c, "id") }

func (s *Server) getImport(c *fiber.Ctx) error {
	imp, err := s.Accounts.GetImport(c.UserContext(), param(c, "tenant"), s.importID(c))
	if err != nil {
		return err
	}
	return c.JSON(s.importJSON(c, imp))
}

func (s *Server) importErrors(c *fiber.Ctx) error {
	l := s.docLang(c, param(c, "tenant"))
	w := newCSV(c, s.phrases.T(l, "errores")+"-"+param(c, "id")+".csv")
	_ = w.Write([]string{s.phrases.T(l, "fila"), s.phrases.T(l, "columna"), s.phrases.T(l, "motivo")})
	err := s.Accounts.ImportErrors(c.UserContext(), param(c, "tenant"), s.importID(c), func(e accounts.RowError) error {
		return w.Write([]string{strconv.Itoa(e.Row), accounts.SafeCell(e.Column), accounts.SafeCell(s.phrases.T(l, e.Message))})
	})
	if err != nil {
		c.Response().ResetBody()
		c.Set(fiber.HeaderContentDisposition, "")
		return err
	}
	w.Flush()
	return w.Error()
}

func (s *Server) importCodes(c *fiber.Ctx) error {
	b, err := s.Accounts.TakeAccessCodes(c.UserContext(), param(c, "tenant"), s.importID(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="codigos-acceso.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

type accountOut struct {
	ID             string              `json:"id"`
	Invoice        string              `json:"invoice"`
	Debtor         debtorRef           `json:"debtor"`
	IssueDate      string              `json:"issueDate,omitempty"`
	DueDate        string              `json:"dueDate"`
	OriginalAmount int64               `json:"originalAmount"`
	Credit         int64               `json:"credit,omitempty"` // money held for the debtor beyond the debt (an overpayment)
	Balance        int64               `json:"balance"`
	Currency       string              `json:"currency"`
	Status         string              `json:"status"`
	DaysPastDue    int                 `json:"daysPastDue"`
	Bucket         string              `json:"bucket"`
	CollectorID    string              `json:"collectorId"`
	Segment        string              `json:"segment,omitempty"`
	Description    string              `json:"description,omitempty"`
	Ledger         []accounts.Movement `json:"ledger,omitempty"`
	// StrategyTest is the strategy test and arm the account was placed in
	// (the detail only).
	StrategyTest *accounts.TestArm `json:"strategyTest,omitempty"`
}

type debtorRef struct {
	Document string             `json:"document"`
	Name     string             `json:"name"`
	Contacts []accounts.Contact `json:"contacts,omitempty"`
}

func accountJSON(v accounts.View) accountOut {
	o := accountOut{ID: keyOf(v.ID), Invoice: v.Invoice, Debtor: debtorRef{Document: v.Document, Name: v.DebtorName},
		DueDate: v.DueDate.Format(time.DateOnly), OriginalAmount: v.Original, Balance: v.Balance, Currency: v.Currency,
		Status: v.Status, DaysPastDue: v.DaysPastDue, Bucket: v.Bucket, CollectorID: v.CollectorID, Segment: v.Segment, Description: v.Description,
		Credit: v.Credit}
	if v.IssueDate != nil {
		o.IssueDate = v.IssueDate.Format(time.DateOnly)
	}
	return o
}

func (s *Server) listAccounts(c *fiber.Ctx) error {
	limit, _ := strconv.Atoi(c.Query("limit"))
	tenant := param(c, "tenant")
	page, err := s.Accounts.List(c.UserContext(), tenant, accounts.Filter{
		Status: query(c, "status"), Debtor: query(c, "debtor"), Collector: query(c, "collector"), Q: query(c, "q"),
		Bucket: query(c, "bucket"), Cursor: query(c, "cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	views, err := s.Accounts.Views(c.UserContext(), tenant, page.Items)
	if err != nil {
		return err
	}
	items := make([]accountOut, 0, len(views))
	for _, v := range views {
		items = append(items, accountJSON(v))
	}
	return c.JSON(fiber.Map{"items": items, "next": page.Next})
}

func (s *Server) getAccount(c *fiber.Ctx) error {
	d, err := s.Accounts.Get(c.UserContext(), param(c, "tenant"), param(c, "id"))
	if err != nil {
		return err
	}
	o := accountJSON(d.View)
	o.Debtor.Contacts = d.Debtor.Contacts
	o.Ledger = d.History
	o.StrategyTest = d.Test
	ctx, tenant := c.UserContext(), param(c, "tenant")
	// Activities, promises, disputes and the plan are each read by _id from
	// the account's and debtor's own lists.
	tl, err := s.readTimeline(c)
	if err != nil {
		return err
	}
	disputes := []disputeOut{}
	if s.DebtorPortal != nil {
		list, err := s.DebtorPortal.AccountDisputes(ctx, tenant, d.ID, d.DebtorID)
		if err != nil {
			return err
		}
		for _, x := range list {
			disputes = append(disputes, disputeJSON(x, true))
		}
	}
	plan, err := s.AccountPlan(ctx, tenant, d.ID)
	if err != nil {
		return err
	}
	// What the account owes today, as the debtor's statement prices it.
	var interest, owed int64 = 0, d.Balance
	provisional := false
	if s.Policy != nil {
		rules, err := s.Policy.Rules(ctx, tenant)
		if err != nil {
			return err
		}
		t, err := s.Tenants.TenantByID(ctx, tenant)
		if err != nil {
			return err
		}
		pos := accounts.Price(rules, nil, d.Account, accounts.CivilDay(time.Now(), t.Location()))
		interest, owed, provisional = pos.Interest, pos.Owed(), pos.Provisional
	}
	return c.JSON(fiber.Map{"account": o, "id": o.ID, "invoice": o.Invoice, "debtor": o.Debtor, "dueDate": o.DueDate,
		"originalAmount": o.OriginalAmount, "balance": o.Balance, "interest": interest, "owed": owed, "credit": d.Credit, "provisional": provisional,
		"currency": o.Currency, "status": o.Status,
		"daysPastDue": o.DaysPastDue, "bucket": o.Bucket, "collectorId": o.CollectorID, "ledger": o.Ledger,
		"activities": tl.Activities, "promises": tl.Promises, "next": tl.Next, "disputes": disputes, "plan": plan, "strategyTest": o.StrategyTest})
}

type recallReq struct {
	Reason string `json:"reason"`
}

func (s *Server) recallAccount(c *fiber.Ctx) error {
	var req recallReq
	if err := decode(c, &req); err != nil {
		return err
	}
	a, err := s.Accounts.Recall(c.UserContext(), param(c, "tenant"), param(c, "id"), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": keyOf(a.ID), "status": a.Status})
}

type assignReq struct {
	AccountIDs  []string      `json:"accountIds"`
	Filter      *assignFilter `json:"filter"`
	CollectorID *string       `json:"collectorId"`
	Rule        string        `json:"rule"`
}

// assignFilter selects accounts like the account list does.
type assignFilter struct {
	Status    string `json:"status"`
	Q         string `json:"q"`
	Bucket    string `json:"bucket"`
	Collector string `json:"collector"`
	Debtor    string `json:"debtor"`
}

func (s *Server) assign(c *fiber.Ctx) error {
	var req assignReq
	if err := decode(c, &req); err != nil {
		return err
	}
	var res accounts.AssignResult
	var err error
	switch {
	case req.Rule != "":
		p, err := s.Accounts.AssignUnassigned(c.UserContext(), param(c, "tenant"), req.Rule)
		if err != nil {
			return err
		}
		return c.JSON(p)
	case req.CollectorID != nil && req.Filter != nil:
		f := req.Filter
		res, err = s.Accounts.AssignByFilter(c.UserContext(), param(c, "tenant"), accounts.Filter{
			Status: f.Status, Q: f.Q, Bucket: f.Bucket, Collector: f.Collector, Debtor: f.Debtor}, *req.CollectorID)
	case req.CollectorID != nil:
		res, err = s.Accounts.Assign(c.UserContext(), param(c, "tenant"), req.AccountIDs, *req.CollectorID)
	default:
		err = &apperr.Invalid{Msg: `indique {"accountIds","collectorId"}, {"filter","collectorId"} o {"rule"}`}
	}
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// assignmentState is the assignment page: the rule, each collector's
// capacity and load, the unassigned accounts and the recent runs.
func (s *Server) assignmentState(c *fiber.Ctx) error {
	st, err := s.Accounts.AssignmentState(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	return c.JSON(st)
}

type previewReq struct {
	Rule   string                 `json:"rule"`
	Config *accounts.AssignConfig `json:"config"` // a draft rule, not yet saved
}

func (s *Server) previewAssign(c *fiber.Ctx) error {
	var req previewReq
	if err := decode(c, &req); err != nil {
		return err
	}
	p, err := s.Accounts.PreviewAssign(c.UserContext(), param(c, "tenant"), req.Rule, req.Config)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) recallAssignRun(c *fiber.Ctx) error {
	run, err := s.Accounts.RecallRun(c.UserContext(), param(c, "tenant"), param(c, "run"))
	if err != nil {
		return err
	}
	return c.JSON(run)
}

func (s *Server) setAssignRule(c *fiber.Ctx) error {
	var req accounts.AssignConfig
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := s.Accounts.SetAssignConfig(c.UserContext(), param(c, "tenant"), req); err != nil {
		return err
	}
	return c.JSON(req)
}

func (s *Server) getDebtor(c *fiber.Ctx) error {
	d, views, err := s.Accounts.Debtor(c.UserContext(), param(c, "tenant"), param(c, "document"))
	if err != nil {
		return err
	}
	items := make([]accountOut, 0, len(views))
	for _, v := range views {
		items = append(items, accountJSON(v))
	}
	contacts := d.Contacts
	if contacts == nil {
		contacts = []accounts.Contact{}
	}
	return c.JSON(fiber.Map{"document": d.Document, "documentType": d.DocumentType, "name": d.Name,
		"contacts": contacts, "accounts": items, "hasAccessCode": d.AccessCodeHash != ""})
}

// newAccessCode issues a debtor's new access code: shown to managers, admins
// and the debtor's own collector (200 {"code"}); for a client company it is
// sent to the debtor's verified channel and never shown (202 {"sent",
// "channel"}).
func (s *Server) newAccessCode(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if actor.From(ctx).Role == tenants.RoleClient {
		ch, err := s.Accounts.SendDebtorCode(ctx, param(c, "tenant"), param(c, "document"))
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true, "channel": ch})
	}
	code, err := s.Accounts.NewDebtorCode(ctx, param(c, "tenant"), param(c, "document"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"code": code})
}
