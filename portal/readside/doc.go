// Package readside serves the account lists (accounts.Lister), a
// debtor's statement rows (debtors.AccountsOf) and the collectors'
// worklists (queue.Worklists: Worklists, stored the same on both stores),
// the interfaces their consumers declare. The lists and rows are served in
// the way the store calls for (New picks):
//
//   - on the embedded server, which only finds by _id, from read models kept
//     as store projections, off the request path, and read after
//     store.Settle: the portfolio index (Index) and the debtor views
//     (DebtorViews);
//   - on MongoDB proper, by indexed queries over the accounts themselves
//     (Queries), with nothing kept.
//
// The same contract tests run both (docs/read-side.md). The domain packages
// see only their interfaces, never a codec, a cache or a query.
//
// The report counters (reports.Counters) are the subpackage tally, a
// projection on both stores; the app builds it beside New, as it needs the
// tenants' time zones and the domain packages whose documents it counts.
package readside
