package calc

import (
	"math/rand/v2"
	"testing"
)

// The figures below are computed by hand with Python's decimal module:
// d = round_half_up((1 + 0.24)^(1/365) − 1, 40 places)
//
//	= 0.0005895199441456363517614388559167501642,
//
// and a segment's interest is round_half_up(principal × days × d).
func TestPriceTable(t *testing.T) {
	due := day(2026, 2, 9) // 300 days before 2026-12-06
	asOf := day(2026, 12, 6)
	terms := Terms{Due: due, AnnualBP: 2400}
	placed := Move{Principal: 1_000_000_000}
	tests := []struct {
		name      string
		terms     Terms
		moves     []Move
		principal int64
		accrued   int64
		interest  int64
	}{
		{
			// 1e9 × 300 × d = 176,855,983.24 → 176,855,983 (the figure).
			name: "one invoice, 300 days late", terms: terms, moves: []Move{placed},
			principal: 1_000_000_000, accrued: 176_855_983, interest: 176_855_983,
		},
		{
			// Paid today 25,000,000: all to interest (176,855,983 owed), so the
			// principal stays and the interest falls by exactly the payment.
			name: "partial payment today goes to interest", terms: terms,
			moves:     []Move{placed, {Value: asOf, Interest: -25_000_000}},
			principal: 1_000_000_000, accrued: 176_855_983, interest: 151_855_983,
		},
		{
			// Paying exactly the principal amount pays the interest first:
			// 176,855,983 to interest, 823,144,017 to principal; 176,855,983 stays owed.
			name: "paying the principal amount leaves the interest's worth of principal", terms: terms,
			moves:     []Move{placed, {Value: asOf, Interest: -176_855_983, Principal: -823_144_017}},
			principal: 176_855_983, accrued: 176_855_983, interest: 0,
		},
		{
			// Back-dated 400,000,000 on 2026-06-30 (141 days late): accrued then
			// 1e9 × 141 × d rounds to 83,122,312, which
			// is paid first, 316,877,688 to principal; from 2026-07-01 through
			// 2026-12-06 (159 days) on 683,122,312: 64,031,562.
			// Accrued 83,122,312 + 64,031,562 = 147,153,874; booked −83,122,312.
			name: "back-dated payment lowers interest from its date", terms: terms,
			moves:     []Move{placed, {Value: day(2026, 6, 30), Interest: -83_122_312, Principal: -316_877_688}},
			principal: 683_122_312, accrued: 147_153_874, interest: 64_031_562,
		},
		{
			// A refund dated back to its payment restores the position exactly.
			name: "refund dated to its payment restores", terms: terms,
			moves: []Move{placed,
				{Value: day(2026, 6, 30), Interest: -83_122_312, Principal: -316_877_688},
				{Value: day(2026, 6, 30), Interest: 83_122_312, Principal: 316_877_688}},
			principal: 1_000_000_000, accrued: 176_855_983, interest: 176_855_983,
		},
		{
			// A plan accepted 2026-06-30: 141 days accrue (83,122,312), none after.
			name: "plan pause stops late interest", terms: Terms{Due: due, AnnualBP: 2400, Pauses: []Pause{{From: day(2026, 6, 30)}}},
			moves: []Move{placed}, principal: 1_000_000_000, accrued: 83_122_312, interest: 83_122_312,
		},
		{
			// Defaulted 2026-11-06: 141 days before the pause, then 30 days
			// (2026-11-07..12-06) on 1e9: 17,685,598.32 → 17,685,598.
			name: "plan default resumes interest", terms: Terms{Due: due, AnnualBP: 2400, Pauses: []Pause{{From: day(2026, 6, 30), To: day(2026, 11, 6)}}},
			moves: []Move{placed}, principal: 1_000_000_000, accrued: 83_122_312 + 17_685_598, interest: 83_122_312 + 17_685_598,
		},
		{
			name: "no contract rate, no late interest", terms: Terms{Due: due},
			moves: []Move{placed}, principal: 1_000_000_000,
		},
		{
			name: "grace covers the whole delay", terms: Terms{Due: due, AnnualBP: 2400, GraceDays: 400},
			moves: []Move{placed}, principal: 1_000_000_000,
		},
		{
			name: "future-dated movement not yet counted", terms: terms,
			moves:     []Move{placed, {Value: day(2026, 12, 7), Principal: -1_000_000_000}},
			principal: 1_000_000_000, accrued: 176_855_983, interest: 176_855_983,
		},
		{
			// Interest charged by a plan installment is booked, not accrued.
			name: "booked plan interest adds to what is owed", terms: Terms{Due: due},
			moves:     []Move{placed, {Value: day(2026, 11, 1), Interest: 15_000_000}},
			principal: 1_000_000_000, accrued: 0, interest: 15_000_000,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Price(tc.terms, tc.moves, asOf)
			if p.Principal != tc.principal || p.Accrued != tc.accrued || p.Interest != tc.interest {
				t.Fatalf("principal %d accrued %d interest %d; want %d %d %d", p.Principal, p.Accrued, p.Interest, tc.principal, tc.accrued, tc.interest)
			}
			var sum int64
			for _, s := range p.Segments {
				sum += s.Amount
			}
			if sum != p.Accrued {
				t.Errorf("segments add to %d, accrued %d", sum, p.Accrued)
			}
		})
	}
}

func TestImpute(t *testing.T) {
	p := Position{Principal: 1000, Interest: 300}
	for _, tc := range []struct{ amount, i, pr, ex int64 }{
		{0, 0, 0, 0}, {-5, 0, 0, 0}, {200, 200, 0, 0}, {300, 300, 0, 0}, {301, 300, 1, 0}, {1300, 300, 1000, 0}, {1500, 300, 1000, 200},
	} {
		i, pr, ex := p.Impute(tc.amount)
		if i != tc.i || pr != tc.pr || ex != tc.ex {
			t.Errorf("Impute(%d) = %d %d %d; want %d %d %d", tc.amount, i, pr, ex, tc.i, tc.pr, tc.ex)
		}
	}
}

// Caps: the policy's 30 % is above every cap, so each day accrues at the cap
// of its month; days after the table accrue at the last cap, provisionally.
func TestPriceCapsProvisional(t *testing.T) {
	caps := CapTable{
		{From: day(2026, 1, 1), To: day(2026, 1, 31), AnnualEffectiveBP: 2436},
		{From: day(2026, 2, 1), To: day(2026, 2, 28), AnnualEffectiveBP: 2523},
	}
	terms := Terms{Due: day(2026, 1, 21), AnnualBP: 3000, Caps: caps}
	moves := []Move{{Principal: 100_000_000}}
	inTable := Price(terms, moves, day(2026, 2, 28))
	if !inTable.Capped || inTable.Provisional {
		t.Fatalf("capped %v provisional %v", inTable.Capped, inTable.Provisional)
	}
	// 10 days of January at 24.36 % and 28 of February at 25.23 %.
	want := Price(Terms{Due: day(2026, 1, 21), AnnualBP: 2436}, moves, day(2026, 1, 31)).Accrued +
		Price(Terms{Due: day(2026, 1, 31), AnnualBP: 2523}, moves, day(2026, 2, 28)).Accrued
	if inTable.Accrued != want {
		t.Errorf("accrued %d, want %d", inTable.Accrued, want)
	}
	after := Price(terms, moves, day(2026, 3, 10))
	if !after.Provisional {
		t.Fatal("days after the table must be provisional")
	}
	march := Price(Terms{Due: day(2026, 2, 28), AnnualBP: 2523}, moves, day(2026, 3, 10)).Accrued
	if after.Accrued != want+march {
		t.Errorf("provisional accrual %d, want %d (March at the last cap)", after.Accrued, want+march)
	}
	// A policy below the cap is never raised to it.
	low := Price(Terms{Due: day(2026, 1, 21), AnnualBP: 1200, Caps: caps}, moves, day(2026, 2, 28))
	lowWant := Price(Terms{Due: day(2026, 1, 21), AnnualBP: 1200}, moves, day(2026, 1, 31)).Accrued +
		Price(Terms{Due: day(2026, 1, 31), AnnualBP: 1200}, moves, day(2026, 2, 28)).Accrued
	if low.Capped || low.Accrued != lowWant {
		t.Errorf("low policy: %+v", low)
	}
}

// Property: over random sequences of placements, corrections, payments
// (imputed by the engine, dated today or back), refunds dated to their
// payment and plan pauses, priced day by day:
//   - paying X today lowers what is owed today by exactly X (X within owed);
//   - the principal never goes below zero;
//   - no day accrues above its cap nor above the policy;
//   - a full refund restores the owed figure of a world without that payment.
func TestPriceProperty(t *testing.T) {
	caps := CapTable{
		{From: day(2025, 1, 1), To: day(2025, 12, 31), AnnualEffectiveBP: 2600},
		{From: day(2026, 1, 1), To: day(2026, 6, 30), AnnualEffectiveBP: 2450},
	}
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		due := day(2025, 1, 1).AddDate(0, 0, rng.IntN(300))
		terms := Terms{Due: due, AnnualBP: int64(1000 + rng.IntN(3000)), GraceDays: rng.IntN(10), Caps: caps}
		moves := []Move{{Principal: int64(1 + rng.IntN(50_000_000))}}
		type paid struct {
			idx int
			m   Move
		}
		var payments []paid
		today := due
		for step := 0; step < 40; step++ {
			today = today.AddDate(0, 0, 1+rng.IntN(40))
			before := Price(terms, moves, today)
			if before.Principal < 0 {
				t.Fatalf("seed %d: principal %d", seed, before.Principal)
			}
			for _, s := range before.Segments {
				if s.RateBP > terms.AnnualBP || (s.CapBP > 0 && s.RateBP > s.CapBP) {
					t.Fatalf("seed %d: segment at %d over policy %d / cap %d", seed, s.RateBP, terms.AnnualBP, s.CapBP)
				}
			}
			switch rng.IntN(6) {
			case 0, 1, 2: // pay part or all of what is owed today
				owed := before.Owed()
				if owed <= 0 {
					continue
				}
				x := 1 + rng.Int64N(owed)
				i, p, ex := before.Impute(x)
				if ex != 0 {
					t.Fatalf("seed %d: excess %d within owed", seed, ex)
				}
				m := Move{Value: today, Interest: -i, Principal: -p}
				moves = append(moves, m)
				payments = append(payments, paid{len(moves) - 1, m})
				if after := Price(terms, moves, today); after.Owed() != owed-x {
					t.Fatalf("seed %d: owed %d, paid %d, now %d (want %d)", seed, owed, x, after.Owed(), owed-x)
				}
			case 3: // refund a payment in full, dated back to it
				if len(payments) == 0 {
					continue
				}
				k := rng.IntN(len(payments))
				pm := payments[k]
				payments = append(payments[:k], payments[k+1:]...)
				without := make([]Move, 0, len(moves))
				for j, m := range moves {
					if j != pm.idx {
						without = append(without, m)
					}
				}
				moves = append(moves, Move{Value: pm.m.Value, Interest: -pm.m.Interest, Principal: -pm.m.Principal})
				got, want := Price(terms, moves, today), Price(terms, without, today)
				if got.Owed() != want.Owed() {
					t.Fatalf("seed %d: refund leaves owed %d, world without the payment %d", seed, got.Owed(), want.Owed())
				}
			case 4: // a plan pause from today, sometimes ended later
				if len(terms.Pauses) == 0 {
					terms.Pauses = []Pause{{From: today}}
				} else if terms.Pauses[0].To.IsZero() {
					terms.Pauses[0].To = today
				}
			case 5: // the client corrects the invoice upward
				moves = append(moves, Move{Principal: int64(rng.IntN(1_000_000))})
			}
		}
	}
}
