package reconciliation

import (
	"slices"
	"testing"

	"cartera/portal/accounts"
)

func TestCandidatesAndSplit(t *testing.T) {
	ref := accounts.PaymentReference("acme", "777")
	for text, want := range map[string][]string{
		ref:            {ref},
		"000000" + ref: {ref},
		ref[:5] + " " + ref[5:10] + "-" + ref[10:]: {ref},
		"PAGO REF " + ref + " SUC 12":              {ref},
		"80123456":                                 nil,
		"":                                         nil,
	} {
		if got := candidates(text); !slices.Equal(got, want) {
			t.Errorf("candidates(%q) = %v, want %v", text, got, want)
		}
	}
	accts := []open{{ID: "a", Owed: 100}, {ID: "b", Owed: 50}}
	for _, c := range []struct {
		amount int64
		want   []Posting
		ok     bool
	}{
		{120, []Posting{{"a", 100}, {"b", 20}}, true},
		{100, []Posting{{"a", 100}}, true},
		{150, []Posting{{"a", 100}, {"b", 50}}, true},
		{151, []Posting{{"a", 100}, {"b", 50}}, false}, // beyond the debt: refused, never a negative balance
	} {
		got, owed, ok := split(c.amount, accts)
		if !slices.Equal(got, c.want) || ok != c.ok || owed != 150 {
			t.Errorf("split(%d) = %v %d %v", c.amount, got, owed, ok)
		}
	}
	if detect([]byte("01900123456 20261206007")) != "asobancaria" || detect([]byte("fecha;valor\n")) != "csv" {
		t.Error("detect")
	}
}
