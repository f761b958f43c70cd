package calc

import "time"

// Rules are a tenant's money rules as the engine applies them to any of its
// accounts: the late interest terms and the discounts its policy offers.
type Rules struct {
	GraceDays    int
	AnnualBP     int64 // contract late interest rate (annual effective); 0: none
	Caps         CapTable
	EarlyPayment *EarlyPayment
	Settlement   []SettlementTier
}

// Terms are the late interest terms of one account under the rules.
func (r Rules) Terms(due time.Time, pauses []Pause) Terms {
	return Terms{Due: due, GraceDays: r.GraceDays, AnnualBP: r.AnnualBP, Caps: r.Caps, Pauses: pauses}
}

// Discount is what the policy takes off for settling an account in full on
// day: the larger of the early-payment discount (on or before the due date
// less its days) and the settlement tier reached by the days past due. It
// is a share of the principal, never of interest, rounded down.
func (r Rules) Discount(principal int64, due, day time.Time) int64 {
	if principal <= 0 {
		return 0
	}
	var d int64
	if r.EarlyPayment != nil {
		d = EarlyPaymentDiscount(principal, due, day, *r.EarlyPayment)
	}
	if dpd := int(dayNum(day) - dayNum(due)); len(r.Settlement) > 0 && dpd > 0 {
		d = max(d, SettlementDiscount(principal, dpd, r.Settlement))
	}
	return min(d, principal)
}
