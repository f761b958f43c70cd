package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleanText trims, turns every run of whitespace (line breaks and NBSP
// included) into one space, and drops control and format characters
// (zero-width spaces, BOMs, bidi marks) that ERPs and copy-paste leave in
// cells. Invalid UTF-8 becomes U+FFFD. A clean value comes back as is,
// without allocating.
func cleanText(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isClean: nothing for cleanText to change.
func isClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7F || c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
		i += n
	}
	return true
}

// isBlank reports whether a cell holds nothing cleanText would keep.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return cleanText(s[i:]) == ""
		}
	}
	return true
}

// NormalizeDocument returns the key under which a debtor's identity
// document is stored and looked up (imports and the debtor login must agree):
// upper case, without spaces, dots, commas, hyphens, slashes or underscores,
// and without the check digit of a Colombian NIT written after a hyphen
// ("900.123.456-7" -> "900123456"). The check digit is dropped because it is
// derived from the number, and one file writes it while another does not;
// keeping it would split one debtor in two. A trailing "-digit" is only read
// as a check digit when everything before it is digits (with dots or
// spaces); "AB-1" keeps its digit ("AB1"). The result is not validated.
func NormalizeDocument(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '-'); i > 0 {
		if dv := strings.TrimSpace(s[i+1:]); len(dv) == 1 && isDigit(dv[0]) && isNumberish(s[:i]) {
			s = s[:i]
		}
	}
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'A' || c > 'Z') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '.', r == '-', r == ',', r == '/', r == '_', unicode.IsSpace(r), unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// isNumberish: digits, dots and spaces, with at least one digit.
func isNumberish(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digit = true
		case c == '.' || c == ' ':
		default:
			return false
		}
	}
	return digit
}

// validDocument: ASCII letters and digits only.
func validDocument(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// isScientific spots numbers Excel already mangled into scientific
// notation ("1,02E+09"): the digits are gone, so no guess can recover them.
func isScientific(s string) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 0 || i == len(s) {
		return false
	}
	if s[i] == '.' || s[i] == ',' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i+2 >= len(s) || (s[i] != 'E' && s[i] != 'e') || (s[i+1] != '+' && s[i+1] != '-') {
		return false
	}
	for i += 2; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// emailProblem checks the shape of a lower-cased address; it returns "" when
// the shape is plausible, else CodeMultipleEmails or CodeInvalidEmail.
// Deliverability is for the mailer to learn.
func emailProblem(s string) string {
	at := strings.IndexByte(s, '@')
	if at >= 0 && strings.Count(s, "@") > 1 {
		return CodeMultipleEmails
	}
	if at <= 0 || at > 64 || len(s) > 254 {
		return CodeInvalidEmail
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return CodeInvalidEmail
	}
	for _, r := range local {
		if r <= ' ' || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return CodeInvalidEmail
		}
	}
	if !strings.Contains(domain, ".") {
		return CodeInvalidEmail
	}
	tld := ""
	for l := range strings.SplitSeq(domain, ".") {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return CodeInvalidEmail
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return CodeInvalidEmail
			}
		}
		tld = l
	}
	if utf8.RuneCountInString(tld) < 2 || isDigit(tld[0]) {
		return CodeInvalidEmail
	}
	return ""
}

// normalizePhone keeps digits and a leading '+', dropping the spaces,
// hyphens, dots and parentheses people write; it reports false for letters
// ("ext"), separators between two numbers ("/", ";") and implausible
// lengths. No country code is added: the locale does not say where the
// debtor lives.
func normalizePhone(s string) (string, bool) {
	digits, plus, clean := 0, false, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == '+' && digits == 0 && !plus:
			plus, clean = true, clean && i == 0
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			clean = false
		default:
			return "", false
		}
	}
	if digits < 7 || digits > 15 {
		return "", false
	}
	if clean {
		return s, true
	}
	b := make([]byte, 0, digits+1)
	if plus {
		b = append(b, '+')
	}
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b), true
}
