package standard

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckDivisionCode(t *testing.T) {
	tests := []struct{ rule, code, reason string }{
		{"a province has a 6-digit code", "330000", ""},
		{"a city has a 6-digit code", "330200", ""},
		{"a county has a 6-digit code", "330211", ""},
		{"a township has a 12-digit code", "330211001000", ""},
		{"a village or community has a 12-digit code", "330211001001", ""},
		{"a township may sit directly under a city without counties", "441900003000", ""},
		{"Hong Kong, Macao and Taiwan are provinces of GB/T 2260", "710000", ""},
		{"a code must have 6 or 12 characters", "3302110", "must be 6 or 12 digits, got 7 characters"},
		{"an empty code reports its length", "", "must be 6 or 12 digits, got 0 characters"},
		{"a code must be digits", "33021a", "character 6 must be a digit, got 'a'"},
		{"full-width digits are named as such", "３30211", "character 1 is the full-width digit '３'; use half-width digits"},
		{"the first two digits must be a province", "990000", "starts with 99, which is not a province code"},
		{"all zeros is not a division", "000000", "starts with 00, which is not a province code"},
		{"83 prefixes residence permits but is not a division", "830000", "starts with 83, which is not a province code"},
		{"a county needs a city part", "330011", "has a county part but no city part (characters 3–4 are 00)"},
		{"a township needs a city part", "330000001000", "a township or village code needs a city part (characters 3–4 must not be 00)"},
		{"a padded 6-digit code is refused so that every unit has one spelling", "330211000000", "a 12-digit code names a township or village; write this unit's code as 330211"},
		{"a village needs a township part", "330211000001", "has a village part but no township part (characters 7–9 are 000)"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			checkReason(t, CheckDivisionCode(tt.code), tt.reason)
		})
	}
}

func TestDivisionHierarchy(t *testing.T) {
	tests := []struct {
		rule, code string
		level      int
		parent     string
		ancestors  []string
	}{
		{"a province is level 1 and has no parent", "330000", 1, "", nil},
		{"a city is level 2 under its province", "330200", 2, "330000", []string{"330000"}},
		{"a county is level 3 under its city", "330211", 3, "330200", []string{"330000", "330200"}},
		{"a township is level 4 under its 6-digit county", "330211001000", 4, "330211", []string{"330000", "330200", "330211"}},
		{"a village is level 5 under its township", "330211001001", 5, "330211001000", []string{"330000", "330200", "330211", "330211001000"}},
		{"a township under a city without counties skips the county level", "441900003000", 4, "441900", []string{"440000", "441900"}},
		{"an invalid code has level 0 and no parent", "330211000000", 0, "", nil},
		{"garbage has level 0 and no parent", "镇海", 0, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := DivisionLevel(tt.code); got != tt.level {
				t.Errorf("DivisionLevel = %d, want %d", got, tt.level)
			}
			if got := DivisionParent(tt.code); got != tt.parent {
				t.Errorf("DivisionParent = %q, want %q", got, tt.parent)
			}
			if got := DivisionAncestors(tt.code); !slices.Equal(got, tt.ancestors) {
				t.Errorf("DivisionAncestors = %q, want %q", got, tt.ancestors)
			}
		})
	}
}

func TestZhenhai(t *testing.T) {
	t.Run("every Zhenhai code is valid and the list is in code order", func(t *testing.T) {
		for i, d := range Zhenhai {
			if err := CheckDivisionCode(d.Code); err != nil {
				t.Errorf("%s %s: %v", d.Code, d.Name, err)
			}
			if i > 0 && (len(d.Code) < len(Zhenhai[i-1].Code) ||
				len(d.Code) == len(Zhenhai[i-1].Code) && d.Code <= Zhenhai[i-1].Code) {
				t.Errorf("%s is out of order", d.Code)
			}
		}
	})
	t.Run("the list is province, city, district and seven townships", func(t *testing.T) {
		want := []int{1, 2, 3, 4, 4, 4, 4, 4, 4, 4}
		var got []int
		for _, d := range Zhenhai {
			got = append(got, DivisionLevel(d.Code))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("levels %v, want %v", got, want)
		}
	})
	t.Run("every unit's parent is the unit listed before the townships", func(t *testing.T) {
		for i, d := range Zhenhai[1:] {
			want := Zhenhai[min(i, 2)].Code
			if got := DivisionParent(d.Code); got != want {
				t.Errorf("parent of %s %s = %s, want %s", d.Code, d.Name, got, want)
			}
		}
	})
	t.Run("streets are numbered 00x and towns 1xx", func(t *testing.T) {
		for _, d := range Zhenhai[3:] {
			town := strings.HasSuffix(d.Name, "镇")
			if town != (d.Code[6] == '1') {
				t.Errorf("%s %s", d.Code, d.Name)
			}
		}
	})
}

func FuzzDivisionCode(f *testing.F) {
	for _, d := range Zhenhai {
		f.Add(d.Code)
	}
	f.Add("330211001001")
	f.Add("441900003000")
	f.Add("330211000000")
	f.Fuzz(func(t *testing.T, code string) {
		err := CheckDivisionCode(code)
		level := DivisionLevel(code)
		if (err == nil) != (level != 0) {
			t.Fatalf("%q: error %v but level %d", code, err, level)
		}
		anc := DivisionAncestors(code)
		if err != nil {
			if len(anc) != 0 || DivisionParent(code) != "" {
				t.Fatalf("invalid %q has ancestors %q", code, anc)
			}
			return
		}
		if level == 1 && len(anc) != 0 || level > 1 && len(anc) == 0 {
			t.Fatalf("%q at level %d has ancestors %q", code, level, anc)
		}
		prev := 0
		for _, a := range anc {
			l := DivisionLevel(a)
			if l == 0 || l <= prev || l >= level || !strings.HasPrefix(code, strings.TrimRight(a, "0")) {
				t.Fatalf("%q has ancestor %q at level %d", code, a, l)
			}
			prev = l
		}
		if len(anc) > 0 && anc[len(anc)-1] != DivisionParent(code) {
			t.Fatalf("%q: last ancestor %q is not the parent", code, anc[len(anc)-1])
		}
	})
}
