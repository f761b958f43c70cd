package ingest

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// DefaultMaxUncompressed bounds what an XLSX may unpack to.
const DefaultMaxUncompressed = 200 << 20

type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	num  int
}

// checkZip refuses, from the zip central directory alone, an archive whose
// declared uncompressed size passes limit. Declared sizes bound memory
// because archive/zip stops a read at the declared size. It then inflates
// every entry once into io.Discard to check sizes and CRCs: excelize ignores
// read errors, so a truncated or forged worksheet would otherwise import
// part of its rows without a word.
func checkZip(ra io.ReaderAt, size, limit int64) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		// It starts like a zip (Detect said so): truncated or damaged.
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	var total uint64
	workbook := false
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(limit) || total > uint64(limit) {
			return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
		if strings.EqualFold(strings.ReplaceAll(f.Name, `\`, "/"), "xl/workbook.xml") {
			workbook = true
		}
	}
	if !workbook {
		// A .docx, .ods or any other zip.
		return fmt.Errorf("%w: zip without an Excel workbook", ErrUnsupported)
	}
	for _, f := range zr.File {
		if err := verifyEntry(f); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, f.Name, err)
		}
	}
	return nil
}

func verifyEntry(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, rc)
	return errors.Join(err, rc.Close())
}

func newXLSXSource(ra io.ReaderAt, size, limit int64) (*xlsxSource, bool, error) {
	if err := checkZip(ra, size, limit); err != nil {
		return nil, false, err
	}
	// Only the compressed file is held in memory; worksheets bigger than
	// UnzipXMLSizeLimit are spooled to a temporary file by excelize.
	f, err := excelize.OpenReader(io.NewSectionReader(ra, 0, size), excelize.Options{
		RawCellValue:      true, // dates as serial numbers, numbers unformatted
		UnzipSizeLimit:    limit,
		UnzipXMLSizeLimit: min(limit, excelize.StreamChunkSize),
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return nil, false, fmt.Errorf("%w: %v", ErrTooLarge, err)
		}
		return nil, false, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, false, fmt.Errorf("%w: workbook without sheets", ErrCorrupt)
	}
	date1904 := false
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		date1904 = *p.Date1904
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return nil, false, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &xlsxSource{f: f, rows: rows}, date1904, nil
}

func (x *xlsxSource) next() (row, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return row{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return row{}, io.EOF
	}
	// Next steps through every row number, gaps included, so counting calls
	// gives the row Excel shows.
	x.num++
	cells, err := x.rows.Columns()
	if err != nil {
		return row{}, fmt.Errorf("%w: row %d: %v", ErrCorrupt, x.num, err)
	}
	return row{cells: cells, num: x.num}, nil
}

func (x *xlsxSource) close() error {
	return errors.Join(x.rows.Close(), x.f.Close())
}
