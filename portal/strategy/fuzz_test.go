package strategy_test

import (
	"encoding/json"
	"testing"
	"time"

	"cartera/portal/strategy"
)

// FuzzPolicyDocument feeds arbitrary JSON as a policy document: decoding and
// validation never panic, and a policy that validates gives a next step for
// any account age without panicking either.
func FuzzPolicyDocument(f *testing.F) {
	def, _ := json.Marshal(strategy.Default())
	f.Add(def)
	f.Add([]byte(`{"steps":[{"day":-10,"channel":"call"},{"day":-10,"channel":"call"}]}`))
	f.Add([]byte(`{"steps":[{"day":99999999,"channel":"legal"}],"lateInterestBP":-1}`))
	f.Add([]byte(`{"steps":null,"planRules":{"maxInstallments":0}}`))
	f.Add([]byte(`{"steps":[{"day":1,"channel":"<script>"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var p strategy.Policy
		if err := json.Unmarshal(doc, &p); err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			return
		}
		due := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
		for _, age := range []int{-40, -10, 0, 1, 30, 90, 400, 5000} {
			_ = strategy.NextStep(p, due, due.AddDate(0, 0, age), nil, strategy.Pause{})
		}
	})
}
