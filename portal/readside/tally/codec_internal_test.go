package tally

import (
	"bytes"
	"maps"
	"testing"
)

// The packed figures are stored (tallies' nb): these bytes are what every
// earlier binary wrote and must keep reading.
func TestPackedCountersFormat(t *testing.T) {
	b := packN(map[string]int64{"bc": -2, "a": 1, "z": 0})
	if want := []byte{2, 1, 'a', 2, 2, 'b', 'c', 3}; !bytes.Equal(b, want) {
		t.Fatalf("packN = %v, want %v (sorted keys, zeros left out, zig-zag varints)", b, want)
	}
	m, err := unpackN(b)
	if err != nil || !maps.Equal(m, map[string]int64{"a": 1, "bc": -2}) {
		t.Fatalf("unpackN = %v %v", m, err)
	}
	if m, err := unpackN(nil); err != nil || len(m) != 0 {
		t.Errorf("no bytes: %v %v", m, err)
	}
	if _, err := unpackN(b[:len(b)-2]); err == nil {
		t.Error("truncated counters decoded")
	}
}

// Document keys and counter keys are the read model's schema: the stored
// documents and the reports both name them.
func TestKeys(t *testing.T) {
	for got, want := range map[string]string{
		DayDoc("20260310"): "t:d:20260310", MonthDoc("202603"): "t:m:202603", StateDoc: "t:state",
		UserContacts("c1"): "c_c1_ct", UserPromises("c1"): "c_c1_pm", UserRecovered("c1"): "c_c1_rec",
		Assigned("c1"): "asg_c1", Worked("c1"): "w_c1", Assigned("a.b"): "asg_x612e62",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
	for _, id := range []string{"c1", "a.b", "ñ$x"} {
		if got, ok := AssignedTo(Assigned(id)); !ok || got != id {
			t.Errorf("AssignedTo(Assigned(%q)) = %q %v", id, got, ok)
		}
	}
	if _, ok := AssignedTo(PlacedCount); ok {
		t.Error("a placement counter named a collector")
	}
}
