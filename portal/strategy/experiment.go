package strategy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"cartera/portal/apperr"
)

// A strategy test (champion/challenger) runs a challenger policy on a
// random, reproducible share of the accounts placed while it runs; the
// rest follow the tenant's policy (the champion). Each account records its
// arm at placement (accounts.Account.Test) and keeps it for the test's
// life; the ladder, the queue and the plan offers read the arm's policy
// (Arms.Of). The compliance rules are applied downstream of the policy, to
// every contact whatever its arm, so they bind both arms.

// Arms of a strategy test.
const (
	ArmChampion   = "champion"
	ArmChallenger = "challenger"
)

// Strategy test statuses.
const (
	TestRunning  = "running"
	TestPromoted = "promoted" // the challenger became the tenant's policy
	TestStopped  = "stopped"  // ended; every account follows the champion
)

// Share bounds: a test below 1 % or above 99 % has an arm too small to say anything.
const (
	MinShare = 0.01
	MaxShare = 0.99
)

// Test is a strategy test of a tenant. _id is "<tenant>:<key>".
type Test struct {
	ID       string `bson:"_id" json:"-"`
	Key      string `bson:"key" json:"id"`
	TenantID string `bson:"tenantId" json:"tenant"`
	Name     string `bson:"name" json:"name"`
	// Share is the fraction of newly placed accounts that get the challenger.
	Share float64 `bson:"share" json:"share"`
	// Seed keys the assignment (ArmOf); with the account id it decides the arm.
	Seed       string `bson:"seed" json:"seed"`
	Challenger Policy `bson:"challenger" json:"challenger"`
	// Champion is the tenant's policy when the test started, for the record
	// (the champion arm follows the tenant's policy as it is).
	Champion  Policy     `bson:"champion" json:"champion"`
	Status    string     `bson:"status" json:"status"`
	StartedAt time.Time  `bson:"startedAt" json:"startedAt"`
	StartedBy string     `bson:"startedBy" json:"startedBy"`
	EndedAt   *time.Time `bson:"endedAt,omitempty" json:"endedAt,omitempty"`
	EndedBy   string     `bson:"endedBy,omitempty" json:"endedBy,omitempty"`
	Rev       int64      `bson:"rev" json:"-"`
}

// Overlaps reports whether the test ran at some time in [from, to).
func (t Test) Overlaps(from, to time.Time) bool {
	if !t.StartedAt.Before(to) {
		return false
	}
	return t.EndedAt == nil || t.EndedAt.After(from)
}

// NewTest is what a manager asks for to start a test.
type NewTest struct {
	Name       string  `json:"name"`
	Share      float64 `json:"share"`
	Challenger Policy  `json:"challenger"`
}

// ArmOf is the arm of an account in a test: HMAC-SHA256 keyed by the
// test's seed over the account's _id, its first 8 bytes read as a number
// u in [0, 2^64) and scaled to [0, 1); the challenger when u/2^64 < share.
// Pure and deterministic: the same seed and id give the same arm on any
// replica, at placement or at any later check, and nothing else (the order
// of placement, other accounts, the clock) moves it. An HMAC rather than
// FNV so the split is uniform for ids that differ in one character and
// nobody can choose invoice numbers to steer accounts into an arm without
// the seed.
func ArmOf(seed string, share float64, accountID string) string {
	if Unit(seed, accountID) < share {
		return ArmChallenger
	}
	return ArmChampion
}

// Unit is the account's uniform draw in [0, 1) for a seed (53 bits: the
// mantissa of a float64).
func Unit(seed, accountID string) float64 {
	m := hmac.New(sha256.New, []byte(seed))
	m.Write([]byte(accountID))
	u := binary.BigEndian.Uint64(m.Sum(nil)[:8])
	return float64(u>>11) / (1 << 53)
}

// moneyTerms are the parts of a policy both arms share: the money engine
// prices statements, checkout, imputation and bank reconciliation from
// the tenant's rules (payments/calc), and two prices for one debt would
// make the debtor's statement and the imputation of the payment disagree.
type moneyTerms struct {
	LateInterestBP int64
	GraceDays      int
	EarlyPayment   EarlyPayment
	Settlement     string
}

func termsOf(p Policy) moneyTerms {
	return moneyTerms{LateInterestBP: p.LateInterestBP, GraceDays: p.GraceDays, EarlyPayment: p.EarlyPayment, Settlement: fmt.Sprint(p.Settlement)}
}

// WithMoneyOf returns p with the money terms of from (late interest, grace,
// early-payment and settlement discounts).
func (p Policy) WithMoneyOf(from Policy) Policy {
	p.LateInterestBP, p.GraceDays, p.EarlyPayment = from.LateInterestBP, from.GraceDays, from.EarlyPayment
	p.Settlement = append([]SettlementTier(nil), from.Settlement...)
	return p
}

// Validate checks a test request against the champion in force: a name, a
// share in [MinShare, MaxShare], a valid challenger with the champion's
// money terms. It returns an *apperr.Invalid naming each field.
func (n NewTest) Validate(champion Policy) error {
	f := apperr.Fields{}
	name := strings.TrimSpace(n.Name)
	switch {
	case name == "":
		f.Add("name", "indique un nombre para la prueba")
	case utf8.RuneCountInString(name) > 80:
		f.Add("name", "máximo 80 caracteres")
	}
	if !(n.Share >= MinShare && n.Share <= MaxShare) {
		f.Add("share", "la parte de cuentas para la estrategia retadora va de 0.01 a 0.99 (0.2 = 20 %)")
	}
	if err := n.Challenger.Validate(); err != nil {
		if inv, ok := err.(*apperr.Invalid); ok {
			for k, v := range inv.Fields {
				f.Add("challenger."+k, v)
			}
		} else {
			f.Add("challenger", err.Error())
		}
	}
	if termsOf(n.Challenger) != termsOf(champion) {
		f.Add("challenger.lateInterestBP", "la retadora conserva los términos de dinero de la política vigente (interés de mora, gracia y descuentos): la prueba compara la cobranza, no el precio")
	}
	return f.Err()
}

// Running is the test a tenant runs now, as the tenant document keeps it
// (field policyTest) so one cached read gives both arms' policies.
type Running struct {
	Key        string    `bson:"key"`
	Seed       string    `bson:"seed"`
	Share      float64   `bson:"share"`
	Challenger Policy    `bson:"challenger"`
	StartedAt  time.Time `bson:"startedAt"`
}

// Arms are a tenant's policies by arm: the champion, and the challenger of
// the running test (nil when none runs).
type Arms struct {
	Champion Policy
	Test     *Running
}

// Of is the policy an account follows given the test and arm it recorded
// at placement: the challenger only while that same test runs.
func (a Arms) Of(testKey, arm string) Policy {
	if a.Test != nil && arm == ArmChallenger && testKey == a.Test.Key {
		return a.Test.Challenger
	}
	return a.Champion
}

// OfAll is the policy for a decision about several accounts at once (a
// debtor's plan offer): the challenger only when every account is in the
// running test's challenger arm; a debtor with accounts in both arms, or
// placed before the test, gets the champion's.
func (a Arms) OfAll(tags [][2]string) Policy {
	if a.Test == nil || len(tags) == 0 {
		return a.Champion
	}
	for _, t := range tags {
		if t[0] != a.Test.Key || t[1] != ArmChallenger {
			return a.Champion
		}
	}
	return a.Test.Challenger
}

// Assign is the arm a newly placed account gets in the running test
// ("", "" when none runs).
func (a Arms) Assign(accountID string) (testKey, arm string) {
	if a.Test == nil {
		return "", ""
	}
	return a.Test.Key, ArmOf(a.Test.Seed, a.Test.Share, accountID)
}
