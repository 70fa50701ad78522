package addrtext

import (
	"strings"
	"unicode"
)

// variants maps traditional and look-alike characters met in addresses to
// the simplified forms the registry stores.
var variants = map[rune]rune{
	'號': '号', '區': '区', '鎮': '镇', '縣': '县', '單': '单', '樓': '楼', '棟': '栋',
	'門': '门', '寧': '宁', '貴': '贵', '駝': '驼', '濟': '济', '東': '东', '華': '华',
	'灣': '湾', '廣': '广', '場': '场', '莊': '庄', '鄉': '乡', '衛': '卫', '廠': '厂',
	'巿': '市', // U+5DFF, a look-alike of 市
	'○': '〇',
}

// fold maps one rune to its normal form: full-width ASCII to ASCII, the
// ideographic space to a space, dashes to '-', variants to simplified
// characters, Latin letters to upper case.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000 || r == 0x00A0:
		r = ' '
	case r == '‐' || r == '‑' || r == '‒' || r == '–' || r == '—' || r == '―' || r == '−':
		r = '-'
	}
	if v, ok := variants[r]; ok {
		r = v
	}
	if r >= 'a' && r <= 'z' {
		r -= 'a' - 'A'
	}
	return r
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// Normalize returns address text in the compact form the parser reads:
// folded (see fold), Chinese numerals before a number marker written in
// Arabic digits (八十八号 → 88号), 栋 and 座 after a number written 幢,
// and every space and punctuation mark removed — except one space between
// two numbers that nothing else separates (88 3 → "88 3"), and a '-'
// inside a house number (88-2).
func Normalize(s string) string {
	rs := make([]rune, 0, len(s))
	for _, r := range s {
		rs = append(rs, fold(r))
	}
	rs = arabicNumerals(rs)
	out := make([]rune, 0, len(rs))
	pendingSpace := false
	for i, r := range rs {
		switch {
		case isDigit(r):
			if pendingSpace && len(out) > 0 && isDigit(out[len(out)-1]) {
				out = append(out, ' ')
			}
			pendingSpace = false
			out = append(out, r)
		case r == '-':
			// A hyphen survives only between digits: 88-2.
			if len(out) > 0 && isDigit(out[len(out)-1]) && i+1 < len(rs) && isDigit(rs[i+1]) {
				out = append(out, r)
				pendingSpace = false
			} else {
				pendingSpace = true
			}
		case unicode.IsLetter(r) || unicode.Is(unicode.Han, r):
			pendingSpace = false
			if (r == '栋' || r == '座') && len(out) > 0 && isDigit(out[len(out)-1]) {
				r = '幢'
			}
			out = append(out, r)
		default: // space, punctuation, symbols, control characters
			pendingSpace = true
		}
	}
	return string(out)
}

// numeralValue maps Chinese digits to their values; multipliers are
// handled apart.
var numeralValue = map[rune]int{
	'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9,
}

var numeralUnit = map[rune]int{'十': 10, '百': 100, '千': 1000}

func isNumeral(r rune) bool {
	_, d := numeralValue[r]
	_, u := numeralUnit[r]
	return d || u
}

// markers are what may follow a number in an address.
var markers = []string{"号", "幢", "栋", "座", "单元", "室", "楼", "户", "层"}

func markerAt(rs []rune, i int) string {
	for _, m := range markers {
		mr := []rune(m)
		if i+len(mr) <= len(rs) && string(rs[i:i+len(mr)]) == m {
			return m
		}
	}
	return ""
}

// arabicNumerals rewrites each run of Chinese numerals that a number
// marker follows (spaces between them allowed) in Arabic digits. Runs
// anywhere else are left alone: 十里 in a road name is a name, not ten.
func arabicNumerals(rs []rune) []rune {
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); {
		if !isNumeral(rs[i]) {
			out = append(out, rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && isNumeral(rs[j]) {
			j++
		}
		k := j
		for k < len(rs) && rs[k] == ' ' {
			k++
		}
		if markerAt(rs, k) != "" {
			if v, ok := numeralString(rs[i:j]); ok {
				out = append(out, []rune(v)...)
				i = j
				continue
			}
		}
		out = append(out, rs[i:j]...)
		i = j
	}
	return out
}

// numeralString reads a run of Chinese numerals: positional with units
// (八十八 = 88, 一百零五 = 105, 十二 = 12) or digit by digit without them
// (五零一 = 501, as room numbers are read).
func numeralString(run []rune) (string, bool) {
	hasUnit := false
	for _, r := range run {
		if _, ok := numeralUnit[r]; ok {
			hasUnit = true
		}
	}
	if !hasUnit {
		var b strings.Builder
		for _, r := range run {
			b.WriteByte(byte('0' + numeralValue[r]))
		}
		return b.String(), true
	}
	total, digit, lastUnit := 0, -1, 10000
	for _, r := range run {
		if u, ok := numeralUnit[r]; ok {
			if u >= lastUnit {
				return "", false // 十百: not a number
			}
			if digit < 0 {
				digit = 1 // 十二: the leading 一 is implied
			}
			total += digit * u
			digit, lastUnit = -1, u
			continue
		}
		v := numeralValue[r]
		if digit > 0 && v > 0 {
			return "", false // two digits without a unit between them
		}
		if v > 0 || digit < 0 {
			digit = v
		}
	}
	if digit > 0 {
		total += digit
	}
	if total == 0 {
		return "", false
	}
	return itoa(total), true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
