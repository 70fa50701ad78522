package api

import (
	"errors"
	"testing"

	"github.com/zhbase/zhbase/services/kit/errs"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name, in   string
		uscc, per  string
		acceptable bool
	}{
		{"a report name splits into enterprise and period", "enterprises/91330211MA2AGH7K3X/reports/2024-06", "91330211MA2AGH7K3X", "2024-06", true},
		{"the parts are not judged here", "enterprises/x/reports/y", "x", "y", true},
		{"a collection name is not a report's", "enterprises/x/reports", "", "", false},
		{"an empty enterprise is refused", "enterprises//reports/2024", "", "", false},
		{"an empty period is refused", "enterprises/x/reports/", "", "", false},
		{"another collection is refused", "legalEntities/x/reports/2024", "", "", false},
		{"a deeper name is refused", "enterprises/x/reports/2024/versions", "", "", false},
		{"a leading slash is refused", "/enterprises/x/reports/2024", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := parseName(tt.in, "name")
			if !tt.acceptable {
				if !errors.Is(err, errs.ErrInvalid) {
					t.Fatalf("parseName(%q) = %v, %v; want invalid", tt.in, k, err)
				}
				return
			}
			if err != nil || k.USCC != tt.uscc || k.Period != tt.per {
				t.Fatalf("parseName(%q) = %+v, %v", tt.in, k, err)
			}
		})
	}
}

// FuzzParseName: parseName never panics, and a name it accepts is exactly
// the name of the key it returns.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"enterprises/91330211MA2AGH7K3X/reports/2024", "enterprises/-/reports/2024-06", "enterprises//reports/x", "a/b/c/d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := parseName(s, "name")
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("parseName(%q) failed with %v, not an invalid argument", s, err)
			}
			return
		}
		if k.Name() != s {
			t.Fatalf("parseName(%q) = %+v, whose name is %q", s, k, k.Name())
		}
	})
}
