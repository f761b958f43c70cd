// Package i18n is the translation catalogue shared by Go (errors, PDFs,
// e-mails) and the pages: one flat JSON file of dotted keys per language in
// static/i18n.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// Default is the language used when none is asked for.
const Default = "es"

// Catalog holds every language's messages.
type Catalog struct {
	langs map[string]map[string]string
}

// Load reads i18n/<lang>.json and every fragment i18n/<lang>.<part>.json
// (one per face or feature, so each can grow on its own) for each language.
// A key defined twice is an error.
func Load(fsys fs.FS, langs ...string) (*Catalog, error) {
	c := &Catalog{langs: map[string]map[string]string{}}
	for _, l := range langs {
		files, err := fs.Glob(fsys, "i18n/"+l+".*json")
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("i18n %s: no catalogue", l)
		}
		m := map[string]string{}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("i18n %s: %w", f, err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("i18n %s: %w", f, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("i18n %s: key %q defined twice", f, k)
				}
				m[k] = v
			}
		}
		c.langs[l] = m
	}
	return c, nil
}

// JSON is the merged catalogue of lang, as served to the pages.
func (c *Catalog) JSON(lang string) ([]byte, error) { return json.Marshal(c.langs[Pick(lang)]) }

// T returns the message for key in lang, falling back to Spanish, then to
// the key itself (so a missing entry is visible, never blank).
func (c *Catalog) T(lang, key string) string {
	if m, ok := c.langs[lang]; ok {
		if v, ok := m[key]; ok {
			return v
		}
	}
	if v, ok := c.langs[Default][key]; ok {
		return v
	}
	return key
}

// Has reports whether lang defines key itself (no fallback).
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.langs[lang][key]
	return ok
}

// Keys lists the keys of lang (tests compare catalogues).
func (c *Catalog) Keys(lang string) []string {
	out := make([]string, 0, len(c.langs[lang]))
	for k := range c.langs[lang] {
		out = append(out, k)
	}
	return out
}

// Pick chooses the language: Spanish unless the person chose English (the
// lang cookie set by the pages' switch, or ?lang=en on API calls).
func Pick(choice string) string {
	if strings.ToLower(strings.TrimSpace(choice)) == "en" {
		return "en"
	}
	return Default
}

// OfLocale is the catalogue language of a locale (en-US → en; es-CO,
// es-MX, es-PE and anything else → es).
func OfLocale(locale string) string {
	if strings.HasPrefix(strings.ToLower(locale), "en") {
		return "en"
	}
	return Default
}

// For is the language of what a person reads: their own choice when they
// made one, else their company's (a US company's debtors read English).
func For(choice, locale string) string {
	if strings.TrimSpace(choice) != "" {
		return Pick(choice)
	}
	return OfLocale(locale)
}

// Fill replaces {name} placeholders in text with vars.
func Fill(text string, vars map[string]string) string {
	for k, v := range vars {
		text = strings.ReplaceAll(text, "{"+k+"}", v)
	}
	return text
}

var months = map[string][12]string{
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// LongDate writes a date in words: "5 de marzo de 2026", "March 5, 2026".
func LongDate(t time.Time, lang string) string {
	m := months[Pick(lang)][t.Month()-1]
	if Pick(lang) == "en" {
		return fmt.Sprintf("%s %d, %d", m, t.Day(), t.Year())
	}
	return fmt.Sprintf("%d de %s de %d", t.Day(), m, t.Year())
}

// ShortDate writes a date in figures: 05/03/2026 (day first), 03/05/2026 in
// English (month first, as US readers expect).
func ShortDate(t time.Time, lang string) string {
	if Pick(lang) == "en" {
		return t.Format("01/02/2006")
	}
	return t.Format("02/01/2006")
}
