package population

import (
	"errors"
	"fmt"
	"strings"
)

// Phone numbers are stored in one spelling each, so that they compare and
// mask alike: a mainland mobile number as its 11 digits (13812345678), a
// landline as area code, hyphen, local number (0574-86123456). Area codes
// of three digits are exactly 010 and 02x; every other begins 0[3-9] and
// has four. A local number has 7 or 8 digits and never begins with 0 or 1,
// which dial prefixes.

// NormalizePhone rewrites a phone number as typed into its stored
// spelling: full-width characters made half-width, blanks dropped, a +86
// or 0086 country prefix removed, "(0574)86123456", "0574 8612 3456" and
// "057486123456" written 0574-86123456. It only reformats: anything it
// cannot read is returned tidied but otherwise as given, for CheckPhone to
// refuse.
func NormalizePhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x2010 || r == 0x2011 || r == 0x2012 || r == 0x2013 || r == 0x2014 || r == 0x2212:
			r = '-' // the dashes a word processor substitutes
		}
		switch r {
		case ' ', '\t', 0x3000, 0x00A0:
			continue
		}
		b.WriteRune(r)
	}
	tidied := b.String()
	t := tidied
	for _, p := range []string{"+86-", "+86", "0086-", "0086"} {
		if rest, ok := strings.CutPrefix(t, p); ok {
			t = rest
			break
		}
	}
	if rest, ok := strings.CutPrefix(t, "86"); ok && len(rest) == 11 && rest[0] == '1' && allDigits(rest) {
		t = rest
	}
	// (0574)86123456 → 0574-86123456
	if strings.HasPrefix(t, "(") {
		if area, local, ok := strings.Cut(t[1:], ")"); ok {
			t = area + "-" + strings.TrimPrefix(local, "-")
		}
	}
	digits := strings.ReplaceAll(t, "-", "")
	switch {
	case digits == "" || !allDigits(digits):
	case digits[0] == '1':
		return digits // a mobile number is written without separators
	case areaCodeLen(digits) > 0 && len(digits) > areaCodeLen(digits):
		n := areaCodeLen(digits)
		return digits[:n] + "-" + digits[n:]
	}
	// Unreadable: leave it as typed, only tidied, so that normalising
	// again changes nothing.
	return tidied
}

// areaCodeLen is the length of the area code a landline number in digits
// begins with, 0 when it begins with none.
func areaCodeLen(digits string) int {
	switch {
	case len(digits) < 3 || digits[0] != '0':
		return 0
	case digits[1] == '1' && digits[2] == '0', digits[1] == '2':
		return 3
	case digits[1] >= '3' && len(digits) >= 4:
		return 4
	}
	return 0
}

// CheckPhone checks a phone number in its stored spelling (see
// NormalizePhone). Its reasons never quote the number.
func CheckPhone(s string) error {
	if s == "" {
		return errors.New("is empty")
	}
	area, local, landline := strings.Cut(s, "-")
	if !landline {
		switch {
		case !allDigits(s):
			return errors.New("must be a mobile number of 11 digits or a landline written as area code, hyphen, number (0574-86123456)")
		case s[0] == '1' && len(s) != 11:
			return fmt.Errorf("a mobile number has 11 digits, this one %d", len(s))
		case s[0] == '1' && (s[1] < '3' || s[1] > '9'):
			return errors.New("a mobile number begins 13 to 19")
		case s[0] == '1':
			return nil
		}
		return errors.New("must be a mobile number of 11 digits or a landline written as area code, hyphen, number (0574-86123456)")
	}
	switch {
	case area == "" || !allDigits(area) || !allDigits(local):
		return errors.New("a landline is written as area code, hyphen, number, digits only (0574-86123456)")
	case areaCodeLen(area) != len(area):
		return errors.New("the area code must be 010, 02x or a four-digit code beginning 03 to 09")
	case len(local) < 7 || len(local) > 8:
		return fmt.Errorf("a local number has 7 or 8 digits, this one %d", len(local))
	case local[0] == '0' || local[0] == '1':
		return errors.New("a local number does not begin with 0 or 1")
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
