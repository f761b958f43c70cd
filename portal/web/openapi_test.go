package web_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"cartera/portal/apptest"
)

// TestOpenAPIMatchesPublicRoutes holds the hand-written document to the
// route registry: every route registered as public API (reachable by a
// key's scope, key management, the document itself) is in it, and nothing
// else is.
func TestOpenAPIMatchesPublicRoutes(t *testing.T) {
	e := apptest.New(t)
	r := e.Do("GET", "/api/openapi.json", "", nil)
	if r.Status != 200 {
		t.Fatalf("openapi.json: %d", r.Status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v %q", err, doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([a-zA-Z]+)`)
	want := map[string]bool{}
	for _, ri := range e.App.Web.Routes() {
		if ri.API {
			want[strings.ToLower(ri.Method)+" "+param.ReplaceAllString(ri.Path, "{$1}")] = true
		}
	}
	got := map[string]bool{}
	for path, ops := range doc.Paths {
		for m, raw := range ops {
			got[m+" "+path] = true
			var op struct {
				Scope string `json:"x-scope"`
			}
			_ = json.Unmarshal(raw, &op)
			for _, ri := range e.App.Web.Routes() {
				if strings.ToLower(ri.Method)+" "+param.ReplaceAllString(ri.Path, "{$1}") == m+" "+path && ri.Scope != op.Scope {
					t.Errorf("%s %s: document says scope %q, route has %q", m, path, op.Scope, ri.Scope)
				}
			}
		}
	}
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("OpenAPI document out of step with the routes:\n missing: %v\n not public routes: %v", missing, extra)
	}
	if len(want) < 15 {
		t.Fatalf("only %d public routes", len(want))
	}
}
