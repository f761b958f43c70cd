package readside

import (
	"context"
	"fmt"
	"log/slog"

	"cartera/portal/accounts"
	"cartera/portal/store"
)

// Rows reads a debtor's statement rows (debtors.AccountsOf, declared by
// the debtor face; repeated here so the read side does not import it).
type Rows interface {
	Accounts(ctx context.Context, sc *store.Scope, debtorID string, ids []string) ([]accounts.Account, error)
}

// Models is the read side a portal reads through.
type Models struct {
	Lists accounts.Lister // the account lists (accounts.Service.Index)
	Rows  Rows            // a debtor's statement rows (debtors.Service.Views)
	// Index and Views are the projections behind Lists and Rows on the
	// embedded server; nil on MongoDB proper.
	Index *Index
	Views *DebtorViews
}

// New returns the read side for db. On the embedded server, which finds
// only by _id, it is the projections, registered here (so call New before
// the first write they must see); on MongoDB proper it is indexed queries
// over the accounts, and nothing is registered, kept or cached.
func New(db *store.DB, log *slog.Logger) *Models {
	if !db.Embedded() {
		q := NewQueries()
		return &Models{Lists: q, Rows: q}
	}
	x := NewIndex(db, log)
	x.Watch()
	v := NewDebtorViews(db)
	v.Watch()
	return &Models{Lists: x, Rows: v, Index: x, Views: v}
}

// Backfill builds at start-up the projections tenants lack (nothing to
// build on MongoDB proper).
func (m *Models) Backfill(ctx context.Context) error {
	if m.Index == nil {
		return nil
	}
	return m.Index.Backfill(ctx)
}

// Check is the daily check of a tenant's projections: the index's rows
// compared with the accounts and repaired, the debtor views dropped to be
// rebuilt on their next read. Queries read the accounts themselves:
// nothing to check.
func (m *Models) Check(ctx context.Context, tenant string) error {
	if m.Index == nil {
		return nil
	}
	if _, err := m.Index.Verify(ctx, tenant); err != nil {
		return fmt.Errorf("portfolio index: %w", err)
	}
	if _, err := m.Views.Reset(ctx, tenant); err != nil {
		return fmt.Errorf("debtor views: %w", err)
	}
	return nil
}
