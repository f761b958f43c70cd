package web_test

import (
	"fmt"
	"strings"
	"testing"

	"cartera/portal/apptest"
)

// assignEnv is a tenant with three collectors — Ana (capacity 2, at most 3
// open accounts), Beto (capacity 1) and Caro (the corporate desk) — and
// twelve unassigned accounts: four corporate (C-1…C-4, 1.000,00 each) and
// eight retail (R-1…R-8, 100,00 each).
type assignEnv struct {
	*apptest.Env
	manager, ana, beto, caro string
}

func newAssignEnv(t *testing.T) *assignEnv {
	t.Helper()
	e := apptest.New(t)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	w := &assignEnv{Env: e, manager: mgr}
	user := func(name string, capacity, max int) string {
		r := e.Do("POST", "/api/tenants/acme/users", mgr, map[string]any{"email": strings.ToLower(name) + "@acme.co", "name": name,
			"role": "collector", "password": apptest.Password, "capacity": capacity, "maxAccounts": max})
		if r.Status != 201 {
			t.Fatalf("user %s: %d %s", name, r.Status, r.Body)
		}
		return r.JSON()["id"].(string)
	}
	w.ana, w.beto, w.caro = user("Ana", 2, 3), user("Beto", 1, 0), user("Caro", 1, 0)
	var sb strings.Builder
	sb.WriteString("documento;nombre;factura;vencimiento;valor;segmento\n")
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&sb, "90010%d;Empresa %d SAS;C-%d;2026-01-15;1.000;corporativo\n", i, i, i)
	}
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&sb, "1010%d;Persona %d;R-%d;2026-01-15;100;personas\n", i, i, i)
	}
	if m := e.Import("acme", mgr, "a.csv", []byte(sb.String())); num(m, "inserted") != 12 || num(m, "assigned") != 0 {
		t.Fatalf("import: %v", m)
	}
	return w
}

func (w *assignEnv) state() map[string]any {
	w.T.Helper()
	r := w.Do("GET", "/api/tenants/acme/assignment", w.manager, nil)
	if r.Status != 200 {
		w.T.Fatalf("assignment state: %d %s", r.Status, r.Body)
	}
	return r.JSON()
}

// loads maps collector name → open accounts held, plus "" → unassigned.
func (w *assignEnv) loads() map[string]int {
	st := w.state()
	out := map[string]int{"": int(st["unassigned"].(map[string]any)["accounts"].(float64))}
	for _, c := range st["collectors"].([]any) {
		m := c.(map[string]any)
		out[m["name"].(string)] = int(m["accounts"].(float64))
	}
	return out
}

func byName(plan map[string]any) map[string]int {
	out := map[string]int{}
	for _, l := range plan["byCollector"].([]any) {
		m := l.(map[string]any)
		out[m["name"].(string)] = int(m["accounts"].(float64))
	}
	return out
}

func TestAssignmentPreviewRunRecall(t *testing.T) {
	w := newAssignEnv(t)
	st := w.state()
	if st["config"].(map[string]any)["mode"] != "none" || st["unassigned"].(map[string]any)["accounts"] != float64(12) ||
		st["unassigned"].(map[string]any)["balance"] != float64(4*100000+8*10000) || st["currency"] != "COP" {
		t.Fatalf("state before: %v", st)
	}
	for _, c := range st["collectors"].([]any) {
		if m := c.(map[string]any); m["name"] == "Ana" && (m["capacity"] != float64(2) || m["maxAccounts"] != float64(3)) {
			t.Fatalf("Ana as listed: %v", m)
		}
	}
	corporate := map[string]any{"segment": "corporativo", "collectors": []string{w.caro}}
	// A draft without fallback: the retail accounts match no rule.
	r := w.Do("POST", "/api/tenants/acme/assignments/preview", w.manager, map[string]any{
		"config": map[string]any{"mode": "rules", "rules": []any{corporate}}})
	p := r.JSON()
	if r.Status != 200 || p["assigned"] != float64(4) || p["noRule"] != float64(8) || byName(p)["Caro"] != 4 {
		t.Fatalf("preview without fallback: %d %s", r.Status, r.Body)
	}
	// With the fallback shared among everyone by capacity (Ana 2, Beto 1,
	// Caro 1; smooth weighted round robin): A B C A A, and Ana is at her
	// limit of 3, so the rest go B C B. Without the limit she would get 4.
	draft := map[string]any{"mode": "rules", "rules": []any{corporate}, "fallback": "round_robin"}
	p = w.Do("POST", "/api/tenants/acme/assignments/preview", w.manager, map[string]any{"config": draft}).JSON()
	if got := byName(p); p["assigned"] != float64(12) || got["Caro"] != 6 || got["Ana"] != 3 || got["Beto"] != 3 {
		t.Fatalf("preview with fallback: %v", p)
	}
	if v := p["byVia"].(map[string]any); v["rule:0"] != float64(4) || v["fallback"] != float64(8) {
		t.Fatalf("preview by route: %v", v)
	}
	sample := p["sample"].([]any)
	if len(sample) != 12 || sample[0].(map[string]any)["accountId"] != "C-1" || sample[0].(map[string]any)["to"] != w.caro {
		t.Fatalf("preview sample: %v", sample)
	}
	// A preview writes nothing.
	if l := w.loads(); l[""] != 12 {
		t.Fatalf("preview assigned accounts: %v", l)
	}
	// Bad drafts are refused field by field.
	r = w.Do("POST", "/api/tenants/acme/assignments/preview", w.manager, map[string]any{
		"config": map[string]any{"mode": "rules", "rules": []any{map[string]any{"segment": "x", "collectors": []string{"nobody"}}}, "fallback": "ghost"}})
	if f, _ := r.JSON()["fields"].(map[string]any); r.Status != 400 || f["rules[0].collectors"] == nil || f["fallback"] == nil {
		t.Fatalf("bad draft: %d %s", r.Status, r.Body)
	}
	// Saved and run: the plan happens.
	if r := w.Do("PUT", "/api/tenants/acme/assignment-rule", w.manager, draft); r.Status != 200 {
		t.Fatalf("save rule: %d %s", r.Status, r.Body)
	}
	r = w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"rule": "rules"})
	run := r.JSON()
	if r.Status != 200 || run["assigned"] != float64(12) || run["skipped"] != float64(0) || run["runId"] == nil {
		t.Fatalf("run: %d %s", r.Status, r.Body)
	}
	if l := w.loads(); l[""] != 0 || l["Ana"] != 3 || l["Beto"] != 3 || l["Caro"] != 6 {
		t.Fatalf("loads after the run: %v", l)
	}
	// A second run finds nothing to do.
	if r := w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"rule": "rules"}); r.JSON()["assigned"] != float64(0) {
		t.Fatalf("second run: %s", r.Body)
	}
	// R-1 (Ana's) and R-2 (Beto's) are taken back by hand, and Ana's limit
	// lowered to 2: she holds 2, so a round robin of the two skips her.
	w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{"R-1", "R-2"}, "collectorId": ""})
	if r := w.Do("PATCH", "/api/tenants/acme/users/"+w.ana, w.manager, map[string]any{"maxAccounts": 2}); r.Status != 200 {
		t.Fatalf("lower Ana's limit: %d %s", r.Status, r.Body)
	}
	p = w.Do("POST", "/api/tenants/acme/assignments/preview", w.manager, map[string]any{"rule": "round_robin"}).JSON()
	if got := byName(p); got["Ana"] != 0 || got["Beto"] != 1 || got["Caro"] != 1 || p["assigned"] != float64(2) {
		t.Fatalf("round robin with Ana full: %v", p)
	}
	// One of the run's accounts moves by hand; recalling the run takes back
	// the others and leaves that one where the manager put it.
	if r := w.Do("POST", "/api/tenants/acme/assignments", w.manager, map[string]any{"accountIds": []string{"C-1"}, "collectorId": w.beto}); r.Status != 200 {
		t.Fatalf("manual move: %d %s", r.Status, r.Body)
	}
	key := run["runId"].(string)
	r = w.Do("POST", "/api/tenants/acme/assignments/runs/"+key+"/recall", w.manager, nil)
	if r.Status != 200 || r.JSON()["recalled"] != float64(9) || r.JSON()["recalledAt"] == nil {
		t.Fatalf("recall: %d %s", r.Status, r.Body) // 12 − C-1 moved − unassigned by hand
	}
	if l := w.loads(); l[""] != 11 || l["Beto"] != 1 {
		t.Fatalf("loads after the recall: %v", l)
	}
	if r := w.Do("POST", "/api/tenants/acme/assignments/runs/"+key+"/recall", w.manager, nil); r.Status != 200 || r.JSON()["recalled"] != float64(9) {
		t.Fatalf("second recall: %d %s", r.Status, r.Body)
	}
	if l := w.loads(); l[""] != 11 {
		t.Fatalf("loads after the second recall: %v", l)
	}
	runs := w.state()["runs"].([]any)
	if len(runs) != 1 || runs[0].(map[string]any)["recalled"] != float64(9) || runs[0].(map[string]any)["assigned"] != float64(12) {
		t.Fatalf("runs: %v", runs)
	}
	for _, action := range []string{"assignment.rule", "assignment.rule.run", "assignment.recall"} {
		if list, err := w.App.Audit.List(w.Ctx(), "acme", action, 10); err != nil || len(list) == 0 {
			t.Fatalf("audit %s: %d %v", action, len(list), err)
		}
	}
}

// New placements follow the saved rule and its fallback: a corporate
// account to the corporate desk, anything else to the fallback collector.
func TestAssignmentFallbackOnImport(t *testing.T) {
	w := newAssignEnv(t)
	rule := map[string]any{"mode": "rules", "fallback": w.beto,
		"rules": []any{map[string]any{"segment": "corporativo", "collectors": []string{w.caro}}}}
	if r := w.Do("PUT", "/api/tenants/acme/assignment-rule", w.manager, rule); r.Status != 200 {
		t.Fatalf("save rule: %d %s", r.Status, r.Body)
	}
	m := w.Import("acme", w.manager, "b.csv", []byte("documento;nombre;factura;vencimiento;valor;segmento\n"+
		"900200300;Grande SAS;N-1;2026-02-01;5.000;corporativo\n"+
		"70707070;Pequeño Pérez;N-2;2026-02-01;50;pyme\n"))
	if num(m, "inserted") != 2 || num(m, "assigned") != 2 {
		t.Fatalf("import: %v", m)
	}
	for acc, want := range map[string]string{"N-1": w.caro, "N-2": w.beto} {
		if got := w.Do("GET", "/api/tenants/acme/accounts/"+acc, w.manager, nil).JSON()["collectorId"]; got != want {
			t.Fatalf("%s went to %v, want %s", acc, got, want)
		}
	}
}

func TestAssignmentIsManagersOnly(t *testing.T) {
	w := newAssignEnv(t)
	_, collector := w.User("acme", "collector")
	_, client := w.User("acme", "client")
	w.Tenant("other")
	_, foreign := w.User("other", "manager")
	for _, c := range []struct {
		name, method, path, token string
		want                      int
	}{
		{"collector reads", "GET", "/api/tenants/acme/assignment", collector, 403},
		{"client previews", "POST", "/api/tenants/acme/assignments/preview", client, 403},
		{"other tenant's manager reads", "GET", "/api/tenants/acme/assignment", foreign, 404},
		{"other tenant's manager previews", "POST", "/api/tenants/acme/assignments/preview", foreign, 404},
		{"other tenant's manager recalls", "POST", "/api/tenants/acme/assignments/runs/x/recall", foreign, 404},
		{"unknown run", "POST", "/api/tenants/acme/assignments/runs/nope/recall", w.manager, 404},
	} {
		if r := w.Do(c.method, c.path, c.token, map[string]any{"rule": "round_robin"}); r.Status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.want)
		}
	}
}
