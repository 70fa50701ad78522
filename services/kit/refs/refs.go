// Package refs checks references between registries: a person's address in
// the spatial registry, a building's owners among persons and legal
// entities, an enterprise's reports against the legal-entity registry. A
// domain asks a Checker whether a resource name exists; how the question
// reaches the other registry (a gRPC Get through etcd) is wired in by the
// process, so domains never dial each other themselves.
package refs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Checker tells whether the resource a field refers to exists.
type Checker interface {
	// Check returns nil when name exists; an invalid-argument error naming
	// field when it does not or cannot be a name this platform holds; and
	// an errs.ErrUnavailable error when the registry holding it cannot
	// answer (the write must then fail: an unchecked reference is never
	// stored).
	Check(ctx context.Context, field, name string) error
}

// Lookup reads one resource by name from its registry, returning an error
// matching errs.ErrNotFound when it does not exist.
type Lookup func(ctx context.Context, name string) error

// Registry resolves names by their collection (the part before the first
// slash) to the lookup of the registry that holds them.
type Registry map[string]Lookup

// Check implements Checker.
func (r Registry) Check(ctx context.Context, field, name string) error {
	collection, id, ok := strings.Cut(name, "/")
	if !ok || id == "" {
		return errs.Field(field, "must be a resource name such as addresses/{id}, got %q", name)
	}
	lookup, known := r[collection]
	if !known {
		return errs.Field(field, "%q is not a collection this field can refer to", collection)
	}
	err := lookup(ctx, name)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errs.ErrNotFound):
		return errs.Field(field, "%s does not exist", name)
	case errors.Is(err, errs.ErrInvalid):
		return errs.Field(field, "%s is not a valid name: %v", name, err)
	default:
		return fmt.Errorf("check %s: %v: %w", name, err, errs.ErrUnavailable)
	}
}

// FromStatus converts the error of a gRPC Get into what Lookup returns:
// NOT_FOUND matches errs.ErrNotFound, INVALID_ARGUMENT errs.ErrInvalid, and
// anything else stays an error the Checker reports as unavailable.
func FromStatus(err error) error {
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.NotFound:
		return fmt.Errorf("%s: %w", status.Convert(err).Message(), errs.ErrNotFound)
	case codes.InvalidArgument:
		return fmt.Errorf("%s: %w", status.Convert(err).Message(), errs.ErrInvalid)
	}
	return err
}
