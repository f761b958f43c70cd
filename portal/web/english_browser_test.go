package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
)

// spanishWords are words that show a page was not translated (each would
// be wrong on an English page; kept short so it stays honest).
var spanishWords = regexp.MustCompile(`(?i)\b(factura|facturas|deudor|saldo|guardar|pagar|cuenta|cuentas|gestor|vencimiento|cargar|mora|empresa|usuarios|cerrar|buscar|descargar|tablero|promesas|llamada|etapa|jurídica|carta|visita|aviso|recordatorio)\b`)

// Each face of a US company, switched to English, shows no Spanish word.
func TestFacesInEnglishHaveNoSpanish(t *testing.T) {
	browsertest.Browser(t)
	e := apptest.New(t, apptest.Sandbox)
	if r := e.Do("POST", "/api/tenants", e.Admin, map[string]any{"slug": "usco", "name": "Lone Star Supply Inc.", "country": "US", "commissionRate": 0.15}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	users := map[string]string{}
	for _, role := range []string{"client", "collector", "manager"} {
		email := role + "@usco.test"
		r := e.Do("POST", "/api/tenants/usco/users", e.Admin, map[string]any{"email": email, "name": "Pat " + role, "role": role, "password": apptest.Password})
		if r.Status != 201 {
			t.Fatal(r.Status, string(r.Body))
		}
		users[role] = email
	}
	_, mgr := e.User("usco", "manager")
	if m := e.Import("usco", mgr, "us.csv", []byte("Customer ID,Customer Name,Invoice,Due Date,Amount Due,Email\n"+
		"C-1,Lone Star Hardware LLC,INV-1,01/15/2026,1250.50,ap@lonestar.example\n")); num(m, "inserted") != 1 {
		t.Fatalf("import: %v", m)
	}
	collectorID := ""
	for _, u := range e.Do("GET", "/api/tenants/usco/users", e.Admin, nil).JSON()["items"].([]any) {
		if m := u.(map[string]any); m["email"] == users["collector"] {
			collectorID = m["id"].(string)
		}
	}
	if r := e.Do("POST", "/api/tenants/usco/assignments", mgr, map[string]any{"accountIds": []string{"INV-1"}, "collectorId": collectorID}); r.Status != 200 {
		t.Fatal(r.Status, string(r.Body))
	}
	url := e.Listen()
	dir := t.TempDir()
	for _, role := range []string{"client", "collector", "manager"} {
		t.Run(role, func(t *testing.T) {
			ctx := browsertest.New(t, 1366, 900)
			staffLogin(t, ctx, url, users[role], "en", "#view")
			time.Sleep(2 * time.Second) // the face's cards load
			text := browsertest.Eval(t, ctx, `document.body.innerText`)
			if found := spanishWords.FindAllString(text, -1); len(found) > 0 {
				t.Errorf("%s face in English shows Spanish: %v", role, uniq(found))
			}
			browsertest.Shot(t, ctx, dir, "english-"+role)
		})
	}
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if k := strings.ToLower(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}
