package web_test

import (
	"strings"
	"testing"
)

// The domain writes its messages in Spanish; a person who chose English
// reads them in English (static/i18n/phrases/en.json): a field error, a
// message built with a value, and an import's row errors and their CSV.
func TestErrorsInTheCallersLanguage(t *testing.T) {
	e := newMoneyEnv(t, 10_000_000, "2026-12-20")
	pay := func(lang string, body map[string]any) map[string]any {
		r := e.Do("POST", "/api/tenants/acme/accounts/M1/payments"+lang, e.collector, body)
		if r.Status != 400 {
			t.Fatalf("payment%s: %d %s", lang, r.Status, r.Body)
		}
		return r.JSON()["fields"].(map[string]any)
	}
	future := map[string]any{"amount": 1000, "method": "transfer", "reference": "T-1", "paidAt": "2030-01-01"}
	if got := pay("", future)["paidAt"]; got != "la fecha del pago no puede ser futura" {
		t.Errorf("Spanish: %v", got)
	}
	if got := pay("?lang=en", future)["paidAt"]; got != "the payment's date cannot be in the future" {
		t.Errorf("English: %v", got)
	}
	if got := pay("?lang=en", map[string]any{"amount": 1000, "method": "barter", "reference": "T-1", "paidAt": "2026-12-01"})["method"]; got != "use transfer, cash, check or client_reported" {
		t.Errorf("English method: %v", got)
	}

	m := e.Import("acme", e.client, "bad.csv", []byte("documento,nombre,factura,vencimiento,valor\n777,Ana,B1,2026-01-15,abc\n778,,B2,2026-01-15,100\n"))
	id := m["id"].(string)
	r := e.Do("GET", "/api/tenants/acme/imports/"+id+"?lang=en", e.client, nil)
	var got []string
	for _, x := range r.JSON()["errors"].([]any) {
		got = append(got, x.(map[string]any)["message"].(string))
	}
	joined := strings.Join(got, " | ")
	for _, want := range []string{`invalid amount: "abc"`, "the name is missing"} {
		if !strings.Contains(joined, want) {
			t.Errorf("import errors in English lack %q: %s", want, joined)
		}
	}
	if strings.Contains(joined, "falta") || strings.Contains(joined, "no válido") {
		t.Errorf("Spanish left in the English import errors: %s", joined)
	}
	csv := string(e.Do("GET", "/api/tenants/acme/imports/"+id+"/errors.csv?lang=en", e.client, nil).Body)
	if !strings.Contains(csv, "row") || !strings.Contains(csv, "reason") || !strings.Contains(csv, "invalid amount") {
		t.Errorf("errors CSV in English: %s", csv)
	}

	// Files follow the person's choice, else the tenant's locale.
	first := func(path string) string {
		b := strings.TrimPrefix(string(e.Do("GET", path, e.client, nil).Body), "\ufeff")
		return strings.SplitN(b, "\n", 2)[0]
	}
	if h := first("/api/tenants/acme/reports/accounts.csv"); !strings.HasPrefix(h, "factura") {
		t.Errorf("a Colombian company's accounts.csv: %q", h)
	}
	if h := first("/api/tenants/acme/reports/accounts.csv?lang=en"); !strings.HasPrefix(h, "invoice") || !strings.Contains(h, "days_past_due") {
		t.Errorf("accounts.csv in English: %q", h)
	}
	e.TenantIn("acme-us", "US")
	_, us := e.User("acme-us", "client")
	r = e.Do("GET", "/api/tenants/acme-us/reports/remittance.csv", us, nil)
	if h := strings.SplitN(strings.TrimPrefix(string(r.Body), "\ufeff"), "\n", 2)[0]; !strings.Contains(h, "collected") || !strings.Contains(r.Header.Get("Content-Disposition"), "remittance-") {
		t.Errorf("a US company's remittance.csv: %q %q", h, r.Header.Get("Content-Disposition"))
	}
}
