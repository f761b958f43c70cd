// Package money handles amounts as int64 minor units (centavos, cents,
// céntimos) and the way people in each supported locale write them.
// Floats are never used: a balance must add up to the cent.
package money

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by Parse, ParseCurrency and Exponent.
var (
	ErrEmpty           = errors.New("money: empty amount")
	ErrSyntax          = errors.New("money: invalid amount")
	ErrNotPositive     = errors.New("money: amount must be greater than zero")
	ErrTooManyDecimals = errors.New("money: more than 2 decimals")
	ErrOverflow        = errors.New("money: amount too large")
	ErrUnknownCurrency = errors.New("money: unknown currency")
	ErrUnknownLocale   = errors.New("money: unknown locale")
)

// Exponent returns the number of minor-unit digits of an ISO 4217 currency.
func Exponent(currency string) (int, error) {
	switch currency {
	case "COP", "MXN", "PEN", "USD":
		// COP has no coins below one peso in use, but ISO 4217 and every
		// ERP export keep 2 decimals; storing centavos avoids lossy rounding.
		return 2, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownCurrency, currency)
}

// Currencies lists the ISO codes this package knows, in a stable order.
func Currencies() []string { return []string{"COP", "MXN", "PEN", "USD"} }

// LocaleCurrency returns the home currency of a locale ("es-CO" -> "COP").
func LocaleCurrency(locale string) (string, error) {
	l, err := lookupLocale(locale)
	if err != nil {
		return "", err
	}
	return l.currency, nil
}

// locale describes how one locale writes amounts.
type locale struct {
	thousands  byte   // grouping separator
	decimal    byte   // decimal separator
	apostrophe bool   // accepts ' as a grouping mark (Colombian "1'234.567")
	currency   string // home currency
	sign       string // sign of the home currency
	space      bool   // space between sign and number
}

var locales = map[string]*locale{
	"es-CO": {thousands: '.', decimal: ',', apostrophe: true, currency: "COP", sign: "$", space: true},
	"es-MX": {thousands: ',', decimal: '.', currency: "MXN", sign: "$"},
	"es-PE": {thousands: ',', decimal: '.', currency: "PEN", sign: "S/", space: true},
	"en-US": {thousands: ',', decimal: '.', currency: "USD", sign: "$"},
}

func lookupLocale(name string) (*locale, error) {
	if l, ok := locales[name]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownLocale, name)
}
