// Package privacy is the debtor's habeas data (Colombia, Ley 1581 de 2012
// and Decreto 1377 de 2013): a debtor sees the personal data the portal
// holds about them and files requests (consultas and reclamos) that the
// client company, as the data controller, answers within the legal term,
// counted in business days of the tenant's country.
package privacy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/compliance"
	"cartera/portal/store"
	"cartera/portal/work"
	"cartera/tenants"
)

// Request types. A consulta asks to know (art. 14); a reclamo asks to
// change something (art. 15).
const (
	TypeAccess  = "access"  // conocer los datos (consulta)
	TypeProof   = "proof"   // prueba de la autorización (consulta)
	TypeUpdate  = "update"  // actualizar (reclamo)
	TypeRectify = "rectify" // rectificar (reclamo)
	TypeDelete  = "delete"  // suprimir (reclamo)
	TypeRevoke  = "revoke"  // revocar la autorización (reclamo)
)

// Request statuses.
const (
	StatusOpen     = "open"
	StatusExtended = "extended" // the term was extended once, with reasons
	StatusAnswered = "answered"
	StatusRejected = "rejected"
)

// Term is the legal term of a kind of request, in business days, and the
// one extension allowed when the reasons are given to the debtor.
type Term struct {
	Kind      string // consulta or reclamo
	Days      int
	Extension int
	Basis     string
}

// Terms of Ley 1581 de 2012: consultas 10 business days (+5), reclamos 15
// business days (+8). Tenants of other countries use the same terms, which
// are at least as strict as their laws' (Mexico's LFPDPPP 20 days, Peru's
// Ley 29733 20 days for access).
var Terms = map[string]Term{
	TypeAccess:  {"consulta", 10, 5, "Ley 1581 de 2012, art. 14"},
	TypeProof:   {"consulta", 10, 5, "Ley 1581 de 2012, art. 14"},
	TypeUpdate:  {"reclamo", 15, 8, "Ley 1581 de 2012, art. 15"},
	TypeRectify: {"reclamo", 15, 8, "Ley 1581 de 2012, art. 15"},
	TypeDelete:  {"reclamo", 15, 8, "Ley 1581 de 2012, art. 15"},
	TypeRevoke:  {"reclamo", 15, 8, "Ley 1581 de 2012, art. 15"},
}

// MaxMessage bounds a request's or an answer's text (characters).
const MaxMessage = 2000

// Event is one step of a request's history.
type Event struct {
	Action  string    `bson:"action" json:"action"` // filed, extended, answered, rejected
	Role    string    `bson:"role" json:"role"`
	By      string    `bson:"by" json:"-"`
	Message string    `bson:"message,omitempty" json:"message,omitempty"`
	At      time.Time `bson:"at" json:"at"`
}

// Request is a debtor's data request. _id is "<tenant>:<objectid>".
type Request struct {
	ID         string     `bson:"_id"`
	TenantID   string     `bson:"tenantId"`
	DebtorID   string     `bson:"debtorId"`
	DebtorName string     `bson:"debtorName"`
	Type       string     `bson:"type"`
	Kind       string     `bson:"kind"`
	Message    string     `bson:"message"`
	Status     string     `bson:"status"`
	FiledAt    time.Time  `bson:"filedAt"`
	Due        string     `bson:"due"` // YYYY-MM-DD, the last day to answer, in the tenant's time zone
	Basis      string     `bson:"basis"`
	Response   string     `bson:"response,omitempty"`
	AnsweredAt *time.Time `bson:"answeredAt,omitempty"`
	History    []Event    `bson:"history"`
	Rev        int64      `bson:"rev"`
}

// Open reports whether the request still awaits its answer.
func (r Request) Open() bool { return r.Status == StatusOpen || r.Status == StatusExtended }

// Overdue reports whether an open request has passed its last day in loc.
func (r Request) Overdue(now time.Time, loc *time.Location) bool {
	return r.Open() && now.In(loc).Format(time.DateOnly) > r.Due
}

// Service files and answers data requests.
type Service struct {
	db      *store.DB
	audit   *audit.Log
	tenants *tenants.Service
	cal     *compliance.Calendar
	// Now is the clock (tests move it).
	Now func() time.Time
}

// New wires the service.
func New(db *store.DB, a *audit.Log, t *tenants.Service) *Service {
	return &Service{db: db, audit: a, tenants: t, cal: compliance.NewCalendar(), Now: time.Now}
}

// AddBusinessDays returns the civil date n business days after day (not
// counting day itself), skipping Saturdays, Sundays and the country's
// public holidays. day is a civil date in its own location.
func (s *Service) AddBusinessDays(country string, day time.Time, n int) time.Time {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, day.Location())
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday || s.cal.IsHoliday(country, d) {
			continue
		}
		n--
	}
	return d
}

// debtorDoc is the part of the debtor document this package shows.
type debtorDoc struct {
	ID           string             `bson:"_id"`
	TenantID     string             `bson:"tenantId"`
	Document     string             `bson:"document"`
	DocumentType string             `bson:"documentType,omitempty"`
	Name         string             `bson:"name"`
	Contacts     []accounts.Contact `bson:"contacts"`
	AccountIDs   []string           `bson:"accountIds"`
	Consent      *work.Consent      `bson:"consent,omitempty"`
	CreatedAt    time.Time          `bson:"createdAt"`
}

type accountDoc struct {
	ID       string    `bson:"_id"`
	TenantID string    `bson:"tenantId"`
	Invoice  string    `bson:"invoice"`
	DueDate  time.Time `bson:"dueDate"`
	Original int64     `bson:"original"`
	Balance  int64     `bson:"balance"`
	Currency string    `bson:"currency"`
	Status   string    `bson:"status"`
}

// HeldAccount is one obligation as held about the debtor.
type HeldAccount struct {
	Invoice  string `json:"invoice"`
	DueDate  string `json:"dueDate"`
	Original int64  `json:"originalAmount"`
	Balance  int64  `json:"balance"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
}

// Held is everything the portal holds about one debtor, as the debtor may
// see it (art. 8 a): who holds it, what, why and since when.
type Held struct {
	Controller   string             `json:"controller"` // the client company: responsable del tratamiento
	Processor    string             `json:"processor"`  // the BPO running the portal: encargado
	Name         string             `json:"name"`
	DocumentType string             `json:"documentType,omitempty"`
	Document     string             `json:"document"`
	Contacts     []accounts.Contact `json:"contacts"`
	Consent      *work.Consent      `json:"consent"`
	Accounts     []HeldAccount      `json:"accounts"`
	Records      []string           `json:"records"`  // other records kept about the debtor
	Purposes     []string           `json:"purposes"` // finalidades del tratamiento
	HeldSince    time.Time          `json:"heldSince"`
}

// me loads the calling debtor and its tenant; anyone else is refused.
func (s *Service) me(ctx context.Context) (debtorDoc, tenants.Tenant, *store.Scope, error) {
	a := actor.From(ctx)
	if a.Role != tenants.RoleDebtor || len(a.Tenants) != 1 {
		return debtorDoc{}, tenants.Tenant{}, nil, fmt.Errorf("privacy: %w", apperr.ErrForbidden)
	}
	t, err := s.tenants.TenantByID(ctx, a.Tenants[0])
	if err != nil {
		return debtorDoc{}, tenants.Tenant{}, nil, err
	}
	sc := s.db.Tenant(t.ID)
	var d debtorDoc
	if err := sc.C("debtors").Get(ctx, a.UserID, &d); err != nil {
		return debtorDoc{}, tenants.Tenant{}, nil, err
	}
	return d, t, sc, nil
}

// Data returns what is held about the calling debtor and audits the
// disclosure (an export of personal data).
func (s *Service) Data(ctx context.Context) (Held, error) {
	d, t, sc, err := s.me(ctx)
	if err != nil {
		return Held{}, err
	}
	h := Held{
		Controller: t.Name, Processor: "Cartera (gestión de cobranza por cuenta de " + t.Name + ")",
		Name: d.Name, DocumentType: d.DocumentType, Document: d.Document, Contacts: d.Contacts, Consent: d.Consent,
		Accounts: []HeldAccount{}, HeldSince: d.CreatedAt,
		Records: []string{
			"historial de contactos y gestiones de cobranza (canal, resultado, nota, fecha)",
			"promesas de pago, acuerdos de pago y sus cuotas",
			"pagos y movimientos de cada obligación",
			"reclamaciones sobre facturas y sus adjuntos",
			"registro de auditoría de accesos al portal (fecha, dirección IP, navegador)",
		},
		Purposes: []string{
			"gestionar el cobro de las obligaciones a favor de " + t.Name,
			"contactarle por los canales que usted autorizó, en los horarios permitidos",
			"informar a " + t.Name + " sobre pagos, acuerdos y reclamaciones",
		},
	}
	if h.Contacts == nil {
		h.Contacts = []accounts.Contact{}
	}
	for _, id := range d.AccountIDs {
		var a accountDoc
		if err := sc.C("accounts").Get(ctx, id, &a); err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				continue
			}
			return Held{}, fmt.Errorf("privacy data: %w", err)
		}
		h.Accounts = append(h.Accounts, HeldAccount{Invoice: a.Invoice, DueDate: a.DueDate.Format(time.DateOnly),
			Original: a.Original, Balance: a.Balance, Currency: a.Currency, Status: a.Status})
	}
	_ = s.audit.Record(ctx, t.ID, "privacy.data.viewed", d.ID, nil)
	return h, nil
}

// NewRequest is what a debtor files.
type NewRequest struct {
	Type    string
	Message string
}

// File records a debtor's request with its legal deadline. A second open
// request of the same type is a conflict: the first is still running.
func (s *Service) File(ctx context.Context, in NewRequest) (Request, error) {
	term, ok := Terms[in.Type]
	if !ok {
		return Request{}, apperr.Field("type", "tipo de solicitud no válido: access, proof, update, rectify, delete o revoke")
	}
	msg := strings.TrimSpace(in.Message)
	if utf8.RuneCountInString(msg) > MaxMessage {
		return Request{}, apperr.Field("message", fmt.Sprintf("máximo %d caracteres", MaxMessage))
	}
	if msg == "" && in.Type != TypeAccess && in.Type != TypeProof {
		return Request{}, apperr.Field("message", "diga qué dato y qué cambio pide")
	}
	d, t, sc, err := s.me(ctx)
	if err != nil {
		return Request{}, err
	}
	mine, err := s.list(ctx, sc, bson.D{{Key: "debtorId", Value: d.ID}})
	if err != nil {
		return Request{}, err
	}
	if slices.ContainsFunc(mine, func(r Request) bool { return r.Type == in.Type && r.Open() }) {
		return Request{}, fmt.Errorf("privacy: an open %s request: %w", in.Type, apperr.ErrConflict)
	}
	now := s.Now().UTC()
	due := s.AddBusinessDays(t.Country, now.In(t.Location()), term.Days)
	r := Request{
		ID: sc.ID(primitive.NewObjectID().Hex()), TenantID: t.ID, DebtorID: d.ID, DebtorName: d.Name,
		Type: in.Type, Kind: term.Kind, Message: msg, Status: StatusOpen, FiledAt: now,
		Due: due.Format(time.DateOnly), Basis: term.Basis,
		History: []Event{{Action: "filed", Role: tenants.RoleDebtor, By: d.ID, At: now}},
	}
	if err := sc.C("privacy_requests").Insert(ctx, r); err != nil {
		return Request{}, fmt.Errorf("privacy request: %w", err)
	}
	_ = s.audit.Record(ctx, t.ID, "privacy.request.filed", r.ID, map[string]any{"type": r.Type, "due": r.Due})
	return r, nil
}

// Mine lists the calling debtor's requests, newest first, with the tenant
// whose calendar their deadlines follow.
func (s *Service) Mine(ctx context.Context) ([]Request, tenants.Tenant, error) {
	d, t, sc, err := s.me(ctx)
	if err != nil {
		return nil, t, err
	}
	list, err := s.list(ctx, sc, bson.D{{Key: "debtorId", Value: d.ID}})
	return list, t, err
}

func (s *Service) list(ctx context.Context, sc *store.Scope, f bson.D) ([]Request, error) {
	var out []Request
	if err := sc.C("privacy_requests").Find(ctx, f, &out, options.Find().SetSort(bson.D{{Key: "filedAt", Value: -1}})); err != nil {
		return nil, fmt.Errorf("privacy requests: %w", err)
	}
	return out, nil
}

// staff checks that the caller may answer for tenant: the client company
// (the data controller) or the BPO's managers.
func staff(ctx context.Context, tenant string) error {
	a := actor.From(ctx)
	switch a.Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleClient:
		if a.Member(tenant) {
			return nil
		}
		return fmt.Errorf("privacy: %w", apperr.ErrNotFound)
	}
	return fmt.Errorf("privacy: %w", apperr.ErrForbidden)
}

// List returns a tenant's requests (status "" for all; "open" includes
// extended ones), the closest deadline first.
func (s *Service) List(ctx context.Context, tenant, status string) ([]Request, tenants.Tenant, error) {
	if err := staff(ctx, tenant); err != nil {
		return nil, tenants.Tenant{}, err
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return nil, tenants.Tenant{}, err
	}
	f := bson.D{}
	switch status {
	case "":
	case StatusOpen:
		f = bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{StatusOpen, StatusExtended}}}}}
	case StatusAnswered, StatusRejected, StatusExtended:
		f = bson.D{{Key: "status", Value: status}}
	default:
		return nil, t, apperr.Field("status", "open, extended, answered o rejected")
	}
	var out []Request
	if err := s.db.Tenant(tenant).C("privacy_requests").Find(ctx, f, &out, options.Find().SetSort(bson.D{{Key: "due", Value: 1}, {Key: "filedAt", Value: 1}})); err != nil {
		return nil, t, fmt.Errorf("privacy requests: %w", err)
	}
	return out, t, nil
}

// Answer is the controller's reply: answered or rejected closes the
// request; extend moves the deadline once by the legal extension and needs
// the reasons, which the debtor sees.
type Answer struct {
	Decision string // answered, rejected, extend
	Response string
}

// Respond records an answer to an open request of tenant.
// It returns the request and its tenant, whose calendar the deadline follows.
func (s *Service) Respond(ctx context.Context, tenant, key string, in Answer) (Request, tenants.Tenant, error) {
	if err := staff(ctx, tenant); err != nil {
		return Request{}, tenants.Tenant{}, err
	}
	msg := strings.TrimSpace(in.Response)
	switch {
	case in.Decision != StatusAnswered && in.Decision != StatusRejected && in.Decision != "extend":
		return Request{}, tenants.Tenant{}, apperr.Field("decision", "answered, rejected o extend")
	case msg == "":
		return Request{}, tenants.Tenant{}, apperr.Field("response", "la respuesta (o los motivos de la prórroga) es obligatoria")
	case utf8.RuneCountInString(msg) > MaxMessage:
		return Request{}, tenants.Tenant{}, apperr.Field("response", fmt.Sprintf("máximo %d caracteres", MaxMessage))
	}
	t, err := s.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return Request{}, t, err
	}
	sc := s.db.Tenant(tenant)
	id := sc.ID(key)
	a := actor.From(ctx)
	now := s.Now().UTC()
	var r Request
	err = sc.C("privacy_requests").Mutate(ctx, id, &r, func() (bson.D, error) {
		if !r.Open() {
			return nil, fmt.Errorf("privacy: request already %s: %w", r.Status, apperr.ErrConflict)
		}
		ev := Event{Role: a.Role, By: a.UserID, Message: msg, At: now}
		set := bson.D{}
		if in.Decision == "extend" {
			if r.Status == StatusExtended {
				return nil, &apperr.Refusal{Code: "already_extended", Reason: "el plazo ya se prorrogó una vez (Ley 1581, arts. 14 y 15)"}
			}
			due, err := time.ParseInLocation(time.DateOnly, r.Due, t.Location())
			if err != nil {
				return nil, fmt.Errorf("privacy: due %q: %w", r.Due, err)
			}
			ev.Action = "extended"
			set = append(set, bson.E{Key: "status", Value: StatusExtended},
				bson.E{Key: "due", Value: s.AddBusinessDays(t.Country, due, Terms[r.Type].Extension).Format(time.DateOnly)})
		} else {
			ev.Action = in.Decision
			set = append(set, bson.E{Key: "status", Value: in.Decision}, bson.E{Key: "response", Value: msg}, bson.E{Key: "answeredAt", Value: now})
		}
		return bson.D{{Key: "$set", Value: set}, {Key: "$push", Value: bson.D{{Key: "history", Value: ev}}}}, nil
	})
	if err != nil {
		return Request{}, t, err
	}
	if err := sc.C("privacy_requests").Get(ctx, id, &r); err != nil {
		return Request{}, t, err
	}
	_ = s.audit.Record(ctx, tenant, "privacy.request."+r.History[len(r.History)-1].Action, id, map[string]any{"type": r.Type, "due": r.Due})
	return r, t, nil
}
