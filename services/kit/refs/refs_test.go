package refs

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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

func TestFromStatusKeepsTheMeaningOfGRPCCodes(t *testing.T) {
	if !errors.Is(FromStatus(status.Error(codes.NotFound, "x")), errs.ErrNotFound) {
		t.Error("NOT_FOUND must match ErrNotFound")
	}
	if !errors.Is(FromStatus(status.Error(codes.InvalidArgument, "x")), errs.ErrInvalid) {
		t.Error("INVALID_ARGUMENT must match ErrInvalid")
	}
	if err := FromStatus(status.Error(codes.Unavailable, "x")); errors.Is(err, errs.ErrNotFound) || err == nil {
		t.Errorf("UNAVAILABLE became %v", err)
	}
	if FromStatus(nil) != nil {
		t.Error("no error must stay no error")
	}
}
