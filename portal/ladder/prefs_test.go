package ladder_test

import (
	"strings"
	"testing"
	"time"

	"cartera/portal/outbox"
)

// The debtor's contact preferences (preferred window, opt-outs) bind the
// automatic sends: the ladder defers the message to the next allowed moment
// or holds it, with the reason recorded, and delivery checks them again.
func TestLadderHonoursContactPreferences(t *testing.T) {
	monday10 := time.Date(2026, 2, 2, 10, 0, 0, 0, bogota) // D+1: the e-mail step
	cases := []struct {
		name      string
		consent   map[string]any
		status    string
		code      string
		next      time.Time // zero: not checked
		reasonHas string
	}{
		{name: "no preference", consent: nil, status: outbox.StatusQueued},
		{name: "inside the preferred window", consent: map[string]any{"preferredWindow": map[string]string{"from": "08:00", "to": "12:00"}},
			status: outbox.StatusQueued},
		{name: "before the preferred window", consent: map[string]any{"preferredWindow": map[string]string{"from": "14:00", "to": "16:00"}},
			status: outbox.StatusDeferred, code: "outside_hours", next: time.Date(2026, 2, 2, 14, 0, 0, 0, bogota), reasonHas: "franja"},
		{name: "after the preferred window: next day", consent: map[string]any{"preferredWindow": map[string]string{"from": "07:00", "to": "09:00"}},
			status: outbox.StatusDeferred, code: "outside_hours", next: time.Date(2026, 2, 3, 7, 0, 0, 0, bogota), reasonHas: "07:00–09:00"},
		{name: "e-mail opted out", consent: map[string]any{"channels": map[string]any{"email": map[string]bool{"optedOut": true}}},
			status: outbox.StatusHeld, code: "opted_out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 1)
			if tc.consent != nil {
				body := map[string]any{"how": "llamada grabada"}
				for k, v := range tc.consent {
					body[k] = v
				}
				if r := e.Do("PUT", "/api/tenants/acme/debtors/900100000/consent", e.manager, body); r.Status != 200 {
					t.Fatalf("consent: %d %s", r.Status, r.Body)
				}
			}
			e.setClock(monday10)
			if _, err := e.App.Ladder.Run(e.Ctx(), "acme"); err != nil {
				t.Fatal(err)
			}
			msgs := e.outbox("")
			if len(msgs) != 1 {
				t.Fatalf("outbox: %v", msgs)
			}
			m := msgs[0]
			if m["status"] != tc.status || (tc.code != "" && m["code"] != tc.code) {
				t.Fatalf("status %v code %v reason %v; want %s %s", m["status"], m["code"], m["reason"], tc.status, tc.code)
			}
			if !tc.next.IsZero() {
				at, _ := time.Parse(time.RFC3339, m["nextAttemptAt"].(string))
				if !at.Equal(tc.next) {
					t.Fatalf("next attempt %v, want %v", at, tc.next)
				}
			}
			if reason, _ := m["reason"].(string); !strings.Contains(reason, tc.reasonHas) {
				t.Fatalf("reason %q lacks %q", reason, tc.reasonHas)
			}
		})
	}
}
