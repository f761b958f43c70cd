package calc

import (
	"testing"
	"time"
)

func TestEarlyPaymentDiscount(t *testing.T) {
	due := day(2025, 6, 30)
	tenDays := EarlyPayment{DaysBefore: 10, PercentBP: 500}
	tests := []struct {
		name   string
		amount int64
		pay    time.Time
		policy EarlyPayment
		want   int64
	}{
		{"exactly ten days before", 1_000_000, day(2025, 6, 20), tenDays, 50_000},
		{"earlier still", 1_000_000, day(2025, 6, 1), tenDays, 50_000},
		{"nine days before", 1_000_000, day(2025, 6, 21), tenDays, 0},
		{"late evening counts by civil date", 1_000_000, time.Date(2025, 6, 20, 23, 59, 0, 0, time.UTC), tenDays, 50_000},
		{"after the due date", 1_000_000, day(2025, 7, 1), EarlyPayment{DaysBefore: 0, PercentBP: 500}, 0},
		{"on the due date with DaysBefore 0", 1_000_000, due, EarlyPayment{DaysBefore: 0, PercentBP: 500}, 50_000},
		{"rounds down", 999, day(2025, 6, 1), EarlyPayment{DaysBefore: 1, PercentBP: 250}, 24},
		{"never more than the amount", 1000, day(2025, 6, 1), EarlyPayment{DaysBefore: 1, PercentBP: 15000}, 1000},
		{"negative DaysBefore is not a policy", 1000, day(2025, 7, 5), EarlyPayment{DaysBefore: -10, PercentBP: 500}, 0},
		{"no amount", 0, day(2025, 6, 1), tenDays, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EarlyPaymentDiscount(tt.amount, due, tt.pay, tt.policy); got != tt.want {
				t.Errorf("discount = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSettlementDiscount(t *testing.T) {
	// Deliberately out of order: the highest tier reached wins, not the last listed.
	tiers := []SettlementTier{
		{MinDaysPastDue: 180, PercentBP: 3000, MaxAmount: 200_000},
		{MinDaysPastDue: 60, PercentBP: 1000},
		{MinDaysPastDue: 90, PercentBP: 2000},
	}
	tests := []struct {
		name    string
		balance int64
		dpd     int
		tiers   []SettlementTier
		want    int64
	}{
		{"below every tier", 1_000_000, 59, tiers, 0},
		{"first tier at its edge", 1_000_000, 60, tiers, 100_000},
		{"middle tier", 1_000_000, 120, tiers, 200_000},
		{"top tier capped by MaxAmount", 1_000_000, 400, tiers, 200_000},
		{"top tier under its cap", 500_000, 180, tiers, 150_000},
		{"rounds down", 999_999, 60, tiers, 99_999},
		{"no tiers", 1_000_000, 400, nil, 0},
		{"no balance", 0, 400, tiers, 0},
		{"same threshold twice: the smaller wins", 1_000_000, 100, []SettlementTier{{MinDaysPastDue: 90, PercentBP: 2000}, {MinDaysPastDue: 90, PercentBP: 1500}}, 150_000},
		{"a higher tier with a smaller discount still wins", 1_000_000, 100, []SettlementTier{{MinDaysPastDue: 30, PercentBP: 2000}, {MinDaysPastDue: 90, PercentBP: 2000, MaxAmount: 5}}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SettlementDiscount(tt.balance, tt.dpd, tt.tiers); got != tt.want {
				t.Errorf("discount = %d, want %d", got, tt.want)
			}
		})
	}
}
