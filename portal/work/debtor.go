package work

import (
	"context"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/compliance"
	"cartera/tenants"
)

// ConsentInput is a change to the debtor's consent record. Channels not
// named keep what they had.
type ConsentInput struct {
	Channels        map[string]ChannelChoice
	ExtendedHours   *bool
	PreferredWindow *HoursWindow // an empty From and To clears it
	How             string       // how the debtor said it: "llamada grabada", "formulario firmado"…
	// Evidence points at the proof: a call recording id, a signed form's
	// number, a message id. Required to authorize again a channel the
	// debtor opted out of (Ley 2300 de 2023, art. 3: the debtor chooses the
	// channels, and the choice must be provable).
	Evidence string
}

// ChannelChoice is the debtor's word on one channel.
type ChannelChoice struct {
	Authorized bool
	OptedOut   bool
}

// ConsentView is the consent record with the channels in force.
type ConsentView struct {
	Consent
	// Effective lists the channels the rules treat as authorized now: the
	// recorded choices, or by default the channels the debtor has contacts for.
	Effective []string `json:"effective"`
}

func view(d debtorWork) ConsentView {
	c := Consent{Channels: map[string]ChannelConsent{}}
	if d.Consent != nil {
		c = *d.Consent
		if c.Channels == nil {
			c.Channels = map[string]ChannelConsent{}
		}
	}
	eff := []string{}
	if len(c.Channels) == 0 {
		eff = append(eff, defaultAuthorized(d.Contacts)...)
	} else {
		for _, ch := range compliance.Channels() {
			if cc := c.Channels[ch]; cc.Authorized && !cc.OptedOut {
				eff = append(eff, ch)
			}
		}
	}
	return ConsentView{Consent: c, Effective: eff}
}

// Consent returns a debtor's consent record.
func (s *Service) Consent(ctx context.Context, tenant, document string) (ConsentView, error) {
	_, d, err := s.debtor(ctx, tenant, document)
	if err != nil {
		return ConsentView{}, err
	}
	return view(d), nil
}

// SetConsent records what the debtor said about channels and hours, with
// when and how. An opt-out always wins over an authorization.
func (s *Service) SetConsent(ctx context.Context, tenant, document string, in ConsentInput) (ConsentView, error) {
	f := apperr.Fields{}
	for ch := range in.Channels {
		if !slices.Contains(compliance.Channels(), ch) {
			f.Add("channels."+ch, "canal desconocido: use call, email, whatsapp, sms, visit o letter")
		}
	}
	in.How, in.Evidence = strings.TrimSpace(in.How), strings.TrimSpace(in.Evidence)
	if in.How == "" || utf8.RuneCountInString(in.How) > 200 {
		f.Add("how", "indique cómo expresó el deudor su decisión (máximo 200 caracteres)")
	}
	if utf8.RuneCountInString(in.Evidence) > 200 {
		f.Add("evidence", "máximo 200 caracteres")
	}
	if w := in.PreferredWindow; w != nil && (w.From != "" || w.To != "") {
		from, ok1 := parseClock(w.From)
		to, ok2 := parseClock(w.To)
		if !ok1 || !ok2 || from == to {
			f.Add("preferredWindow", "franja HH:MM a HH:MM, por ejemplo 08:00 a 12:00")
		}
	}
	if err := f.Err(); err != nil {
		return ConsentView{}, err
	}
	sc, d, err := s.debtor(ctx, tenant, document)
	if err != nil {
		return ConsentView{}, err
	}
	now, who, role := s.now(), actor.From(ctx).UserID, actor.From(ctx).Role
	err = sc.C("debtors").Mutate(ctx, d.ID, &d, func() (bson.D, error) {
		c := Consent{Channels: map[string]ChannelConsent{}}
		if d.Consent != nil {
			c = *d.Consent
			if c.Channels == nil {
				c.Channels = map[string]ChannelConsent{}
			}
		}
		if len(c.Channels) == 0 && len(in.Channels) > 0 {
			// The first recorded choice replaces the default: carry the
			// channels the debtor had by default so they stay authorized.
			for _, ch := range defaultAuthorized(d.Contacts) {
				const how = "datos de contacto entregados por el cliente"
				c.Channels[ch] = ChannelConsent{Authorized: true, At: now, How: how}
				c.History = append(c.History, ConsentEvent{Channel: ch, Change: "authorized", At: now, By: "import", How: how})
			}
		}
		event := func(ch, change, window string) {
			c.History = append(c.History, ConsentEvent{Channel: ch, Change: change, Window: window, At: now, By: who, ByRole: role, How: in.How, Evidence: in.Evidence})
		}
		for _, ch := range slices.Sorted(maps.Keys(in.Channels)) {
			v := in.Channels[ch]
			prev := c.Channels[ch]
			next := ChannelConsent{Authorized: v.Authorized && !v.OptedOut, OptedOut: v.OptedOut, At: now, How: in.How}
			if prev.OptedOut && next.Authorized && in.Evidence == "" {
				return nil, &apperr.Invalid{Msg: "El deudor se había opuesto a este canal",
					Fields: map[string]string{"evidence": "indique la grabación, el formulario o el mensaje en que volvió a autorizarlo"}}
			}
			c.Channels[ch] = next
			change := "revoked"
			switch {
			case next.OptedOut:
				change = "opted_out"
			case next.Authorized:
				change = "authorized"
			}
			if prev.Authorized != next.Authorized || prev.OptedOut != next.OptedOut || prev.At.IsZero() {
				event(ch, change, "")
			}
		}
		if in.ExtendedHours != nil {
			if c.ExtendedHours != *in.ExtendedHours {
				event("hours", map[bool]string{true: "extended_on", false: "extended_off"}[*in.ExtendedHours], "")
			}
			c.ExtendedHours = *in.ExtendedHours
		}
		if w := in.PreferredWindow; w != nil {
			if w.From == "" && w.To == "" {
				if c.PreferredWindow != nil {
					event("window", "window_cleared", "")
				}
				c.PreferredWindow = nil
			} else {
				c.PreferredWindow = &HoursWindow{From: w.From, To: w.To}
				event("window", "window_set", w.From+"-"+w.To)
			}
		}
		if len(c.History) > maxConsentHistory {
			c.History = c.History[len(c.History)-maxConsentHistory:]
		}
		c.How, c.UpdatedAt, c.UpdatedBy = in.How, &now, who
		d.Consent = &c
		return bson.D{{Key: "$set", Value: bson.D{{Key: "consent", Value: c}, {Key: "updatedAt", Value: now}}}}, nil
	})
	if err != nil {
		return ConsentView{}, err
	}
	_ = s.audit.Record(ctx, tenant, "debtor.consent", d.ID, map[string]any{"channels": len(in.Channels), "how": in.How, "evidence": in.Evidence})
	s.debtorChanged(ctx, tenant, d.AccountIDs)
	return view(d), nil
}

// ContactInput is a new way to reach a debtor.
type ContactInput struct {
	Kind   string // email, phone, whatsapp, address
	Value  string
	City   string
	Label  string // ContactLabels; optional
	Person string // whom it reaches: "Marta Ruiz"
	Role   string // the person's role: "Tesorería", "Cuentas por pagar"
}

// ContactLabels are the kinds of address or number a contact may have.
var ContactLabels = []string{"home", "office", "billing", "delivery", "mobile", "other"}

// Contact is a debtor's contact as the API shows it.
type Contact struct {
	Kind    string    `json:"kind"`
	Value   string    `json:"value"`
	City    string    `json:"city,omitempty"`
	Label   string    `json:"label,omitempty"`
	Person  string    `json:"person,omitempty"`
	Role    string    `json:"role,omitempty"`
	Source  string    `json:"source"`
	Invalid bool      `json:"invalid,omitempty"`
	AddedAt time.Time `json:"addedAt"`
}

// AddContact appends a contact the collector found (source "collector").
// The same contact again is a conflict.
func (s *Service) AddContact(ctx context.Context, tenant, document string, in ContactInput) ([]Contact, error) {
	in.Kind = strings.TrimSpace(in.Kind)
	value, city := strings.TrimSpace(in.Value), strings.TrimSpace(in.City)
	var why string
	switch in.Kind {
	case "email":
		value = strings.ToLower(value)
		if a, err := mail.ParseAddress(value); err != nil || a.Address != value || len(value) > 254 {
			why = "correo no válido"
		}
	case "phone", "whatsapp":
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			if strings.ContainsRune(" -().", r) {
				return -1
			}
			return 'x'
		}, strings.TrimPrefix(value, "+"))
		if strings.Contains(digits, "x") || len(digits) < 7 || len(digits) > 15 {
			why = "número de 7 a 15 dígitos (puede empezar con +)"
		}
		if strings.HasPrefix(value, "+") {
			digits = "+" + digits
		}
		value = digits
	case "address":
		if value == "" || utf8.RuneCountInString(value) > 200 {
			why = "dirección de 1 a 200 caracteres"
		}
	default:
		return nil, apperr.Field("kind", "use email, phone, whatsapp o address")
	}
	if why != "" {
		return nil, apperr.Field("value", why)
	}
	if utf8.RuneCountInString(city) > 80 {
		return nil, apperr.Field("city", "máximo 80 caracteres")
	}
	in.Label, in.Person, in.Role = strings.TrimSpace(in.Label), strings.TrimSpace(in.Person), strings.TrimSpace(in.Role)
	if in.Label != "" && !slices.Contains(ContactLabels, in.Label) {
		return nil, apperr.Field("label", "use home, office, billing, delivery, mobile u other")
	}
	if utf8.RuneCountInString(in.Person) > 120 {
		return nil, apperr.Field("person", "máximo 120 caracteres")
	}
	if utf8.RuneCountInString(in.Role) > 80 {
		return nil, apperr.Field("role", "máximo 80 caracteres")
	}
	sc, d, err := s.debtor(ctx, tenant, document)
	if err != nil {
		return nil, err
	}
	if a := actor.From(ctx); a.Role == tenants.RoleClient {
		return nil, fmt.Errorf("add contact: %w", apperr.ErrForbidden)
	}
	now := s.now()
	c := contactDoc{Kind: in.Kind, Value: value, City: city, Label: in.Label, Person: in.Person, Role: in.Role, Source: "collector", AddedAt: now}
	err = sc.C("debtors").Mutate(ctx, d.ID, &d, func() (bson.D, error) {
		for _, x := range d.Contacts {
			if x.Kind == c.Kind && strings.EqualFold(x.Value, c.Value) {
				return nil, fmt.Errorf("contact already recorded: %w", apperr.ErrConflict)
			}
		}
		d.Contacts = append(d.Contacts, c)
		return bson.D{{Key: "$set", Value: bson.D{{Key: "contacts", Value: d.Contacts}, {Key: "updatedAt", Value: now}}}}, nil
	})
	if err != nil {
		return nil, err
	}
	_ = s.audit.Record(ctx, tenant, "debtor.contact.add", d.ID, map[string]any{"kind": c.Kind})
	s.debtorChanged(ctx, tenant, d.AccountIDs)
	out := make([]Contact, len(d.Contacts))
	for i, x := range d.Contacts {
		out[i] = Contact(x)
	}
	return out, nil
}

// debtorChanged refreshes the debtor's accounts in the worklists: contacts
// and consent weigh in their priority.
func (s *Service) debtorChanged(ctx context.Context, tenant string, accountIDs []string) {
	if s.hooks == nil {
		return
	}
	for _, id := range accountIDs {
		s.hooks.AccountChanged(ctx, tenant, id)
	}
}
