// Package errs holds the domain errors every zhbase service speaks in. Domain
// and store code return these (wrapped with what was being done); only the
// transport edge (services/kit/server) turns them into gRPC status codes, so
// this package must never import gRPC or SQL.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Test with errors.Is; wrap with fmt.Errorf("...: %w", err).
var (
	// ErrInvalid: the request is malformed. Prefer Invalid(...) so the
	// caller learns which field is wrong and why.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound: the named resource does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a resource with that name exists already.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: the resource changed since the caller read it (etag).
	ErrConflict = errors.New("changed concurrently")
	// ErrFailedPrecondition: the system is not in a state that allows the
	// operation (for example a retired record cannot be updated).
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrUnauthenticated: no or bad credentials.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrPermissionDenied: the caller may not do this.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrExhausted: a quota or rate limit is used up.
	ErrExhausted = errors.New("resource exhausted")
	// ErrUnavailable: a dependency is down; retrying later may succeed.
	ErrUnavailable = errors.New("unavailable")
)

// FieldViolation names one bad field and why it is bad, in words a clerk can
// act on. Field is a dotted path in the API's field names.
type FieldViolation struct {
	Field  string
	Reason string
}

// InvalidError is a validation failure listing every bad field at once, so a
// clerk fixing a spreadsheet row sees all problems in one round trip.
type InvalidError struct {
	Violations []FieldViolation
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.Field + ": " + v.Reason
	}
	return "invalid argument: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for every InvalidError.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns an *InvalidError for the given violations, or nil when
// there are none.
func Invalid(vs ...FieldViolation) error {
	if len(vs) == 0 {
		return nil
	}
	return &InvalidError{Violations: vs}
}

// Field is shorthand for a single-violation Invalid error.
func Field(field, format string, args ...any) error {
	return Invalid(FieldViolation{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Violations collects field violations while a request is validated.
type Violations []FieldViolation

// Add records a violation.
func (v *Violations) Add(field, format string, args ...any) {
	*v = append(*v, FieldViolation{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Check records err's message as the reason for field when err is not nil.
func (v *Violations) Check(field string, err error) {
	if err != nil {
		*v = append(*v, FieldViolation{Field: field, Reason: err.Error()})
	}
}

// Err returns the collected violations as an error, or nil.
func (v Violations) Err() error { return Invalid(v...) }

// NotFound wraps ErrNotFound with the resource name.
func NotFound(name string) error { return fmt.Errorf("%s: %w", name, ErrNotFound) }

// AlreadyExists wraps ErrAlreadyExists with the resource name.
func AlreadyExists(name string) error { return fmt.Errorf("%s: %w", name, ErrAlreadyExists) }
