package standard

import "time"

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func isCalendarDate(y, m, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// ParseDate reads a date written YYYY-MM-DD and returns it at midnight UTC.
// Unlike time.Parse it says why a date was refused in words a clerk
// understands, and it refuses years before 1800, which in base data are
// typing mistakes rather than history.
func ParseDate(s string) (time.Time, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' ||
		!allDigits(s[:4]) || !allDigits(s[5:7]) || !allDigits(s[8:]) {
		return time.Time{}, problemf("must be a date written as YYYY-MM-DD")
	}
	y, m, d := atoi(s[:4]), atoi(s[5:7]), atoi(s[8:])
	if y < 1800 {
		return time.Time{}, problemf("the year must be between 1800 and 9999")
	}
	if !isCalendarDate(y, m, d) {
		return time.Time{}, problemf("not a calendar date")
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}
