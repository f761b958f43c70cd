package ingest

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// TableColumn is one column of a file that is not a portfolio (a bank
// statement, say) read with the same CSV/XLSX sources, header search and
// mapping rules as a portfolio: headers compared normalised, a mapping
// {"header in the file": "name or alias"} wins over detection.
type TableColumn struct {
	Name     string // the field name, also a mapping target
	Label    string // Spanish name used in messages
	Required bool
	Aliases  []string // normalised headers that mean this column
}

// Table streams the rows of a generic table. It is not safe for concurrent use.
type Table struct {
	src       source
	xlsx      bool
	date1904  bool
	order     DateOrder
	cols      []TableColumn
	at        []int // column index per cols entry, -1 when absent
	headerRow int
}

// TableRow is one non-blank row: Get returns a column's cleaned text.
type TableRow struct {
	Num   int
	cells []string
	t     *Table
}

// Get is the cleaned text of the named column ("" when absent).
func (r TableRow) Get(name string) string {
	for i, c := range r.t.cols {
		if c.Name == name {
			if k := r.t.at[i]; k >= 0 && k < len(r.cells) {
				return cleanText(r.cells[k])
			}
		}
	}
	return ""
}

// OpenTable reads the file in ra (CSV or XLSX, told by content) and finds
// its header among the first 10 non-blank rows; mapping and date order
// come from opts as for a portfolio. Errors are those of NewReader.
func OpenTable(ra io.ReaderAt, size int64, cols []TableColumn, opts Options) (*Table, error) {
	head := make([]byte, 4096)
	n, err := ra.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("ingest: read table: %w", err)
	}
	kind, err := Detect(head[:n])
	if err != nil {
		return nil, err
	}
	order := opts.DateOrder
	switch order {
	case "":
		order = OrderOf(opts.Locale)
	case DayFirst, MonthFirst:
	default:
		return nil, &HeaderError{Message: fmt.Sprintf("orden de fechas desconocido: %q (DMY o MDY)", order)}
	}
	t := &Table{cols: cols, order: order}
	rules, err := t.compile(opts.Mapping)
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindXLSX:
		limit := opts.MaxUncompressed
		if limit <= 0 {
			limit = DefaultMaxUncompressed
		}
		src, date1904, err := newXLSXSource(ra, size, limit)
		if err != nil {
			return nil, err
		}
		t.src, t.xlsx, t.date1904 = src, true, date1904
	case KindCSV:
		src, err := newCSVSource(io.NewSectionReader(ra, 0, size))
		if err != nil {
			return nil, err
		}
		t.src = src
	default:
		return nil, fmt.Errorf("%w: kind %v", ErrUnsupported, kind)
	}
	if err := t.findHeader(rules); err != nil {
		_ = t.src.close()
		return nil, err
	}
	return t, nil
}

// compile turns a mapping into normalised header -> column index (-1: ignore).
func (t *Table) compile(m map[string]string) (map[string]int, error) {
	out := map[string]int{}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		nk, nv := normalizeHeader(k), normalizeHeader(m[k])
		if nk == "" {
			problems = append(problems, fmt.Sprintf("el mapeo tiene una columna vacía (%q)", k))
			continue
		}
		if nv == "" || nv == "ignorar" || nv == "ignore" {
			out[nk] = -1
			continue
		}
		i := t.byAlias(nv)
		if i < 0 {
			problems = append(problems, fmt.Sprintf("campo desconocido en el mapeo: %q (columna %q)", m[k], k))
			continue
		}
		out[nk] = i
	}
	if len(problems) > 0 {
		return nil, &HeaderError{Message: strings.Join(problems, "; ")}
	}
	return out, nil
}

func (t *Table) byAlias(h string) int {
	for i, c := range t.cols {
		if h == c.Name || slices.Contains(c.Aliases, h) {
			return i
		}
	}
	return -1
}

func (t *Table) findHeader(rules map[string]int) error {
	var best *HeaderError
	bestScore := -1
	for tried := 0; tried < headerSearchRows; {
		row, err := t.src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if allBlank(row.cells) {
			continue
		}
		tried++
		at := make([]int, len(t.cols))
		for i := range at {
			at[i] = -1
		}
		score := 0
		for k, raw := range row.cells {
			h := normalizeHeader(raw)
			i, mapped := rules[h]
			if !mapped {
				i = t.byAlias(h)
			}
			if i >= 0 && at[i] < 0 {
				at[i] = k
				score++
			}
		}
		var missing []string
		for i, c := range t.cols {
			if c.Required && at[i] < 0 {
				missing = append(missing, c.Label)
			}
		}
		if len(missing) == 0 {
			t.at, t.headerRow = at, row.num
			return nil
		}
		if score > bestScore {
			bestScore = score
			best = &HeaderError{Missing: missing, Message: fmt.Sprintf("faltan columnas obligatorias: %s", strings.Join(missing, ", ")),
				Headers: trimmed(row.cells)}
		}
	}
	if best == nil {
		return &HeaderError{Message: "el archivo no tiene filas con datos"}
	}
	return best
}

// HeaderRow is the row number of the header.
func (t *Table) HeaderRow() int { return t.headerRow }

// Next returns the next row with content in a known column; io.EOF at the end.
func (t *Table) Next() (TableRow, error) {
	for {
		row, err := t.src.next()
		if err != nil {
			return TableRow{}, err
		}
		for _, k := range t.at {
			if k >= 0 && k < len(row.cells) && !isBlank(row.cells[k]) {
				return TableRow{Num: row.num, cells: row.cells, t: t}, nil
			}
		}
	}
}

// Date reads a date cell as the portfolio reader does (ISO, the file's
// day/month order, Excel serials in XLSX).
func (t *Table) Date(s string) (time.Time, error) {
	d, _, err := parseDate(s, t.xlsx, t.date1904, t.order)
	return d, err
}

// Close releases the XLSX temporary files; it does not close the source.
func (t *Table) Close() error { return t.src.close() }
