package economy

import (
	"strings"
	"testing"
	"time"
)

// now is noon in Beijing on 15 June 2025.
var periodNow = time.Date(2025, 6, 15, 4, 0, 0, 0, time.UTC)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		name, in string
		want     Period
		reason   string // a fragment of the refusal; "" for accepted
	}{
		{"a year is an annual period", "2024", Period{2024, 0}, ""},
		{"a year and month is a monthly period", "2024-06", Period{2024, 6}, ""},
		{"1949 is the first year", "1949", Period{1949, 0}, ""},
		{"the first month of 1949 is accepted", "1949-01", Period{1949, 1}, ""},
		{"the current year is accepted", "2025", Period{2025, 0}, ""},
		{"the current month is accepted", "2025-06", Period{2025, 6}, ""},
		{"December is month 12", "2024-12", Period{2024, 12}, ""},
		{"month 13 is refused with the month's range", "2024-13", Period{}, "the month must be between 01 and 12, got 13"},
		{"month 00 is refused", "2024-00", Period{}, "the month must be between 01 and 12, got 00"},
		{"a year before 1949 is refused", "1948", Period{}, "the year must be between 1949 and 2025, got 1948"},
		{"a month before 1949 is refused", "1948-12", Period{}, "the year must be between 1949 and 2025"},
		{"next year is in the future", "2026", Period{}, "2026 is in the future"},
		{"next month is in the future", "2025-07", Period{}, "2025-07 is in the future"},
		{"a one-digit month is refused", "2024-6", Period{}, "YYYY-MM"},
		{"a two-digit year is refused", "24", Period{}, "YYYY"},
		{"a date is refused", "2024-06-01", Period{}, "YYYY-MM"},
		{"a slash is refused", "2024/06", Period{}, "YYYY-MM"},
		{"a quarter is refused", "2024Q1", Period{}, "YYYY-MM"},
		{"a signed year is refused", "+2024", Period{}, "YYYY"},
		{"full-width digits are refused", "２０２４", Period{}, "YYYY"},
		{"the empty string is refused", "", Period{}, "YYYY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePeriod(tt.in, periodNow)
			if tt.reason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParsePeriod(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
				}
				if got.String() != tt.in {
					t.Fatalf("String() = %q, want %q", got.String(), tt.in)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("ParsePeriod(%q) = %v, %v; want a refusal containing %q", tt.in, got, err, tt.reason)
			}
		})
	}
}

func TestPeriodsRunOnTheBeijingCalendar(t *testing.T) {
	// 16:30 UTC on 30 June is already 1 July in Ningbo.
	lateJune := time.Date(2025, 6, 30, 16, 30, 0, 0, time.UTC)
	if _, err := ParsePeriod("2025-07", lateJune); err != nil {
		t.Fatalf("July has begun in Beijing: %v", err)
	}
	if _, err := ParsePeriod("2025-07", lateJune.Add(-time.Hour)); err == nil {
		t.Fatal("at 15:30 UTC on 30 June July has not begun in Beijing")
	}
	p := Period{2024, 3}
	if got, want := p.Start(), time.Date(2024, 2, 29, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Start of 2024-03 = %v, want %v (midnight in Beijing)", got, want)
	}
	if got, want := (Period{2024, 0}).Start(), time.Date(2023, 12, 31, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Start of 2024 = %v, want %v", got, want)
	}
}

func TestPeriodHelpers(t *testing.T) {
	tests := []struct {
		name  string
		p     Period
		typ   PeriodType
		label string
		prev  string
	}{
		{"a year is annual, labelled 年", Period{2024, 0}, Annual, "2024年", "2023"},
		{"a month is monthly, labelled 年月 without a leading zero", Period{2024, 6}, Monthly, "2024年6月", "2023-06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.p.Type() != tt.typ || tt.p.Label() != tt.label || tt.p.AddYears(-1).String() != tt.prev || typeOf(tt.p.String()) != tt.typ {
				t.Fatalf("%v: type %s label %s previous year %s", tt.p, tt.p.Type(), tt.p.Label(), tt.p.AddYears(-1))
			}
		})
	}
	if !(Period{2024, 5}).Before(Period{2024, 6}) || !(Period{2023, 12}).Before(Period{2024, 1}) || (Period{2024, 6}).Before(Period{2024, 6}) {
		t.Fatal("Before must order by year, then month, strictly")
	}
}

// FuzzParsePeriod: whatever the input, ParsePeriod never panics, and what
// it accepts is a real period within its bounds that it writes back exactly
// as given.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2024", "2024-06", "2024-13", "1948", "2025-07", "", "2024-6", "９９９９", "0000-00", "2024-1a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s, periodNow)
		if err != nil {
			if p != (Period{}) {
				t.Fatalf("refused %q but returned %v", s, p)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("accepted %q as %v, which writes as %q", s, p, p.String())
		}
		if p.Year < FirstYear || p.Month < 0 || p.Month > 12 || p.Start().After(periodNow) {
			t.Fatalf("accepted %q outside the bounds: %+v", s, p)
		}
	})
}
