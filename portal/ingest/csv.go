package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// peekLen is how much of a CSV is inspected to choose the encoding and the
// delimiter; only this much is ever buffered.
const peekLen = 64 << 10

// maxRecordLines flags a record spanning more lines than any real cell
// would: with LazyQuotes, an opening quote that is never closed swallows
// the rest of the file into one cell.
const maxRecordLines = 50

// row is one spreadsheet row handed to the Reader; cells are only valid
// until the next call.
type row struct {
	cells []string
	num   int  // Excel row number
	runOn bool // the record ran on suspiciously (see maxRecordLines)
}

type csvSource struct {
	r       *csv.Reader
	num     int // Excel row of the last record
	endLine int // line on which the last record ended
}

// newCSVSource sets up decoding and the delimiter, reading at most peekLen
// bytes ahead.
func newCSVSource(src io.Reader) (*csvSource, error) {
	raw := bufio.NewReaderSize(src, peekLen)
	head, err := raw.Peek(peekLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	atEOF := len(head) < peekLen

	var t transform.Transformer
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		_, _ = raw.Discard(3)
		t = textDecoder{}
	case bytes.HasPrefix(head, []byte("\xFF\xFE")):
		t = transform.Chain(unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder(), textDecoder{})
	case bytes.HasPrefix(head, []byte("\xFE\xFF")):
		t = transform.Chain(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder(), textDecoder{})
	case looksUTF8(head, atEOF):
		t = textDecoder{}
	default:
		t = textDecoder{cp1252: true}
	}

	text := bufio.NewReaderSize(transform.NewReader(raw, t), peekLen)
	sample, err := text.Peek(peekLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("decode csv: %w", err)
	}
	r := csv.NewReader(text)
	r.Comma = sniffDelimiter(sample)
	r.LazyQuotes = true // bare quotes in unquoted cells (15" monitor) are common
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return &csvSource{r: r}, nil
}

func (c *csvSource) next() (row, error) {
	rec, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return row{}, io.EOF
		}
		return row{}, fmt.Errorf("read csv: %w", err)
	}
	// An Excel row is a CSV record, not a line: a quoted cell with line
	// breaks stays in one row, so the row number is the record index + 1,
	// plus the empty lines encoding/csv skips (Excel shows them as rows).
	start, _ := c.r.FieldPos(0)
	c.num += start - c.endLine
	last := len(rec) - 1
	lastLine, _ := c.r.FieldPos(last)
	c.endLine = lastLine + strings.Count(rec[last], "\n")
	return row{cells: rec, num: c.num, runOn: c.endLine-start > maxRecordLines}, nil
}

func (c *csvSource) close() error { return nil }

// looksUTF8 validates the sample, ignoring a character cut at its end.
func looksUTF8(b []byte, atEOF bool) bool {
	if !atEOF {
		for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
			if utf8.RuneStart(b[len(b)-i]) {
				if !utf8.FullRune(b[len(b)-i:]) {
					b = b[:len(b)-i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// sniffDelimiter picks ';', ',' or tab: the one with the highest count on
// a single line (outside quotes) among the first 10 lines. A header line
// has one delimiter per column, more than a title row above it
// ("Cartera, enero") or a stray comma in a data cell usually has.
// Ties go to ';', which Spanish-locale Excel writes.
func sniffDelimiter(b []byte) rune {
	cands := [3]byte{';', ',', '\t'}
	var best, cur [3]int
	inQuote := false
	lines := 0
	flush := func() {
		for i := range cur {
			best[i] = max(best[i], cur[i])
			cur[i] = 0
		}
		lines++
	}
	for _, c := range b {
		if lines == 10 {
			break
		}
		switch c {
		case '"':
			inQuote = !inQuote
		case '\n':
			if !inQuote {
				flush()
			}
		default:
			for i, d := range cands {
				if c == d && !inQuote {
					cur[i]++
				}
			}
		}
	}
	flush()
	pick := 0
	for i := range cands {
		if best[i] > best[pick] {
			pick = i
		}
	}
	if best[pick] == 0 {
		return ','
	}
	return rune(cands[pick])
}

// win1252 decodes Windows-1252, the code page Excel uses for "CSV" on
// Spanish-locale Windows.
var win1252 = func() (t [256]rune) {
	for i := range t {
		t[i] = charmap.Windows1252.DecodeByte(byte(i))
	}
	return t
}()

// textDecoder produces UTF-8 for encoding/csv. In cp1252 mode every byte is
// Windows-1252. Otherwise valid UTF-8 passes through and a byte that is not
// valid UTF-8 is read as Windows-1252: the encoding is chosen from the first
// 64 KiB, and a UTF-8 file may still carry a name pasted from a 1252 file
// further down. A lone CR (CSV saved by old Mac Excel) becomes LF, the only
// line end encoding/csv knows.
type textDecoder struct{ cp1252 bool }

func (textDecoder) Reset() {}

func (d textDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if c == '\r' {
				if nSrc+1 == len(src) && !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				if nSrc+1 == len(src) || src[nSrc+1] != '\n' {
					c = '\n'
				}
			}
			if nDst == len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := win1252[c], 1
		if !d.cp1252 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if ur, us := utf8.DecodeRune(src[nSrc:]); ur != utf8.RuneError || us > 1 {
				r, size = ur, us
			}
		}
		if len(dst)-nDst < utf8.RuneLen(r) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	return nDst, nSrc, nil
}
