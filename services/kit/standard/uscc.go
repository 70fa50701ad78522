package standard

import (
	"fmt"
	"unicode/utf8"
)

// usccAlphabet is the GB 32100-2015 code alphabet. I, O, S, V and Z are left
// out because they are easily mistaken for 1, 0, 5, U and 2 in handwriting.
// A character's value is its index here.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^i mod 31, as tabulated in the standard.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccAuthorities are the registration-authority codes of GB 32100-2015
// Appendix A (1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教,
// 8 工会, 9 工商, A 中央军委改革和编制办公室, N 农业, Y 其他).
const usccAuthorities = "123456789ANY"

func usccValue(r rune) int {
	if r >= utf8.RuneSelf {
		return -1
	}
	for i := 0; i < len(usccAlphabet); i++ {
		if usccAlphabet[i] == byte(r) {
			return i
		}
	}
	return -1
}

func isUSCCAuthority(r rune) bool {
	for _, a := range usccAuthorities {
		if a == r {
			return true
		}
	}
	return false
}

// usccCheck computes the check character of 17 characters already known to
// be in the alphabet.
func usccCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += usccValue(rune(first17[i])) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// NormalizeUSCC turns a code as typed or pasted into the form CheckUSCC
// expects: surrounding blanks removed, full-width characters made half-width
// and letters upper-cased. It does not make an invalid code valid.
func NormalizeUSCC(s string) string {
	return upperASCII(trimInvisible(toHalfWidth(s)))
}

// USCCCheckChar returns the check character for the first 17 characters of a
// unified social credit code. It only requires the characters to come from
// the code alphabet; whether they form a sensible code is CheckUSCC's job.
func USCCCheckChar(first17 string) (byte, error) {
	if n := utf8.RuneCountInString(first17); n != 17 {
		return 0, problemf("must be 17 characters, got %d", n)
	}
	pos := 0
	for _, r := range first17 {
		pos++
		if usccValue(r) < 0 {
			return 0, charProblem(fmt.Sprintf("character %d", pos), r)
		}
	}
	return usccCheck(first17), nil
}

// CheckUSCC checks a unified social credit code (统一社会信用代码). Lower-case
// letters are refused; pass the input through NormalizeUSCC first if it comes
// from a person.
//
// The organisation-type character (position 2) is only checked against the
// alphabet: the type lists per authority have been extended by ministries
// since 2015, and refusing a type we do not know would refuse real codes. For
// the same reason the area code (positions 3–8) must be digits but is not
// looked up: central bodies use 100000 and codes keep the area of a division
// that has since been abolished.
//
// When the code is well-formed and only the check character disagrees, the
// returned *Problem has CheckCharOnly set.
func CheckUSCC(code string) error {
	if n := utf8.RuneCountInString(code); n != 18 {
		return problemf("must be 18 characters, got %d", n)
	}
	pos := 0
	for _, r := range code {
		pos++
		if usccValue(r) < 0 {
			if pos == 18 {
				return charProblem("the check character", r)
			}
			return charProblem(fmt.Sprintf("character %d", pos), r)
		}
		switch {
		case pos == 1 && !isUSCCAuthority(r):
			return problemf("character 1 (registration authority) must be one of 1–9, A, N or Y, got %q", r)
		case pos >= 3 && pos <= 8 && !isDigit(r):
			return problemf("character %d must be a digit (characters 3–8 are the area code), got %q", pos, r)
		}
	}
	// All 18 runes are ASCII now, so byte offsets are positions.
	if want := usccCheck(code[:17]); want != code[17] {
		return &Problem{
			Reason:        fmt.Sprintf("check character should be %q, got %q", rune(want), rune(code[17])),
			CheckCharOnly: true,
		}
	}
	return nil
}

// MakeUSCC builds a valid unified social credit code from its parts, for
// demo-data generators and tests. area is the 6-digit division code and
// orgCode the 9-character organisation code (positions 9–17).
func MakeUSCC(authority, orgType byte, area string, orgCode string) (string, error) {
	if !isUSCCAuthority(rune(authority)) {
		return "", problemf("registration authority must be one of 1–9, A, N or Y, got %q", rune(authority))
	}
	if usccValue(rune(orgType)) < 0 {
		return "", charProblem("the organisation type", rune(orgType))
	}
	if len(area) != 6 || !allDigits(area) {
		return "", problemf("area code must be 6 digits")
	}
	if n := utf8.RuneCountInString(orgCode); n != 9 {
		return "", problemf("organisation code must be 9 characters, got %d", n)
	}
	pos := 0
	for _, r := range orgCode {
		pos++
		if usccValue(r) < 0 {
			return "", charProblem(fmt.Sprintf("organisation code character %d", pos), r)
		}
	}
	first17 := string([]byte{authority, orgType}) + area + orgCode
	return first17 + string(usccCheck(first17)), nil
}
