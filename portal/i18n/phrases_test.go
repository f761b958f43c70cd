package i18n_test

import (
	"testing"
	"testing/fstest"

	"cartera/portal/i18n"
	"cartera/static"
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

// Messages built from other messages read in English throughout: a refusal
// whose own format lists its parts with "; ", its words, a literal %, and a
// reason inside a longer sentence.
func TestPhrasebookNested(t *testing.T) {
	book := fstest.MapFS{"i18n/phrases/en.json": {Data: []byte(`{
		"No se permite contactar por %s el %s; horario: %s.": "Contacting by %s on %s is not allowed; hours: %s.",
		"llamada": "call", "domingo": "Sunday", "de 08:00 a 21:00": "08:00 to 21:00",
		"Deuda pequeña (hasta %d%% de un SMMLV).": "Small debt (up to %d%% of a minimum wage).",
		"%s Próximo momento permitido: %s.": "%s Next allowed moment: %s."}`)}}
	p, err := i18n.LoadPhrases(book, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{"No se permite contactar por llamada el domingo; horario: de 08:00 a 21:00.", "Contacting by call on Sunday is not allowed; hours: 08:00 to 21:00."},
		{"Deuda pequeña (hasta 20% de un SMMLV).", "Small debt (up to 20% of a minimum wage)."},
		{"No se permite contactar por llamada el domingo; horario: de 08:00 a 21:00. Próximo momento permitido: 16/03/2026 07:00.",
			"Contacting by call on Sunday is not allowed; hours: 08:00 to 21:00. Next allowed moment: 16/03/2026 07:00."},
	} {
		if got := p.T("en", c.in); got != c.want {
			t.Errorf("T(%q)\n= %q\nwant %q", c.in, got, c.want)
		}
	}
}

// What an English reader's outbox costs per reason: a refusal with the next
// allowed moment appended, read against the whole book.
func BenchmarkPhrasebookReason(b *testing.B) {
	p, err := i18n.LoadPhrases(static.FS, "en")
	if err != nil {
		b.Fatal(err)
	}
	msg := "No se permite contactar por llamada el domingo; horario: lunes a viernes de 07:00 a 19:00 y sábados de 08:00 a 15:00; nunca domingos ni festivos. Próximo momento permitido: 16/03/2026 07:00."
	if got := p.T("en", msg); got == msg {
		b.Fatalf("not translated: %s", got)
	}
	for b.Loop() {
		p.T("en", msg)
	}
}
