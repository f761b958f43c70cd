package accounts

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/tenants"
)

// Load is what a collector holds: open accounts and their principal.
type Load struct {
	Accounts int   `json:"accounts"`
	Balance  int64 `json:"balance"`
}

// CollectorLoad is a collector as the assignment page shows them.
type CollectorLoad struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Capacity    int    `json:"capacity"`    // share in round robin
	MaxAccounts int    `json:"maxAccounts"` // open accounts at most; 0: no limit
	Load
}

// AssignState is the tenant's assignment at a glance: the standing rule,
// each collector's capacity and load, what nobody holds, the recent runs.
type AssignState struct {
	Config     AssignConfig    `json:"config"`
	Currency   string          `json:"currency"`
	Collectors []CollectorLoad `json:"collectors"`
	Unassigned Load            `json:"unassigned"`
	Runs       []AssignRun     `json:"runs"`
}

// AssignRun is one distribution of unassigned accounts, kept so it can be
// recalled. Accounts it assigned carry its id (assignRunId) until they
// change hands again.
type AssignRun struct {
	ID          string     `bson:"_id" json:"-"`
	Key         string     `bson:"key" json:"id"`
	TenantID    string     `bson:"tenantId" json:"-"`
	Mode        string     `bson:"mode" json:"mode"`
	Assigned    int        `bson:"assigned" json:"assigned"`
	Left        int        `bson:"left" json:"left"` // open accounts it left unassigned
	ByCollector []PlanLine `bson:"byCollector" json:"byCollector"`
	At          time.Time  `bson:"at" json:"at"`
	By          string     `bson:"by" json:"by"`
	RecalledAt  *time.Time `bson:"recalledAt,omitempty" json:"recalledAt,omitempty"`
	Recalled    int        `bson:"recalled,omitempty" json:"recalled,omitempty"`
}

// PlanLine is what one collector receives in a plan.
type PlanLine struct {
	CollectorID string `bson:"collectorId" json:"collectorId"`
	Name        string `bson:"name" json:"name"`
	Accounts    int    `bson:"accounts" json:"accounts"`
	Balance     int64  `bson:"balance" json:"balance"`
}

// PlanMove is one account of a plan, for the preview's sample.
type PlanMove struct {
	AccountID  string `json:"accountId"`
	DebtorName string `json:"debtorName"`
	Segment    string `json:"segment,omitempty"`
	Balance    int64  `json:"balance"`
	To         string `json:"to"`  // collector id; "" when it stays unassigned
	Via        string `json:"via"` // round_robin, rule:<i>, fallback, no_rule, full
}

// AssignPlan is what a distribution would do (the preview) or did (a run).
type AssignPlan struct {
	Mode        string         `json:"mode"`
	Assigned    int            `json:"assigned"`
	Skipped     int            `json:"skipped"` // stay unassigned: NoRule + Full
	NoRule      int            `json:"noRule"`
	Full        int            `json:"full"`
	ByCollector []PlanLine     `json:"byCollector"`
	ByVia       map[string]int `json:"byVia"`
	Sample      []PlanMove     `json:"sample"` // the first planSample accounts in id order
	RunID       string         `json:"runId,omitempty"`
	moves       []Move
}

const planSample = 50

// slim is the part of an account a plan reads.
type slim struct {
	ID          string `bson:"_id"`
	DebtorName  string `bson:"debtorName"`
	Balance     int64  `bson:"balance"`
	Segment     string `bson:"segment"`
	Status      string `bson:"status"`
	CollectorID string `bson:"collectorId"`
}

// scanLoads reads the tenant's open accounts once: each collector's load,
// and the unassigned accounts in id order (into unassigned when not nil).
func (s *Service) scanLoads(ctx context.Context, sc *store.Scope, unassigned *[]slim) (map[string]Load, Load, error) {
	loads, free := map[string]Load{}, Load{}
	opts := options.Find().SetProjection(bson.D{{Key: "debtorName", Value: 1}, {Key: "balance", Value: 1}, {Key: "segment", Value: 1},
		{Key: "status", Value: 1}, {Key: "collectorId", Value: 1}}).SetSort(bson.D{{Key: "_id", Value: 1}})
	err := sc.C("accounts").Each(ctx, bson.D{{Key: "status", Value: StatusOpen}}, opts, func(raw bson.Raw) error {
		var a slim
		if err := bson.Unmarshal(raw, &a); err != nil {
			return err
		}
		if a.CollectorID == "" {
			free.Accounts++
			free.Balance += a.Balance
			if unassigned != nil {
				*unassigned = append(*unassigned, a)
			}
			return nil
		}
		l := loads[a.CollectorID]
		l.Accounts++
		l.Balance += a.Balance
		loads[a.CollectorID] = l
		return nil
	})
	if err != nil {
		return nil, Load{}, fmt.Errorf("assignment loads: %w", err)
	}
	return loads, free, nil
}

// AssignmentState is the assignment page's data (managers).
func (s *Service) AssignmentState(ctx context.Context, tenant string) (AssignState, error) {
	if r := actor.From(ctx).Role; r != tenants.RoleAdmin && r != tenants.RoleManager {
		return AssignState{}, forbidden("assignment")
	}
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return AssignState{}, err
	}
	cfg, err := s.assignConfig(ctx, t.ID)
	if err != nil {
		return AssignState{}, err
	}
	us, err := s.collectorUsers(ctx, t.ID)
	if err != nil {
		return AssignState{}, err
	}
	loads, free, err := s.scanLoads(ctx, sc, nil)
	if err != nil {
		return AssignState{}, err
	}
	st := AssignState{Config: cfg, Currency: t.Currency, Collectors: make([]CollectorLoad, 0, len(us)), Unassigned: free}
	for _, u := range us {
		st.Collectors = append(st.Collectors, CollectorLoad{ID: u.ID, Name: u.Name, Email: u.Email, Capacity: weight(u), MaxAccounts: u.MaxAccounts, Load: loads[u.ID]})
	}
	if st.Runs, err = s.assignRuns(ctx, sc); err != nil {
		return AssignState{}, err
	}
	return st, nil
}

func (s *Service) assignRuns(ctx context.Context, sc *store.Scope) ([]AssignRun, error) {
	runs := []AssignRun{}
	err := sc.C("assignruns").Find(ctx, bson.D{}, &runs, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(20))
	if err != nil {
		return nil, fmt.Errorf("assignment runs: %w", err)
	}
	return runs, nil
}

// PreviewAssign says what distributing the unassigned accounts would do,
// writing nothing: with mode round_robin, with the saved rules (mode
// rules, draft nil), or with a draft rule not yet saved.
func (s *Service) PreviewAssign(ctx context.Context, tenant, mode string, draft *AssignConfig) (AssignPlan, error) {
	p, _, err := s.plan(ctx, tenant, mode, draft)
	return p, err
}

func (s *Service) plan(ctx context.Context, tenant, mode string, draft *AssignConfig) (AssignPlan, map[string]string, error) {
	if r := actor.From(ctx).Role; r != tenants.RoleAdmin && r != tenants.RoleManager {
		return AssignPlan{}, nil, forbidden("assign")
	}
	sc, t, err := s.scope(ctx, tenant)
	if err != nil {
		return AssignPlan{}, nil, err
	}
	var cfg AssignConfig
	switch {
	case draft != nil:
		if err := s.checkConfig(ctx, t.ID, *draft); err != nil {
			return AssignPlan{}, nil, err
		}
		cfg = *draft
	case mode == AssignRules:
		if cfg, err = s.assignConfig(ctx, t.ID); err != nil {
			return AssignPlan{}, nil, err
		}
		if cfg.Mode != AssignRules || len(cfg.Rules) == 0 {
			return AssignPlan{}, nil, apperr.Field("rule", "este cliente no tiene reglas guardadas: guarde las reglas o use round_robin")
		}
	case mode == AssignRoundRobin:
		cfg = AssignConfig{Mode: AssignRoundRobin}
	default:
		return AssignPlan{}, nil, apperr.Field("rule", "use round_robin o rules")
	}
	if cfg.Mode == AssignNone {
		return AssignPlan{}, nil, apperr.Field("mode", "elija round_robin o rules para repartir")
	}
	as, err := s.assignerFor(ctx, t.ID, cfg)
	if err != nil {
		return AssignPlan{}, nil, err
	}
	if len(as.pools[""].ids) == 0 {
		return AssignPlan{}, nil, &apperr.Refusal{Code: "no_collectors", Reason: "este cliente no tiene gestores activos"}
	}
	us, err := s.collectorUsers(ctx, t.ID)
	if err != nil {
		return AssignPlan{}, nil, err
	}
	names := map[string]string{}
	for _, u := range us {
		names[u.ID] = u.Name
	}
	var open []slim
	loads, _, err := s.scanLoads(ctx, sc, &open)
	if err != nil {
		return AssignPlan{}, nil, err
	}
	for id, l := range loads {
		as.load[id] = l.Accounts
	}
	p := AssignPlan{Mode: cfg.Mode, ByVia: map[string]int{}, Sample: []PlanMove{}, ByCollector: []PlanLine{}}
	lines := map[string]*PlanLine{}
	for _, a := range open {
		to, via := as.pickWhy(Account{ID: a.ID, Balance: a.Balance, Segment: a.Segment})
		p.ByVia[via]++
		if len(p.Sample) < planSample {
			p.Sample = append(p.Sample, PlanMove{AccountID: sc.Key(a.ID), DebtorName: a.DebtorName, Segment: a.Segment, Balance: a.Balance, To: to, Via: via})
		}
		switch {
		case to != "":
			p.Assigned++
			l := lines[to]
			if l == nil {
				l = &PlanLine{CollectorID: to, Name: names[to]}
				lines[to] = l
			}
			l.Accounts++
			l.Balance += a.Balance
			p.moves = append(p.moves, Move{AccountID: a.ID, To: to})
		case via == ViaFull:
			p.Full++
		default:
			p.NoRule++
		}
	}
	p.Skipped = p.NoRule + p.Full
	for _, l := range lines {
		p.ByCollector = append(p.ByCollector, *l)
	}
	sort.Slice(p.ByCollector, func(i, j int) bool {
		return p.ByCollector[i].Accounts > p.ByCollector[j].Accounts ||
			p.ByCollector[i].Accounts == p.ByCollector[j].Accounts && p.ByCollector[i].CollectorID < p.ByCollector[j].CollectorID
	})
	return p, names, nil
}

// AssignUnassigned distributes the tenant's open, unassigned accounts by the
// given mode (weighted round robin, or the tenant's rules with their
// fallback), records the run so it can be recalled, and returns what it did.
func (s *Service) AssignUnassigned(ctx context.Context, tenant, mode string) (AssignPlan, error) {
	p, _, err := s.plan(ctx, tenant, mode, nil)
	if err != nil {
		return AssignPlan{}, err
	}
	if p.Assigned == 0 {
		return p, nil // nothing to move: no run to keep
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return AssignPlan{}, err
	}
	key := primitive.NewObjectID().Hex()
	now := s.now()
	run := AssignRun{ID: sc.ID(key), Key: key, TenantID: sc.Slug(), Mode: p.Mode, ByCollector: p.ByCollector, At: now, By: actor.From(ctx).UserID, Left: p.Skipped}
	// The run is written first: a crash half way leaves a run that
	// recalls exactly the accounts that carry its id.
	if err := sc.C("assignruns").Insert(ctx, run); err != nil {
		return AssignPlan{}, fmt.Errorf("assignment run: %w", err)
	}
	var done []Move
	for _, m := range p.moves {
		// Only if still open and unassigned: an account assigned or paid
		// meanwhile keeps its state.
		var cur slim
		took := false
		err := sc.C("accounts").Mutate(ctx, m.AccountID, &cur, func() (bson.D, error) {
			if took = cur.Status == StatusOpen && cur.CollectorID == ""; !took {
				return nil, nil
			}
			return bson.D{{Key: "$set", Value: bson.D{{Key: "collectorId", Value: m.To}, {Key: "assignRunId", Value: key}, {Key: "updatedAt", Value: now}}}}, nil
		})
		if err != nil && !apperr.Is(err, apperr.ErrNotFound) {
			s.moved(ctx, tenant, done)
			return AssignPlan{}, fmt.Errorf("assign %s: %w", m.AccountID, err)
		}
		if took && err == nil {
			done = append(done, m)
		}
	}
	s.moved(ctx, tenant, done)
	if len(done) != p.Assigned {
		p.Skipped += p.Assigned - len(done)
		p.Assigned = len(done)
	}
	if err := sc.C("assignruns").Update(ctx, run.ID, bson.D{{Key: "$set", Value: bson.D{{Key: "assigned", Value: p.Assigned}}}}); err != nil {
		return AssignPlan{}, fmt.Errorf("assignment run: %w", err)
	}
	p.RunID = key
	_ = s.audit.Record(ctx, tenant, "assignment.rule.run", run.ID, map[string]any{"mode": p.Mode, "assigned": p.Assigned, "left": p.Skipped})
	return p, nil
}

// RecallRun undoes a run: the accounts it assigned that still carry its id
// (nobody moved them since) go back to unassigned. Recalling twice
// changes nothing the second time.
func (s *Service) RecallRun(ctx context.Context, tenant, key string) (AssignRun, error) {
	if r := actor.From(ctx).Role; r != tenants.RoleAdmin && r != tenants.RoleManager {
		return AssignRun{}, forbidden("recall assignment")
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return AssignRun{}, err
	}
	var run AssignRun
	if err := sc.C("assignruns").Get(ctx, sc.ID(key), &run); err != nil {
		return AssignRun{}, err
	}
	if run.RecalledAt != nil {
		return run, nil
	}
	var ids []struct {
		ID          string `bson:"_id"`
		CollectorID string `bson:"collectorId"`
	}
	err = sc.C("accounts").Find(ctx, bson.D{{Key: "assignRunId", Value: key}}, &ids, options.Find().SetProjection(bson.D{{Key: "collectorId", Value: 1}}))
	if err != nil {
		return AssignRun{}, fmt.Errorf("recall run: %w", err)
	}
	now := s.now()
	var moves []Move
	for _, a := range ids {
		var cur struct {
			CollectorID string `bson:"collectorId"`
			RunID       string `bson:"assignRunId"`
		}
		took := false
		err := sc.C("accounts").Mutate(ctx, a.ID, &cur, func() (bson.D, error) {
			if took = cur.RunID == key; !took {
				return nil, nil // moved since: it stays where it is
			}
			return bson.D{{Key: "$set", Value: bson.D{{Key: "collectorId", Value: ""}, {Key: "updatedAt", Value: now}}}, {Key: "$unset", Value: bson.D{{Key: "assignRunId", Value: ""}}}}, nil
		})
		if err != nil && !apperr.Is(err, apperr.ErrNotFound) {
			s.moved(ctx, tenant, moves)
			return AssignRun{}, fmt.Errorf("recall %s: %w", a.ID, err)
		}
		if took && err == nil {
			moves = append(moves, Move{AccountID: a.ID, From: cur.CollectorID})
		}
	}
	s.moved(ctx, tenant, moves)
	run.RecalledAt, run.Recalled = &now, len(moves)
	if err := sc.C("assignruns").Update(ctx, run.ID, bson.D{{Key: "$set", Value: bson.D{{Key: "recalledAt", Value: now}, {Key: "recalled", Value: run.Recalled}}}}); err != nil {
		return AssignRun{}, fmt.Errorf("recall run: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "assignment.recall", run.ID, map[string]any{"recalled": run.Recalled})
	return run, nil
}
