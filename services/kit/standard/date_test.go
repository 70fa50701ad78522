package standard

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		rule, in string
		want     time.Time
		reason   string
	}{
		{"a calendar date is read as midnight UTC", "2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), ""},
		{"1800 is the first year accepted", "1800-01-01", time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"9999 is the last year accepted", "9999-12-31", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), ""},
		{"30 February is not a calendar date", "2024-02-30", time.Time{}, "not a calendar date"},
		{"29 February needs a leap year", "2023-02-29", time.Time{}, "not a calendar date"},
		{"1900 is not a leap year", "1900-02-29", time.Time{}, "not a calendar date"},
		{"month 00 is not a calendar date", "2024-00-10", time.Time{}, "not a calendar date"},
		{"month 13 is not a calendar date", "2024-13-10", time.Time{}, "not a calendar date"},
		{"day 00 is not a calendar date", "2024-01-00", time.Time{}, "not a calendar date"},
		{"April has 30 days", "2024-04-31", time.Time{}, "not a calendar date"},
		{"years before 1800 are refused", "1799-12-31", time.Time{}, "the year must be between 1800 and 9999"},
		{"month and day need two digits", "2024-2-29", time.Time{}, "must be a date written as YYYY-MM-DD"},
		{"slashes are not the format", "2024/02/29", time.Time{}, "must be a date written as YYYY-MM-DD"},
		{"a time part is not accepted", "2024-02-29T00:00:00Z", time.Time{}, "must be a date written as YYYY-MM-DD"},
		{"a sign is not a digit", "2024-+2-09", time.Time{}, "must be a date written as YYYY-MM-DD"},
		{"full-width digits are not the format", "２０２４-02-29", time.Time{}, "must be a date written as YYYY-MM-DD"},
		{"an empty string is not a date", "", time.Time{}, "must be a date written as YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			checkReason(t, err, tt.reason)
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2024-02-30", "1799-12-31", "9999-12-31", "0000-00-00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDate(s)
		_, stdErr := time.Parse(time.DateOnly, s)
		if err == nil {
			if got.Format(time.DateOnly) != s {
				t.Fatalf("%q read as %v", s, got)
			}
			if stdErr != nil {
				t.Fatalf("%q accepted but time.Parse says %v", s, stdErr)
			}
		} else if stdErr == nil && len(s) == 10 && s[:4] >= "1800" {
			t.Fatalf("%q refused (%v) but time.Parse accepts it", s, err)
		}
	})
}
