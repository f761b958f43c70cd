package calc

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

type row struct{ amount, principal, interest int64 }

func rowsOf(o Offer) []row {
	out := make([]row, len(o.Schedule))
	for i, in := range o.Schedule {
		out[i] = row{in.Amount, in.Principal, in.Interest}
	}
	return out
}

// Expected schedules come from an independent Python (fractions) computation of
// the same rule: floor of the French installment, half-up interest per period,
// remainder in the last installment.
func TestPlanSchedules(t *testing.T) {
	start := day(2025, 1, 15)
	tests := []struct {
		name     string
		total    int64
		down     int64
		n        int
		rules    PlanRules
		regular  int64
		interest int64
		rows     []row // nil: check only the totals
	}{
		{
			name: "French, 3 months at 2%", total: 1_000_000, n: 3,
			rules:   PlanRules{MaxInstallments: 12, MonthlyRateBP: 200},
			regular: 346754, interest: 40264,
			rows: []row{{346754, 326754, 20000}, {346754, 333289, 13465}, {346756, 339957, 6799}},
		},
		{
			name: "French, 12 months at 2%", total: 1_000_000, n: 12,
			rules:   PlanRules{MaxInstallments: 12, MonthlyRateBP: 200},
			regular: 94559, interest: 134715,
		},
		{
			name: "interest-free, remainder last", total: 100, n: 3,
			rules:   PlanRules{MaxInstallments: 3},
			regular: 33, interest: 0,
			rows: []row{{33, 33, 0}, {33, 33, 0}, {34, 34, 0}},
		},
		{
			name: "with a down payment", total: 1_001_000, down: 1000, n: 3,
			rules:   PlanRules{MaxInstallments: 3, MinDownPayment: 1000, MonthlyRateBP: 200},
			regular: 346754, interest: 40264,
			rows: []row{{346754, 326754, 20000}, {346754, 333289, 13465}, {346756, 339957, 6799}},
		},
		{
			name: "every 15 days at half the monthly rate", total: 900_000, n: 6,
			rules:   PlanRules{MaxInstallments: 6, MonthlyRateBP: 150, IntervalDays: 15},
			regular: 153962, interest: 23773,
			rows: []row{{153962, 147212, 6750}, {153962, 148316, 5646}, {153962, 149428, 4534}, {153962, 150549, 3413}, {153962, 151678, 2284}, {153963, 152817, 1146}},
		},
		{
			name: "one installment", total: 1000, n: 1,
			rules:   PlanRules{MaxInstallments: 1, MonthlyRateBP: 150},
			regular: 1015, interest: 15,
			rows: []row{{1015, 1000, 15}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Plan(tt.total, start, tt.n, tt.down, tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if o.InstallmentAmount != tt.regular || o.Interest != tt.interest || o.Financed != tt.total-tt.down ||
				o.Total != o.Financed+tt.interest || o.GrandTotal() != tt.total+tt.interest {
				t.Errorf("offer %+v", o)
			}
			if tt.rows != nil && !reflect.DeepEqual(rowsOf(o), tt.rows) {
				t.Errorf("schedule %v, want %v", rowsOf(o), tt.rows)
			}
			if err := o.Validate(tt.total, start, tt.rules); err != nil {
				t.Errorf("own offer fails Validate: %v", err)
			}
		})
	}
}

func TestPlanDates(t *testing.T) {
	rules := PlanRules{MaxInstallments: 4}
	o, err := Plan(400, day(2024, 1, 31), 4, 0, rules)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{day(2024, 2, 29), day(2024, 3, 31), day(2024, 4, 30), day(2024, 5, 31)}
	for i, w := range want {
		if !o.Schedule[i].Date.Equal(w) {
			t.Errorf("installment %d on %s, want %s", i+1, o.Schedule[i].Date.Format(dateLayout), w.Format(dateLayout))
		}
	}
	rules.IntervalDays = 15
	o, err = Plan(400, day(2024, 2, 20), 2, 0, rules)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Schedule[0].Date.Equal(day(2024, 3, 6)) || !o.Schedule[1].Date.Equal(day(2024, 3, 21)) {
		t.Errorf("15-day dates %s, %s", o.Schedule[0].Date.Format(dateLayout), o.Schedule[1].Date.Format(dateLayout))
	}
}

// Whatever the inputs, the schedule adds up exactly and passes Validate.
func TestPlanSumsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for range 2000 {
		total := 1 + rng.Int64N(50_000_000_000)
		rules := PlanRules{MaxInstallments: 1 + rng.IntN(60), MonthlyRateBP: rng.Int64N(600), MinDownPaymentBP: rng.Int64N(3000)}
		if rng.IntN(3) == 0 {
			rules.IntervalDays = 7 * (1 + rng.IntN(4))
		}
		n := 1 + rng.IntN(rules.MaxInstallments)
		start := day(2025, time.Month(1+rng.IntN(12)), 1+rng.IntN(31))
		o, err := Plan(total, start, n, rules.MinDown(total), rules)
		if err != nil {
			if errors.Is(err, ErrInvalid) {
				continue // e.g. too small a total for n installments
			}
			t.Fatal(err)
		}
		var p, a int64
		for _, in := range o.Schedule {
			p += in.Principal
			a += in.Amount
			// Rounding drift is a few minor units per installment, never more.
			if d := in.Amount - o.InstallmentAmount; d > int64(2*n*n) || d < -int64(2*n*n) {
				t.Fatalf("total %d n %d: installment %d of %d, regular %d", total, n, in.N, in.Amount, o.InstallmentAmount)
			}
		}
		if p != o.Financed || a != o.Total || o.DownPayment+o.Financed != total {
			t.Fatalf("total %d rules %+v n %d: principal %d financed %d, amounts %d total %d", total, rules, n, p, o.Financed, a, o.Total)
		}
		checked++
	}
	if checked < 1900 {
		t.Errorf("only %d of 2000 random plans were valid", checked)
	}
}

func TestPlanRejects(t *testing.T) {
	start := day(2025, 1, 15)
	rules := PlanRules{MaxInstallments: 6, MinDownPaymentBP: 1000, MonthlyRateBP: 100, MinInstallment: 10_000, MaxTermDays: 100}
	tests := []struct {
		name  string
		total int64
		n     int
		down  int64
		rules PlanRules
	}{
		{"down payment below the share", 100_000, 2, 9_999, rules},
		{"down payment covers everything", 100_000, 2, 100_000, rules},
		{"too many installments", 100_000, 7, 10_000, rules},
		{"zero installments", 100_000, 0, 10_000, rules},
		{"installment below the minimum", 100_000, 3, 80_000, rules},
		{"term beyond the maximum", 1_000_000, 4, 100_000, rules},
		{"zero total", 0, 2, 0, rules},
		{"rules without installments", 100_000, 1, 10_000, PlanRules{}},
		{"negative rules", 100_000, 1, 10_000, PlanRules{MaxInstallments: 3, MonthlyRateBP: -1}},
		{"installment does not cover its interest", 30, 36, 0, PlanRules{MaxInstallments: 36, MonthlyRateBP: 500}},
		{"installments worth nothing", 2, 3, 0, PlanRules{MaxInstallments: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Plan(tt.total, start, tt.n, tt.down, tt.rules); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestMinDown(t *testing.T) {
	r := PlanRules{MinDownPaymentBP: 1000}
	if got := r.MinDown(1001); got != 101 { // 100.1 rounds up
		t.Errorf("MinDown(1001) = %d, want 101", got)
	}
	r.MinDownPayment = 500
	if got := r.MinDown(1001); got != 500 {
		t.Errorf("fixed minimum: %d, want 500", got)
	}
}

func TestOffers(t *testing.T) {
	start := day(2025, 1, 31)
	count := func(offers []Offer) []int {
		var out []int
		for _, o := range offers {
			out = append(out, o.Installments)
		}
		return out
	}
	tests := []struct {
		name  string
		total int64
		rules PlanRules
		want  []int
	}{
		{"up to 12", 1_200_000, PlanRules{MaxInstallments: 12, MonthlyRateBP: 150}, []int{2, 3, 6, 12}},
		{"an odd maximum is offered too", 1_200_000, PlanRules{MaxInstallments: 4}, []int{2, 3, 4}},
		{"up to 24", 1_200_000, PlanRules{MaxInstallments: 24}, []int{2, 3, 6, 12, 18, 24}},
		{"minimum installment drops the long ones", 1_200_000, PlanRules{MaxInstallments: 12, MinInstallment: 150_000}, []int{2, 3, 6}},
		{"term limit drops the long ones", 1_200_000, PlanRules{MaxInstallments: 12, MaxTermDays: 100}, []int{2, 3}},
		{"a single installment is not offered", 1_200_000, PlanRules{MaxInstallments: 1}, nil},
		{"down payment covers the debt", 1000, PlanRules{MaxInstallments: 12, MinDownPayment: 1000}, nil},
		{"invalid rules", 1000, PlanRules{MaxInstallments: 12, MinDownPaymentBP: 20000}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offers := Offers(tt.total, start, tt.rules)
			if got := count(offers); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("installments offered %v, want %v", got, tt.want)
			}
			for _, o := range offers {
				if err := o.Validate(tt.total, start, tt.rules); err != nil {
					t.Errorf("offer of %d fails: %v", o.Installments, err)
				}
			}
		})
	}
}

func TestOfferValidate(t *testing.T) {
	start := day(2025, 1, 31)
	rules := PlanRules{MaxInstallments: 6, MonthlyRateBP: 200, MinDownPaymentBP: 1000}
	const total = 1_000_000
	base, err := Plan(total, start, 6, 100_000, rules)
	if err != nil {
		t.Fatal(err)
	}
	clone := func(f func(o *Offer, r *PlanRules)) (Offer, PlanRules) {
		o := base
		o.Schedule = append([]Installment(nil), base.Schedule...)
		r := rules
		f(&o, &r)
		return o, r
	}
	tests := []struct {
		name string
		edit func(o *Offer, r *PlanRules)
	}{
		{"minimum installment raised after the offer", func(o *Offer, r *PlanRules) { r.MinInstallment = 200_000 }},
		{"term limit lowered after the offer", func(o *Offer, r *PlanRules) { r.MaxTermDays = 150 }},
		{"fewer installments allowed now", func(o *Offer, r *PlanRules) { r.MaxInstallments = 3 }},
		{"down payment share raised", func(o *Offer, r *PlanRules) { r.MinDownPaymentBP = 2000 }},
		{"an amount edited", func(o *Offer, r *PlanRules) { o.Schedule[2].Amount--; o.Schedule[2].Interest-- }},
		{"principal not the financed amount", func(o *Offer, r *PlanRules) { o.Schedule[5].Principal--; o.Schedule[5].Amount-- }},
		{"row does not add up", func(o *Offer, r *PlanRules) { o.Schedule[1].Interest++ }},
		{"renumbered", func(o *Offer, r *PlanRules) { o.Schedule[1].N = 7 }},
		{"dates out of order", func(o *Offer, r *PlanRules) { o.Schedule[3].Date = o.Schedule[2].Date }},
		{"first date not after the start", func(o *Offer, r *PlanRules) { o.Schedule[0].Date = start }},
		{"a row missing", func(o *Offer, r *PlanRules) { o.Schedule = o.Schedule[:5] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, r := clone(tt.edit)
			if err := o.Validate(total, start, r); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if err := base.Validate(total, start, rules); err != nil {
		t.Errorf("untouched offer: %v", err)
	}
}

func TestReduceLast(t *testing.T) {
	schedule := []Installment{
		{N: 1, Date: day(2025, 2, 15), Amount: 346754, Principal: 326754, Interest: 20000},
		{N: 2, Date: day(2025, 3, 15), Amount: 346754, Principal: 333289, Interest: 13465},
		{N: 3, Date: day(2025, 4, 15), Amount: 346756, Principal: 339957, Interest: 6799},
	}
	tests := []struct {
		name  string
		extra int64
		want  []row
		ns    []int
	}{
		{"nothing extra", 0, []row{{346754, 326754, 20000}, {346754, 333289, 13465}, {346756, 339957, 6799}}, []int{1, 2, 3}},
		{"negative extra ignored", -10, []row{{346754, 326754, 20000}, {346754, 333289, 13465}, {346756, 339957, 6799}}, []int{1, 2, 3}},
		{"part of the last: interest first", 10_000, []row{{346754, 326754, 20000}, {346754, 333289, 13465}, {336756, 336756, 0}}, []int{1, 2, 3}},
		{"less than the last's interest", 99, []row{{346754, 326754, 20000}, {346754, 333289, 13465}, {346657, 339957, 6700}}, []int{1, 2, 3}},
		{"exactly the last", 346756, []row{{346754, 326754, 20000}, {346754, 333289, 13465}}, []int{1, 2}},
		{"the last and part of the one before", 346756 + 20_000, []row{{346754, 326754, 20000}, {326754, 326754, 0}}, []int{1, 2}},
		{"everything", 1040264, nil, nil},
		{"more than everything", 5_000_000, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]Installment(nil), schedule...)
			got := ReduceLast(schedule, tt.extra)
			var rows []row
			var ns []int
			var sum int64
			for _, in := range got {
				rows = append(rows, row{in.Amount, in.Principal, in.Interest})
				ns = append(ns, in.N)
				sum += in.Amount
			}
			if !reflect.DeepEqual(rows, tt.want) || !reflect.DeepEqual(ns, tt.ns) {
				t.Errorf("ReduceLast = %v %v, want %v %v", rows, ns, tt.want, tt.ns)
			}
			if want := max(0, 1040264-max(tt.extra, 0)); sum != want {
				t.Errorf("remaining %d, want %d", sum, want)
			}
			if !reflect.DeepEqual(schedule, before) {
				t.Error("ReduceLast changed its input")
			}
		})
	}
}
