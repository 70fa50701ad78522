package economy

import (
	"errors"
	"fmt"
	"time"

	"github.com/zhbase/zhbase/services/kit/standard"
)

// FirstYear is the earliest year a report may cover: the statistics of the
// People's Republic start in 1949.
const FirstYear = 1949

// PeriodType says whether a report covers a year or a month.
type PeriodType string

const (
	Annual  PeriodType = "ANNUAL"
	Monthly PeriodType = "MONTHLY"
)

// PeriodTypes lists every period type, for filters.
var PeriodTypes = []PeriodType{Annual, Monthly}

// Period is the span a report covers: a year (Month 0) or a month of a year.
type Period struct {
	Year  int
	Month int
}

// maxTime is a "now" before which every period lies, for reading periods
// that were checked when they were stored.
var maxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// ParsePeriod reads a period written `2024` or `2024-06` and checks that it
// lies between 1949 and today in Beijing: a report cannot describe a period
// that has not begun. The current year and month are accepted (provisional
// figures). The error is a reason without the field name, for the caller
// to attach.
func ParsePeriod(s string, now time.Time) (Period, error) {
	var p Period
	switch {
	case len(s) == 4 && digits(s):
		p.Year = atoi(s)
	case len(s) == 7 && s[4] == '-' && digits(s[:4]) && digits(s[5:]):
		p.Year, p.Month = atoi(s[:4]), atoi(s[5:])
		if p.Month < 1 || p.Month > 12 {
			return Period{}, fmt.Errorf("the month must be between 01 and 12, got %s", s[5:])
		}
	default:
		return Period{}, errors.New("must be a year written YYYY (2024) or a month written YYYY-MM (2024-06)")
	}
	y, m, _ := now.In(standard.ChinaTime).Date()
	switch {
	case p.Year < FirstYear:
		return Period{}, fmt.Errorf("the year must be between %d and %d, got %d", FirstYear, y, p.Year)
	case p.Year > y:
		return Period{}, fmt.Errorf("%s is in the future: the year must be between %d and %d", s, FirstYear, y)
	case p.Year == y && p.Month > int(m):
		return Period{}, fmt.Errorf("%s is in the future: the latest month is %d-%02d", s, y, int(m))
	}
	return p, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// String writes the period as the API does: 2024 or 2024-06.
func (p Period) String() string {
	if p.Month == 0 {
		return fmt.Sprintf("%04d", p.Year)
	}
	return fmt.Sprintf("%04d-%02d", p.Year, p.Month)
}

// Type is whether p is a year or a month.
func (p Period) Type() PeriodType {
	if p.Month == 0 {
		return Annual
	}
	return Monthly
}

// Start is the instant the period begins: midnight in Beijing on its first
// day. A report is in effect from then, since its figures describe the
// period from its start.
func (p Period) Start() time.Time {
	m := p.Month
	if m == 0 {
		m = 1
	}
	return time.Date(p.Year, time.Month(m), 1, 0, 0, 0, 0, standard.ChinaTime).UTC()
}

// AddYears is the same period n years later (earlier when n is negative).
func (p Period) AddYears(n int) Period { return Period{Year: p.Year + n, Month: p.Month} }

// Before reports whether p starts before q; both must be of one type.
func (p Period) Before(q Period) bool {
	return p.Year < q.Year || (p.Year == q.Year && p.Month < q.Month)
}

// Label is the period as a Chinese reader writes it: 2024年, 2024年6月.
func (p Period) Label() string {
	if p.Month == 0 {
		return fmt.Sprintf("%d年", p.Year)
	}
	return fmt.Sprintf("%d年%d月", p.Year, p.Month)
}

// typeOf is the period type of a stored period string (which was checked
// when it was written).
func typeOf(period string) PeriodType {
	if len(period) == 4 {
		return Annual
	}
	return Monthly
}
