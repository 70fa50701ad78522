package refs

import (
	"context"
	"errors"
	"testing"

	"github.com/zhbase/zhbase/services/kit/errs"
)

func TestRegistryCheck(t *testing.T) {
	reg := Registry{"addresses": func(ctx context.Context, name string) error {
		switch name {
		case "addresses/1":
			return nil
		case "addresses/down":
			return errors.New("connection refused")
		}
		return errs.NotFound(name)
	}}
	tests := []struct {
		name, ref string
		want      error
	}{
		{"an existing resource passes", "addresses/1", nil},
		{"a missing resource is invalid input", "addresses/2", errs.ErrInvalid},
		{"an unknown collection is invalid input", "planets/1", errs.ErrInvalid},
		{"a malformed name is invalid input", "addresses", errs.ErrInvalid},
		{"an unreachable registry is unavailable, never a pass", "addresses/down", errs.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := reg.Check(context.Background(), "person.residence_address", tt.ref)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Check(%q) = %v, want %v", tt.ref, err, tt.want)
			}
		})
	}
}
