package standard

import (
	"errors"
	"testing"
)

// checkReason fails unless err is nil and want is "", or err is a *Problem
// whose Reason is want.
func checkReason(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %T is not a *Problem", err)
	}
	if p.Reason != want {
		t.Fatalf("reason %q, want %q", p.Reason, want)
	}
	if err.Error() != p.Reason {
		t.Fatalf("Error() %q differs from Reason %q", err.Error(), p.Reason)
	}
}

func checkCharOnly(t *testing.T, err error) bool {
	t.Helper()
	var p *Problem
	return errors.As(err, &p) && p.CheckCharOnly
}
