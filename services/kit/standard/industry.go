package standard

import (
	"fmt"
	"unicode/utf8"
)

// IndustrySectionInfo describes one section (门类) of GB/T 4754-2017 and the
// range of two-digit divisions (大类) it contains.
type IndustrySectionInfo struct {
	Letter        byte
	Name          string
	FirstDivision int
	LastDivision  int
}

// IndustrySections are the 20 sections of GB/T 4754-2017 in order. Treat it
// as read-only.
var IndustrySections = []IndustrySectionInfo{
	{'A', "农、林、牧、渔业", 1, 5},
	{'B', "采矿业", 6, 12},
	{'C', "制造业", 13, 43},
	{'D', "电力、热力、燃气及水生产和供应业", 44, 46},
	{'E', "建筑业", 47, 50},
	{'F', "批发和零售业", 51, 52},
	{'G', "交通运输、仓储和邮政业", 53, 60},
	{'H', "住宿和餐饮业", 61, 62},
	{'I', "信息传输、软件和信息技术服务业", 63, 65},
	{'J', "金融业", 66, 69},
	{'K', "房地产业", 70, 70},
	{'L', "租赁和商务服务业", 71, 72},
	{'M', "科学研究和技术服务业", 73, 75},
	{'N', "水利、环境和公共设施管理业", 76, 79},
	{'O', "居民服务、修理和其他服务业", 80, 82},
	{'P', "教育", 83, 83},
	{'Q', "卫生和社会工作", 84, 85},
	{'R', "文化、体育和娱乐业", 86, 90},
	{'S', "公共管理、社会保障和社会组织", 91, 96},
	{'T', "国际组织", 97, 97},
}

// sectionOfDivision returns the section letter containing a division, or 0.
func sectionOfDivision(div int) byte {
	for _, s := range IndustrySections {
		if div >= s.FirstDivision && div <= s.LastDivision {
			return s.Letter
		}
	}
	return 0
}

// CheckIndustryCode checks a GB/T 4754-2017 industry code: a section letter
// alone (C) or followed by a division (C26), group (C261) or class (C2614).
// The division must belong to the section. Whether a given group or class
// exists needs the full classification table, which this package does not
// carry.
func CheckIndustryCode(code string) error {
	if code == "" {
		return problemf("must not be empty")
	}
	r, size := utf8.DecodeRuneInString(code)
	switch {
	case r >= 'a' && r <= 't':
		return problemf("the section letter must be upper case, got %q", r)
	case r >= 'U' && r <= 'Z':
		return problemf("the section letter must be between A and T, got %q", r)
	case r < 'A' || r > 'T':
		return problemf("must start with a section letter between A and T, got %q", r)
	}
	rest := code[size:]
	n := utf8.RuneCountInString(rest)
	if n != 0 && (n < 2 || n > 4) {
		return problemf("the section letter must be followed by 2, 3 or 4 digits, got %s", characters(n))
	}
	pos := 1
	for _, d := range rest {
		pos++
		if !isDigit(d) {
			return digitProblem(fmt.Sprintf("character %d", pos), d)
		}
	}
	if n == 0 {
		return nil
	}
	switch sec := sectionOfDivision(atoi(rest[:2])); sec {
	case 0:
		return problemf("division %s does not exist", rest[:2])
	case byte(r):
		return nil
	default:
		return problemf("division %s belongs to section %c, not %c", rest[:2], sec, r)
	}
}

// IndustrySection returns the section letter of an industry code, or 0 if the
// code is invalid. Codes written without their letter (2614), as many
// statistical extracts do, are accepted too: the division determines the
// section.
func IndustrySection(code string) byte {
	if CheckIndustryCode(code) == nil {
		return code[0]
	}
	if n := len(code); n >= 2 && n <= 4 && allDigits(code) {
		return sectionOfDivision(atoi(code[:2]))
	}
	return 0
}
