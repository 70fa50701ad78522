package standard

import (
	"strings"
	"unicode/utf8"
)

// maxIntegerDigits keeps amounts inside DECIMAL(20,2), the column type both
// SQLite and PostgreSQL store exactly, and inside int64 fen (分).
const maxIntegerDigits = 18

// CheckDecimalAmount checks a money amount written as a plain decimal: digits,
// optionally a point and one or two digits, with no sign, exponent, grouping
// or leading zeros. Amounts are exchanged as strings rather than floats so
// that 0.1 yuan stays 0.1 yuan; this strict form means two equal amounts are
// always spelt alike once normalized.
func CheckDecimalAmount(s string) error {
	if s == "" {
		return problemf("must not be empty")
	}
	switch s[0] {
	case '-':
		return problemf("must not be negative")
	case '+':
		return problemf("must not start with '+'")
	}
	if looksExponent(s) {
		return problemf("must not use exponent notation")
	}
	if strings.ContainsAny(s, ",，") {
		return problemf("must not contain commas: write no thousands separators and use '.' as the decimal point")
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if intPart == "" {
		return problemf("must have a digit before the decimal point")
	}
	if hasPoint && frac == "" {
		return problemf("must have a digit after the decimal point")
	}
	for _, part := range []string{intPart, frac} {
		for _, r := range part {
			if !isDigit(r) {
				if r == '.' {
					return problemf("must have at most one decimal point")
				}
				return digitProblem("every character other than the decimal point", r)
			}
		}
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return problemf("must not have leading zeros")
	}
	if len(intPart) > maxIntegerDigits {
		return problemf("must have at most %d digits before the decimal point, got %d", maxIntegerDigits, len(intPart))
	}
	if len(frac) > 2 {
		return problemf("must have at most 2 digits after the decimal point, got %d", len(frac))
	}
	return nil
}

// looksExponent recognises 1e5, 1.5E+06 and the like, which spreadsheets
// produce for large numbers, so the clerk hears what went wrong rather than
// that 'e' is not a digit.
func looksExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i <= 0 {
		return false
	}
	mant, exp := s[:i], strings.TrimLeft(s[i+1:], "+-")
	return strings.Trim(mant, "0123456789.") == "" && strings.Trim(mant, ".") != "" && allDigits(exp)
}

// NormalizeAmount writes an amount accepted by CheckDecimalAmount with exactly
// two fraction digits ("5000000" → "5000000.00"), so that stored amounts
// compare equal as strings. Anything CheckDecimalAmount refuses is returned
// unchanged; check first.
func NormalizeAmount(s string) string {
	if CheckDecimalAmount(s) != nil {
		return s
	}
	intPart, frac, _ := strings.Cut(s, ".")
	return intPart + "." + frac + "00"[len(frac):]
}

// CheckCurrency checks that s has the shape of an ISO 4217 alphabetic code
// (three upper-case letters, such as CNY). It does not consult the list of
// codes, which changes more often than this package would be redeployed.
func CheckCurrency(s string) error {
	if n := utf8.RuneCountInString(s); n != 3 {
		return problemf("must be 3 letters, got %s", characters(n))
	}
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
		case r >= 'a' && r <= 'z':
			return problemf("must be upper case, got %q", r)
		default:
			return problemf("must be 3 upper-case letters, got %q", r)
		}
	}
	return nil
}
