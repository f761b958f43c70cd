package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cartera/portal/apptest"
)

type auditItem struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	At     string `json:"at"`
	Action string `json:"action"`
	Record string `json:"record"`
	Actor  struct {
		ID, Role, Email, Name string
	} `json:"actor"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"userAgent"`
	Details   map[string]any `json:"details"`
}

type auditPage struct {
	Items []auditItem `json:"items"`
	Next  string      `json:"next"`
}

// The audit trail through HTTP: a tenant's managers read its entries with
// filters and a cursor, never another tenant's; admins also read the
// entries outside tenants; the CSV is safe against formula injection.
func TestAuditAPI(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	var me struct{ ID, Email string }
	e.Do("GET", "/api/me", e.Admin, nil).Decode(t, &me)
	// A manager whose name is a formula: it must reach the CSV defused.
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": "mgr@acme.audit", "name": "=HYPERLINK(\"http://x\")", "role": "manager", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	manager := e.Login("mgr@acme.audit", apptest.Password)
	var mgr struct{ ID string }
	e.Do("GET", "/api/me", manager, nil).Decode(t, &mgr)
	_, collector := e.User("acme", "collector")
	_, client := e.User("acme", "client")
	_, foreign := e.User("globex", "manager")
	// The manager creates a user, from a browser whose agent string is a formula.
	req, _ := http.NewRequest("POST", "/api/tenants/acme/users", strings.NewReader(`{"email":"c2@acme.audit","name":"Cobra Dos","role":"collector","password":"`+apptest.Password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+manager)
	req.Header.Set("User-Agent", "=1+2")
	req.RemoteAddr = "198.51.100.7:5555"
	r := e.Request(req)
	if r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	newUser := r.JSON()["id"].(string)
	// A collector knocking on a manager route: audited outside the tenant.
	if r := e.Do("GET", "/api/tenants/acme/audit", collector, nil); r.Status != 403 {
		t.Fatalf("collector reads the audit: %d", r.Status)
	}
	if r := e.Do("POST", "/api/tenants/globex/users", foreign, map[string]any{"email": "g@globex.audit", "name": "Globex Uno", "role": "client", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}

	get := func(token, path string, want int) auditPage {
		t.Helper()
		r := e.Do("GET", path, token, nil)
		if r.Status != want {
			t.Fatalf("GET %s: %d %s, want %d", path, r.Status, r.Body, want)
		}
		var p auditPage
		if want == 200 {
			r.Decode(t, &p)
		}
		return p
	}

	all := get(manager, "/api/tenants/acme/audit?limit=500", 200)
	if len(all.Items) < 4 || all.Next != "" {
		t.Fatalf("acme audit: %d items, next %q", len(all.Items), all.Next)
	}
	var mine *auditItem
	for i, it := range all.Items {
		if it.Tenant != "acme" {
			t.Errorf("acme audit shows %s entry %s", it.Tenant, it.Action)
		}
		if i > 0 && auditAt(t, it.At).After(auditAt(t, all.Items[i-1].At)) {
			t.Errorf("not newest first at %d: %s after %s", i, it.At, all.Items[i-1].At)
		}
		if it.Action == "user.create" && it.Record == newUser {
			mine = &all.Items[i]
		}
	}
	if mine == nil {
		t.Fatalf("the manager's user.create is missing: %+v", all.Items)
	}
	if mine.Actor.ID != mgr.ID || mine.Actor.Email != "mgr@acme.audit" || mine.Actor.Name != "=HYPERLINK(\"http://x\")" || mine.Actor.Role != "manager" ||
		mine.IP == "" || mine.UserAgent != "=1+2" || mine.Details["role"] != "collector" {
		t.Errorf("entry does not say who, from where and what: %+v", *mine)
	}
	if strings.Contains(string(e.Do("GET", "/api/tenants/acme/audit?limit=500", manager, nil).Body), "Globex Uno") {
		t.Error("acme's audit shows globex's records")
	}

	// Filters: action family, exact action, actor, record, dates.
	for _, it := range get(manager, "/api/tenants/acme/audit?action=user", 200).Items {
		if !strings.HasPrefix(it.Action, "user.") {
			t.Errorf("action=user gave %s", it.Action)
		}
	}
	byMgr := get(manager, "/api/tenants/acme/audit?action=user&actor="+mgr.ID, 200).Items
	if len(byMgr) != 1 || byMgr[0].Record != newUser {
		t.Errorf("actor filter: %+v", byMgr)
	}
	if rec := get(manager, "/api/tenants/acme/audit?record="+newUser, 200).Items; len(rec) != 1 || rec[0].Actor.ID != mgr.ID {
		t.Errorf("record filter: %+v", rec)
	}
	today := time.Now().In(mustLoc(t, "America/Bogota")).Format(time.DateOnly)
	if n := len(get(manager, "/api/tenants/acme/audit?limit=500&from="+today+"&to="+today, 200).Items); n != len(all.Items) {
		t.Errorf("today's entries: %d, want %d", n, len(all.Items))
	}
	if n := len(get(manager, "/api/tenants/acme/audit?to=2020-01-01", 200).Items); n != 0 {
		t.Errorf("entries before 2020: %d", n)
	}
	get(manager, "/api/tenants/acme/audit?from=ayer", 400)
	get(manager, "/api/tenants/acme/audit?cursor=nonsense", 400)

	// The cursor walks every entry once, in order.
	seen := map[string]bool{}
	var walked []auditItem
	path := "/api/tenants/acme/audit?limit=2"
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("cursor does not end")
		}
		p := get(manager, path, 200)
		if len(p.Items) > 2 {
			t.Fatalf("page of %d with limit 2", len(p.Items))
		}
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("entry %s twice", it.ID)
			}
			seen[it.ID] = true
			walked = append(walked, it)
		}
		if p.Next == "" {
			break
		}
		path = "/api/tenants/acme/audit?limit=2&cursor=" + p.Next
	}
	if len(walked) != len(all.Items) {
		t.Fatalf("cursor walked %d entries, the list has %d", len(walked), len(all.Items))
	}
	for i := range walked {
		if walked[i].ID != all.Items[i].ID {
			t.Fatalf("cursor order differs at %d", i)
		}
	}

	// Who may read it.
	get(collector, "/api/tenants/acme/audit", 403)
	get(client, "/api/tenants/acme/audit", 403)
	get(foreign, "/api/tenants/acme/audit", 404)
	get(manager, "/api/audit", 403)
	if r := e.Do("GET", "/api/tenants/acme/audit.csv", client, nil); r.Status != 403 {
		t.Errorf("client CSV: %d", r.Status)
	}

	// Admins: the entries outside tenants too.
	platform := get(e.Admin, "/api/audit?platform=true&action=authz.denied", 200).Items
	denied := false
	for _, it := range platform {
		if it.Tenant != "" {
			t.Errorf("platform entry of tenant %s", it.Tenant)
		}
		denied = denied || it.Record == "/api/tenants/:tenant/audit" && it.Actor.Role == "collector"
	}
	if !denied {
		t.Fatalf("the collector's denied request is not in the platform entries: %+v", platform)
	}
	every := get(e.Admin, "/api/audit?limit=500", 200).Items
	tenantsSeen := map[string]bool{}
	for _, it := range every {
		tenantsSeen[it.Tenant] = true
	}
	if !tenantsSeen["acme"] || !tenantsSeen["globex"] || !tenantsSeen[""] {
		t.Errorf("admin's audit covers %v", tenantsSeen)
	}
	if g := get(e.Admin, "/api/audit?tenant=globex", 200).Items; len(g) == 0 || g[0].Tenant != "globex" {
		t.Errorf("admin tenant filter: %+v", g)
	}
	if adm := get(e.Admin, "/api/tenants/acme/audit?actor="+me.ID, 200).Items; len(adm) == 0 || adm[0].Actor.Email != apptest.AdminEmail {
		t.Errorf("admin's own entries: %+v", adm)
	}

	// CSV: headers from the catalogue, every cell defused.
	r = e.Do("GET", "/api/tenants/acme/audit.csv?action=user&actor="+mgr.ID, manager, nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", r.Status, r.Header)
	}
	body := string(r.Body)
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(body, "\ufeff")), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "Fecha;Cliente;Acción;Registro") {
		t.Fatalf("csv lines:\n%s", body)
	}
	if !strings.Contains(lines[1], `'=HYPERLINK`) || !strings.Contains(lines[1], "'=1+2") || strings.Contains(lines[1], `;=`) || strings.Contains(lines[1], `;"=`) {
		t.Errorf("csv row not defused: %s", lines[1])
	}
	r = e.Do("GET", "/api/audit.csv?platform=true", e.Admin, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "authz.denied") || strings.Contains(string(r.Body), ";acme;") || strings.Contains(string(r.Body), ";globex;") {
		t.Errorf("platform csv: %d\n%s", r.Status, r.Body)
	}
}

func auditAt(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
