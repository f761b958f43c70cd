package compliance

import (
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	h := time.Hour
	cases := []struct {
		from, to string
		want     *Window
	}{
		{"08:00", "12:00", &Window{8 * h, 12 * h}},
		{"20:30", "24:00", &Window{20*h + 30*time.Minute, 24 * h}},
		{"22:00", "06:00", &Window{22 * h, 6 * h}}, // crosses midnight
		{"08:00", "08:00", nil},                    // empty
		{"8:00", "12:00", nil},
		{"24:30", "12:00", nil},
		{"", "", nil},
		{"ab:cd", "12:00", nil},
	}
	for _, c := range cases {
		got := ParseWindow(c.from, c.to)
		if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("ParseWindow(%q, %q) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
