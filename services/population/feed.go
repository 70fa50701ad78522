package population

import (
	"context"
	"fmt"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
)

// The change feed and the exports carry persons as stored, ID numbers and
// names included: consumers that keep a copy in step (and subscriptions
// that follow given persons) must tell them apart by what identifies them.
// What each caller may see is decided per caller by the access rules in
// front of the registry (services/kit/authz), which remove the items a
// department is not granted and mask the ID number in the names it may not
// see. Lists and search, read by people, mask for everyone.

// Changes returns up to max changes after a sequence, and the head.
func (s *Service) Changes(ctx context.Context, after int64, max int) ([]Change, int64, error) {
	size, err := page.Size(int32(max), DefaultChangesPageSize, MaxChangesPageSize)
	if err != nil {
		return nil, 0, errs.Field("max", "must not be negative")
	}
	cs, head, err := s.store.Changes(ctx, after, size)
	if err != nil {
		return nil, 0, fmt.Errorf("read changes: %w", err)
	}
	return cs, head, nil
}

// Watch sends the changes after a sequence, then follows new ones.
func (s *Service) Watch(ctx context.Context, after int64, send func([]Change) error) error {
	return s.store.Watch(ctx, after, send)
}

// Export calls fn with every household, then every person, as known at a
// sequence (the head when 0), and returns the sequence used.
func (s *Service) Export(ctx context.Context, at int64, fn func(Record) error) (int64, error) {
	return s.store.Export(ctx, at, fn)
}

// Delta calls fn with the net changes between two sequences.
func (s *Service) Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error {
	if upTo != 0 && upTo < after {
		return errs.Field("up_to_sequence", "must not be below after_sequence (%d)", after)
	}
	return s.store.Delta(ctx, after, upTo, fn)
}
