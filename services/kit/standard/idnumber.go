package standard

import (
	"fmt"
	"time"
	"unicode/utf8"
)

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars is indexed by the weighted sum mod 11; X stands for 10.
const idCheckChars = "10X98765432"

// isProvince reports whether a two-digit GB/T 2260 province code exists
// (including 71 Taiwan, 81 Hong Kong and 82 Macao).
func isProvince(p int) bool {
	switch {
	case p >= 11 && p <= 15, p >= 21 && p <= 23, p >= 31 && p <= 37,
		p >= 41 && p <= 46, p >= 50 && p <= 54, p >= 61 && p <= 65,
		p == 71, p == 81, p == 82:
		return true
	}
	return false
}

// isIDProvince additionally accepts 83, which is not a GB/T 2260 province but
// is the prefix of residence permits issued to Taiwan residents
// (830000, alongside 810000 and 820000 for Hong Kong and Macao residents).
// Those permits use the citizen ID number format and turn up in the same
// fields, so refusing them would lock those residents out.
func isIDProvince(p int) bool { return isProvince(p) || p == 83 }

func idCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// NormalizeIDNumber turns an ID number as typed or pasted into the form
// CheckIDNumber expects: surrounding blanks removed, full-width characters
// made half-width and a lower-case x made upper-case. It does not make an
// invalid number valid.
func NormalizeIDNumber(s string) string {
	b := []byte(trimInvisible(toHalfWidth(s)))
	for i, c := range b {
		if c == 'x' {
			b[i] = 'X'
		}
	}
	return string(b)
}

// CheckIDNumber checks an 18-character citizen identity number (公民身份号码),
// refusing birth dates after today's date in Beijing.
func CheckIDNumber(id string) error { return CheckIDNumberAt(id, time.Now()) }

// CheckIDNumberAt is CheckIDNumber with "now" supplied by the caller, so that
// a result does not change with the day it is run.
func CheckIDNumberAt(id string, now time.Time) error {
	n := utf8.RuneCountInString(id)
	if n == 15 && allDigits(id) {
		return problemf("must be 18 characters, got 15; a 15-digit number is the pre-1999 format and must be upgraded to 18 digits")
	}
	if n != 18 {
		return problemf("must be 18 characters, got %d", n)
	}
	pos := 0
	for _, r := range id {
		pos++
		switch {
		case pos < 18 && !isDigit(r):
			return digitProblem(fmt.Sprintf("character %d", pos), r)
		case pos == 18 && r == 'x':
			return problemf("the check character must be an upper-case X, got 'x'")
		case pos == 18 && !isDigit(r) && r != 'X':
			return problemf("the check character must be a digit or X, got %q", r)
		}
	}
	if err := checkIDBody(id, now); err != nil {
		return err
	}
	if want := idCheck(id[:17]); want != id[17] {
		return &Problem{
			Reason:        fmt.Sprintf("check character should be %q, got %q", rune(want), rune(id[17])),
			CheckCharOnly: true,
		}
	}
	return nil
}

// checkIDBody checks the area and birth date of an 18-character number whose
// first 17 characters are digits. Its reasons name no positions because
// UpgradeIDNumber reports them for 15-digit input too.
func checkIDBody(id string, now time.Time) *Problem {
	if p := atoi(id[:2]); !isIDProvince(p) {
		return problemf("the area code starts with %s, which is not a province code", id[:2])
	}
	return checkBirth(atoi(id[6:10]), atoi(id[10:12]), atoi(id[12:14]), now)
}

// checkBirth deliberately leaves the date out of its reasons: a birth date is
// personal data and reasons end up in logs.
func checkBirth(y, m, d int, now time.Time) *Problem {
	if !isCalendarDate(y, m, d) {
		return problemf("the birth date is not a calendar date")
	}
	if y < 1900 {
		return problemf("the birth date must not be before 1900")
	}
	ty, tm, td := now.In(ChinaTime).Date()
	if y > ty || y == ty && (m > int(tm) || m == int(tm) && d > td) {
		return problemf("the birth date is in the future")
	}
	return nil
}

// UpgradeIDNumber converts a 15-digit number issued before GB 11643-1999 to
// its 18-character form: the century 19 is inserted before the two-digit
// birth year and the check character appended.
func UpgradeIDNumber(id15 string) (string, error) {
	if n := utf8.RuneCountInString(id15); n != 15 {
		return "", problemf("must be 15 characters, got %d", n)
	}
	pos := 0
	for _, r := range id15 {
		pos++
		if !isDigit(r) {
			return "", digitProblem(fmt.Sprintf("character %d", pos), r)
		}
	}
	first17 := id15[:6] + "19" + id15[6:]
	// A 19xx date can never be in the future, so "now" does not matter.
	if err := checkIDBody(first17, time.Now()); err != nil {
		return "", err
	}
	return first17 + string(idCheck(first17)), nil
}

// IDInfo is what an ID number says about its holder.
type IDInfo struct {
	// Area is the 6-digit division code of the place of first registration;
	// it is not necessarily where the holder lives now.
	Area string
	// Birth is the birth date at midnight UTC, the convention ParseDate
	// also follows, so that dates compare equal whichever way they were read.
	Birth time.Time
	// Male is true when the sequence number is odd.
	Male bool
}

// ParseIDNumber checks a 15- or 18-character ID number and returns what it
// says about its holder.
func ParseIDNumber(id string) (IDInfo, error) { return ParseIDNumberAt(id, time.Now()) }

// ParseIDNumberAt is ParseIDNumber with "now" supplied by the caller.
func ParseIDNumberAt(id string, now time.Time) (IDInfo, error) {
	if utf8.RuneCountInString(id) == 15 {
		up, err := UpgradeIDNumber(id)
		if err != nil {
			return IDInfo{}, err
		}
		id = up
	} else if err := CheckIDNumberAt(id, now); err != nil {
		return IDInfo{}, err
	}
	return IDInfo{
		Area:  id[:6],
		Birth: time.Date(atoi(id[6:10]), time.Month(atoi(id[10:12])), atoi(id[12:14]), 0, 0, 0, 0, time.UTC),
		Male:  (id[16]-'0')%2 == 1,
	}, nil
}

// MakeIDNumber builds a valid 18-character ID number, for demo-data
// generators and tests. The birth date is taken in birth's own location and
// seq is the 3-digit sequence number (odd for men). The result is accepted by
// CheckIDNumber, so a birth date in the future is refused.
func MakeIDNumber(area string, birth time.Time, seq int) (string, error) {
	if len(area) != 6 || !allDigits(area) {
		return "", problemf("the area code must be 6 digits")
	}
	if p := atoi(area[:2]); !isIDProvince(p) {
		return "", problemf("the area code starts with %s, which is not a province code", area[:2])
	}
	if seq < 0 || seq > 999 {
		return "", problemf("the sequence number must be between 0 and 999, got %d", seq)
	}
	y, m, d := birth.Date()
	if y > 9999 {
		return "", problemf("the birth date is in the future")
	}
	if err := checkBirth(y, int(m), d, time.Now()); err != nil {
		return "", err
	}
	first17 := fmt.Sprintf("%s%04d%02d%02d%03d", area, y, int(m), d, seq)
	return first17 + string(idCheck(first17)), nil
}
