package strategy

import (
	"fmt"
	"math"
	"testing"
	"time"

	"cartera/portal/apperr"
)

// TestExperimentArmSplitIsBinomial: 10,000 account ids at share 0.2 put
// 2,000 ± 3σ in the challenger (σ = √(n·p·(1−p)) = 40, so 1,880–2,120),
// for several seeds; and the draws are uniform: each tenth of [0, 1) holds
// 1,000 ± 3·√(10,000·0.1·0.9) = 1,000 ± 90 of them.
func TestExperimentArmSplitIsBinomial(t *testing.T) {
	const n, share = 10000, 0.2
	sigma := math.Sqrt(n * share * (1 - share))
	for _, seed := range []string{"a1b2c3", "seed-2", "0123456789abcdef0123456789abcdef"} {
		chall := 0
		var deciles [10]int
		for i := range n {
			id := fmt.Sprintf("acme:FV-%06d", i)
			if ArmOf(seed, share, id) == ArmChallenger {
				chall++
			}
			deciles[int(Unit(seed, id)*10)]++
		}
		if math.Abs(float64(chall)-n*share) > 3*sigma {
			t.Errorf("seed %s: %d challengers of %d, want %v ± %v", seed, chall, n, n*share, 3*sigma)
		}
		dsig := math.Sqrt(n * 0.1 * 0.9)
		for d, c := range deciles {
			if math.Abs(float64(c)-n*0.1) > 3*dsig {
				t.Errorf("seed %s: decile %d holds %d draws, want 1000 ± %.0f", seed, d, c, 3*dsig)
			}
		}
	}
}

// TestExperimentArmIsReproducible: the same seed and id give the same arm
// every time and in any order; other accounts, the order of placement and
// a later call move nothing; another seed gives another split.
func TestExperimentArmIsReproducible(t *testing.T) {
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = fmt.Sprintf("acme:%d", i)
	}
	first := map[string]string{}
	for _, id := range ids {
		first[id] = ArmOf("s", 0.2, id)
	}
	for i := len(ids) - 1; i >= 0; i-- { // reverse order, interleaved with other tenants' ids
		_ = ArmOf("s", 0.2, "other:"+ids[i])
		if got := ArmOf("s", 0.2, ids[i]); got != first[ids[i]] {
			t.Fatalf("%s moved from %s to %s", ids[i], first[ids[i]], got)
		}
	}
	same := 0
	for _, id := range ids {
		if ArmOf("another seed", 0.2, id) == first[id] {
			same++
		}
	}
	// Independent splits agree with probability 0.8² + 0.2² = 0.68.
	if same == len(ids) || same < 1200 || same > 1520 {
		t.Fatalf("another seed agrees on %d of %d, want about 1360", same, len(ids))
	}
	// A larger share only adds challengers: nobody leaves the challenger arm.
	for _, id := range ids {
		if first[id] == ArmChallenger && ArmOf("s", 0.3, id) != ArmChallenger {
			t.Fatalf("%s left the challenger arm when the share grew", id)
		}
	}
}

func TestExperimentArmsOf(t *testing.T) {
	champ, chall := Default(), Default()
	chall.Steps = chall.Steps[:3]
	a := Arms{Champion: champ, Test: &Running{Key: "t1", Seed: "s", Share: 0.5, Challenger: chall}}
	if got := a.Of("t1", ArmChallenger); len(got.Steps) != 3 {
		t.Fatalf("challenger of the running test: %d steps", len(got.Steps))
	}
	for _, c := range [][2]string{{"t1", ArmChampion}, {"t0", ArmChallenger}, {"", ""}} {
		if got := a.Of(c[0], c[1]); len(got.Steps) != len(champ.Steps) {
			t.Fatalf("%v follows %d steps, want the champion's", c, len(got.Steps))
		}
	}
	if got := (Arms{Champion: champ}).Of("t1", ArmChallenger); len(got.Steps) != len(champ.Steps) {
		t.Fatal("a challenger of an ended test must follow the champion")
	}
	if got := a.OfAll([][2]string{{"t1", ArmChallenger}, {"t1", ArmChallenger}}); len(got.Steps) != 3 {
		t.Fatal("all in the challenger arm: the challenger's offers")
	}
	if got := a.OfAll([][2]string{{"t1", ArmChallenger}, {"", ""}}); len(got.Steps) != len(champ.Steps) {
		t.Fatal("mixed arms: the champion's offers")
	}
	key, arm := a.Assign("acme:1")
	if key != "t1" || arm != ArmOf("s", 0.5, "acme:1") {
		t.Fatalf("assign: %s %s", key, arm)
	}
}

func TestExperimentValidate(t *testing.T) {
	champ := Default()
	ok := NewTest{Name: "Más WhatsApp", Share: 0.2, Challenger: Default()}
	if err := ok.Validate(champ); err != nil {
		t.Fatalf("valid test refused: %v", err)
	}
	bad := NewTest{Name: " ", Share: 1, Challenger: Default()}
	bad.Challenger.LateInterestBP = 100
	bad.Challenger.Steps = nil
	err := bad.Validate(champ)
	inv, isInv := err.(*apperr.Invalid)
	if !isInv {
		t.Fatalf("want *apperr.Invalid, got %v", err)
	}
	for _, f := range []string{"name", "share", "challenger.steps", "challenger.lateInterestBP"} {
		if inv.Fields[f] == "" {
			t.Errorf("no message for %s: %v", f, inv.Fields)
		}
	}
	promoted := ok.Challenger
	promoted.GraceDays = 7
	if got := promoted.WithMoneyOf(champ); got.GraceDays != champ.GraceDays {
		t.Fatal("promotion keeps the champion's money terms")
	}
}

// TestExperimentReconcile: a test whose end reached the tenant document
// but not its own (a crash between the two writes) reads as it ended.
func TestExperimentReconcile(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		doc  tenantTests
		want string
	}{
		{"still running", tenantTests{Test: &Running{Key: "t1"}}, TestRunning},
		{"promoted, own document not yet updated", tenantTests{Last: &ended{Key: "t1", Status: TestPromoted, At: at}}, TestPromoted},
		{"another test runs now", tenantTests{Test: &Running{Key: "t2"}}, TestStopped},
		{"never pointed at (a start that failed half-way)", tenantTests{}, TestStopped},
	}
	for _, c := range cases {
		tst := Test{Key: "t1", Status: TestRunning}
		reconcile(&tst, c.doc)
		if tst.Status != c.want {
			t.Errorf("%s: %s, want %s", c.name, tst.Status, c.want)
		}
	}
	done := Test{Key: "t1", Status: TestStopped}
	reconcile(&done, tenantTests{Test: &Running{Key: "t1"}})
	if done.Status != TestStopped {
		t.Error("an ended test's own record is final")
	}
	if !(Test{StartedAt: at}).Overlaps(at.AddDate(0, 0, -1), at.AddDate(0, 0, 1)) || (Test{StartedAt: at, EndedAt: &at}).Overlaps(at, at.AddDate(0, 0, 1)) {
		t.Error("overlaps")
	}
}
