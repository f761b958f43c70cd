// Package calc is the money arithmetic of the collections portal: late interest
// under a legal cap, early-payment and settlement discounts, installment plans,
// payment allocation and days past due. It is pure: no I/O, no clock, no floats
// for money.
//
// # Units
//
// Money is int64 minor units of the account's currency (the caller keeps the
// ISO 4217 code beside it). Rates are int64 basis points (1 bp = 0.01 %, so
// 2849 is 28.49 %): annual effective for late interest and caps, monthly for
// plans, a share of the amount for discounts. Basis points hold every figure the
// Superintendencia Financiera publishes (two decimals of a percent) exactly.
//
// A civil date is a time.Time whose year, month and day read in its own
// location are the date; the time of day is ignored. Dates this package returns
// are midnight in the location of the date they were derived from.
//
// # Rounding rules
//
// Late interest (LateInterest). Each day accrues simple interest on the balance
// at the daily rate d = (1+EA)^(1/365) - 1, where EA is the annual effective rate
// applied that day. d is computed with big.Float at 256 bits and rounded half-up
// to 40 decimal places (DailyRate), so it is an exact decimal anyone can
// recompute. The range is split into segments wherever a cap period starts or
// ends; a segment's amount is balance × days × d computed exactly (big.Rat) and
// rounded half-up (x.5 goes up) to the minor unit, once per segment. The total is
// the sum of the rounded segments, so a statement listing them adds up. Every
// calendar day counts, 29 February too, and 365 is used in leap years as well:
// simple daily interest stays below the EA even over 366 days, so the cap holds.
// Interest is never compounded.
//
// Discounts (EarlyPaymentDiscount, SettlementDiscount) round down: the debtor
// never gets more than the policy says. A percentage above 100 % counts as
// 100 %.
//
// Plans (Plan, Offers). The minimum down payment rounds up (it is a minimum).
// The French installment is rounded down to the minor unit; each period's
// interest is the remaining principal × the period rate, rounded half-up; the
// last installment pays whatever principal remains plus its interest. So the
// last installment absorbs every rounding remainder, the principals add up
// exactly to the financed amount and the installments exactly to Offer.Total.
//
// Allocation works on whole minor units and never rounds.
package calc

import "errors"

// ErrInvalid marks input that breaks a rule: a bad configuration, an offer
// outside the plan rules, an unknown item. Errors wrap it with the reason.
var ErrInvalid = errors.New("invalid")
