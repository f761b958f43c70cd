package calc

import "time"

// EarlyPayment is a discount for paying ahead of the due date.
type EarlyPayment struct {
	DaysBefore int   // pay at least this many days before the due date (0: on the due date)
	PercentBP  int64 // share of the amount
}

// EarlyPaymentDiscount is the discount on amount when it is paid on payDate,
// at least policy.DaysBefore calendar days before dueDate (both civil dates).
// Rounded down; 0 when the policy does not apply.
func EarlyPaymentDiscount(amount int64, dueDate, payDate time.Time, policy EarlyPayment) int64 {
	if policy.DaysBefore < 0 {
		return 0
	}
	if dayNum(dueDate)-dayNum(payDate) < int64(policy.DaysBefore) {
		return 0
	}
	return bpOf(amount, policy.PercentBP)
}

// SettlementTier is a discount offered to settle an account that is at least
// MinDaysPastDue days late. MaxAmount > 0 caps the discount; 0 leaves it uncapped.
type SettlementTier struct {
	MinDaysPastDue int
	PercentBP      int64
	MaxAmount      int64
}

// SettlementDiscount applies the highest tier reached (the largest
// MinDaysPastDue not above daysPastDue; tiers may come in any order), rounded
// down and capped at the tier's MaxAmount. Two tiers at the same threshold are
// a configuration mistake; the smaller discount wins.
func SettlementDiscount(balance int64, daysPastDue int, tiers []SettlementTier) int64 {
	found := false
	var best SettlementTier
	var discount int64
	for _, t := range tiers {
		if t.MinDaysPastDue > daysPastDue {
			continue
		}
		d := bpOf(balance, t.PercentBP)
		if t.MaxAmount > 0 {
			d = min(d, t.MaxAmount)
		}
		if !found || t.MinDaysPastDue > best.MinDaysPastDue || (t.MinDaysPastDue == best.MinDaysPastDue && d < discount) {
			found, best, discount = true, t, d
		}
	}
	return discount
}
