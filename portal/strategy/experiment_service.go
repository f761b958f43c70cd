package strategy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/tenants"
)

// testsColl holds every strategy test of every tenant (_id "<tenant>:<key>").
const testsColl = "strategytests"

// tenantTests is the part of a tenant document this package writes: its
// policy, the running test (at most one: the field is set by a
// compare-and-set only when empty) and how the last test ended.
type tenantTests struct {
	Country string   `bson:"country"`
	Policy  *Policy  `bson:"policy"`
	Test    *Running `bson:"policyTest"`
	Last    *ended   `bson:"policyTestLast"`
	Rev     int64    `bson:"rev"`
}

// ended is how the last test ended, written with the tenant's policy in
// one document write, so a crash before the test's own document is
// updated still reads right (reconcile).
type ended struct {
	Key    string    `bson:"key"`
	Status string    `bson:"status"`
	At     time.Time `bson:"at"`
	By     string    `bson:"by"`
}

func canManage(ctx context.Context) bool {
	r := actor.From(ctx).Role
	return r == tenants.RoleAdmin || r == tenants.RoleManager
}

// Arms returns a tenant's policies by arm (no membership check: the
// ladder, the queue and the plans call it for accounts they already hold).
// It shares For's 5-second cache: a test started or ended here is seen at
// once on this replica, within the TTL on another.
func (s *Service) Arms(ctx context.Context, tenant string) (Arms, error) {
	doc, err := s.read(ctx, tenant)
	if err != nil {
		return Arms{}, err
	}
	a := Arms{Champion: OfTenant(doc.Policy, doc.Country), Test: doc.Test}
	if a.Test != nil {
		// The money terms are the champion's as they are now (a policy saved
		// during the test changes them for both arms): the statement, the
		// checkout and the imputation price every account by the tenant's
		// rules, and a plan offer must price the same debt the same way.
		a.Test.Challenger = OfTenant(&a.Test.Challenger, doc.Country).WithMoneyOf(a.Champion)
	}
	return a, nil
}

// ForAccount is the policy one account follows: its arm's while its test
// runs, the tenant's otherwise.
func (s *Service) ForAccount(ctx context.Context, tenant, testKey, arm string) (Policy, error) {
	a, err := s.Arms(ctx, tenant)
	if err != nil {
		return Policy{}, err
	}
	return a.Of(testKey, arm), nil
}

// ArmPicker gives the placement path the arm of each new account in the
// tenant's running test (nil when none runs).
func (s *Service) ArmPicker(ctx context.Context, tenant string) (func(accountID string) (testKey, arm string), error) {
	a, err := s.Arms(ctx, tenant)
	if err != nil || a.Test == nil {
		return nil, err
	}
	return a.Assign, nil
}

// StartTest starts a strategy test on a tenant (managers and admins): the
// challenger runs on share of the accounts placed from now on. A tenant
// runs one test at a time: ErrConflict when one runs.
func (s *Service) StartTest(ctx context.Context, tenant string, n NewTest) (Test, error) {
	if !canManage(ctx) {
		return Test{}, fmt.Errorf("start test: %w", apperr.ErrForbidden)
	}
	t, err := s.tenants.Tenant(ctx, tenant)
	if err != nil {
		return Test{}, err
	}
	champion, err := s.For(ctx, tenant)
	if err != nil {
		return Test{}, err
	}
	n.Name = strings.TrimSpace(n.Name)
	if len(n.Challenger.Steps) > 0 && n.Challenger.LadderStart == "" {
		n.Challenger.LadderStart = StartDue
	}
	if err := n.Validate(champion); err != nil {
		return Test{}, err
	}
	if s.caps != nil {
		table, err := s.caps.Table(ctx, t.Country)
		if err != nil {
			return Test{}, fmt.Errorf("start test: caps: %w", err)
		}
		if err := n.Challenger.WithinCaps(table, time.Now().In(t.Location())); err != nil {
			return Test{}, err
		}
	}
	a := actor.From(ctx)
	now := time.Now().UTC()
	key, seed := randomHex(6), randomHex(16)
	ch := n.Challenger
	ch.UpdatedAt, ch.UpdatedBy, ch.Default = &now, a.UserID, false
	test := Test{ID: tenant + ":" + key, Key: key, TenantID: tenant, Name: n.Name, Share: n.Share, Seed: seed,
		Challenger: ch, Champion: champion, Status: TestRunning, StartedAt: now, StartedBy: a.UserID}
	// The test's document first, then the tenant's pointer to it: the
	// pointer is what makes it run, set only when no other test runs.
	if err := s.db.Tenant(tenant).C(testsColl).Insert(ctx, test); err != nil {
		return Test{}, fmt.Errorf("start test: %w", err)
	}
	var doc tenantTests
	err = s.db.C("tenants").Mutate(ctx, tenant, &doc, func() (bson.D, error) {
		if doc.Test != nil {
			return nil, fmt.Errorf("start test: test %s is running: %w", doc.Test.Key, apperr.ErrConflict)
		}
		run := Running{Key: key, Seed: seed, Share: n.Share, Challenger: ch, StartedAt: now}
		return bson.D{{Key: "$set", Value: bson.D{{Key: "policyTest", Value: run}}}}, nil
	})
	s.cache.Delete(tenant)
	if err != nil {
		_ = s.db.Tenant(tenant).C(testsColl).Delete(ctx, test.ID)
		return Test{}, err
	}
	_ = s.audit.Record(ctx, tenant, "strategy_test.start", key, map[string]any{"name": n.Name, "share": n.Share, "steps": len(ch.Steps)})
	return test, nil
}

// Tests lists a tenant's strategy tests, newest first (staff and the
// client company read them). It scans the tenant's tests: a handful.
func (s *Service) Tests(ctx context.Context, tenant string) ([]Test, error) {
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	return s.TestsOf(ctx, tenant)
}

// TestsOf is Tests without the membership check (reports, jobs).
func (s *Service) TestsOf(ctx context.Context, tenant string) ([]Test, error) {
	var list []Test
	opts := options.Find().SetSort(bson.D{{Key: "startedAt", Value: -1}})
	if err := s.db.Tenant(tenant).C(testsColl).Find(ctx, bson.D{}, &list, opts); err != nil {
		return nil, fmt.Errorf("strategy tests: %w", err)
	}
	doc, err := s.read(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for i := range list {
		reconcile(&list[i], doc)
	}
	if list == nil {
		list = []Test{}
	}
	return list, nil
}

// Test returns one of a tenant's tests (ErrNotFound for another tenant's).
func (s *Service) Test(ctx context.Context, tenant, key string) (Test, error) {
	if _, err := s.tenants.Tenant(ctx, tenant); err != nil {
		return Test{}, err
	}
	return s.TestByKey(ctx, tenant, key)
}

// TestByKey is Test without the membership check (reports, jobs).
func (s *Service) TestByKey(ctx context.Context, tenant, key string) (Test, error) {
	var t Test
	if err := s.db.Tenant(tenant).C(testsColl).Get(ctx, tenant+":"+key, &t); err != nil {
		return Test{}, fmt.Errorf("strategy test %q: %w", key, err)
	}
	doc, err := s.read(ctx, tenant)
	if err != nil {
		return Test{}, err
	}
	reconcile(&t, doc)
	return t, nil
}

// reconcile gives a test the status the tenant document says: a test
// whose end was written on the tenant but not yet on its own document (a
// crash between the two writes) reads as it ended.
func reconcile(t *Test, doc tenantTests) {
	if t.Status != TestRunning || (doc.Test != nil && doc.Test.Key == t.Key) {
		return
	}
	t.Status = TestStopped
	if doc.Last != nil && doc.Last.Key == t.Key {
		at := doc.Last.At
		t.Status, t.EndedAt, t.EndedBy = doc.Last.Status, &at, doc.Last.By
	}
}

// PromoteTest ends a running test by making its challenger the tenant's
// policy (with the money terms of the policy in force, which both arms
// shared). Every account then follows it.
func (s *Service) PromoteTest(ctx context.Context, tenant, key string) (Test, error) {
	return s.endTest(ctx, tenant, key, TestPromoted)
}

// StopTest ends a running test without changing the tenant's policy: the
// challenger's accounts go back to the champion.
func (s *Service) StopTest(ctx context.Context, tenant, key string) (Test, error) {
	return s.endTest(ctx, tenant, key, TestStopped)
}

func (s *Service) endTest(ctx context.Context, tenant, key, status string) (Test, error) {
	if !canManage(ctx) {
		return Test{}, fmt.Errorf("end test: %w", apperr.ErrForbidden)
	}
	t, err := s.tenants.Tenant(ctx, tenant)
	if err != nil {
		return Test{}, err
	}
	test, err := s.TestByKey(ctx, tenant, key)
	if err != nil {
		return Test{}, err
	}
	if test.Status != TestRunning {
		return Test{}, fmt.Errorf("end test %s: it is %s: %w", key, test.Status, apperr.ErrConflict)
	}
	a := actor.From(ctx)
	now := time.Now().UTC()
	var promoted Policy
	if status == TestPromoted {
		champion, err := s.For(ctx, tenant)
		if err != nil {
			return Test{}, err
		}
		promoted = test.Challenger.WithMoneyOf(champion)
		if err := promoted.Validate(); err != nil {
			return Test{}, err
		}
		if s.caps != nil {
			table, err := s.caps.Table(ctx, t.Country)
			if err != nil {
				return Test{}, fmt.Errorf("promote test: caps: %w", err)
			}
			if err := promoted.WithinCaps(table, now.In(t.Location())); err != nil {
				return Test{}, err
			}
		}
		promoted.UpdatedAt, promoted.UpdatedBy, promoted.Default = &now, a.UserID, false
	}
	// One write of the tenant document ends the test (and, promoted, sets
	// the policy): there is no moment with the pointer gone and the old
	// policy still in force.
	var doc tenantTests
	err = s.db.C("tenants").Mutate(ctx, tenant, &doc, func() (bson.D, error) {
		if doc.Test == nil || doc.Test.Key != key {
			return nil, fmt.Errorf("end test %s: not running: %w", key, apperr.ErrConflict)
		}
		set := bson.D{{Key: "policyTestLast", Value: ended{Key: key, Status: status, At: now, By: a.UserID}}}
		if status == TestPromoted {
			set = append(set, bson.E{Key: "policy", Value: promoted})
		}
		return bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: bson.D{{Key: "policyTest", Value: ""}}}}, nil
	})
	s.cache.Delete(tenant)
	if err != nil {
		return Test{}, err
	}
	err = s.db.Tenant(tenant).C(testsColl).Update(ctx, test.ID, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: status}, {Key: "endedAt", Value: now}, {Key: "endedBy", Value: a.UserID}}}})
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return Test{}, fmt.Errorf("end test %s: %w", key, err)
	}
	test.Status, test.EndedAt, test.EndedBy = status, &now, a.UserID
	action := "strategy_test.stop"
	if status == TestPromoted {
		action = "strategy_test.promote"
		_ = s.audit.Record(ctx, tenant, "policy.update", tenant, map[string]any{"steps": len(promoted.Steps), "test": key})
	}
	_ = s.audit.Record(ctx, tenant, action, key, map[string]any{"name": test.Name})
	return test, nil
}

// read is the tenant document's policy fields, through the policy cache.
func (s *Service) read(ctx context.Context, tenant string) (tenantTests, error) {
	var doc tenantTests
	if c, ok := s.cache.Load(tenant); ok && time.Since(c.(cachedPolicy).at) < policyTTL {
		if err := bson.Unmarshal(c.(cachedPolicy).raw, &doc); err == nil {
			return doc, nil
		}
	}
	var raw bson.Raw
	if err := s.db.C("tenants").Get(ctx, tenant, &raw); err != nil {
		return doc, fmt.Errorf("policy of %q: %w", tenant, err)
	}
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return doc, fmt.Errorf("policy of %q: %w", tenant, err)
	}
	if b, err := bson.Marshal(doc); err == nil {
		s.cache.Store(tenant, cachedPolicy{raw: b, at: time.Now()})
	}
	return doc, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness is gone: nothing else is safe either
	}
	return hex.EncodeToString(b)
}
