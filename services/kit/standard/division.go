package standard

import (
	"fmt"
	"unicode/utf8"
)

// Division is a named administrative division.
type Division struct {
	Code string
	Name string
}

// Zhenhai lists the divisions zhbase is built around: the province, city and
// district containing Zhenhai, followed by its seven township-level units, in
// code order. Treat it as read-only; it is a variable only because Go has no
// constant slices.
var Zhenhai = []Division{
	{"330000", "浙江省"},
	{"330200", "宁波市"},
	{"330211", "镇海区"},
	{"330211001000", "招宝山街道"},
	{"330211002000", "蛟川街道"},
	{"330211003000", "骆驼街道"},
	{"330211004000", "庄市街道"},
	{"330211005000", "贵驷街道"},
	{"330211100000", "澥浦镇"},
	{"330211101000", "九龙湖镇"},
}

// CheckDivisionCode checks an administrative division code. Province, city
// and county-level units have 6-digit GB/T 2260 codes (330000, 330200,
// 330211); townships and villages have 12-digit statistical codes
// (330211001000, 330211001001).
//
// The 12-digit padding of a 6-digit code (330211000000), which the statistics
// bureau's tables also print, is refused: giving every unit exactly one
// spelling is what lets division codes be compared and joined as strings.
//
// Only the shape and the province are checked; whether a city, county or
// township code was ever issued needs the code tables, which change yearly.
func CheckDivisionCode(code string) error {
	n := utf8.RuneCountInString(code)
	if n != 6 && n != 12 {
		return problemf("must be 6 or 12 digits, got %s", characters(n))
	}
	pos := 0
	for _, r := range code {
		pos++
		if !isDigit(r) {
			return digitProblem(fmt.Sprintf("character %d", pos), r)
		}
	}
	if !isProvince(atoi(code[:2])) {
		return problemf("starts with %s, which is not a province code", code[:2])
	}
	city, county := code[2:4], code[4:6]
	if n == 6 {
		if city == "00" && county != "00" {
			return problemf("has a county part but no city part (characters 3–4 are 00)")
		}
		return nil
	}
	township, village := code[6:9], code[9:12]
	switch {
	case city == "00":
		return problemf("a township or village code needs a city part (characters 3–4 must not be 00)")
	case township == "000" && village == "000":
		return problemf("a 12-digit code names a township or village; write this unit's code as %s", code[:6])
	case township == "000":
		return problemf("has a village part but no township part (characters 7–9 are 000)")
	}
	return nil
}

// DivisionLevel returns 1 for a province, 2 for a city, 3 for a county, 4 for
// a township and 5 for a village or community, or 0 if CheckDivisionCode
// refuses the code.
func DivisionLevel(code string) int {
	if CheckDivisionCode(code) != nil {
		return 0
	}
	switch {
	case len(code) == 12 && code[9:] != "000":
		return 5
	case len(code) == 12:
		return 4
	case code[4:6] != "00":
		return 3
	case code[2:4] != "00":
		return 2
	}
	return 1
}

// DivisionParent returns the code of the unit directly containing code, or ""
// for a province or a code CheckDivisionCode refuses. A township's parent is
// the 6-digit code in front of it, which is a city for the few cities without
// counties (such as 东莞 441900).
func DivisionParent(code string) string {
	switch DivisionLevel(code) {
	case 5:
		return code[:9] + "000"
	case 4:
		return code[:6]
	case 3:
		return code[:4] + "00"
	case 2:
		return code[:2] + "0000"
	}
	return ""
}

// DivisionAncestors returns the codes of every unit containing code, province
// first, not including code itself; it is empty for a province or a code
// CheckDivisionCode refuses.
func DivisionAncestors(code string) []string {
	var up []string
	for p := DivisionParent(code); p != ""; p = DivisionParent(p) {
		up = append(up, p)
	}
	for i, j := 0, len(up)-1; i < j; i, j = i+1, j-1 {
		up[i], up[j] = up[j], up[i]
	}
	return up
}
