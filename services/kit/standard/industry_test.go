package standard

import "testing"

func TestCheckIndustryCode(t *testing.T) {
	tests := []struct{ rule, code, reason string }{
		{"a section letter alone is a code", "C", ""},
		{"a division under its section is valid", "C26", ""},
		{"a group under its section is valid", "C261", ""},
		{"a class under its section is valid", "C2614", ""},
		{"the first division of a section is in it", "A01", ""},
		{"the last division of a section is in it", "S96", ""},
		{"a one-division section contains it", "K7010", ""},
		{"the division must belong to the section", "C0614", "division 06 belongs to section B, not C"},
		{"a division just past the section's range belongs to the next", "A06", "division 06 belongs to section B, not A"},
		{"division 00 does not exist", "A00", "division 00 does not exist"},
		{"divisions after 97 do not exist", "T98", "division 98 does not exist"},
		{"an empty code is refused", "", "must not be empty"},
		{"the section letter must be upper case", "c2614", "the section letter must be upper case, got 'c'"},
		{"there is no section after T", "U01", "the section letter must be between A and T, got 'U'"},
		{"a code must start with a section letter", "2614", "must start with a section letter between A and T, got '2'"},
		{"a single digit after the letter is not a level", "C2", "the section letter must be followed by 2, 3 or 4 digits, got 1 character"},
		{"five digits is deeper than a class", "C26141", "the section letter must be followed by 2, 3 or 4 digits, got 5 characters"},
		{"everything after the letter must be digits", "C26A4", "character 4 must be a digit, got 'A'"},
		{"full-width digits are named as such", "C２614", "character 2 is the full-width digit '２'; use half-width digits"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			checkReason(t, CheckIndustryCode(tt.code), tt.reason)
		})
	}
}

func TestIndustrySection(t *testing.T) {
	tests := []struct {
		rule, code string
		want       byte
	}{
		{"a valid code gives its letter", "C2614", 'C'},
		{"a letter alone gives itself", "T", 'T'},
		{"a code without its letter gets the section of its division", "2614", 'C'},
		{"a bare division gets its section", "70", 'K'},
		{"an inconsistent code has no section", "C0614", 0},
		{"a bare nonexistent division has no section", "98", 0},
		{"a single digit has no section", "2", 0},
		{"garbage has no section", "制造业", 0},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := IndustrySection(tt.code); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIndustrySections(t *testing.T) {
	t.Run("there are 20 sections lettered A to T", func(t *testing.T) {
		if len(IndustrySections) != 20 {
			t.Fatalf("%d sections", len(IndustrySections))
		}
		for i, s := range IndustrySections {
			if s.Letter != byte('A'+i) || s.Name == "" {
				t.Fatalf("section %d is %q %q", i, s.Letter, s.Name)
			}
		}
	})
	t.Run("divisions 01 to 97 are covered once, in order, without gaps", func(t *testing.T) {
		next := 1
		for _, s := range IndustrySections {
			if s.FirstDivision != next || s.LastDivision < s.FirstDivision {
				t.Fatalf("section %c covers %d–%d, expected to start at %d", s.Letter, s.FirstDivision, s.LastDivision, next)
			}
			next = s.LastDivision + 1
		}
		if next != 98 {
			t.Fatalf("last division is %d", next-1)
		}
	})
	t.Run("names follow GB/T 4754-2017", func(t *testing.T) {
		want := map[byte]string{'A': "农、林、牧、渔业", 'C': "制造业", 'T': "国际组织"}
		for _, s := range IndustrySections {
			if w, ok := want[s.Letter]; ok && s.Name != w {
				t.Errorf("%c is %q, want %q", s.Letter, s.Name, w)
			}
		}
	})
}

func FuzzCheckIndustryCode(f *testing.F) {
	for _, s := range []string{"C2614", "C0614", "c", "2614", "T97", "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		err := CheckIndustryCode(code)
		sec := IndustrySection(code)
		if err == nil {
			if sec != code[0] {
				t.Fatalf("valid %q has section %q", code, sec)
			}
			if len(code) > 1 && IndustrySection(code[1:]) != sec {
				t.Fatalf("%q without its letter has section %q", code, IndustrySection(code[1:]))
			}
		} else if sec != 0 && CheckIndustryCode(string(sec)+code) != nil {
			t.Fatalf("invalid %q has section %q but %q is invalid", code, sec, string(sec)+code)
		}
	})
}
