package audit

import (
	"context"
	"fmt"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/errs"
)

// Service is what the API offers of the audit log: search and verify, to
// the platform's administering department only. The log names who looked
// at whose data and why; nobody else may read it, not even the departments
// whose own calls it records.
type Service struct {
	store   Store
	anchors Anchorer
}

// NewService returns a Service over st; anchors may be nil (Verify then
// checks the chains alone).
func NewService(st Store, anchors Anchorer) *Service {
	return &Service{store: st, anchors: anchors}
}

// Search is Search for an administrator.
func (s *Service) Search(ctx context.Context, q Query) ([]Record, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	return Search(ctx, s.store, q)
}

// Verify is Verify for an administrator.
func (s *Service) Verify(ctx context.Context) (Report, error) {
	if err := requireAdmin(ctx); err != nil {
		return Report{}, err
	}
	return Verify(ctx, s.store, s.anchors)
}

func requireAdmin(ctx context.Context) error {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return fmt.Errorf("the audit log is read by verified callers only: %w", errs.ErrUnauthenticated)
	}
	if !id.Admin {
		return fmt.Errorf("only the platform's administering department may read the audit log, not %s: %w", id.Principal(), errs.ErrPermissionDenied)
	}
	return nil
}
