package mask

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestIDNumber(t *testing.T) {
	tests := []struct{ rule, in, want string }{
		{"an 18-character number keeps its area and last 4", "330211198001011234", "330211********1234"},
		{"a check character X is kept like a digit", "11010519491231002X", "110105********002X"},
		{"a lower-case x is kept as typed", "11010519491231002x", "110105********002x"},
		{"a 15-digit number keeps its area and sequence", "330211800101123", "330211******123"},
		{"a number of another length is masked completely", "3302111980010112", "****************"},
		{"a number with a blank is masked completely", "330211 98001011234", "******************"},
		{"full-width digits are masked completely", "３３０２１１１９８００１０１１２３４", "******************"},
		{"an X anywhere but last is masked completely", "3302111980X1011234", "******************"},
		{"a 15-character value with an X is masked completely", "33021180010112X", "***************"},
		{"CJK text of ID length is masked completely", strings.Repeat("镇", 18), strings.Repeat("*", 18)},
		{"an empty value stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := IDNumber(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPhone(t *testing.T) {
	tests := []struct{ rule, in, want string }{
		{"a mobile number keeps its first 3 and last 4 digits", "13812341234", "138****1234"},
		{"blanks are kept and do not count as digits", "138 1234 1234", "138 **** 1234"},
		{"a landline keeps at most half its digits", "0574-86123456", "057*-*****456"},
		{"an 8-digit number keeps 2 and 2", "86123456", "86****56"},
		{"a 10-digit number keeps 2 and 3", "0574861234", "05*****234"},
		{"a country code counts as digits", "+86 13812341234", "+86 1*******234"},
		{"a long number keeps at most 3 and 4", "008613812341234", "008********1234"},
		{"parentheses are kept", "(0574)86123456", "(057*)*****456"},
		{"a 3-digit number keeps only its last digit", "110", "**0"},
		{"a single digit is masked", "7", "*"},
		{"letters are masked", "ext12", "****2"},
		{"CJK text is masked", "张三的电话", "*****"},
		{"full-width digits count as digits", "１３８１２３４１２３４", "１３８****１２３４"},
		{"an empty value stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := Phone(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct{ rule, in, want string }{
		{"a two-character name keeps its surname", "张三", "张*"},
		{"a compound surname keeps only its first character", "欧阳娜娜", "欧***"},
		{"a middle dot is masked like any character", "买买提·艾力", "买*****"},
		{"a one-character name is masked completely", "张", "*"},
		{"a Latin name keeps its first letter, blanks masked", "Li Lei", "L*****"},
		{"an empty name stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := Name(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// revealed returns the positions where out shows something other than the
// mask character, failing if out differs from in there or in rune length.
func revealed(t *testing.T, in, out string) []int {
	t.Helper()
	if a, b := utf8.RuneCountInString(in), utf8.RuneCountInString(out); a != b {
		t.Fatalf("%q (%d runes) masked to %q (%d runes)", in, a, out, b)
	}
	ri, ro := []rune(in), []rune(out)
	var pos []int
	for i := range ro {
		if ro[i] == hidden {
			continue
		}
		if ro[i] != ri[i] {
			t.Fatalf("%q masked to %q: position %d changed to %q", in, out, i, ro[i])
		}
		pos = append(pos, i)
	}
	return pos
}

func FuzzIDNumber(f *testing.F) {
	for _, s := range []string{"330211198001011234", "11010519491231002x", "330211800101123", "", "镇海", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := IDNumber(s)
		pos := revealed(t, s, out)
		n := utf8.RuneCountInString(s)
		tail := map[int]int{18: 4, 15: 3}[n]
		if len(pos) > 6+tail {
			t.Fatalf("%q masked to %q reveals %d characters", s, out, len(pos))
		}
		for _, p := range pos {
			if p >= 6 && p < n-tail {
				t.Fatalf("%q masked to %q reveals position %d", s, out, p)
			}
		}
		for _, r := range []rune(out) {
			if r != hidden && !isASCIIDigit(r) && r != 'X' && r != 'x' {
				t.Fatalf("%q masked to %q reveals %q", s, out, r)
			}
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"13812341234", "0574-86123456", "+86 13812341234", "110", "", "张三", "１３８１２３４１２３４"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Phone(s)
		rs := []rune(s)
		var digitIdx []int
		for i, r := range rs {
			if unicode.IsDigit(r) {
				digitIdx = append(digitIdx, i)
			}
		}
		digits := len(digitIdx)
		allowed := digits / 2
		if digits == 11 {
			allowed = 7
		}
		shownDigits := 0
		for _, p := range revealed(t, s, out) {
			r := rs[p]
			if !unicode.IsDigit(r) {
				if !isPhoneSeparator(r) {
					t.Fatalf("%q masked to %q reveals %q", s, out, r)
				}
				continue
			}
			k := 0
			for digitIdx[k] != p {
				k++
			}
			if k >= 3 && k < digits-4 {
				t.Fatalf("%q masked to %q reveals digit %d", s, out, k+1)
			}
			shownDigits++
		}
		if shownDigits > allowed {
			t.Fatalf("%q masked to %q reveals %d of %d digits", s, out, shownDigits, digits)
		}
	})
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"张三", "欧阳娜娜", "张", "", "Li Lei", "\xff张"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Name(s)
		pos := revealed(t, s, out)
		if len(pos) > 1 || len(pos) == 1 && (pos[0] != 0 || utf8.RuneCountInString(s) < 2) {
			t.Fatalf("%q masked to %q reveals positions %v", s, out, pos)
		}
	})
}
