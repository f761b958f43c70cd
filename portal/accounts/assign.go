package accounts

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/tenants"
)

// Assignment modes of a tenant.
const (
	AssignNone       = "none"
	AssignRoundRobin = "round_robin" // weighted by each collector's capacity
	AssignRules      = "rules"       // by segment or amount band, then round robin
)

// AssignRule sends accounts of a segment and/or an amount band to a set of
// collectors. Empty fields match anything.
type AssignRule struct {
	Segment    string   `bson:"segment,omitempty" json:"segment,omitempty"`
	MinAmount  int64    `bson:"minAmount,omitempty" json:"minAmount,omitempty"`
	MaxAmount  int64    `bson:"maxAmount,omitempty" json:"maxAmount,omitempty"` // 0: no upper bound
	Collectors []string `bson:"collectors" json:"collectors"`
}

// AssignConfig is a tenant's standing rule for new accounts.
type AssignConfig struct {
	Mode  string       `bson:"mode" json:"mode"`
	Rules []AssignRule `bson:"rules,omitempty" json:"rules,omitempty"`
}

// assigner picks collectors with smooth weighted round robin (nginx's
// algorithm): over any window each collector gets a share proportional to
// its capacity, interleaved rather than in runs.
type assigner struct {
	mode  string
	rules []AssignRule
	pools map[string]*wrr // by rule index ("" = everyone)
}

type wrr struct {
	ids     []string
	weights []int
	current []int
}

func newWRR(ids []string, weights []int) *wrr {
	return &wrr{ids: ids, weights: weights, current: make([]int, len(ids))}
}

func (w *wrr) next() string {
	if w == nil || len(w.ids) == 0 {
		return ""
	}
	total, best := 0, 0
	for i := range w.ids {
		w.current[i] += w.weights[i]
		total += w.weights[i]
		if w.current[i] > w.current[best] {
			best = i
		}
	}
	w.current[best] -= total
	return w.ids[best]
}

func (s *Service) assignConfig(ctx context.Context, tenant string) (AssignConfig, error) {
	var doc struct {
		Assignment AssignConfig `bson:"assignment"`
	}
	if err := s.db.C("tenants").Get(ctx, tenant, &doc); err != nil {
		return AssignConfig{}, err
	}
	if doc.Assignment.Mode == "" {
		doc.Assignment.Mode = AssignNone
	}
	return doc.Assignment, nil
}

// collectors lists the tenant's active collectors with their capacity.
func (s *Service) collectors(ctx context.Context, tenant string) (map[string]int, []string, error) {
	var us []tenants.User
	err := s.db.C("users").Find(ctx, bson.D{{Key: "tenants", Value: tenant}, {Key: "role", Value: tenants.RoleCollector}, {Key: "disabled", Value: bson.D{{Key: "$ne", Value: true}}}},
		&us, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, nil, err
	}
	caps, ids := map[string]int{}, []string{}
	for _, u := range us {
		c := u.Capacity
		if c <= 0 {
			c = 1
		}
		caps[u.ID] = c
		ids = append(ids, u.ID)
	}
	return caps, ids, nil
}

func (s *Service) newAssigner(ctx context.Context, t tenants.Tenant) (*assigner, error) {
	cfg, err := s.assignConfig(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	return s.assignerFor(ctx, t.ID, cfg)
}

func (s *Service) assignerFor(ctx context.Context, tenant string, cfg AssignConfig) (*assigner, error) {
	a := &assigner{mode: cfg.Mode, rules: cfg.Rules, pools: map[string]*wrr{}}
	if cfg.Mode == AssignNone {
		return a, nil
	}
	caps, ids, err := s.collectors(ctx, tenant)
	if err != nil {
		return nil, err
	}
	pool := func(list []string) *wrr {
		var is []string
		var ws []int
		for _, id := range list {
			if c, ok := caps[id]; ok {
				is = append(is, id)
				ws = append(ws, c)
			}
		}
		return newWRR(is, ws)
	}
	a.pools[""] = pool(ids)
	for i, r := range cfg.Rules {
		a.pools[fmt.Sprint(i)] = pool(r.Collectors)
	}
	return a, nil
}

// pick chooses the collector of a new account ("" when none applies).
func (a *assigner) pick(acc Account) string {
	switch a.mode {
	case AssignRoundRobin:
		return a.pools[""].next()
	case AssignRules:
		for i, r := range a.rules {
			if r.Segment != "" && r.Segment != acc.Segment {
				continue
			}
			if acc.Balance < r.MinAmount || (r.MaxAmount > 0 && acc.Balance > r.MaxAmount) {
				continue
			}
			return a.pools[fmt.Sprint(i)].next()
		}
	}
	return ""
}

// SetAssignConfig stores the tenant's rule for new accounts (managers).
func (s *Service) SetAssignConfig(ctx context.Context, tenant string, cfg AssignConfig) error {
	if r := actor.From(ctx).Role; r != tenants.RoleAdmin && r != tenants.RoleManager {
		return forbidden("assignment rule")
	}
	if _, _, err := s.scope(ctx, tenant); err != nil {
		return err
	}
	switch cfg.Mode {
	case AssignNone, AssignRoundRobin, AssignRules:
	default:
		return apperr.Field("mode", "use none, round_robin o rules")
	}
	caps, _, err := s.collectors(ctx, tenant)
	if err != nil {
		return err
	}
	for i, r := range cfg.Rules {
		if len(r.Collectors) == 0 {
			return apperr.Field(fmt.Sprintf("rules[%d].collectors", i), "indique al menos un gestor")
		}
		for _, c := range r.Collectors {
			if _, ok := caps[c]; !ok {
				return apperr.Field(fmt.Sprintf("rules[%d].collectors", i), "gestor desconocido en este cliente: "+c)
			}
		}
		if r.MinAmount < 0 || (r.MaxAmount != 0 && r.MaxAmount < r.MinAmount) {
			return apperr.Field(fmt.Sprintf("rules[%d]", i), "banda de valores inválida")
		}
	}
	err = s.db.C("tenants").Update(ctx, bson.D{{Key: "_id", Value: tenant}}, bson.D{{Key: "$set", Value: bson.D{{Key: "assignment", Value: cfg}}}})
	if err == nil {
		_ = s.audit.Record(ctx, tenant, "assignment.rule", tenant, map[string]any{"mode": cfg.Mode})
	}
	return err
}

// Move is an account that changed collector (From or To may be empty).
// Imports carry the account they just inserted, so the hook need not read it.
type Move struct {
	AccountID, From, To string
	Account             *Account
}

// WorklistHook keeps the collectors' worklists current as accounts change
// hands; it handles its own errors (a periodic rebuild repairs a miss).
type WorklistHook interface {
	Assigned(ctx context.Context, tenant string, moves []Move)
}

func (s *Service) moved(ctx context.Context, tenant string, moves []Move) {
	if s.Worklist != nil && len(moves) > 0 {
		s.Worklist.Assigned(ctx, tenant, moves)
	}
}

// AssignResult counts what an assignment did.
type AssignResult struct {
	Assigned int `json:"assigned"`
	Skipped  int `json:"skipped"`
}

// Assign gives accounts to one collector (manual, by ids).
func (s *Service) Assign(ctx context.Context, tenant string, ids []string, collector string) (AssignResult, error) {
	if r := actor.From(ctx).Role; r != tenants.RoleAdmin && r != tenants.RoleManager {
		return AssignResult{}, forbidden("assign")
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return AssignResult{}, err
	}
	caps, _, err := s.collectors(ctx, tenant)
	if err != nil {
		return AssignResult{}, err
	}
	if _, ok := caps[collector]; !ok && collector != "" {
		return AssignResult{}, apperr.Field("collectorId", "gestor desconocido en este cliente")
	}
	if len(ids) == 0 || len(ids) > 5000 {
		return AssignResult{}, apperr.Field("accountIds", "indique entre 1 y 5.000 cuentas")
	}
	var res AssignResult
	var moves []Move
	now := time.Now().UTC()
	for _, key := range ids {
		id := key
		if !sc.Owns(id) {
			id = sc.ID(key)
		}
		var prev struct {
			CollectorID string `bson:"collectorId"`
		}
		if s.Worklist != nil {
			_ = sc.C("accounts").Get(ctx, id, &prev)
		}
		err := sc.C("accounts").Update(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "collectorId", Value: collector}, {Key: "updatedAt", Value: now}}}})
		switch {
		case apperr.Is(err, apperr.ErrNotFound):
			res.Skipped++
		case err != nil:
			return res, err
		default:
			res.Assigned++
			moves = append(moves, Move{AccountID: id, From: prev.CollectorID, To: collector})
		}
	}
	s.moved(ctx, tenant, moves)
	_ = s.audit.Record(ctx, tenant, "assignment.manual", collector, map[string]any{"assigned": res.Assigned})
	return res, nil
}

// AssignUnassigned distributes the tenant's open, unassigned accounts by the
// given mode (weighted round robin, or the tenant's rules).
func (s *Service) AssignUnassigned(ctx context.Context, tenant, mode string) (AssignResult, error) {
	if r := actor.From(ctx).Role; r != tenants.RoleAdmin && r != tenants.RoleManager {
		return AssignResult{}, forbidden("assign")
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return AssignResult{}, err
	}
	cfg := AssignConfig{Mode: mode}
	if mode == AssignRules {
		if cfg, err = s.assignConfig(ctx, tenant); err != nil {
			return AssignResult{}, err
		}
	} else if mode != AssignRoundRobin {
		return AssignResult{}, apperr.Field("rule", "use round_robin o rules")
	}
	as, err := s.assignerFor(ctx, tenant, cfg)
	if err != nil {
		return AssignResult{}, err
	}
	if len(as.pools[""].ids) == 0 {
		return AssignResult{}, &apperr.Refusal{Code: "no_collectors", Reason: "este cliente no tiene gestores activos"}
	}
	var open []Account
	err = sc.C("accounts").Find(ctx, bson.D{{Key: "status", Value: StatusOpen}, {Key: "collectorId", Value: bson.D{{Key: "$in", Value: bson.A{"", nil}}}}},
		&open, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "history", Value: 0}}))
	if err != nil {
		return AssignResult{}, err
	}
	var res AssignResult
	var moves []Move
	now := time.Now().UTC()
	for _, a := range open {
		c := as.pick(a)
		if c == "" {
			res.Skipped++
			continue
		}
		if err := sc.C("accounts").Update(ctx, a.ID, bson.D{{Key: "$set", Value: bson.D{{Key: "collectorId", Value: c}, {Key: "updatedAt", Value: now}}}}); err != nil {
			return res, err
		}
		res.Assigned++
		moves = append(moves, Move{AccountID: a.ID, To: c})
	}
	s.moved(ctx, tenant, moves)
	_ = s.audit.Record(ctx, tenant, "assignment.rule.run", tenant, map[string]any{"mode": mode, "assigned": res.Assigned})
	return res, nil
}

// AssignByFilter gives every account matching f (up to 5,000) to collector.
func (s *Service) AssignByFilter(ctx context.Context, tenant string, f Filter, collector string) (AssignResult, error) {
	if r := actor.From(ctx).Role; r != tenants.RoleAdmin && r != tenants.RoleManager {
		return AssignResult{}, forbidden("assign")
	}
	var ids []string
	f.Limit, f.Cursor = 500, ""
	for len(ids) < 5000 {
		p, err := s.List(ctx, tenant, f)
		if err != nil {
			return AssignResult{}, err
		}
		for _, a := range p.Items {
			ids = append(ids, a.ID)
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	if len(ids) == 0 {
		return AssignResult{}, nil
	}
	return s.Assign(ctx, tenant, ids, collector)
}
