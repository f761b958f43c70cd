package web_test

import (
	"testing"
	"time"
)

// A client places an old portfolio (F-1 due 2026-02-01, F-2 due 2026-02-15)
// and the manager sets the ladder to start from placement: the accounts
// begin at the courtesy call on the placement day, the collector's list
// follows at once, and the automatic reminder goes out a week later —
// instead of the legal stage on day one.
func TestLadderFromPlacement(t *testing.T) {
	w := newWorkEnv(t)
	// The accounts were placed now (the import's clock is the real one).
	placed := time.Now().In(bogota)
	day := func(d int) string { return placed.AddDate(0, 0, d).Format(time.DateOnly) }
	w.setQueueClock(placed)
	next := func() map[string]any {
		t.Helper()
		n := w.timeline(w.collector, "F-1")["nextStep"].(map[string]any)
		if n["step"] == nil {
			t.Fatalf("no next step: %v", n)
		}
		return n
	}
	if n := next(); n["step"].(map[string]any)["channel"] != "legal" {
		t.Fatalf("from the due date an old account is at the legal stage: %v", n)
	}
	pol := w.Do("GET", "/api/tenants/acme/policy", w.manager, nil).JSON()
	if pol["ladderStart"] != "due" {
		t.Fatalf("default ladder start: %v", pol["ladderStart"])
	}
	pol["ladderStart"] = "sometime"
	if r := w.Do("PUT", "/api/tenants/acme/policy", w.manager, pol); r.Status != 400 || r.JSON()["fields"].(map[string]any)["ladderStart"] == nil {
		t.Fatalf("bad ladder start: %d %s", r.Status, r.Body)
	}
	pol["ladderStart"] = "placement"
	if r := w.Do("PUT", "/api/tenants/acme/policy", w.manager, pol); r.Status != 200 || r.JSON()["ladderStart"] != "placement" {
		t.Fatalf("save policy: %d %s", r.Status, r.Body)
	}
	n := next()
	if st := n["step"].(map[string]any); st["template"] != "courtesy_call" || n["due"] != day(0) || n["late"] != false || n["skipped"] != float64(0) {
		t.Fatalf("next step from placement: %v", n)
	}
	// The collector's list says the same without a manual rebuild.
	q := w.queue(w.collector, "?tenant=acme")
	if len(q) != 2 || q[0].NextAction.Label != "Llamada de cortesía" || q[0].NextAction.Due != day(0) {
		t.Fatalf("queue after the policy change: %+v", q)
	}
	// Nothing automatic is due on the placement day…
	if _, err := w.App.Ladder.Run(w.Ctx(), "acme"); err != nil {
		t.Fatal(err)
	}
	if got := w.Do("GET", "/api/tenants/acme/outbox", w.manager, nil).JSON()["items"].([]any); len(got) != 0 {
		t.Fatalf("outbox on the placement day: %v", got)
	}
	// …the D-3 reminder with the statement is, seven days later.
	w.setQueueClock(placed.AddDate(0, 0, 7))
	if _, err := w.App.Ladder.Run(w.Ctx(), "acme"); err != nil {
		t.Fatal(err)
	}
	msgs := w.Do("GET", "/api/tenants/acme/outbox", w.manager, nil).JSON()["items"].([]any)
	templates := map[string]bool{}
	for _, m := range msgs {
		mm := m.(map[string]any)
		templates[mm["template"].(string)] = true
		if mm["template"] == "legal_stage" || mm["template"] == "final_deadline" || mm["template"] == "letter_2" {
			t.Fatalf("late steps sent a week after placement: %v", mm)
		}
	}
	if !templates["reminder_statement"] {
		t.Fatalf("reminder not queued a week after placement: %v", msgs)
	}
}
