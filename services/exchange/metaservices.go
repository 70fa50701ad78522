package exchange

import (
	"context"
	"fmt"

	"github.com/zhbase/zhbase/services/kit/authz"
)

// ListMethods lists every registry method (X-Road's listMethods).
func (s *Service) ListMethods(ctx context.Context) ([]authz.Method, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, err
	}
	return s.methods, nil
}

// AllowedMethods lists what department (the caller's own when empty) may
// call now, and what it sees or writes through each method (X-Road's
// allowedMethods), by the rules the registries enforce.
func (s *Service) AllowedMethods(ctx context.Context, department string) (string, []authz.Allowance, error) {
	id, err := callerOf(ctx)
	if err != nil {
		return "", nil, err
	}
	switch {
	case department == "":
		department = id.Department
	case department != id.Department && !id.Admin:
		return "", nil, denied("only an admin department may ask what another department may call")
	}
	if department == "" {
		return "", nil, denied("services have no allowed methods of their own; name a department")
	}
	now := s.now().UTC()
	snap, err := s.store.Snapshot(ctx, now)
	if err != nil {
		return "", nil, fmt.Errorf("read access policy: %w", err)
	}
	return department, policyOf(snap).Rules().Allowed(department, s.methods, now), nil
}
