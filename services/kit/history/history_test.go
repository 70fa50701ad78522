package history

import (
	"errors"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
)

func TestNewPoint(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past := now.AddDate(-1, 0, 0)
	tests := []struct {
		name            string
		valid, known    time.Time
		current, wantOK bool
	}{
		{"nothing set is now", time.Time{}, time.Time{}, false, true},
		{"current alone is now", time.Time{}, time.Time{}, true, true},
		{"a past moment is accepted", past, past, false, true},
		{"current with valid_at is refused", past, time.Time{}, true, false},
		{"current with known_at is refused", time.Time{}, past, true, false},
		{"a future valid_at is refused", now.Add(time.Hour), time.Time{}, false, false},
		{"a future known_at is refused", time.Time{}, now.Add(time.Hour), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPoint(tt.valid, tt.known, tt.current, now)
			if tt.wantOK != (err == nil) {
				t.Fatalf("NewPoint = %v, %v", p, err)
			}
			if err != nil && !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error %v is not invalid-argument", err)
			}
		})
	}
}
