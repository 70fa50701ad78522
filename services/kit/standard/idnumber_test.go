package standard

import (
	"strings"
	"testing"
	"time"
)

// fixedNow is 2025-06-15 12:00 in Beijing.
var fixedNow = time.Date(2025, 6, 15, 12, 0, 0, 0, ChinaTime)

func TestCheckIDNumber(t *testing.T) {
	tests := []struct {
		rule, id, reason string
		checkCharOnly    bool
	}{
		{"the example of GB 11643-1999 itself is valid", "11010519491231002X", "", false},
		{"a number whose check character is a digit is valid", "330211198001010001", "", false},
		{"29 February is a date in a leap year divisible by 400", "11010520000229003X", "", false},
		{"someone born today is valid", "330211202506150017", "", false},
		{"1 January 1900 is the earliest birth date", "330211190001010013", "", false},
		{"Hong Kong residence permits (810000) are valid", "810000198001011236", "", false},
		{"Taiwan residence permits (830000) are valid although 83 is no province", "830000199001010012", "", false},
		{"a number must have 18 characters", "11010519491231002", "must be 18 characters, got 17", false},
		{"a 15-digit number is told to be upgraded", "110105491231002", "must be 18 characters, got 15; a 15-digit number is the pre-1999 format and must be upgraded to 18 digits", false},
		{"length is counted in characters, not bytes", "1101051949123100二X", "character 17 must be a digit, got '二'", false},
		{"the first 17 characters must be digits", "1101051949123100X2", "character 17 must be a digit, got 'X'", false},
		{"full-width digits are named as such", "１1010519491231002X", "character 1 is the full-width digit '１'; use half-width digits", false},
		{"a lower-case x is refused; NormalizeIDNumber upper-cases it", "11010519491231002x", "the check character must be an upper-case X, got 'x'", false},
		{"the check character must be a digit or X", "11010519491231002Y", "the check character must be a digit or X, got 'Y'", false},
		{"the area code must start with a province code", "99010519491231002X", "the area code starts with 99, which is not a province code", false},
		{"00 is not a province", "00010519491231002X", "the area code starts with 00, which is not a province code", false},
		{"30 February is not a calendar date", "11010519490230002X", "the birth date is not a calendar date", false},
		{"month 13 is not a calendar date", "11010519491331002X", "the birth date is not a calendar date", false},
		{"day 00 is not a calendar date", "11010519491200002X", "the birth date is not a calendar date", false},
		{"1900 is not a leap year", "110105190002290025", "the birth date is not a calendar date", false},
		{"birth dates before 1900 are refused", "330211189912310019", "the birth date must not be before 1900", false},
		{"birth dates after today in Beijing are refused", "330211202506160012", "the birth date is in the future", false},
		{"a wrong check character alone is flagged as check-character-only", "110105194912310021", "check character should be 'X', got '1'", true},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			err := CheckIDNumberAt(tt.id, fixedNow)
			checkReason(t, err, tt.reason)
			if got := checkCharOnly(t, err); got != tt.checkCharOnly {
				t.Fatalf("CheckCharOnly = %v, want %v", got, tt.checkCharOnly)
			}
		})
	}
	t.Run("today is the Beijing date, not the server's", func(t *testing.T) {
		// 2025-06-15 17:00 UTC is already 16 June in Beijing.
		now := time.Date(2025, 6, 15, 17, 0, 0, 0, time.UTC)
		checkReason(t, CheckIDNumberAt("330211202506160012", now), "")
	})
	t.Run("CheckIDNumber uses the real clock", func(t *testing.T) {
		checkReason(t, CheckIDNumber("11010519491231002X"), "")
	})
	t.Run("no reason repeats the birth date", func(t *testing.T) {
		for _, id := range []string{"11010519490230002X", "330211189912310019", "330211202506160012"} {
			if err := CheckIDNumberAt(id, fixedNow); err == nil || strings.Contains(err.Error(), id[6:14]) {
				t.Fatalf("%q: %v", id, err)
			}
		}
	})
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := []struct{ rule, in, want string }{
		{"surrounding blanks are removed", " 11010519491231002X\n", "11010519491231002X"},
		{"a lower-case x becomes X", "11010519491231002x", "11010519491231002X"},
		{"full-width digits and x become half-width", "１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"},
		{"the ideographic space and zero-width marks are removed", "\u300011010519491231002X\u200b", "11010519491231002X"},
		{"an already normal number is unchanged", "11010519491231002X", "11010519491231002X"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := NormalizeIDNumber(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUpgradeIDNumber(t *testing.T) {
	tests := []struct{ rule, in, want, reason string }{
		{"inserts 19 before the year and appends the check character", "110105491231002", "11010519491231002X", ""},
		{"input must have 15 characters", "11010519491231002X", "", "must be 15 characters, got 18"},
		{"input must be digits", "11010549123100X", "", "character 15 must be a digit, got 'X'"},
		{"the area code must start with a province code", "990105491231002", "", "the area code starts with 99, which is not a province code"},
		{"the birth date must be a calendar date", "110105490230002", "", "the birth date is not a calendar date"},
		{"1900 is not a leap year", "110105000229002", "", "the birth date is not a calendar date"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := UpgradeIDNumber(tt.in)
			checkReason(t, err, tt.reason)
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseIDNumber(t *testing.T) {
	tests := []struct {
		rule, id string
		want     IDInfo
		reason   string
	}{
		{"an even sequence number means female", "11010519491231002X",
			IDInfo{Area: "110105", Birth: time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC)}, ""},
		{"an odd sequence number means male", "810000198001011236",
			IDInfo{Area: "810000", Birth: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Male: true}, ""},
		{"a 15-digit number is upgraded and read", "110105491231002",
			IDInfo{Area: "110105", Birth: time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC)}, ""},
		{"an invalid 18-digit number is refused", "110105194912310021", IDInfo{}, "check character should be 'X', got '1'"},
		{"an invalid 15-digit number is refused", "110105490230002", IDInfo{}, "the birth date is not a calendar date"},
		{"other lengths are refused", "1101051949", IDInfo{}, "must be 18 characters, got 10"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := ParseIDNumberAt(tt.id, fixedNow)
			checkReason(t, err, tt.reason)
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("ParseIDNumber uses the real clock", func(t *testing.T) {
		if _, err := ParseIDNumber("11010519491231002X"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMakeIDNumber(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		rule, area string
		birth      time.Time
		seq        int
		want       string
		reason     string
	}{
		{"rebuilds the example of the standard", "110105", day(1949, 12, 31), 2, "11010519491231002X", ""},
		{"sequence 0 is allowed", "330211", day(1980, 1, 1), 0, "330211198001010001", ""},
		{"the birth date is read in its own location, not converted to UTC", "110105",
			time.Date(1950, 1, 1, 1, 0, 0, 0, ChinaTime), 2, "110105195001010020", ""},
		{"the area must be 6 digits", "33021", day(1980, 1, 1), 1, "", "the area code must be 6 digits"},
		{"the area must start with a province code", "990000", day(1980, 1, 1), 1, "", "the area code starts with 99, which is not a province code"},
		{"the sequence must not be negative", "330211", day(1980, 1, 1), -1, "", "the sequence number must be between 0 and 999, got -1"},
		{"the sequence must fit in 3 digits", "330211", day(1980, 1, 1), 1000, "", "the sequence number must be between 0 and 999, got 1000"},
		{"births before 1900 are refused", "330211", day(1899, 12, 31), 1, "", "the birth date must not be before 1900"},
		{"births in the future are refused", "330211", time.Now().AddDate(1, 0, 0), 1, "", "the birth date is in the future"},
		{"years beyond 9999 are refused", "330211", day(10000, 1, 1), 1, "", "the birth date is in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := MakeIDNumber(tt.area, tt.birth, tt.seq)
			checkReason(t, err, tt.reason)
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzCheckIDNumber(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "11010519491231002x", "110105491231002",
		"330211202506160012", "１１０１０５１９４９１２３１００２ｘ", "830000199001010012"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := CheckIDNumberAt(id, fixedNow)
		if err != nil {
			if len(id) >= 8 && strings.Contains(err.Error(), id) {
				t.Fatalf("reason %q repeats the input", err)
			}
			if checkCharOnly(t, err) {
				if fixed := id[:17] + string(idCheck(id[:17])); CheckIDNumberAt(fixed, fixedNow) != nil {
					t.Fatalf("fixing the check character of %q does not make it valid", id)
				}
			}
		}
		info, perr := ParseIDNumberAt(id, fixedNow)
		if len(id) == 18 && (err == nil) != (perr == nil) {
			t.Fatalf("%q: CheckIDNumberAt %v but ParseIDNumberAt %v", id, err, perr)
		}
		if perr != nil {
			return
		}
		seq := atoi(id[len(id)-4 : len(id)-1])
		if len(id) == 15 {
			seq = atoi(id[12:])
		}
		again, merr := MakeIDNumber(info.Area, info.Birth, seq)
		if merr != nil {
			t.Fatalf("%q: MakeIDNumber(%+v, %d): %v", id, info, seq, merr)
		}
		if len(id) == 18 && again != id {
			t.Fatalf("MakeIDNumber rebuilt %q as %q", id, again)
		}
		if info.Male != (seq%2 == 1) {
			t.Fatalf("%q: Male = %v for sequence %d", id, info.Male, seq)
		}
		n := NormalizeIDNumber(id)
		if n != id {
			t.Fatalf("NormalizeIDNumber changed valid %q to %q", id, n)
		}
	})
}
