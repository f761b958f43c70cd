// Package readside holds the read models of the accounts that the hot
// paths read instead of scanning (the embedded server only finds by _id):
// the portfolio index behind the account lists (Index, consumed through
// accounts.Lister) and the debtors' statement rows (DebtorViews, consumed
// through debtors.AccountsOf). Both are store projections: kept from the
// account changes by the store's consumer, off the request path, and read
// after store.Settle (docs/read-side.md). The domain packages see only the
// interfaces they declare, never a codec or a cache.
package readside
