// Package reports computes a tenant's collection figures (KPIs, aging,
// recovery by month, collector productivity) and renders them as JSON-ready
// structs, PDF (gofpdf) and CSV, plus the remittance statement
// ("liquidación") of what was collected and is owed to the client.
//
// Every figure is computed in one place, KPIs below, from streamed and
// projected Find cursors, one pass per collection (DESIGN.md, "Store
// rules": FerretDB's aggregation cannot be trusted). The JSON, the page,
// the CSV and the PDF all read the same KPIs value.
//
// Definitions (a period is a span of civil days in the tenant's zone, both
// ends included; "as of to" means at the end of the day to):
//
//   - placed: placement and adjustment ledger entries dated in the period;
//     count is the number of placements (accounts placed), amount the sum of
//     both kinds (an adjustment is the client changing an amount).
//   - recovered: payments dated in the period minus reversals (refunds,
//     chargebacks) dated in the period, by the payment's channel (online,
//     manual, client_reported). Dispute credits and interest are not
//     recoveries.
//   - recoveryRate: recovered to date ÷ net placed to date, both as of to and
//     over the accounts that are not recalled (a recalled account went back
//     to the client, so neither what was placed nor what was recovered on it
//     counts); net placed = placements + adjustments − dispute credits. In
//     basis points, rounded half up.
//   - outstanding and aging: accounts not recalled whose balance rebuilt
//     from the ledger as of to is above zero; aging buckets by days past due
//     on the date to (calc.Bucket).
//   - promises: made = created in the period; kept/broken = settled in the
//     period with that status; keptRate = kept ÷ (kept + broken).
//   - disputes: opened = created in the period; accepted/rejected = resolved
//     in the period; the median days to resolve is over those resolved in
//     the period (elapsed time, one decimal).
//   - contactRate: outstanding accounts with at least one outbound contact
//     in the period ÷ outstanding accounts; rightParty counts those with an
//     outbound contact whose outcome was contacted or promise.
//   - collectors: per collector user of the tenant: outstanding accounts
//     assigned now, accounts worked (with an activity of theirs in the
//     period), contacts (their activities in the period), promises they
//     made in the period, and the amount recovered in the period on the
//     accounts assigned to them now.
//   - monthly: the 12 calendar months ending with the month of to (the last
//     one cut at to): placed and recovered in the month and the recovery
//     rate as of the month's end (same definition as recoveryRate).
//   - roll: for each aging bucket on the day before the period, how much of
//     its balance (by due date) is at the period's end still in it, in a
//     later bucket, or resolved; rollBp = rolled ÷ start.
//   - dso (days sales outstanding): outstanding as of to × days in the
//     period ÷ placed in the period; null when nothing was placed.
//   - plans: installment plans are not built yet; the figures are zeros and
//     available is false until they exist.
//
// A tenant's accounts must all be in one currency: a report over more than
// one is refused (422, code multi_currency) rather than adding pesos to
// dollars.
package reports

import "time"

// Amount is a count of items and their sum in minor units.
type Amount struct {
	Count  int64 `json:"count"`
	Amount int64 `json:"amount"`
}

// Recovered is money collected net of reversals.
type Recovered struct {
	Amount    int64            `json:"amount"`
	ByChannel map[string]int64 `json:"byChannel"`
	Payments  int64            `json:"payments"`  // payment entries in the period
	Reversals int64            `json:"reversals"` // amount reversed in the period (already subtracted)
}

// Rate is a ratio with its parts; BP is Num/Den in basis points rounded
// half up (0 when Den is 0).
type Rate struct {
	Num int64 `json:"num"`
	Den int64 `json:"den"`
	BP  int64 `json:"bp"`
}

// Bucket is one aging bucket.
type Bucket struct {
	Bucket string `json:"bucket"`
	Count  int64  `json:"count"`
	Amount int64  `json:"amount"`
}

// Roll is where the balance of one aging bucket on the day before the
// period stood at its end (amount-weighted, by due date): still in the
// bucket, rolled into a later one, or resolved (paid, credited, recalled).
// A balance that grew (interest, adjustment) counts at its starting size.
type Roll struct {
	Bucket   string `json:"bucket"`
	Start    int64  `json:"start"`
	Stayed   int64  `json:"stayed"`
	Rolled   int64  `json:"rolled"`
	Resolved int64  `json:"resolved"`
	RollBP   int64  `json:"rollBp"` // rolled ÷ start
}

// Promises counts promises to pay.
type Promises struct {
	Made       int64 `json:"made"`
	MadeAmount int64 `json:"madeAmount"`
	Kept       int64 `json:"kept"`
	Broken     int64 `json:"broken"`
	KeptRate   Rate  `json:"keptRate"`
}

// Disputes counts disputes.
type Disputes struct {
	Opened              int64    `json:"opened"`
	Accepted            int64    `json:"accepted"`
	Rejected            int64    `json:"rejected"`
	Credited            int64    `json:"credited"` // credit granted by the accepted ones
	MedianDaysToResolve *float64 `json:"medianDaysToResolve"`
}

// Plans are installment plans: created, completed and defaulted in the
// period; active now.
type Plans struct {
	Available bool  `json:"available"`
	Created   int64 `json:"created"`
	Active    int64 `json:"active"`
	Completed int64 `json:"completed"`
	Defaulted int64 `json:"defaulted"`
}

// Contact is the contact and right-party contact rates.
type Contact struct {
	Open       int64 `json:"open"`
	Contacted  int64 `json:"contacted"`
	RightParty int64 `json:"rightParty"`
	BP         int64 `json:"bp"`
	RightBP    int64 `json:"rightPartyBp"`
}

// Collector is one collector's productivity.
type Collector struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Accounts  int64  `json:"accounts"`
	Worked    int64  `json:"worked"`
	Contacts  int64  `json:"contacts"`
	Promises  int64  `json:"promises"`
	Recovered int64  `json:"recovered"`
}

// Month is one month of the last twelve.
type Month struct {
	Month     string `json:"month"` // YYYY-MM
	Placed    int64  `json:"placed"`
	Recovered int64  `json:"recovered"`
	RateBP    int64  `json:"rateBp"` // recovery rate as of the month's end
}

// DSO is days sales outstanding.
type DSO struct {
	Days *float64 `json:"days"`
}

// KPIs is every figure of a tenant's report for a period.
type KPIs struct {
	Tenant       string      `json:"tenant"`
	Segment      string      `json:"segment,omitempty"` // the portfolio segment reported ("" all)
	Segments     []string    `json:"segments"`          // the segments the portfolio has
	TenantName   string      `json:"tenantName"`
	Currency     string      `json:"currency"`
	Locale       string      `json:"locale"`
	From         string      `json:"from"`
	To           string      `json:"to"`
	Placed       Amount      `json:"placed"`
	Recovered    Recovered   `json:"recovered"` // principal recovered
	Collected    int64       `json:"collected"` // all money collected: principal, interest and credit held, net of refunds (the remittance's total)
	RecoveryRate Rate        `json:"recoveryRate"`
	Outstanding  Amount      `json:"outstanding"`
	Aging        []Bucket    `json:"aging"`
	Roll         []Roll      `json:"roll"`
	Promises     Promises    `json:"promises"`
	Disputes     Disputes    `json:"disputes"`
	Plans        Plans       `json:"plans"`
	ContactRate  Contact     `json:"contactRate"`
	Collectors   []Collector `json:"collectors"`
	Monthly      []Month     `json:"monthly"`
	DSO          DSO         `json:"dso"`
	GeneratedAt  time.Time   `json:"generatedAt"`

	period Period
}

// Period is the period the figures cover.
func (k KPIs) Period() Period { return k.period }
