package calc

import (
	"errors"
	"math"
	"math/big"
	"testing"
)

// Expected daily rates come from an independent computation with Python's
// decimal module at 120 digits: ((1+EA)**(1/365) - 1) rounded half-up to 40 places.
func TestDailyRate(t *testing.T) {
	tests := []struct {
		bp   int64
		want string
	}{
		{2517, "0.0006152648892163090660379062479089976509"},
		{2501, "0.0006117584125930935761838604357195380047"},
		{3000, "0.0007190646071101984396920231649996518458"},
		{2000, "0.0004996358909556184187997630899252174363"},
		{2849, "0.0006870328697462352219452349687833596521"},
		{0, "0.0000000000000000000000000000000000000000"},
		{-5, "0.0000000000000000000000000000000000000000"},
	}
	for _, tt := range tests {
		if got := DailyRate(tt.bp).FloatString(dailyDecimals); got != tt.want {
			t.Errorf("DailyRate(%d) = %s, want %s", tt.bp, got, tt.want)
		}
	}
}

func TestDailyRateCompoundsBackToAnnual(t *testing.T) {
	// A huge rate must converge too, and (1+d)^365 must give back the EA.
	for _, bp := range []int64{1, 2517, 100000, 10000000} {
		d := DailyRate(bp)
		g := powRat(new(big.Rat).Add(big.NewRat(1, 1), d), 365)
		g.Sub(g, big.NewRat(1, 1))
		g.Mul(g, big.NewRat(bpPerUnit, 1))
		diff := new(big.Rat).Sub(g, big.NewRat(bp, 1))
		if diff.Abs(diff).Cmp(big.NewRat(1, 1e12)) > 0 {
			t.Errorf("bp %d: compounded back to %s", bp, g.FloatString(15))
		}
	}
}

func TestRoundHalfUp(t *testing.T) {
	tests := []struct {
		num, den int64
		want     int64
	}{
		{5, 2, 3}, {3, 2, 2}, {7, 3, 2}, {8, 3, 3}, {1, 2, 1}, {49, 100, 0}, {0, 1, 0}, {-5, 2, -2},
	}
	for _, tt := range tests {
		if got := roundHalfUp(big.NewRat(tt.num, tt.den)).Int64(); got != tt.want {
			t.Errorf("roundHalfUp(%d/%d) = %d, want %d", tt.num, tt.den, got, tt.want)
		}
	}
}

func TestBpOf(t *testing.T) {
	tests := []struct {
		amount, bp, want int64
	}{
		{999, 250, 24}, // 24.975 rounds down
		{10000, 1234, 1234},
		{100, 20000, 100}, // more than 100 % counts as 100 %
		{100, -5, 0},
		{-100, 500, 0},
		{math.MaxInt64, 5000, math.MaxInt64 / 2}, // no overflow in the product
	}
	for _, tt := range tests {
		if got := bpOf(tt.amount, tt.bp); got != tt.want {
			t.Errorf("bpOf(%d, %d) = %d, want %d", tt.amount, tt.bp, got, tt.want)
		}
	}
}

func TestParsePercentBP(t *testing.T) {
	good := map[string]int64{"28.49": 2849, "28.5": 2850, "28": 2800, " 0.07 ": 7, "100": 10000, "0": 0}
	for in, want := range good {
		got, err := ParsePercentBP(in)
		if err != nil || got != want {
			t.Errorf("ParsePercentBP(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "28.495", "-1", "28,49", ".5", "28.", "1e2", "abc", "99999999999999999999"} {
		if _, err := ParsePercentBP(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParsePercentBP(%q) error = %v, want ErrInvalid", in, err)
		}
	}
}

func TestFormatBP(t *testing.T) {
	for bp, want := range map[int64]string{2849: "28.49", 7: "0.07", 2850: "28.50", 0: "0.00", -125: "-1.25"} {
		if got := FormatBP(bp); got != want {
			t.Errorf("FormatBP(%d) = %q, want %q", bp, got, want)
		}
	}
}

func TestSaturate(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), 70)
	if saturate(huge) != math.MaxInt64 || saturate(new(big.Int).Neg(huge)) != math.MinInt64 || saturate(big.NewInt(42)) != 42 {
		t.Error("saturate does not clamp")
	}
}
