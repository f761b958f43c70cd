package bankfile

import (
	"fmt"
	"strings"
	"time"
)

// Collection is one payment to write in an Asobancaria file.
type Collection struct {
	Reference string
	Amount    int64 // centavos
}

// BuildAsobancaria writes an Asobancaria 2001 collection file with correct
// controls (one batch per slice of batches), lines padded to 162: for demo
// data, tests and a bank that wants a sample.
func BuildAsobancaria(nit, bank string, day time.Time, batches ...[]Collection) []byte {
	var b strings.Builder
	pad := func(s string) { b.WriteString(fmt.Sprintf("%-162s\r\n", s)) }
	d := day.Format("20060102")
	pad(fmt.Sprintf("01%010s%s%03s%017s%s%s%s%s", nit, d, bank, "12345678901", d, "0800", "A", "01"))
	var n, total int64
	seq := 0
	for i, bt := range batches {
		pad(fmt.Sprintf("05%013s%04d", nit, i+1))
		var bn, bv int64
		for _, c := range bt {
			seq++
			pad(fmt.Sprintf("06%048s%014d%02s%02s%06d%06d%03s%04s%07d", c.Reference, c.Amount, "01", "10", seq, seq, bank, "0001", seq))
			bn++
			bv += c.Amount
		}
		pad(fmt.Sprintf("08%09d%018d%04d", bn, bv, i+1))
		n += bn
		total += bv
	}
	pad(fmt.Sprintf("09%09d%018d", n, total))
	return []byte(b.String())
}
