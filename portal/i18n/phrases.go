package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

// Phrasebook translates the messages the Go code writes in Spanish (field
// errors, refusals, import row errors) into the caller's language, keyed by
// the Spanish text itself, as gettext is: i18n/phrases/<lang>.json maps
// each Spanish message (or its fmt format, e.g. "máximo %d caracteres") to
// the translation (the same verbs in the same order). The domain keeps one
// plain message per rule; TestEveryServerMessageHasEnglish keeps the book
// complete.
type Phrasebook struct {
	sources  map[string]map[string]bool   // lang → every Spanish entry (formats as written)
	exact    map[string]map[string]string // lang → Spanish → translation
	patterns map[string][]phrasePattern   // lang → formats with verbs
}

type phrasePattern struct {
	re    *regexp.Regexp
	out   string // the translation's format, %-verbs in the source's order, %% as pct
	fixed int    // length of the format without its verbs
	// head and tail are the format's fixed text before its first verb and
	// after its last: a message that does not start and end with them is
	// not tried against the regexp (most formats, most messages).
	head, tail string
}

// pct stands for a literal %% while verbs are looked for, so "%d%% de" has
// one verb, not two.
const pct = "\x00"

func verbsIn(format string) []string {
	return verb.FindAllString(strings.ReplaceAll(format, "%%", pct), -1)
}

// verb is one fmt verb of a message format (%% is not one).
var verb = regexp.MustCompile(`%[-+# 0-9.]*[dsqvf]`)

// LoadPhrases reads i18n/phrases/<lang>.json and its fragments
// i18n/phrases/<lang>.<part>.json (one per area, as the catalogue does) for
// each language. A message defined twice is an error.
func LoadPhrases(fsys fs.FS, langs ...string) (*Phrasebook, error) {
	p := &Phrasebook{sources: map[string]map[string]bool{}, exact: map[string]map[string]string{}, patterns: map[string][]phrasePattern{}}
	for _, l := range langs {
		m, err := ReadPhrases(fsys, l)
		if err != nil {
			return nil, err
		}
		p.exact[l], p.sources[l] = map[string]string{}, map[string]bool{}
		for src, dst := range m {
			p.sources[l][src] = true
			if len(verbsIn(src)) != len(verbsIn(dst)) {
				return nil, fmt.Errorf("phrases %s: %q and %q differ in their values", l, src, dst)
			}
			if len(verbsIn(src)) == 0 {
				p.exact[l][strings.ReplaceAll(src, "%%", "%")] = strings.ReplaceAll(dst, "%%", "%")
				continue
			}
			bare := strings.ReplaceAll(src, "%%", pct)
			locs := verb.FindAllStringIndex(bare, -1)
			p.patterns[l] = append(p.patterns[l], phrasePattern{re: formatRegexp(src), out: strings.ReplaceAll(dst, "%%", pct),
				fixed: len(verb.ReplaceAllString(bare, "")),
				head:  strings.ReplaceAll(bare[:locs[0][0]], pct, "%"), tail: strings.ReplaceAll(bare[locs[len(locs)-1][1]:], pct, "%")})
		}
		// The most specific format first (more fixed text), so the order
		// of the file never decides between two that match.
		sort.SliceStable(p.patterns[l], func(i, j int) bool { return p.patterns[l][i].fixed > p.patterns[l][j].fixed })
	}
	return p, nil
}

// formatRegexp matches what fmt.Sprintf(format, …) can print, one group a
// verb.
func formatRegexp(format string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	rest := strings.ReplaceAll(format, "%%", pct)
	for {
		loc := verb.FindStringIndex(rest)
		if loc == nil {
			break
		}
		b.WriteString(regexp.QuoteMeta(strings.ReplaceAll(rest[:loc[0]], pct, "%")))
		b.WriteString("(.+?)")
		rest = rest[loc[1]:]
	}
	b.WriteString(regexp.QuoteMeta(strings.ReplaceAll(rest, pct, "%")))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// T returns msg in lang: the book's translation, or msg itself (Spanish,
// or a message the book does not know).
func (p *Phrasebook) T(lang, msg string) string {
	if p == nil || msg == "" {
		return msg
	}
	out, _ := p.tr(OfLocale(lang), msg) // en, en-US → en; the rest is Spanish
	return out
}

// tr translates msg and says how much of it (bytes) was left as it came:
// an exact entry; else the reading that leaves least, among problems listed
// with "; " (each translated) and every format msg matches, each value
// translated in turn when the book knows it (the words and reasons a
// message was built from: "falta el valor", a refusal inside an outbox
// reason). On a tie the list wins, then the most specific format.
func (p *Phrasebook) tr(lang, msg string) (string, int) {
	if out, ok := p.exact[lang][msg]; ok {
		return out, 0
	}
	best, left := msg, len(msg)
	if strings.Contains(msg, "; ") {
		parts, n := strings.Split(msg, "; "), 0
		for i := range parts {
			var l int
			parts[i], l = p.tr(lang, parts[i])
			n += l
		}
		best, left = strings.Join(parts, "; "), n
	}
	for _, pt := range p.patterns[lang] {
		if !strings.HasPrefix(msg, pt.head) || !strings.HasSuffix(msg, pt.tail) {
			continue
		}
		m := pt.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		i, n := 0, 0
		out := verb.ReplaceAllStringFunc(pt.out, func(string) string {
			i++
			w, l := p.tr(lang, m[i]) // shorter than msg: the recursion ends
			n += l
			return w
		})
		if n < left {
			best, left = strings.ReplaceAll(out, pct, "%"), n
		}
	}
	return best, left
}

// Has reports whether the book of lang has an entry for src (a message or
// a format, as the code writes it).
func (p *Phrasebook) Has(lang, src string) bool { return p.sources[lang][src] }

// Fields translates every message of a field map (a copy; nil stays nil).
func (p *Phrasebook) Fields(lang string, fields map[string]string) map[string]string {
	if fields == nil {
		return nil
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		out[k] = p.T(lang, v)
	}
	return out
}

// ReadPhrases returns the raw book of lang (Spanish source → translation),
// its main file and fragments merged.
func ReadPhrases(fsys fs.FS, lang string) (map[string]string, error) {
	files, err := fs.Glob(fsys, "i18n/phrases/"+lang+".*json")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("phrases %s: no book", lang)
	}
	m := map[string]string{}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("phrases %s: %w", f, err)
		}
		part := map[string]string{}
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("phrases %s: %w", f, err)
		}
		for k, v := range part {
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("phrases %s: %q defined twice", f, k)
			}
			m[k] = v
		}
	}
	return m, nil
}
