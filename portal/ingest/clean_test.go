package ingest

import (
	"errors"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want Kind
	}{
		{"xlsx", "PK\x03\x04\x14\x00\x06\x00", KindXLSX},
		{"csv", "documento;nombre\n1;Ana\n", KindCSV},
		{"csv bom", "\xEF\xBB\xBFdocumento,nombre\n", KindCSV},
		{"csv 1252", "nombre\nPe\xF1a\n", KindCSV},
		{"utf16 le", "\xFF\xFEd\x00o\x00c\x00", KindCSV},
		{"utf16 be", "\xFE\xFF\x00d\x00o", KindCSV},
		{"one line no newline", "documento", KindCSV},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", KindUnknown},
		{"pdf", "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\n", KindUnknown},
		{"jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF", KindUnknown},
		{"gif", "GIF89a\x01\x00", KindUnknown},
		{"gzip", "\x1F\x8B\x08\x00", KindUnknown},
		{"xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", KindUnknown},
		{"empty zip", "PK\x05\x06\x00\x00", KindUnknown},
		{"html as xls", "\xEF\xBB\xBF  <html><table>", KindUnknown},
		{"xml", "<?xml version=\"1.0\"?><Workbook>", KindUnknown},
		{"binary", "abc\x00def", KindUnknown},
		{"empty", "", KindUnknown},
		{"blank", " \r\n\t", KindUnknown},
	}
	for _, tt := range tests {
		got, err := Detect([]byte(tt.head))
		if got != tt.want {
			t.Errorf("%s: Detect = %v, want %v", tt.name, got, tt.want)
		}
		if (tt.want == KindUnknown) != errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	if KindCSV.String() != "csv" || KindXLSX.String() != "xlsx" || KindUnknown.String() != "unknown" {
		t.Error("Kind.String")
	}
}

func TestNormalizeDocument(t *testing.T) {
	tests := map[string]string{
		"900.123.456-7":   "900123456", // NIT: check digit dropped
		"900123456-7":     "900123456",
		"900 123 456 - 7": "900123456",
		"1.020.304.050":   "1020304050",
		" 1020304050 ":    "1020304050",
		"9001234567":      "9001234567",
		"0012345":         "0012345",
		"xaxx010101000":   "XAXX010101000", // Mexican RFC
		"ABC-010101-AB1":  "ABC010101AB1",
		"AB-1":            "AB1",
		"12-3456789":      "123456789", // more than one digit after the hyphen
		"123-45-6789":     "123456789",
		"PE/20123456789":  "PE20123456789",
		"-":               "",
		"-5":              "5",
		"1.020.304.050\t": "1020304050",
		"12\u00a0345":     "12345",
		"12#34":           "12#34",
		"Ñ123":            "Ñ123",
		"900.123.456-7-8": "90012345678",
		"900.123.456--7":  "9001234567",
		"\u200b900123456": "900123456",
	}
	for in, want := range tests {
		if got := NormalizeDocument(in); got != want {
			t.Errorf("NormalizeDocument(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := map[string]string{
		"ACME":                   "ACME",
		"  ACME  SAS ":           "ACME SAS",
		"ACME\r\nSAS":            "ACME SAS",
		"\x07A\x00B\x1bC":        "ABC",
		"A\u200bB\ufeffC\u00adD": "ABCD",
		"José\u00a0Peña":         "José Peña",
		"\t\n":                   "",
		"Bogotá":                 "Bogotá",
		"a\xffb":                 "a\ufffdb",
	}
	for in, want := range tests {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = cleanText("Bogotá D.C.") }); n != 0 {
		t.Errorf("cleanText allocates %v on clean input", n)
	}
}

func TestEmailProblem(t *testing.T) {
	tests := map[string]string{
		"ana@example.com":         "",
		"ana.maria+cobro@mail.co": "",
		"pagos@empresa.com.co":    "",
		"josé@correo.co":          "",
		"a@b":                     CodeInvalidEmail,
		"@example.com":            CodeInvalidEmail,
		"ana@":                    CodeInvalidEmail,
		"ana example.com":         CodeInvalidEmail,
		"ana@ex ample.com":        CodeInvalidEmail,
		"ana@example..com":        CodeInvalidEmail,
		"ana@-example.com":        CodeInvalidEmail,
		".ana@example.com":        CodeInvalidEmail,
		"ana..b@example.com":      CodeInvalidEmail,
		"ana@example.c":           CodeInvalidEmail,
		"ana@1.2.3.4":             CodeInvalidEmail,
		"a@x.co;b@y.co":           CodeMultipleEmails,
		"a@x.co, b@y.co":          CodeMultipleEmails,
		"<ana@example.com>":       CodeInvalidEmail,
		"sin correo":              CodeInvalidEmail,
	}
	for in, want := range tests {
		if got := emailProblem(in); got != want {
			t.Errorf("emailProblem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"3001234567", "3001234567", true},
		{"300 123 4567", "3001234567", true},
		{"(601) 234-5678", "6012345678", true},
		{"+57 300 123 4567", "+573001234567", true},
		{"(+57) 300.123.4567", "+573001234567", true},
		{"+573001234567", "+573001234567", true},
		{"1234567", "1234567", true},
		{"123456", "", false},
		{"1234567890123456", "", false},
		{"300 1234567 / 310 7654321", "", false},
		{"300-123-4567 ext 5", "", false},
		{"57+3001234567", "", false},
		{"++573001234567", "", false},
		{"sin teléfono", "", false},
	}
	for _, tt := range tests {
		got, ok := normalizePhone(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIsScientific(t *testing.T) {
	for s, want := range map[string]bool{
		"1,02E+09": true, "1.02E+9": true, "9E+11": true, "1.5e-3": true,
		"1E5": false, "FE-1": false, "E+09": false, "1,02E+": false, "900123456": false, "1,02E+09X": false,
	} {
		if got := isScientific(s); got != want {
			t.Errorf("isScientific(%q) = %v", s, got)
		}
	}
}
