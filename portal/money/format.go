package money

// Format writes minor units as people in locale read them, always with 2
// decimals: es-CO "$ 1.234.567,89", es-MX "$1,234.56", es-PE "S/ 1,234.56",
// en-US "$1,234,567.89". The locale's own currency takes its sign; USD
// elsewhere is "US$"; any other currency shows its ISO code ("COP 1,234.56").
// An unknown locale is written as en-US. Negatives get a leading minus.
// Format never fails, so it can be used in templates and PDFs; Parse of its
// output gives the amount back.
func Format(amount int64, currency, locale string) string {
	l, ok := locales[locale]
	if !ok {
		l = locales["en-US"]
	}
	sign, space := l.sign, l.space
	switch {
	case currency == "" || currency == l.currency:
	case currency == "USD":
		sign = "US$"
	default:
		sign, space = currency, true
	}

	// uint64 holds the magnitude of math.MinInt64, which int64 cannot.
	u := uint64(amount)
	if amount < 0 {
		u = ^u + 1
	}
	units, cents := u/100, u%100

	var digits [20]byte
	i := len(digits)
	for {
		i--
		digits[i] = byte('0' + units%10)
		units /= 10
		if units == 0 {
			break
		}
	}
	d := digits[i:]

	buf := make([]byte, 0, 40)
	if amount < 0 {
		buf = append(buf, '-')
	}
	buf = append(buf, sign...)
	if space {
		buf = append(buf, ' ')
	}
	for j, c := range d {
		if j > 0 && (len(d)-j)%3 == 0 {
			buf = append(buf, l.thousands)
		}
		buf = append(buf, c)
	}
	buf = append(buf, l.decimal, byte('0'+cents/10), byte('0'+cents%10))
	return string(buf)
}

// Marks returns the grouping and decimal marks of locale (en-US's for an
// unknown one), for figures that are not money (counts, percentages).
func Marks(locale string) (thousands, decimal byte) {
	l, ok := locales[locale]
	if !ok {
		l = locales["en-US"]
	}
	return l.thousands, l.decimal
}
