package population_test

import (
	"fmt"
	"testing"

	. "github.com/zhbase/zhbase/services/population"
)

func TestEthnicityTableIsGBT3304(t *testing.T) {
	t.Run("it lists the 56 groups with codes 01 to 56 in order, then 97 and 98", func(t *testing.T) {
		if len(Ethnicities) != 58 {
			t.Fatalf("%d entries, want 58", len(Ethnicities))
		}
		for i, e := range Ethnicities[:56] {
			if want := fmt.Sprintf("%02d", i+1); e.Code != want {
				t.Fatalf("entry %d has code %s, want %s", i, e.Code, want)
			}
		}
		if Ethnicities[56].Code != "97" || Ethnicities[57].Code != "98" {
			t.Fatalf("the last two are %v and %v, want 97 and 98", Ethnicities[56], Ethnicities[57])
		}
	})
	t.Run("every name is distinct and every group's name ends in 族", func(t *testing.T) {
		seen := map[string]bool{}
		for _, e := range Ethnicities {
			if seen[e.Name] {
				t.Fatalf("%s appears twice", e.Name)
			}
			seen[e.Name] = true
		}
		for _, e := range Ethnicities[:56] {
			if r := []rune(e.Name); r[len(r)-1] != '族' {
				t.Fatalf("%s %s does not end in 族", e.Code, e.Name)
			}
		}
	})
	pinned := map[string]string{
		"01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "08": "壮族", "10": "朝鲜族",
		"11": "满族", "15": "土家族", "22": "畲族", "23": "高山族", "29": "柯尔克孜族", "43": "乌孜别克族",
		"46": "德昂族", "55": "珞巴族", "56": "基诺族", "97": "其他未识别民族", "98": "外国血统中国籍人士",
	}
	for code, name := range pinned {
		t.Run(code+" is "+name, func(t *testing.T) {
			if got, ok := EthnicityName(code); !ok || got != name {
				t.Fatalf("EthnicityName(%s) = %q, %v", code, got, ok)
			}
		})
	}
	for _, code := range []string{"", "0", "1", "00", "57", "96", "99", "１"} {
		t.Run(fmt.Sprintf("%q is no code", code), func(t *testing.T) {
			if _, ok := EthnicityName(code); ok {
				t.Fatalf("EthnicityName(%q) found a group", code)
			}
		})
	}
}

func TestCodeTablesCarryTheNationalCodes(t *testing.T) {
	relations := map[Relation]string{
		RelationHead: "02", RelationSpouse: "10", RelationSon: "20", RelationDaughter: "30",
		RelationGrandchild: "40", RelationParent: "50", RelationSibling: "70", RelationOther: "99",
	}
	for r, code := range relations {
		t.Run(fmt.Sprintf("relation %s is GB/T 4761 code %s", r, code), func(t *testing.T) {
			if got := RelationCode(r); got != code {
				t.Fatalf("RelationCode(%s) = %q", r, got)
			}
		})
	}
	t.Run("the head's code sorts before every other relation's, so members list head first", func(t *testing.T) {
		for _, r := range Relations[1:] {
			if r.Code <= RelationCode(RelationHead) {
				t.Fatalf("%s (%s) sorts before the head", r.Relation, r.Code)
			}
		}
	})
	t.Run("an unknown relation has no code", func(t *testing.T) {
		if got := RelationCode("COUSIN"); got != "" {
			t.Fatalf("RelationCode(COUSIN) = %q", got)
		}
	})
	educations := map[Education]string{
		EducationPostgraduate: "10", EducationUndergraduate: "20", EducationJuniorCollege: "30", EducationSecondaryVocational: "40",
		EducationHighSchool: "60", EducationJuniorHigh: "70", EducationPrimary: "80", EducationOther: "90",
	}
	if len(Educations) != len(educations) {
		t.Fatalf("%d education levels, want %d", len(Educations), len(educations))
	}
	for _, e := range Educations {
		t.Run(fmt.Sprintf("education %s is GB/T 4658 level %s", e.Education, educations[e.Education]), func(t *testing.T) {
			if e.Code != educations[e.Education] {
				t.Fatalf("code %s", e.Code)
			}
		})
	}
	marital := map[MaritalStatus]string{
		MaritalSingle: "10", MaritalMarried: "20", MaritalWidowed: "30", MaritalDivorced: "40", MaritalNotStated: "90",
	}
	if len(MaritalStatuses) != len(marital) {
		t.Fatalf("%d marital statuses, want %d", len(MaritalStatuses), len(marital))
	}
	for _, m := range MaritalStatuses {
		t.Run(fmt.Sprintf("marital status %s is GB/T 2261.2 code %s", m.Status, marital[m.Status]), func(t *testing.T) {
			if m.Code != marital[m.Status] {
				t.Fatalf("code %s", m.Code)
			}
		})
	}
	t.Run("sex codes are GB/T 2261.1: 1 male, 2 female", func(t *testing.T) {
		if SexCode(SexMale) != "1" || SexCode(SexFemale) != "2" || SexCode("") != "" {
			t.Fatalf("SexCode: %q %q %q", SexCode(SexMale), SexCode(SexFemale), SexCode(""))
		}
	})
}
