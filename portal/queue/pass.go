package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/accounts"
	"cartera/portal/apperr"
	"cartera/portal/strategy"
	"cartera/tenants"
)

// Pass is one tenant's ladder pass as the queue sees it (ladder.Service.Run
// drives it). The ladder's state on each account (the steps done, the next
// action) and the worklists are the queue's, so the pass gets the open
// accounts and the automatic steps each has due from here, records here the
// steps it queued, and on the way reconciles the worklists with the
// accounts (changes no hook saw: online payments, disputes, recalls): an
// entry is rewritten only when its account or its next action moved on,
// and each collector's worklist is written once, in Finish.
type Pass struct {
	s     *Service
	c     *ctxTenant
	now   time.Time
	open  []accountDoc
	live  []bool // whether each account has a live promise,
	known []bool // once read
	have  map[string]listed
	seen  map[string]bool
	w     *Edits
}

// listed is where an account's entry is and which rev it was built from.
type listed struct {
	col string
	rev int64
}

// StartPass reads what a ladder pass over a tenant needs, as of now: the
// tenant and its policies, the entries of its worklists, and its open
// accounts (a scan: for the scheduler).
func (s *Service) StartPass(ctx context.Context, tenant string, now time.Time) (*Pass, error) {
	c, err := s.loadAt(ctx, tenant, now)
	if err != nil {
		return nil, err
	}
	have := map[string]listed{}
	err = s.lists.Each(ctx, c.sc, func(col, k string, e Entry) { have[k] = listed{col: col, rev: e.Rev} })
	if errors.Is(err, ErrStaleWorklist) { // an earlier release's: rebuilt, then read as current
		if _, err := s.RebuildWorklists(ctx, tenant); err != nil {
			return nil, err
		}
		return s.StartPass(ctx, tenant, now)
	} else if err != nil {
		return nil, fmt.Errorf("ladder: worklists: %w", err)
	}
	var open []accountDoc
	err = c.sc.C("accounts").Find(ctx, bson.D{{Key: "status", Value: accounts.StatusOpen}}, &open, options.Find().SetProjection(accountProjection))
	if err != nil {
		return nil, fmt.Errorf("ladder: accounts: %w", err)
	}
	return &Pass{s: s, c: c, now: now, open: open, live: make([]bool, len(open)), known: make([]bool, len(open)), have: have, seen: map[string]bool{}, w: newEdits()}, nil
}

// Tenant is the tenant the pass walks.
func (p *Pass) Tenant() tenants.Tenant { return p.c.t }

// Location is the tenant's time zone.
func (p *Pass) Location() *time.Location { return p.c.loc }

// Policy is the tenant's own policy (its champion), which says the
// channels its messages may go on.
func (p *Pass) Policy() strategy.Policy { return p.c.pol }

// Len is how many open accounts the pass walks.
func (p *Pass) Len() int { return len(p.open) }

// Account is the i-th open account as the pass read it.
func (p *Pass) Account(i int) accounts.Account {
	a := p.open[i]
	return accounts.Account{ID: a.ID, TenantID: a.TenantID, Invoice: a.Invoice, DebtorID: a.DebtorID, Document: a.Document,
		DebtorName: a.DebtorName, DueDate: a.DueDate, Balance: a.Balance, Currency: a.Currency, Status: a.Status,
		CollectorID: a.CollectorID, Segment: a.Segment, Description: a.Description, PlanID: a.PlanID, Test: a.Test,
		CreatedAt: a.CreatedAt, Rev: a.Rev}
}

// liveOf reads once whether the i-th account has a live promise.
func (p *Pass) liveOf(ctx context.Context, i int) (bool, error) {
	if !p.known[i] {
		live, err := p.c.livePromise(ctx, p.open[i])
		if err != nil {
			return false, err
		}
		p.live[i], p.known[i] = live, true
	}
	return p.live[i], nil
}

// Due is the automatic steps the i-th account has due today, in ladder
// order, as its ladder state, its pauses (a live promise among them) and
// the policy it follows say.
func (p *Pass) Due(ctx context.Context, i int) ([]strategy.Step, error) {
	a := p.open[i]
	live, err := p.liveOf(ctx, i)
	if err != nil {
		return nil, err
	}
	pause := pauseOf(a, live)
	done := slices.Clone(a.LadderDone)
	pol := p.c.polOf(a.Test)
	var due []strategy.Step
	for range pol.Steps {
		n := strategy.NextStep(pol, p.c.anchor(a), p.c.today, done, pause)
		if n.Step == nil || n.Due.After(p.c.today) || !n.Step.SentByOutbox() {
			break
		}
		due = append(due, *n.Step)
		done = append(done, n.Step.Key())
	}
	return due, nil
}

// Record adds the steps the ladder queued for the i-th account to its
// ladder state (a compare-and-set union with what another runner wrote)
// when they or its next action changed, and stages its worklist entry when
// the account or the entry moved on. written says the account was written;
// entry that its entry was staged.
func (p *Pass) Record(ctx context.Context, i int, added []string) (written, entry bool, err error) {
	c, a := p.c, p.open[i]
	live, err := p.liveOf(ctx, i)
	if err != nil {
		return false, false, err
	}
	probe := a
	probe.LadderDone = append(slices.Clone(a.LadderDone), added...)
	changed := len(added) > 0 || !wantedAction(c, probe, live).equal(a.NextAction)
	if changed {
		a, err = p.s.saveLadderDoc(ctx, c, a.ID, live, func(_ *ctxTenant, cur *accountDoc) {
			for _, k := range added {
				if !slices.Contains(cur.LadderDone, k) {
					cur.LadderDone = append(cur.LadderDone, k)
				}
			}
		})
		if errors.Is(err, apperr.ErrNotFound) {
			return false, false, nil
		} else if err != nil {
			return false, false, err
		}
		written = true
	}
	key := c.sc.Key(a.ID)
	h, ok := p.have[key]
	if !inWorklist(a) {
		return written, false, nil
	}
	p.seen[key] = true
	if ok && h.col != a.CollectorID {
		p.w.remove(h.col, key)
	}
	if !ok || h.col != a.CollectorID || h.rev != a.Rev || changed {
		if err := p.s.stageLive(ctx, c, p.w, a, live); err != nil {
			return written, false, err
		}
		entry = true
	}
	return written, entry, nil
}

// Finish drops the entries of accounts the pass did not find open and
// writes the worklists, one write per collector; it returns how many
// entries it dropped.
func (p *Pass) Finish(ctx context.Context) (int, error) {
	removed := 0
	for k, h := range p.have {
		if !p.seen[k] {
			p.w.remove(h.col, k)
			removed++
		}
	}
	return removed, p.s.write(ctx, p.c, p.w, p.now.UTC())
}

// RecordStep adds a step carried out by hand to the account's ladder state
// (once), drops it as the next action, rebuilds the account's worklist
// entry and returns the account's next action after it.
func (s *Service) RecordStep(ctx context.Context, tenant, accountID, step string) (*NextAction, error) {
	err := s.touch(ctx, tenant, accountID, func(_ *ctxTenant, cur *accountDoc) {
		if !slices.Contains(cur.LadderDone, step) {
			cur.LadderDone = append(cur.LadderDone, step)
		}
		if cur.NextAction != nil && cur.NextAction.Step == step {
			cur.NextAction = nil
		}
	})
	if err != nil {
		return nil, err
	}
	var after accountDoc
	if err := s.db.Tenant(tenant).C("accounts").Get(ctx, accountID, &after); err != nil {
		return nil, err
	}
	return after.NextAction, nil
}
