package calc

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Open is an item with a balance that a payment can go to.
type Open struct {
	ID      string
	DueDate time.Time // civil date
	Balance int64
}

// Allocation is the part of a payment applied to one item.
type Allocation struct {
	ID     string
	Amount int64
}

// Allocate spreads a payment over open items, oldest due date first (ties by
// ID), each up to its balance. With chosen non-empty only those items are
// paid, still oldest first whatever order they were chosen in; a repeated id
// counts once. Items with no positive balance get nothing. The remainder is
// what is left over (an overpayment: the caller decides whether it becomes a
// credit or a refund).
//
// Errors (ErrInvalid): amount not positive, a chosen id not among the open
// items, two open items with the same id.
func Allocate(amount int64, open []Open, chosen []string) ([]Allocation, int64, error) {
	if amount <= 0 {
		return nil, 0, fmt.Errorf("allocate: amount must be positive: %w", ErrInvalid)
	}
	byID := make(map[string]Open, len(open))
	for _, o := range open {
		if _, dup := byID[o.ID]; dup {
			return nil, 0, fmt.Errorf("allocate: item %q listed twice: %w", o.ID, ErrInvalid)
		}
		byID[o.ID] = o
	}

	items := open
	if len(chosen) > 0 {
		items = make([]Open, 0, len(chosen))
		seen := make(map[string]bool, len(chosen))
		for _, id := range chosen {
			o, ok := byID[id]
			if !ok {
				return nil, 0, fmt.Errorf("allocate: unknown item %q: %w", id, ErrInvalid)
			}
			if !seen[id] {
				seen[id] = true
				items = append(items, o)
			}
		}
	} else {
		items = slices.Clone(open)
	}
	slices.SortFunc(items, func(a, b Open) int {
		return cmp.Or(cmp.Compare(dayNum(a.DueDate), dayNum(b.DueDate)), cmp.Compare(a.ID, b.ID))
	})

	var out []Allocation
	left := amount
	for _, o := range items {
		if left == 0 {
			break
		}
		if o.Balance <= 0 {
			continue
		}
		pay := min(left, o.Balance)
		out = append(out, Allocation{ID: o.ID, Amount: pay})
		left -= pay
	}
	return out, left, nil
}
