package population

import (
	"context"
	"fmt"
	"strings"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/mask"
	"github.com/zhbase/zhbase/services/kit/page"
)

// The change feed and the exports are bulk reads: every person in them is
// masked, and so is the name of every person change.

// Changes returns up to max changes after a sequence, masked, and the head.
func (s *Service) Changes(ctx context.Context, after int64, max int) ([]Change, int64, error) {
	size, err := page.Size(int32(max), DefaultChangesPageSize, MaxChangesPageSize)
	if err != nil {
		return nil, 0, errs.Field("max", "must not be negative")
	}
	cs, head, err := s.store.Changes(ctx, after, size)
	if err != nil {
		return nil, 0, fmt.Errorf("read changes: %w", err)
	}
	for i := range cs {
		maskChange(&cs[i])
	}
	return cs, head, nil
}

// Watch sends the changes after a sequence, masked, then follows new ones.
func (s *Service) Watch(ctx context.Context, after int64, send func([]Change) error) error {
	return s.store.Watch(ctx, after, func(cs []Change) error {
		for i := range cs {
			maskChange(&cs[i])
		}
		return send(cs)
	})
}

// Export calls fn with every household, then every person, masked, as
// known at a sequence (the head when 0), and returns the sequence used.
func (s *Service) Export(ctx context.Context, at int64, fn func(Record) error) (int64, error) {
	return s.store.Export(ctx, at, func(r Record) error {
		maskPerson(r.Person)
		maskHousehold(r.Household)
		return fn(r)
	})
}

// Delta calls fn with the net changes between two sequences, masked.
func (s *Service) Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error {
	if upTo != 0 && upTo < after {
		return errs.Field("up_to_sequence", "must not be below after_sequence (%d)", after)
	}
	return s.store.Delta(ctx, after, upTo, func(c Change) error {
		maskChange(&c)
		return fn(c)
	})
}

func maskChange(c *Change) {
	if id, ok := strings.CutPrefix(c.Name, PersonCollection+"/"); ok {
		c.Name = PersonName(mask.IDNumber(id))
	}
	maskPerson(c.Person)
	maskHousehold(c.Household)
}
