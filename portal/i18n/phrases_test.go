package i18n_test

import (
	"testing"
	"testing/fstest"

	"cartera/portal/i18n"
)

func TestPhrasebook(t *testing.T) {
	book := fstest.MapFS{"i18n/phrases/en.json": {Data: []byte(`{
		"máximo %d caracteres": "at most %d characters",
		"falta %s": "%s is missing",
		"el valor": "the amount",
		"la tasa supera la usura (%s %% EA): use %d o menos": "the rate exceeds usury (%s %% EA): use %d or less",
		"%s supera %d caracteres": "%s is longer than %d characters",
		"El nombre": "The name",
		"fecha AAAA-MM-DD": "date YYYY-MM-DD"}`)}}
	p, err := i18n.LoadPhrases(book, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, in, want string }{
		{"en", "fecha AAAA-MM-DD", "date YYYY-MM-DD"},
		{"en", "máximo 120 caracteres", "at most 120 characters"},
		{"en", "falta el valor", "the amount is missing"},
		{"en", "la tasa supera la usura (25,62 % EA): use 186 o menos", "the rate exceeds usury (25,62 % EA): use 186 or less"},
		{"en", "El nombre supera 200 caracteres", "The name is longer than 200 characters"},
		{"es", "máximo 120 caracteres", "máximo 120 caracteres"},
		{"en", "un mensaje que el libro no tiene", "un mensaje que el libro no tiene"},
		{"en-US", "fecha AAAA-MM-DD", "date YYYY-MM-DD"},
		{"en", "falta el valor; máximo 3 caracteres", "the amount is missing; at most 3 characters"},
	} {
		if got := p.T(c.lang, c.in); got != c.want {
			t.Errorf("T(%s, %q) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
	bad := fstest.MapFS{"i18n/phrases/en.json": {Data: []byte(`{"máximo %d caracteres": "at most characters"}`)}}
	if _, err := i18n.LoadPhrases(bad, "en"); err == nil {
		t.Error("a translation that drops a value was accepted")
	}
}
