package reports

import (
	"testing"
)

// TestStrategyUpliftByHand: four accounts per arm, each placed at
// 1,000.00 (100000 minor units).
//
//	champion:   recovered 1,000.00 (day 3), 0, 0, 500.00 (day 10)
//	challenger: recovered 1,000.00 (day 1), 1,000.00 (day 4), 500.00 (day 7), 0
//
// Amount-weighted recovery: 150000/400000 = 37.50 %, 250000/400000 = 62.50 %.
// Per-account rates: champion {1, 0, 0, 0.5}, mean 0.375; challenger
// {1, 1, 0.5, 0}, mean 0.625. Payers: 2/4 = 0.5 and 3/4 = 0.75. Median
// days to the first payment: (3+10)/2 = 6.5 and 4.
//
// Payers, Wald: d = 0.75 − 0.5 = 0.25;
// SE = √(0.5·0.5/4 + 0.75·0.25/4) = √0.109375 = 0.330719;
// CI = 0.25 ± 1.959964·0.330719 = 0.25 ± 0.648197 = [−0.398197, 0.898197]
// → −3982 bp to 8982 bp, not significant.
//
// Recovery, Welch: both arms have Σ(r−r̄)² = 0.6875, s² = 0.6875/3 =
// 0.229167; d = 0.625 − 0.375 = 0.25; SE = √(2·0.229167/4) = 0.338502;
// CI = 0.25 ± 0.663451 = [−0.413451, 0.913451] → −4135 bp to 9135 bp;
// ν = (2q)² / (2q²/3) = 6 with q = s²/4.
func TestStrategyUpliftByHand(t *testing.T) {
	const placed = 100000
	champ := []sample{{placed, 100000, 100000, 3}, {placed, 0, 0, -1}, {placed, 0, 0, -1}, {placed, 50000, 50000, 10}}
	chall := []sample{{placed, 100000, 100000, 1}, {placed, 100000, 100000, 4}, {placed, 50000, 50000, 7}, {placed, 0, 0, -1}}
	c1, c2, payers, recovery := compare(champ, chall)
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"champion accounts", c1.Accounts, 4}, {"challenger accounts", c2.Accounts, 4},
		{"champion placed", c1.Placed, 400000}, {"challenger placed", c2.Placed, 400000},
		{"champion recovered", c1.Recovered, 150000}, {"challenger recovered", c2.Recovered, 250000},
		{"champion rate", c1.RecoveryRate.BP, 3750}, {"challenger rate", c2.RecoveryRate.BP, 6250},
		{"champion mean rate", c1.MeanRateBP, 3750}, {"challenger mean rate", c2.MeanRateBP, 6250},
		{"champion payers", c1.Payers, 2}, {"challenger payers", c2.Payers, 3},
		{"champion payer rate", c1.PayerRate.BP, 5000}, {"challenger payer rate", c2.PayerRate.BP, 7500},
		{"payers diff", payers.DiffBP, 2500}, {"payers low", payers.LowBP, -3982}, {"payers high", payers.HighBP, 8982},
		{"recovery diff", recovery.DiffBP, 2500}, {"recovery low", recovery.LowBP, -4135}, {"recovery high", recovery.HighBP, 9135},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if c1.MedianDaysToPay == nil || *c1.MedianDaysToPay != 6.5 || c2.MedianDaysToPay == nil || *c2.MedianDaysToPay != 4 {
		t.Errorf("median days to pay: %v %v, want 6.5 and 4", c1.MedianDaysToPay, c2.MedianDaysToPay)
	}
	if payers.Significant || recovery.Significant || !payers.Defined || !recovery.Defined {
		t.Errorf("4 vs 4 is defined and not significant: %+v %+v", payers, recovery)
	}
	if recovery.DF != 6 || payers.Method != MethodWald || recovery.Method != MethodWelch {
		t.Errorf("df %v, methods %s %s", recovery.DF, payers.Method, recovery.Method)
	}
}

// TestStrategyUpliftSignificant: 30 of 100 champion accounts pay, 50 of
// 100 challenger accounts do. d = 0.2; SE = √(0.3·0.7/100 + 0.5·0.5/100)
// = √0.0046 = 0.067823; CI = 0.2 ± 0.132931 = [0.067069, 0.332931] →
// 671 bp to 3329 bp: the interval leaves out zero.
func TestStrategyUpliftSignificant(t *testing.T) {
	d := waldDiff(30, 100, 50, 100)
	if d.DiffBP != 2000 || d.LowBP != 671 || d.HighBP != 3329 || !d.Significant {
		t.Fatalf("got %+v, want 2000 [671, 3329] significant", d)
	}
	if d := waldDiff(1, 1, 1, 5); d.Defined {
		t.Fatalf("an arm of one account has no interval: %+v", d)
	}
	if v := perThousand(3, 150000, "COP"); v == nil || *v != 2 {
		t.Fatalf("3 contacts for 1,500.00 recovered: %v per 1,000, want 2", v)
	}
}
