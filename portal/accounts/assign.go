package accounts

import (
	"context"
	"fmt"

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
	// Fallback takes what the rules leave: an account no rule matches, or
	// whose rule's collectors are all at their limit. "" leaves it
	// unassigned (it shows in the unassigned count), FallbackShare shares
	// it among every active collector by capacity, a collector id sends it
	// to that collector.
	Fallback string `bson:"fallback,omitempty" json:"fallback,omitempty"`
}

// FallbackShare is the fallback that shares leftovers among everyone.
const FallbackShare = "round_robin"

// assigner picks collectors with smooth weighted round robin (nginx's
// algorithm): over any window each collector gets a share proportional to
// its capacity, interleaved rather than in runs.
type assigner struct {
	mode     string
	rules    []AssignRule
	fallback string
	pools    map[string]*wrr // by rule index ("" = everyone)
	// limit and load enforce each collector's maximum of open accounts
	// (only when some collector has one: load costs a scan).
	limit map[string]int
	load  map[string]int
}

type wrr struct {
	ids     []string
	weights []int
	current []int
}

func newWRR(ids []string, weights []int) *wrr {
	return &wrr{ids: ids, weights: weights, current: make([]int, len(ids))}
}

func (w *wrr) next() string { return w.nextOf(nil) }

// nextOf runs the round over the collectors ok accepts (nil: all), so a
// collector at its limit drops out without skewing the others' shares.
func (w *wrr) nextOf(ok func(id string) bool) string {
	if w == nil || len(w.ids) == 0 {
		return ""
	}
	total, best := 0, -1
	for i, id := range w.ids {
		if ok != nil && !ok(id) {
			continue
		}
		w.current[i] += w.weights[i]
		total += w.weights[i]
		if best < 0 || w.current[i] > w.current[best] {
			best = i
		}
	}
	if best < 0 {
		return ""
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
	us, err := s.collectorUsers(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	caps, ids := map[string]int{}, []string{}
	for _, u := range us {
		caps[u.ID] = weight(u)
		ids = append(ids, u.ID)
	}
	return caps, ids, nil
}

// weight is a collector's share in round robin (capacity, at least 1).
func weight(u tenants.User) int { return max(u.Capacity, 1) }

// collectorUsers are the tenant's active collectors in id order.
func (s *Service) collectorUsers(ctx context.Context, tenant string) ([]tenants.User, error) {
	var us []tenants.User
	err := s.db.C("users").Find(ctx, bson.D{{Key: "tenants", Value: tenant}, {Key: "role", Value: tenants.RoleCollector}, {Key: "disabled", Value: bson.D{{Key: "$ne", Value: true}}}},
		&us, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("collectors of %s: %w", tenant, err)
	}
	return us, nil
}

func (s *Service) newAssigner(ctx context.Context, t tenants.Tenant) (*assigner, error) {
	cfg, err := s.assignConfig(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	a, err := s.assignerFor(ctx, t.ID, cfg)
	if err != nil || len(a.limit) == 0 {
		return a, err
	}
	// Some collector has a limit: count what each holds now.
	loads, _, err := s.scanLoads(ctx, s.db.Tenant(t.ID), nil)
	if err != nil {
		return nil, err
	}
	for id, l := range loads {
		a.load[id] = l.Accounts
	}
	return a, nil
}

func (s *Service) assignerFor(ctx context.Context, tenant string, cfg AssignConfig) (*assigner, error) {
	a := &assigner{mode: cfg.Mode, rules: cfg.Rules, fallback: cfg.Fallback, pools: map[string]*wrr{},
		limit: map[string]int{}, load: map[string]int{}}
	if cfg.Mode == AssignNone {
		return a, nil
	}
	us, err := s.collectorUsers(ctx, tenant)
	if err != nil {
		return nil, err
	}
	caps, ids := map[string]int{}, []string{}
	for _, u := range us {
		caps[u.ID], ids = weight(u), append(ids, u.ID)
		if u.MaxAccounts > 0 {
			a.limit[u.ID] = u.MaxAccounts
		}
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
	if f := cfg.Fallback; f != "" && f != FallbackShare {
		a.pools["fallback"] = pool([]string{f})
	}
	return a, nil
}

// Why an account went where it went (AssignPlan).
const (
	ViaShare    = "round_robin" // round robin over everyone
	ViaFallback = "fallback"    // no rule took it; the fallback did
	ViaNoRule   = "no_rule"     // no rule matched and there is no fallback
	ViaFull     = "full"        // every collector it could go to is at its limit
)

// pick chooses the collector of a new account ("" when none applies) and
// says why: ViaShare, "rule:<i>", ViaFallback, ViaNoRule or ViaFull.
func (a *assigner) pick(acc Account) string {
	c, _ := a.pickWhy(acc)
	return c
}

func (a *assigner) pickWhy(acc Account) (string, string) {
	room := func(id string) bool { l, ok := a.limit[id]; return !ok || a.load[id] < l }
	take := func(c, via string) (string, string) {
		if c != "" {
			a.load[c]++
		}
		return c, via
	}
	full := false
	switch a.mode {
	case AssignRoundRobin:
		if c := a.pools[""].nextOf(room); c != "" {
			return take(c, ViaShare)
		}
		return "", ViaFull
	case AssignRules:
		for i, r := range a.rules {
			if r.Segment != "" && r.Segment != acc.Segment {
				continue
			}
			if acc.Balance < r.MinAmount || (r.MaxAmount > 0 && acc.Balance > r.MaxAmount) {
				continue
			}
			if c := a.pools[fmt.Sprint(i)].nextOf(room); c != "" {
				return take(c, fmt.Sprintf("rule:%d", i))
			}
			full = true // the first matching rule decides; its people are full
			break
		}
		switch a.fallback {
		case "":
		case FallbackShare:
			if c := a.pools[""].nextOf(room); c != "" {
				return take(c, ViaFallback)
			}
			full = true
		default:
			if c := a.pools["fallback"].nextOf(room); c != "" {
				return take(c, ViaFallback)
			}
			full = true
		}
		if full {
			return "", ViaFull
		}
		return "", ViaNoRule
	}
	return "", ViaNoRule
}

// SetAssignConfig stores the tenant's rule for new accounts (managers).
func (s *Service) SetAssignConfig(ctx context.Context, tenant string, cfg AssignConfig) error {
	if err := s.checkConfig(ctx, tenant, cfg); err != nil {
		return err
	}
	err := s.db.C("tenants").Update(ctx, bson.D{{Key: "_id", Value: tenant}}, bson.D{{Key: "$set", Value: bson.D{{Key: "assignment", Value: cfg}}}})
	if err != nil {
		return fmt.Errorf("save assignment rule: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "assignment.rule", tenant, map[string]any{"mode": cfg.Mode, "rules": len(cfg.Rules), "fallback": cfg.Fallback})
	return nil
}

// checkConfig is the rule check shared by saving and previewing a rule:
// managers only, known mode, every collector one of the tenant's.
func (s *Service) checkConfig(ctx context.Context, tenant string, cfg AssignConfig) error {
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
	f := apperr.Fields{}
	if len(cfg.Rules) > 50 {
		f.Add("rules", "máximo 50 reglas")
	}
	for i, r := range cfg.Rules {
		at := func(k string) string { return fmt.Sprintf("rules[%d].%s", i, k) }
		if len(r.Collectors) == 0 {
			f.Add(at("collectors"), "indique al menos un gestor")
		}
		for _, c := range r.Collectors {
			if _, ok := caps[c]; !ok {
				f.Add(at("collectors"), "gestor desconocido en este cliente: "+c)
			}
		}
		if r.MinAmount < 0 || (r.MaxAmount != 0 && r.MaxAmount < r.MinAmount) {
			f.Add(at("maxAmount"), "banda de valores inválida: el máximo es menor que el mínimo")
		}
		if len(r.Segment) > 60 {
			f.Add(at("segment"), "máximo 60 caracteres")
		}
	}
	if fb := cfg.Fallback; fb != "" && fb != FallbackShare {
		if _, ok := caps[fb]; !ok {
			f.Add("fallback", "gestor desconocido en este cliente: "+fb)
		}
	}
	if cfg.Mode == AssignRules && len(cfg.Rules) == 0 {
		f.Add("rules", "el modo por reglas necesita al menos una regla")
	}
	return f.Err()
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
	if s.worklist != nil && len(moves) > 0 {
		s.worklist.Assigned(ctx, tenant, moves)
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
	now := s.now()
	for _, key := range ids {
		id := key
		if !sc.Owns(id) {
			id = sc.ID(key)
		}
		var prev struct {
			CollectorID string `bson:"collectorId"`
		}
		if s.worklist != nil {
			_ = sc.C("accounts").Get(ctx, id, &prev)
		}
		// A manual move takes the account out of any run (a recall leaves it).
		err := sc.C("accounts").Update(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "collectorId", Value: collector}, {Key: "updatedAt", Value: now}}},
			{Key: "$unset", Value: bson.D{{Key: "assignRunId", Value: ""}}}})
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
