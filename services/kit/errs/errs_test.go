package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestInvalidIsErrInvalidThroughWrapping(t *testing.T) {
	err := fmt.Errorf("create legal entity: %w", Field("legal_entity.uscc", "check character should be %q", "A"))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) = false", err)
	}
	var inv *InvalidError
	if !errors.As(err, &inv) || inv.Violations[0].Field != "legal_entity.uscc" {
		t.Fatalf("violations lost: %v", err)
	}
}

func TestViolationsWithoutProblemsIsNil(t *testing.T) {
	var v Violations
	v.Check("a", nil)
	if err := v.Err(); err != nil {
		t.Fatalf("Err() = %v, want nil", err)
	}
	v.Add("b", "must be set")
	if err := v.Err(); err == nil || err.Error() != "invalid argument: b: must be set" {
		t.Fatalf("Err() = %v", err)
	}
}
