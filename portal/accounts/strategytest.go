package accounts

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/tenants"
)

// canManageTests: managers and admins run strategy tests.
func canManageTests(ctx context.Context) bool {
	r := actor.From(ctx).Role
	return r == tenants.RoleAdmin || r == tenants.RoleManager
}

// MaxEnrol bounds one enrolment request.
const MaxEnrol = 5000

// Enrolled says what an enrolment did.
type Enrolled struct {
	Enrolled int `json:"enrolled"` // accounts given an arm of the test
	Skipped  int `json:"skipped"`  // not open, nothing owed, unknown, or already in the test
}

// EnrolInTest puts existing open accounts (by invoice) in the running
// strategy test testKey, each in the arm the test's rule gives it
// (ArmSource), as if placed now: the arm records when it started and the
// principal outstanding then, and the test's report counts only what
// happens from that moment, against that amount. An account already in the
// running test keeps its arm; one of an ended test may join the new one.
// ErrConflict when testKey is not the running test.
func (s *Service) EnrolInTest(ctx context.Context, tenant, testKey string, keys []string) (Enrolled, error) {
	var out Enrolled
	if !canManageTests(ctx) {
		return out, fmt.Errorf("enrol in test: %w", apperr.ErrForbidden)
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return out, err
	}
	switch {
	case len(keys) == 0:
		return out, apperr.Field("accounts", "indique las facturas de las cuentas abiertas que entran en la prueba")
	case len(keys) > MaxEnrol:
		return out, apperr.Field("accounts", fmt.Sprintf("máximo %d cuentas por solicitud", MaxEnrol))
	}
	var pick func(string) (string, string)
	if s.arms != nil {
		if pick, err = s.arms.ArmPicker(ctx, tenant); err != nil {
			return out, fmt.Errorf("enrol in test: %w", err)
		}
	}
	if pick == nil {
		return out, fmt.Errorf("enrol in test %s: no test runs: %w", testKey, apperr.ErrConflict)
	}
	if running, _ := pick(""); running != testKey {
		return out, fmt.Errorf("enrol in test %s: not running: %w", testKey, apperr.ErrConflict)
	}
	now := s.now()
	seen := make(map[string]bool, len(keys))
	for _, key := range keys {
		id := sc.ID(key)
		if seen[id] {
			continue
		}
		seen[id] = true
		var cur Account
		changed := false
		err := sc.C("accounts").Mutate(ctx, id, &cur, func() (bson.D, error) {
			changed = false
			if cur.Status != StatusOpen || cur.Balance <= 0 || (cur.Test != nil && cur.Test.ID == testKey) {
				return nil, nil
			}
			_, arm := pick(cur.ID)
			changed = true
			return bson.D{{Key: "$set", Value: bson.D{{Key: "test", Value: TestArm{ID: testKey, Arm: arm, At: now, Base: cur.Balance}},
				{Key: "updatedAt", Value: now}}}}, nil
		})
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			out.Skipped++
		case err != nil:
			return out, fmt.Errorf("enrol %s: %w", key, err)
		case changed:
			out.Enrolled++
		default:
			out.Skipped++
		}
	}
	_ = s.audit.Record(ctx, tenant, "strategy_test.enrol", testKey, map[string]any{"enrolled": out.Enrolled, "skipped": out.Skipped})
	return out, nil
}
