package bankfile

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ReadAsobancaria reads a collection ("recaudo") file in the Asobancaria
// 2001 layout: fixed-width lines, each starting with its record type. The
// positions read (1-based, inclusive, as the standard counts them) are:
//
//	01 file header     1-2 type, 3-12 NIT of the collecting company,
//	                   13-20 collection date AAAAMMDD, 21-23 bank code,
//	                   24-40 account number, 41-48 file date, 49-52 time,
//	                   53 file modifier, 54-55 account type
//	05 batch header    1-2 type, 3-15 service code (EAN-13 or NIT), 16-19 batch number
//	06 detail          1-2 type, 3-50 user's main reference (48, the payment
//	                   reference, right-aligned, zero-padded),
//	                   51-64 amount collected (12 digits + 2 decimals),
//	                   65-66 origin, 67-68 payment means, 69-74 operation no.,
//	                   75-80 authorisation no., 81-83 debited bank,
//	                   84-87 branch, 88-94 sequence
//	08 batch control   1-2 type, 3-11 records in batch, 12-29 batch total
//	                   (16 digits + 2 decimals), 30-33 batch number
//	09 file control    1-2 type, 3-11 records in file, 12-29 file total
//	                   (16 + 2)
//
// Lines are usually padded with spaces to 162 characters; only the
// positions above are read. Source: the Asobancaria "Estándar de recaudo
// 2001" as implemented by banks' collection files and by public parsers
// (e.g. a PHP importer, UploadController::uploadFileAsobancaria, whose
// record comments list these widths); see docs/bank-files.md. Amounts are
// read in centavos (the two implied decimals), the minor unit of COP.
//
// The file's own controls are checked: each 08 against the 06 lines of its
// batch, the 09 against every 06 line (count and amount). A mismatch, an
// unknown record type or a malformed field is a LineError; the caller posts
// nothing from a file with errors.
func ReadAsobancaria(r io.Reader) (Result, error) {
	var res Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	var (
		header                    bool
		day                       time.Time
		nit, bank                 string
		batch                     string
		inBatch                   bool
		batchCount, fileCount     int64
		batchAmount, fileAmount   int64
		fileControlSeen           int
		line                      int
		sawDetailWithoutBatchHead bool
	)
	fail := func(code, format string, args ...any) {
		res.Errors = append(res.Errors, LineError{Line: line, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	for sc.Scan() {
		line++
		raw := strings.TrimRight(sc.Text(), "\r\n")
		if strings.TrimSpace(raw) == "" {
			continue
		}
		if len(raw) < 2 {
			fail("bad_record", "línea %d: registro demasiado corto", line)
			continue
		}
		switch raw[:2] {
		case "01":
			if header {
				fail("bad_record", "línea %d: segundo encabezado de archivo (registro 01)", line)
				continue
			}
			header = true
			if len(raw) < 23 {
				fail("bad_record", "línea %d: el registro 01 tiene %d caracteres, se esperaban al menos 23", line, len(raw))
				continue
			}
			nit, bank = strings.TrimSpace(raw[2:12]), raw[20:23]
			d, err := time.Parse("20060102", raw[12:20])
			if err != nil {
				fail("bad_date", "línea %d: fecha de recaudo no válida: %q (AAAAMMDD)", line, raw[12:20])
				continue
			}
			day = d
		case "05":
			if inBatch {
				fail("bad_record", "línea %d: lote sin registro de control (08) antes de este 05", line)
			}
			if len(raw) < 19 {
				fail("bad_record", "línea %d: el registro 05 tiene %d caracteres, se esperaban al menos 19", line, len(raw))
				continue
			}
			inBatch, batch, batchCount, batchAmount = true, raw[15:19], 0, 0
		case "06":
			if !inBatch && !sawDetailWithoutBatchHead {
				sawDetailWithoutBatchHead = true
				fail("bad_record", "línea %d: registro 06 fuera de un lote (sin registro 05)", line)
			}
			if len(raw) < 64 {
				fail("bad_record", "línea %d: el registro 06 tiene %d caracteres, se esperaban al menos 64", line, len(raw))
				continue
			}
			amt, err := digits(raw[50:64])
			if err != nil {
				fail("bad_amount", "línea %d: valor recaudado no válido: %q", line, raw[50:64])
				continue
			}
			batchCount++
			fileCount++
			batchAmount += amt
			fileAmount += amt
			ref := strings.TrimLeft(strings.TrimSpace(raw[2:50]), "0")
			seq := ""
			if len(raw) >= 94 {
				seq = strings.TrimLeft(strings.TrimSpace(raw[87:94]), "0")
			}
			m := Movement{Line: line, Date: day, Amount: amt, Reference: ref, Detail: strings.TrimSpace(field(raw, 64, 94))}
			if seq != "" {
				m.BankID = seq
			}
			// The bank, the company, the day, the batch and the sequence name
			// a collection; the line number stands in for a missing sequence.
			id := seq
			if id == "" {
				id = "l" + strconv.Itoa(line)
			}
			m.ID = movementID("aso2001", nit, bank, day.Format("20060102"), batch, id, ref, strconv.FormatInt(amt, 10))
			res.Movements = append(res.Movements, m)
		case "08":
			if len(raw) < 29 {
				fail("bad_record", "línea %d: el registro 08 tiene %d caracteres, se esperaban al menos 29", line, len(raw))
				inBatch = false
				continue
			}
			n, err1 := digits(raw[2:11])
			v, err2 := digits(raw[11:29])
			if err1 != nil || err2 != nil {
				fail("bad_control", "línea %d: totales de lote no válidos", line)
			} else if n != batchCount || v != batchAmount {
				fail("control_mismatch", "línea %d: el control del lote dice %d registros por %d y el lote tiene %d por %d", line, n, v, batchCount, batchAmount)
			}
			inBatch = false
		case "09":
			fileControlSeen++
			if len(raw) < 29 {
				fail("bad_record", "línea %d: el registro 09 tiene %d caracteres, se esperaban al menos 29", line, len(raw))
				continue
			}
			n, err1 := digits(raw[2:11])
			v, err2 := digits(raw[11:29])
			if err1 != nil || err2 != nil {
				fail("bad_control", "línea %d: totales de archivo no válidos", line)
			} else if n != fileCount || v != fileAmount {
				fail("control_mismatch", "línea %d: el control del archivo dice %d registros por %d y el archivo tiene %d por %d", line, n, v, fileCount, fileAmount)
			}
		default:
			fail("bad_record", "línea %d: tipo de registro desconocido: %q", line, raw[:2])
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if !header {
		line = 1
		fail("no_header", "el archivo no empieza con un encabezado Asobancaria (registro 01)")
		return res, nil
	}
	if inBatch {
		fail("bad_record", "línea %d: el último lote no tiene registro de control (08)", line)
	}
	if fileControlSeen != 1 {
		fail("no_control", "el archivo debe terminar con un registro de control (09)")
	}
	return res, nil
}

// digits reads a zero-padded unsigned number.
func digits(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a number: %q", s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func field(s string, from, to int) string {
	if from >= len(s) {
		return ""
	}
	return s[from:min(to, len(s))]
}
