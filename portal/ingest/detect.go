package ingest

import (
	"bytes"
	"fmt"
)

// SniffLen is how many leading bytes Detect wants to see.
const SniffLen = 512

// signatures of files people upload by mistake; some have no NUL byte in
// their first bytes and would otherwise pass for text.
var signatures = []struct {
	magic, what string
}{
	{"%PDF-", "PDF"},
	{"\x89PNG", "PNG"},
	{"\xFF\xD8\xFF", "JPEG"},
	{"GIF8", "GIF"},
	{"\x1F\x8B", "gzip"},
	{"\xD0\xCF\x11\xE0", "legacy .xls or password-protected workbook"},
	{"PK\x05\x06", "empty zip"},
	{"Rar!", "RAR"},
	{"7z\xBC\xAF", "7z"},
}

// Detect tells the format from the first bytes of a file (SniffLen is
// enough), never from its name. A zip is taken for XLSX (NewReader checks it
// holds a workbook); UTF-16 text with a BOM (Excel's "Unicode text") and
// text without NUL bytes are CSV. Anything else, an empty file included, is
// ErrUnsupported.
func Detect(head []byte) (Kind, error) {
	if len(head) == 0 {
		return KindUnknown, fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return KindXLSX, nil
	}
	for _, s := range signatures {
		if bytes.HasPrefix(head, []byte(s.magic)) {
			return KindUnknown, fmt.Errorf("%w: %s", ErrUnsupported, s.what)
		}
	}
	if bytes.HasPrefix(head, []byte("\xFF\xFE")) || bytes.HasPrefix(head, []byte("\xFE\xFF")) {
		return KindCSV, nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return KindUnknown, fmt.Errorf("%w: binary file", ErrUnsupported)
	}
	// ERPs often save an HTML or XML table with an .xls name.
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	if len(text) > 0 && text[0] == '<' {
		return KindUnknown, fmt.Errorf("%w: HTML or XML document", ErrUnsupported)
	}
	if len(text) == 0 {
		return KindUnknown, fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	return KindCSV, nil
}
