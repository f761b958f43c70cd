package calc

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

const (
	bpPerUnit = 10000
	// dailyDecimals is how many decimal places DailyRate keeps: the error it
	// leaves is below 1e-6 minor units even on a balance of 9.2e18 for a century.
	dailyDecimals = 40
	floatPrec     = 256
	daysPerYear   = 365
)

func dailyScale() *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(dailyDecimals), nil)
}

// DailyRate is the daily rate equivalent to an annual effective rate in basis
// points, (1+EA)^(1/365) - 1, rounded half-up to 40 decimal places. Zero or
// negative rates give 0. Statements can print it with FloatString.
func DailyRate(annualBP int64) *big.Rat {
	if annualBP <= 0 {
		return new(big.Rat)
	}
	a := newFloat().SetInt64(annualBP)
	a.Quo(a, newFloat().SetInt64(bpPerUnit))
	a.Add(a, newFloat().SetInt64(1))
	y := nthRoot(a, daysPerYear)
	y.Sub(y, newFloat().SetInt64(1))
	scale := dailyScale()
	y.Mul(y, newFloat().SetInt(scale))
	y.Add(y, newFloat().SetRat(big.NewRat(1, 2)))
	n, _ := y.Int(nil)
	return new(big.Rat).SetFrac(n, scale)
}

func newFloat() *big.Float { return new(big.Float).SetPrec(floatPrec) }

// nthRoot returns a^(1/n) for a > 1. math/big has no pow, so Newton's method:
// it starts from a^(1/2^k) with 2^k <= n (square roots only), which lies above
// the root, and from above the iteration falls monotonically; it stops when a
// step no longer decreases y.
func nthRoot(a *big.Float, n int) *big.Float {
	y := newFloat().Set(a)
	for k := 2; k <= n; k *= 2 {
		y.Sqrt(y)
	}
	fn := newFloat().SetInt64(int64(n))
	fn1 := newFloat().SetInt64(int64(n - 1))
	for range 10000 {
		// next = ((n-1)·y + a / y^(n-1)) / n
		t := newFloat().Quo(a, powFloat(y, n-1))
		next := newFloat().Mul(fn1, y)
		next.Add(next, t)
		next.Quo(next, fn)
		if next.Cmp(y) >= 0 {
			break
		}
		y = next
	}
	return y
}

func powFloat(x *big.Float, n int) *big.Float {
	result := newFloat().SetInt64(1)
	base := newFloat().Set(x)
	for n > 0 {
		if n&1 == 1 {
			result.Mul(result, base)
		}
		base.Mul(base, base)
		n >>= 1
	}
	return result
}

func powRat(x *big.Rat, n int) *big.Rat {
	result := big.NewRat(1, 1)
	base := new(big.Rat).Set(x)
	for n > 0 {
		if n&1 == 1 {
			result.Mul(result, base)
		}
		base.Mul(base, base)
		n >>= 1
	}
	return result
}

// roundHalfUp rounds r to the nearest integer, halves towards +∞ (callers pass
// non-negative values, where that is also half away from zero).
func roundHalfUp(r *big.Rat) *big.Int {
	num := new(big.Int).Lsh(r.Num(), 1)
	num.Add(num, r.Denom())
	den := new(big.Int).Lsh(r.Denom(), 1)
	return num.Div(num, den) // Euclidean: floor for a positive denominator
}

func floorRat(r *big.Rat) *big.Int {
	return new(big.Int).Div(r.Num(), r.Denom())
}

// saturate converts to int64, clamping instead of wrapping: an absurd input
// must not turn into a negative amount.
func saturate(b *big.Int) int64 {
	switch {
	case b.IsInt64():
		return b.Int64()
	case b.Sign() > 0:
		return math.MaxInt64
	default:
		return math.MinInt64
	}
}

// bpOf is amount × bp / 10000 rounded down, with bp clamped to [0, 10000]: a
// share of an amount never exceeds it.
func bpOf(amount, bp int64) int64 {
	if amount <= 0 || bp <= 0 {
		return 0
	}
	bp = min(bp, bpPerUnit)
	n := new(big.Int).Mul(big.NewInt(amount), big.NewInt(bp))
	return n.Div(n, big.NewInt(bpPerUnit)).Int64()
}

// ParsePercentBP reads a percentage written with a dot and at most two
// decimals ("28.49", "28.5", "28") as basis points. More decimals are rejected
// rather than rounded: a legal rate must be copied, not approximated.
func ParsePercentBP(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || (hasDot && frac == "") || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("percent %q: want digits with up to 2 decimals: %w", s, ErrInvalid)
	}
	bp, err := strconv.ParseInt(whole+frac+strings.Repeat("0", 2-len(frac)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("percent %q: %w", s, ErrInvalid)
	}
	return bp, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// FormatBP writes basis points as a percentage with two decimals ("28.49").
func FormatBP(bp int64) string {
	sign := ""
	u := uint64(bp)
	if bp < 0 {
		sign, u = "-", uint64(-bp) // MinInt64 wraps to its own magnitude as uint64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// MonthlyFromAnnual is the monthly rate in basis points equivalent to an
// annual effective rate, (1+EA)^(1/12) − 1, rounded down: the highest plan
// rate whose twelve compounded months stay within the annual cap.
func MonthlyFromAnnual(annualBP int64) int64 {
	if annualBP <= 0 {
		return 0
	}
	a := newFloat().SetInt64(annualBP)
	a.Quo(a, newFloat().SetInt64(bpPerUnit))
	a.Add(a, newFloat().SetInt64(1))
	y := nthRoot(a, 12)
	y.Sub(y, newFloat().SetInt64(1))
	y.Mul(y, newFloat().SetInt64(bpPerUnit))
	n, _ := y.Int(nil)
	bp := n.Int64()
	// nthRoot stops at a value at or just above the root: step down until
	// (1+m)^12 − 1 is within the cap.
	for bp > 0 && AnnualFromMonthly(bp) > annualBP {
		bp--
	}
	return bp
}

// AnnualFromMonthly is (1+m)^12 − 1 in basis points, rounded up (so a
// comparison with a cap errs the debtor's way).
func AnnualFromMonthly(monthlyBP int64) int64 {
	if monthlyBP <= 0 {
		return 0
	}
	x := powRat(big.NewRat(bpPerUnit+monthlyBP, bpPerUnit), 12)
	x.Sub(x, big.NewRat(1, 1))
	x.Mul(x, big.NewRat(bpPerUnit, 1))
	n := new(big.Int).Add(x.Num(), new(big.Int).Sub(x.Denom(), big.NewInt(1)))
	return n.Div(n, x.Denom()).Int64()
}
