// Package i18n is the translation catalogue shared by Go (errors, PDFs,
// e-mails) and the pages: one flat JSON file of dotted keys per language in
// static/i18n.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
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
