package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"cartera/portal/apptest"
)

// spanishInErrors adds, to the pages' kept list (spanishWords), the words
// the server's messages are made of, so an untranslated message cannot
// hide behind words the pages never use.
var spanishInErrors = regexp.MustCompile(`(?i)[áéíóúñ¿¡]|\b(datos|inválid[oa]s?|válid[oa]s?|falta|debe|indique|máximo|mínimo|fecha|valor|pago|cuota|plan de pagos|correo|dirección|número|caracteres|días|permite|permitido|próximo|se esperaba|ya)\b`)

// spanishIn lists the Spanish words of text (the kept list and the
// messages' words).
func spanishIn(text string) []string {
	return uniq(append(spanishWords.FindAllString(text, -1), spanishInErrors.FindAllString(text, -1)...))
}

// englishDo sends a request as a person who chose English on the pages
// (the lang cookie the language switch sets), with a JSON body when body
// is not nil; raw bodies go as they are with contentType.
func englishDo(e *apptest.Env, method, path, token string, body any, contentType string) apptest.Resp {
	e.T.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, _ := http.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Cookie", "lang=en")
	req.RemoteAddr = "192.0.2.10:1234"
	return e.Request(req)
}

// columns are the import's column names as the file wrote them (JSON and
// the errors CSV).
var columns = regexp.MustCompile(`"column":"[^"]*"|(?m)^(\d+);[^;]*;`)

type faceCase struct {
	name, method, path string
	token              string
	body               any
	contentType        string
	status             int
	want               string // a phrase of the English answer
}

// Each face of a Colombian company, read by a person who chose English,
// gets its typical errors in English: validation of every kind of form,
// decoding, compliance refusals, import row errors, policy rules, and the
// reasons the system wrote on the screens it reads (refused attempts).
func TestEnglishErrorsPerFace(t *testing.T) {
	e := newMoneyEnv(t, 10_000_000, "2026-10-20")
	bad := e.Import("acme", e.client, "bad.csv", []byte("documento,nombre,factura,vencimiento,valor\n777,Ana,B1,2026-01-15,abc\n778,,B2,15/13/2026,100\n"))
	importID, _ := bad["id"].(string)
	if r := e.Do("POST", "/api/tenants/acme/debtors/555/contacts", e.manager, map[string]any{"kind": "phone", "value": "3001234567"}); r.Status != 201 {
		t.Fatalf("contact: %d %s", r.Status, r.Body)
	}
	// A Sunday, for the contact rules.
	sunday := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	e.App.Web.Work.Now = func() time.Time { return sunday }

	faces := map[string][]faceCase{
		"client": {
			{"import row errors", "GET", "/api/tenants/acme/imports/" + importID, e.client, nil, "", 200, "invalid amount"},
			{"import errors csv", "GET", "/api/tenants/acme/imports/" + importID + "/errors.csv", e.client, nil, "", 200, "reason"},
			{"not JSON", "POST", "/api/tenants/acme/disputes/nope/resolve", e.client, "decision=accept", "text/plain", 400, "JSON"},
			{"unknown field", "POST", "/api/tenants/acme/disputes/nope/resolve", e.client, map[string]any{"verdict": "x"}, "", 400, "invalid JSON"},
			{"wrong type", "POST", "/api/tenants/acme/disputes/nope/resolve", e.client, map[string]any{"decision": 3}, "", 400, "expected"},
			{"report period", "GET", "/api/tenants/acme/reports/summary?from=2026-13-01", e.client, nil, "", 400, ""},
		},
		"collector": {
			{"unknown channel", "POST", "/api/tenants/acme/accounts/M1/activities", e.collector, map[string]any{"channel": "pigeon", "outcome": "no_answer"}, "", 400, ""},
			{"promise in the past", "POST", "/api/tenants/acme/accounts/M1/activities", e.collector,
				map[string]any{"channel": "call", "direction": "inbound", "outcome": "promise", "promise": map[string]any{"amount": 100000, "date": "2026-01-01"}}, "", 400, ""},
			{"sunday call", "POST", "/api/tenants/acme/accounts/M1/activities", e.collector, map[string]any{"channel": "call", "outcome": "no_answer"}, "", 422, "Sunday"},
			{"future payment", "POST", "/api/tenants/acme/accounts/M1/payments", e.collector,
				map[string]any{"amount": 1000, "method": "transfer", "reference": "T-1", "paidAt": "2030-01-01"}, "", 400, "future"},
			{"bad e-mail", "POST", "/api/tenants/acme/debtors/555/contacts", e.collector, map[string]any{"kind": "email", "value": "not-an-address"}, "", 400, "invalid e-mail"},
			{"bad phone", "POST", "/api/tenants/acme/debtors/555/contacts", e.collector, map[string]any{"kind": "phone", "value": "12"}, "", 400, "digits"},
			{"refused attempt on the timeline", "GET", "/api/tenants/acme/accounts/M1/timeline", e.collector, nil, "", 200, "Sunday"},
		},
		"manager": {
			{"short password", "POST", "/api/tenants/acme/users", e.manager, map[string]any{"email": "new@acme.test", "name": "New", "role": "collector", "password": "short"}, "", 400, "password"},
			{"unknown collector", "POST", "/api/tenants/acme/assignments", e.manager, map[string]any{"accountIds": []string{"M1"}, "collectorId": "nobody"}, "", 400, ""},
			{"policy steps", "PUT", "/api/tenants/acme/policy", e.manager, map[string]any{"steps": []map[string]any{
				{"day": 5, "channel": "call", "template": "x", "automatic": true}, {"day": 1, "channel": "pigeon", "template": "Bad Template!"}}}, "", 400, ""},
			{"bad consent", "PUT", "/api/tenants/acme/debtors/555/consent", e.manager, map[string]any{"channels": map[string]any{"email": map[string]any{"authorized": "yes"}}}, "", 400, ""},
		},
		"debtor": {
			{"dispute without invoices", "POST", "/api/debtor/disputes", e.debtor, map[string]any{"accountIds": []string{}, "reason": "wrong_amount", "description": "x"}, "", 400, ""},
			{"dispute too long", "POST", "/api/debtor/disputes", e.debtor, map[string]any{"accountIds": []string{"M1"}, "reason": "wrong_amount", "description": strings.Repeat("x", 5000)}, "", 400, "characters"},
			{"tiny payment", "POST", "/api/debtor/checkout", e.debtor, map[string]any{"amount": 1}, "", 400, ""},
			{"promise in the past", "POST", "/api/debtor/promises", e.debtor, map[string]any{"amount": 100000, "date": "2026-01-01"}, "", 400, ""},
			{"unknown plan offer", "POST", "/api/debtor/plans", e.debtor, map[string]any{"offerId": "nope"}, "", 0, ""},
			{"privacy notice", "GET", "/api/debtor/privacy", e.debtor, nil, "", 200, "debt collection on behalf of"},
		},
	}
	for _, face := range []string{"client", "collector", "manager", "debtor"} {
		t.Run(face, func(t *testing.T) {
			for _, c := range faces[face] {
				r := englishDo(e.Env, c.method, c.path, c.token, c.body, c.contentType)
				body := string(r.Body)
				if c.status != 0 && r.Status != c.status {
					t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, body)
					continue
				}
				if r.Status >= 400 && !strings.Contains(body, `"error":"`) {
					t.Errorf("%s: no message: %s", c.name, body)
				}
				if c.want != "" && !strings.Contains(body, c.want) {
					t.Errorf("%s: lacks %q: %s", c.name, c.want, body)
				}
				// Names and the file's own column names are data; the words
				// around them are not.
				text := columns.ReplaceAllString(strings.NewReplacer("Deudora Cinco", "", "Ana", "", "Empresa acme", "").Replace(body), "")
				if found := spanishIn(text); len(found) > 0 {
					t.Errorf("%s in English says %v: %s", c.name, found, body)
				}
			}
		})
	}
}
