package check

import (
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
)

func TestText(t *testing.T) {
	tests := []struct {
		name      string
		s         string
		required  bool
		multiline bool
		ok        bool
	}{
		{"an empty optional text passes", "", false, false, true},
		{"an empty required text is refused", "", true, false, false},
		{"a text at the limit passes", "宁波镇海", true, false, true},
		{"a text over the limit is refused", "宁波镇海区", true, false, false},
		{"invalid UTF-8 is refused", "\xff", false, false, false},
		{"a line break is refused in a single line", "a\nb", false, false, false},
		{"a line break passes in multiline text", "a\nb", false, true, true},
		{"other control characters are refused even in multiline text", "a\x00b", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v errs.Violations
			if tt.multiline {
				MultilineText(&v, "f", tt.s, tt.required, 4)
			} else {
				Text(&v, "f", tt.s, tt.required, 4)
			}
			if (v.Err() == nil) != tt.ok {
				t.Fatalf("violations = %v", v)
			}
		})
	}
}

func TestDateIsJudgedByTheChinaCalendar(t *testing.T) {
	// 2025-06-14 20:00 UTC is 2025-06-15 04:00 in Ningbo.
	now := time.Date(2025, 6, 14, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		s  string
		ok bool
	}{
		{"2025-06-15", true},
		{"2025-06-16", false},
		{"2025-02-30", false},
		{"15/06/2025", false},
	}
	for _, tt := range tests {
		var v errs.Violations
		if _, ok := Date(&v, "d", tt.s, true, now); ok != tt.ok || (v.Err() == nil) != tt.ok {
			t.Errorf("Date(%q) ok = %v, violations %v", tt.s, ok, v)
		}
	}
	var v errs.Violations
	if _, ok := Date(&v, "d", "", false, now); ok || v.Err() != nil {
		t.Errorf("an empty optional date: ok %v, %v", ok, v)
	}
}
