package standard

import (
	"fmt"
	"strings"
	"unicode"
)

// toHalfWidth maps full-width ASCII variants and the ideographic space to
// their ASCII forms. Chinese input methods produce full-width digits and
// letters that look identical to clerks but fail every check.
func toHalfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

// trimInvisible trims white space and the zero-width characters that
// spreadsheets and word processors leave around pasted values; they are
// invisible to the clerk who would otherwise be told the value is too long.
func trimInvisible(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
			return true
		}
		return unicode.IsSpace(r)
	})
}

// upperASCII upper-cases only a–z. Unicode case mapping would turn look-alike
// letters (such as the long s, U+017F) into valid code letters, which would
// hide a bad paste instead of reporting it.
func upperASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// charProblem explains why r is not a digit or an upper-case code letter.
// label names the position, e.g. "character 10".
func charProblem(label string, r rune) *Problem {
	switch {
	case r >= 'a' && r <= 'z':
		return problemf("%s must be upper case, got %q", label, r)
	case r >= 0xFF01 && r <= 0xFF5E:
		return problemf("%s is the full-width character %q; use half-width characters", label, r)
	case r == 'I' || r == 'O' || r == 'S' || r == 'V' || r == 'Z':
		return problemf("%s must not be %q: the letters I, O, S, V and Z are not used", label, r)
	}
	return problemf("%s must be a digit or an upper-case letter, got %q", label, r)
}

// digitProblem explains why r is not an ASCII digit.
func digitProblem(label string, r rune) *Problem {
	if r >= '０' && r <= '９' {
		return problemf("%s is the full-width digit %q; use half-width digits", label, r)
	}
	return problemf("%s must be a digit, got %q", label, r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// allDigits reports whether s is non-empty and made only of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(rune(s[i])) {
			return false
		}
	}
	return true
}

// atoi converts a string already known to be ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// characters spells a count of characters for a reason.
func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return fmt.Sprintf("%d characters", n)
}
