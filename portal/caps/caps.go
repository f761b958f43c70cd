// Package caps keeps the legal caps on late interest per country as dated
// data that managers maintain (Colombia: the usury rate the
// Superintendencia Financiera certifies each month). A country with no
// stored table uses the one shipped with the portal (calc.DefaultCapTable).
package caps

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/payments/calc"
	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/store"
	"cartera/tenants"
)

// Countries are the jurisdictions the portal serves.
var Countries = []string{"CO", "MX", "PE", "US"}

// Period is one stored cap with where it comes from.
type Period struct {
	From   string `bson:"from" json:"from"` // YYYY-MM-DD
	To     string `bson:"to" json:"to"`
	Pct    string `bson:"annualEffectivePct" json:"annualEffectivePct"` // "25.52"
	Source string `bson:"source,omitempty" json:"source,omitempty"`     // the resolution that certifies it
}

// doc is a country's stored table; _id is the country code.
type doc struct {
	ID        string    `bson:"_id"`
	Periods   []Period  `bson:"periods"`
	UpdatedAt time.Time `bson:"updatedAt"`
	UpdatedBy string    `bson:"updatedBy"`
}

// Status is what the manager face shows of a country's table.
type Status struct {
	Country     string   `json:"country"`
	Periods     []Period `json:"periods"`
	LastCovered string   `json:"lastCovered,omitempty"`    // the last day the table covers
	Current     string   `json:"currentPct,omitempty"`     // the cap in force today
	Provisional string   `json:"provisionalPct,omitempty"` // today is not covered: the cap applied provisionally (the nearest)
	Stale       bool     `json:"stale"`                    // today is past the table: interest is provisional
	Shipped     bool     `json:"shipped"`                  // the table shipped with the portal, never edited here
	UpdatedAt   string   `json:"updatedAt,omitempty"`
}

// Service reads and maintains the tables. Tables are cached for a minute
// (four countries at most: the memory is bounded by the tables' size), so a
// statement does not pay a read for them.
type Service struct {
	db    *store.DB
	audit *audit.Log
	ttl   time.Duration
	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	table calc.CapTable
	at    time.Time
}

// New wires the service.
func New(db *store.DB, a *audit.Log) *Service {
	return &Service{db: db, audit: a, ttl: time.Minute, cache: map[string]cached{}}
}

// Table is the cap table in force for a country.
func (s *Service) Table(ctx context.Context, country string) (calc.CapTable, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	s.mu.Lock()
	c, ok := s.cache[country]
	s.mu.Unlock()
	if ok && time.Since(c.at) < s.ttl {
		return c.table, nil
	}
	d, found, err := s.read(ctx, country)
	if err != nil {
		return nil, err
	}
	table := calc.DefaultCapTable(country)
	if found {
		if table, err = toTable(d.Periods); err != nil {
			return nil, fmt.Errorf("caps %s: stored table: %w", country, err)
		}
	}
	s.mu.Lock()
	s.cache[country] = cached{table: table, at: time.Now()}
	s.mu.Unlock()
	return table, nil
}

func (s *Service) read(ctx context.Context, country string) (doc, bool, error) {
	var d doc
	err := s.db.C("caps").Get(ctx, country, &d)
	if errors.Is(err, apperr.ErrNotFound) {
		return d, false, nil
	}
	return d, err == nil, err
}

// Status describes a country's table as of today (a civil date).
func (s *Service) Status(ctx context.Context, country string, today time.Time) (Status, error) {
	country = strings.ToUpper(country)
	if !slices.Contains(Countries, country) {
		return Status{}, fmt.Errorf("caps: country %q: %w", country, apperr.ErrNotFound)
	}
	d, found, err := s.read(ctx, country)
	if err != nil {
		return Status{}, err
	}
	st := Status{Country: country, Periods: d.Periods, Shipped: !found}
	if found {
		st.UpdatedAt = d.UpdatedAt.Format(time.RFC3339)
	} else {
		st.Periods = fromTable(calc.DefaultCapTable(country))
	}
	table, err := toTable(st.Periods)
	if err != nil {
		return Status{}, err
	}
	if st.Periods == nil {
		st.Periods = []Period{}
	}
	if len(table) == 0 {
		return st, nil
	}
	if last := table.LastCovered(); !last.IsZero() {
		st.LastCovered = last.Format(time.DateOnly)
		st.Stale = today.After(last)
	}
	if bp, ok := table.At(today); ok {
		st.Current = calc.FormatBP(bp)
	} else if last := table.LastCovered(); !last.IsZero() && today.After(last) {
		if bp, ok := table.At(last); ok {
			st.Provisional = calc.FormatBP(bp)
		}
	}
	return st, nil
}

// Put replaces a country's table (managers and admins); the periods are
// validated (sorted, no overlaps, positive rates with two decimals at most).
func (s *Service) Put(ctx context.Context, country string, periods []Period) (Status, error) {
	a := actor.From(ctx)
	if a.Role != tenants.RoleAdmin && a.Role != tenants.RoleManager {
		return Status{}, fmt.Errorf("caps: %w", apperr.ErrForbidden)
	}
	country = strings.ToUpper(country)
	if !slices.Contains(Countries, country) {
		return Status{}, fmt.Errorf("caps: country %q: %w", country, apperr.ErrNotFound)
	}
	table, err := toTable(periods)
	if err != nil {
		return Status{}, &apperr.Invalid{Msg: err.Error(), Fields: map[string]string{"periods": err.Error()}}
	}
	clean := fromTable(table)
	bySrc := map[string]string{}
	for _, p := range periods {
		bySrc[p.From] = strings.TrimSpace(p.Source)
	}
	for i := range clean {
		clean[i].Source = bySrc[clean[i].From]
	}
	now := time.Now().UTC()
	_, err = s.db.C("caps").Upsert(ctx, bson.D{{Key: "_id", Value: country}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "periods", Value: clean}, {Key: "updatedAt", Value: now}, {Key: "updatedBy", Value: a.UserID},
	}}})
	if err != nil {
		return Status{}, fmt.Errorf("caps %s: save: %w", country, err)
	}
	s.mu.Lock()
	delete(s.cache, country)
	s.mu.Unlock()
	_ = s.audit.Record(ctx, "", "caps.update", country, map[string]any{"periods": len(clean)})
	return s.Status(ctx, country, now)
}

// ImportCSV reads a table from CSV with the header
// from,to,annualEffectivePct,source (dates YYYY-MM-DD, the rate as "25.52";
// comma or semicolon separated) and saves it with Put.
func (s *Service) ImportCSV(ctx context.Context, country string, r io.Reader) (Status, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return Status{}, err
	}
	text := strings.TrimPrefix(string(b), "\ufeff")
	cr := csv.NewReader(strings.NewReader(text))
	if first, _, _ := strings.Cut(text, "\n"); strings.Count(first, ";") > strings.Count(first, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return Status{}, &apperr.Invalid{Msg: "CSV: " + err.Error()}
	}
	var periods []Period
	for i, row := range rows {
		if i == 0 && len(row) > 0 && strings.EqualFold(strings.TrimSpace(row[0]), "from") {
			continue
		}
		if len(row) < 3 {
			return Status{}, &apperr.Invalid{Msg: fmt.Sprintf("row %d: want from,to,annualEffectivePct,source", i+1),
				Fields: map[string]string{fmt.Sprintf("row %d", i+1): "from,to,annualEffectivePct,source"}}
		}
		p := Period{From: strings.TrimSpace(row[0]), To: strings.TrimSpace(row[1]), Pct: strings.ReplaceAll(strings.TrimSpace(row[2]), ",", ".")}
		if len(row) > 3 {
			p.Source = strings.TrimSpace(row[3])
		}
		periods = append(periods, p)
	}
	return s.Put(ctx, country, periods)
}

func toTable(ps []Period) (calc.CapTable, error) {
	out := make(calc.CapTable, 0, len(ps))
	for i, p := range ps {
		from, err := time.Parse(time.DateOnly, p.From)
		if err != nil {
			return nil, fmt.Errorf("period %d: from %q: want YYYY-MM-DD", i+1, p.From)
		}
		var to time.Time
		if p.To != "" {
			if to, err = time.Parse(time.DateOnly, p.To); err != nil {
				return nil, fmt.Errorf("period %d: to %q: want YYYY-MM-DD", i+1, p.To)
			}
		}
		bp, err := calc.ParsePercentBP(p.Pct)
		if err != nil {
			return nil, fmt.Errorf("period %d: rate %q: want a percentage with up to two decimals", i+1, p.Pct)
		}
		out = append(out, calc.RatePeriod{From: from, To: to, AnnualEffectiveBP: bp})
	}
	slices.SortStableFunc(out, func(a, b calc.RatePeriod) int { return a.From.Compare(b.From) })
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

func fromTable(t calc.CapTable) []Period {
	out := make([]Period, 0, len(t))
	for _, p := range t {
		pp := Period{From: p.From.Format(time.DateOnly), Pct: calc.FormatBP(p.AnnualEffectiveBP), Source: p.Source}
		if !p.To.IsZero() {
			pp.To = p.To.Format(time.DateOnly)
		}
		out = append(out, pp)
	}
	return out
}
