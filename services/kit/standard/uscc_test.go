package standard

import (
	"strings"
	"testing"
)

// Published codes of well-known organisations, checked by hand against the
// GB 32100-2015 algorithm; they pin the weights and the alphabet.
var publishedUSCCs = []struct{ holder, code string }{
	{"textbook example", "91350100M000100Y43"},
	{"华为技术有限公司", "914403001922038216"},
	{"深圳市腾讯计算机系统有限公司", "9144030071526726XG"},
	{"阿里巴巴（中国）有限公司", "91330100716105852F"},
}

func TestCheckUSCC(t *testing.T) {
	for _, c := range publishedUSCCs {
		t.Run("published code of "+c.holder+" is valid", func(t *testing.T) {
			checkReason(t, CheckUSCC(c.code), "")
		})
	}
	tests := []struct {
		rule, code, reason string
		checkCharOnly      bool
	}{
		{"a code must have 18 characters", "91350100M000100Y4", "must be 18 characters, got 17", false},
		{"length is counted in characters, not bytes", "91350100M000100Y4中", "the check character must be a digit or an upper-case letter, got '中'", false},
		{"an empty code reports its length", "", "must be 18 characters, got 0", false},
		{"lower-case letters are refused rather than silently upper-cased", "91350100m000100Y43", "character 9 must be upper case, got 'm'", false},
		{"full-width characters are named as such", "９1350100M000100Y43", "character 1 is the full-width character '９'; use half-width characters", false},
		{"the letters I O S V Z are not in the alphabet", "91350100M000100O43", "character 16 must not be 'O': the letters I, O, S, V and Z are not used", false},
		{"punctuation is not in the alphabet", "91350100-000100Y43", "character 9 must be a digit or an upper-case letter, got '-'", false},
		{"the registration authority must be one the standard defines", "B1350100M000100Y43", "character 1 (registration authority) must be one of 1–9, A, N or Y, got 'B'", false},
		{"0 is not a registration authority", "01350100M000100Y43", "character 1 (registration authority) must be one of 1–9, A, N or Y, got '0'", false},
		{"the area code must be digits", "913501A0M000100Y43", "character 7 must be a digit (characters 3–8 are the area code), got 'A'", false},
		{"a check character outside the alphabet is a structural error", "91350100M000100Y4I", "the check character must not be 'I': the letters I, O, S, V and Z are not used", false},
		{"a wrong check character alone is flagged as check-character-only", "91350100M000100Y44", "check character should be '3', got '4'", true},
		{"a mistyped body character shows up as a wrong check character", "91350100M000100Y53", "check character should be '6', got '3'", true},
		{"the area code is not looked up, because central bodies use 100000", mustUSCC(t, '1', '1', "100000", "000013127"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			err := CheckUSCC(tt.code)
			checkReason(t, err, tt.reason)
			if got := checkCharOnly(t, err); got != tt.checkCharOnly {
				t.Fatalf("CheckCharOnly = %v, want %v", got, tt.checkCharOnly)
			}
		})
	}
	for _, a := range usccAuthorities {
		t.Run("registration authority "+string(a)+" is accepted", func(t *testing.T) {
			checkReason(t, CheckUSCC(mustUSCC(t, byte(a), '1', "330211", "MA2AB3C4X")), "")
		})
	}
}

func mustUSCC(t *testing.T, authority, orgType byte, area, org string) string {
	t.Helper()
	code, err := MakeUSCC(authority, orgType, area, org)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestUSCCCheckChar(t *testing.T) {
	for _, c := range publishedUSCCs {
		t.Run("reproduces the check character of "+c.holder, func(t *testing.T) {
			got, err := USCCCheckChar(c.code[:17])
			checkReason(t, err, "")
			if got != c.code[17] {
				t.Fatalf("got %q, want %q", got, c.code[17])
			}
		})
	}
	tests := []struct{ rule, in, want, reason string }{
		{"a remainder of 0 gives check character 0, not 31", "00000000000000000", "0", ""},
		{"input must be 17 characters", "9135010", "", "must be 17 characters, got 7"},
		{"input must come from the code alphabet", "9135010Z000000000", "", "character 8 must not be 'Z': the letters I, O, S, V and Z are not used"},
		{"structure is not judged, only the alphabet", "YY00000000000000Y", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := USCCCheckChar(tt.in)
			checkReason(t, err, tt.reason)
			if tt.want != "" && string(got) != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalizeUSCC(t *testing.T) {
	tests := []struct{ rule, in, want string }{
		{"surrounding blanks are removed", "  91350100M000100Y43\t", "91350100M000100Y43"},
		{"the ideographic space and zero-width marks are removed", "\u3000\ufeff91350100M000100Y43\u200b", "91350100M000100Y43"},
		{"lower-case letters are upper-cased", "91350100m000100y43", "91350100M000100Y43"},
		{"full-width characters become half-width", "９１３５０１００ｍ０００１００Ｙ４３", "91350100M000100Y43"},
		{"inner blanks are kept so that the check reports them", "9135 0100M000100Y43", "9135 0100M000100Y43"},
		{"non-ASCII look-alikes are not upper-cased into code letters", "91350100\u017f000100Y43", "91350100\u017f000100Y43"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := NormalizeUSCC(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMakeUSCC(t *testing.T) {
	tests := []struct {
		rule            string
		authority, typ  byte
		area, org, want string
		reason          string
	}{
		{"rebuilds a published code from its parts", '9', '1', "350100", "M000100Y4", "91350100M000100Y43", ""},
		{"the authority must be one the standard defines", 'B', '1', "330211", "MA2AB3C4X", "", "registration authority must be one of 1–9, A, N or Y, got 'B'"},
		{"the organisation type must be in the alphabet", '9', 'z', "330211", "MA2AB3C4X", "", "the organisation type must be upper case, got 'z'"},
		{"the area must be 6 digits", '9', '1', "33021", "MA2AB3C4X", "", "area code must be 6 digits"},
		{"the area must be digits", '9', '1', "33021A", "MA2AB3C4X", "", "area code must be 6 digits"},
		{"the organisation code must be 9 characters", '9', '1', "330211", "MA2AB3C4", "", "organisation code must be 9 characters, got 8"},
		{"the organisation code must be in the alphabet", '9', '1', "330211", "MA2AB3C4V", "", "organisation code character 9 must not be 'V': the letters I, O, S, V and Z are not used"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := MakeUSCC(tt.authority, tt.typ, tt.area, tt.org)
			checkReason(t, err, tt.reason)
			if tt.want != "" && got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzCheckUSCC(f *testing.F) {
	for _, c := range publishedUSCCs {
		f.Add(c.code)
	}
	f.Add("91350100M000100Y44")
	f.Add("91350100m000100y43")
	f.Add("９１３５０１００ｍ０００１００Ｙ４３")
	f.Add(strings.Repeat("中", 18))
	f.Fuzz(func(t *testing.T, code string) {
		err := CheckUSCC(code)
		if err == nil {
			first17 := code[:17]
			if c, err := USCCCheckChar(first17); err != nil || c != code[17] {
				t.Fatalf("valid code %q: USCCCheckChar = %q, %v", code, c, err)
			}
			if again, err := MakeUSCC(code[0], code[1], code[2:8], code[8:17]); err != nil || again != code {
				t.Fatalf("valid code %q: MakeUSCC = %q, %v", code, again, err)
			}
		} else if checkCharOnly(t, err) {
			c, cerr := USCCCheckChar(code[:17])
			if cerr != nil {
				t.Fatalf("check-char-only code %q: %v", code, cerr)
			}
			if fixed := code[:17] + string(c); CheckUSCC(fixed) != nil {
				t.Fatalf("fixing the check character of %q does not make it valid", code)
			}
		}
		// Normalizing is idempotent, and never needed for a valid code.
		n := NormalizeUSCC(code)
		if NormalizeUSCC(n) != n {
			t.Fatalf("NormalizeUSCC not idempotent on %q", code)
		}
		if err == nil && n != code {
			t.Fatalf("NormalizeUSCC changed valid code %q to %q", code, n)
		}
	})
}
