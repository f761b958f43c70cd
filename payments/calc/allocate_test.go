package calc

import (
	"errors"
	"reflect"
	"testing"
)

func TestAllocate(t *testing.T) {
	open := []Open{
		{ID: "C", DueDate: day(2025, 3, 1), Balance: 300},
		{ID: "A", DueDate: day(2025, 1, 1), Balance: 100},
		{ID: "B2", DueDate: day(2025, 2, 1), Balance: 200},
		{ID: "B1", DueDate: day(2025, 2, 1), Balance: 50},
		{ID: "Z", DueDate: day(2024, 12, 1), Balance: 0},
	}
	tests := []struct {
		name      string
		amount    int64
		chosen    []string
		want      []Allocation
		remainder int64
	}{
		{"exact payoff", 650, nil, []Allocation{{"A", 100}, {"B1", 50}, {"B2", 200}, {"C", 300}}, 0},
		{"partial stops inside an item", 220, nil, []Allocation{{"A", 100}, {"B1", 50}, {"B2", 70}}, 0},
		{"overpayment leaves a remainder", 1000, nil, []Allocation{{"A", 100}, {"B1", 50}, {"B2", 200}, {"C", 300}}, 350},
		{"chosen subset, oldest first whatever the order", 1000, []string{"C", "B2"}, []Allocation{{"B2", 200}, {"C", 300}}, 500},
		{"chosen partial", 250, []string{"C", "B2"}, []Allocation{{"B2", 200}, {"C", 50}}, 0},
		{"duplicate chosen ids count once", 1000, []string{"A", "A", "B1"}, []Allocation{{"A", 100}, {"B1", 50}}, 850},
		{"chosen item with nothing owed", 10, []string{"Z"}, nil, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]Open(nil), open...)
			got, rem, err := Allocate(tt.amount, open, tt.chosen)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || rem != tt.remainder {
				t.Errorf("Allocate = %v, %d; want %v, %d", got, rem, tt.want, tt.remainder)
			}
			var sum int64
			for _, a := range got {
				sum += a.Amount
			}
			if sum+rem != tt.amount {
				t.Errorf("allocated %d + remainder %d != %d", sum, rem, tt.amount)
			}
			if !reflect.DeepEqual(open, before) {
				t.Error("Allocate reordered or changed its input")
			}
		})
	}
}

func TestAllocateErrors(t *testing.T) {
	open := []Open{{ID: "A", DueDate: day(2025, 1, 1), Balance: 100}}
	tests := []struct {
		name   string
		amount int64
		open   []Open
		chosen []string
	}{
		{"zero amount", 0, open, nil},
		{"negative amount", -5, open, nil},
		{"unknown chosen id", 50, open, []string{"A", "nope"}},
		{"duplicate open ids", 50, append(open, Open{ID: "A", Balance: 5}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Allocate(tt.amount, tt.open, tt.chosen); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if got, rem, err := Allocate(70, nil, nil); err != nil || got != nil || rem != 70 {
		t.Errorf("nothing open: %v %d %v", got, rem, err)
	}
}
