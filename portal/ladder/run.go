package ladder

import (
	"context"
	"fmt"

	"cartera/portal/outbox"
	"cartera/portal/paylinks"
)

// Stats counts what a ladder pass did.
type Stats struct {
	Accounts int `json:"accounts"` // open accounts looked at
	Queued   int `json:"queued"`   // automatic steps put in the outbox now
	Deferred int `json:"deferred"` // of those, blocked by a contact rule for now
	Held     int `json:"held"`     // of those, with no way to send (no contact, opted out)
	Already  int `json:"already"`  // steps another runner had queued
	Written  int `json:"written"`  // accounts whose ladder state changed
	Entries  int `json:"entries"`  // worklist entries rewritten
	Removed  int `json:"removed"`  // worklist entries dropped
}

// batchSize is how many accounts a pass handles between its writes: the
// batch's outbox messages go in one InsertMany (one short hold of the
// embedded write lock), each changed account in its own compare-and-set.
const batchSize = 500

// Run runs a tenant's policy ladder over its open accounts: automatic
// steps that are due go to the outbox once per (account, step), after the
// contact rules are checked; the next manual step becomes the collector's
// next action. It writes only what changed, and also reconciles the
// worklists with the accounts (changes no hook saw: online payments,
// disputes, recalls). It scans the tenant's accounts: run it from the
// scheduler. Two runners at once do every step once: the outbox _id is the
// step's key, and the ladder state is a compare-and-set union.
//
// The pass is linear in the accounts: one scan, then per batch of
// batchSize accounts one bulk insert of the due messages (duplicates are
// steps already queued), one compare-and-set per account whose ladder state
// changed, and, at the end, one write per collector's worklist. Accounts
// whose state and entry are unchanged cost no write at all. No lock is held
// across more than one of those writes, so requests interleave with a pass.
func (s *Service) Run(ctx context.Context, tenant string) (Stats, error) {
	var st Stats
	p, err := s.queue.StartPass(ctx, tenant, s.now())
	if err != nil {
		return st, err
	}
	t := p.Tenant()
	sc := s.db.Tenant(t.ID)
	debtors := map[string]outbox.Debtor{} // read once per pass
	for start := 0; start < p.Len(); start += batchSize {
		end := min(start+batchSize, p.Len())
		added := make([][]string, end-start)
		var msgs []any
		var statuses []string
		var links []paylinks.Link
		for i := start; i < end; i++ {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			st.Accounts++
			due, err := p.Due(ctx, i)
			if err != nil {
				return st, err
			}
			if len(due) == 0 {
				continue
			}
			a := p.Account(i)
			d, err := s.debtor(ctx, sc, debtors, a.DebtorID)
			if err != nil {
				return st, err
			}
			for _, step := range due {
				m, link, err := s.message(p, a, d, step)
				if err != nil {
					return st, err
				}
				if link != nil {
					links = append(links, *link)
				}
				msgs, statuses = append(msgs, m), append(statuses, m.Status)
				added[i-start] = append(added[i-start], step.Key())
			}
		}
		// The links first: a message never goes out with a link that
		// opens nothing.
		if s.links != nil {
			if err := s.links.Store(ctx, t.ID, links); err != nil {
				return st, fmt.Errorf("ladder: %w", err)
			}
		}
		dups, err := sc.C("outbox").InsertMany(ctx, msgs)
		if err != nil {
			return st, fmt.Errorf("ladder: outbox: %w", err)
		}
		dup := map[int]bool{}
		for _, i := range dups {
			dup[i] = true
		}
		for i, status := range statuses {
			st.Queued++
			switch {
			case dup[i]:
				st.Queued--
				st.Already++
			case status == outbox.StatusDeferred:
				st.Deferred++
			case status == outbox.StatusHeld:
				st.Held++
			}
		}
		for i := start; i < end; i++ {
			written, entry, err := p.Record(ctx, i, added[i-start])
			if err != nil {
				return st, err
			}
			if written {
				st.Written++
			}
			if entry {
				st.Entries++
			}
		}
	}
	st.Removed, err = p.Finish(ctx)
	return st, err
}
