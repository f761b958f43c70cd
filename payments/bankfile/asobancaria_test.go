package bankfile

import (
	"strings"
	"testing"
	"time"
)

// The layout's positions, read back from a file written by hand figures:
// two batches, 3 payments, 150.000,00 + 20.500,50 + 1,00 = 170.501,50.
func TestReadAsobancaria(t *testing.T) {
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	good := BuildAsobancaria("900123456", "007", day,
		[]Collection{{"123456789012345", 150_000_00}, {"80123456", 20_500_50}},
		[]Collection{{"42", 1_00}})
	lines := strings.Split(strings.TrimRight(string(good), "\r\n"), "\r\n")
	if len(lines) != 9 || len(lines[0]) != 162 || lines[2][:2] != "06" {
		t.Fatalf("built file: %d lines, first %d chars", len(lines), len(lines[0]))
	}
	// Hand-written positions of the first detail line.
	if lines[2][2:50] != strings.Repeat("0", 33)+"123456789012345" || lines[2][50:64] != "00000015000000" {
		t.Fatalf("detail positions: %q", lines[2][:64])
	}
	if lines[8][:29] != "09"+"000000003"+"000000000017050150" {
		t.Fatalf("file control: %q", lines[8][:29])
	}
	cases := []struct {
		name      string
		file      string
		movements int
		errLines  []int
		codes     []string
	}{
		{"good", string(good), 3, nil, nil},
		{"batch total off", strings.Replace(string(good), "08000000002000000000017050050", "08000000002000000000017050051", 1), 3, []int{5}, []string{"control_mismatch"}},
		{"file count off", strings.Replace(string(good), "09000000003", "09000000004", 1), 3, []int{9}, []string{"control_mismatch"}},
		{"unknown record", strings.Replace(string(good), "\r\n05", "\r\n07", 1), 3, []int{2, 3}, []string{"bad_record", "bad_record"}},
		{"bad amount", strings.Replace(string(good), "00000015000000", "0000001500000X", 1), 2, []int{3, 5, 9}, []string{"bad_amount", "control_mismatch", "control_mismatch"}},
		{"no header", strings.SplitN(string(good), "\r\n", 2)[1], 3, []int{1}, []string{"no_header"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ReadAsobancaria(strings.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Movements) != c.movements {
				t.Errorf("movements %d, want %d", len(res.Movements), c.movements)
			}
			if len(res.Errors) != len(c.errLines) {
				t.Fatalf("errors %+v, want lines %v", res.Errors, c.errLines)
			}
			for i, e := range res.Errors {
				if e.Line != c.errLines[i] || e.Code != c.codes[i] {
					t.Errorf("error %d: %+v, want line %d %s", i, e, c.errLines[i], c.codes[i])
				}
			}
		})
	}
	res, _ := ReadAsobancaria(strings.NewReader(string(good)))
	m := res.Movements[0]
	if m.Reference != "123456789012345" || m.Amount != 150_000_00 || !m.Date.Equal(day) || m.Line != 3 || m.BankID != "1" {
		t.Errorf("first movement %+v", m)
	}
	if res.Movements[1].Reference != "80123456" || res.Movements[1].ID == m.ID {
		t.Errorf("second movement %+v", res.Movements[1])
	}
	again, _ := ReadAsobancaria(strings.NewReader(string(good)))
	if again.Movements[0].ID != m.ID {
		t.Error("movement id not stable across reads")
	}
}
