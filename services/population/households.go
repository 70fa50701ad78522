package population

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/mask"
	"github.com/zhbase/zhbase/services/kit/page"
)

// CreateHouseholdOptions modify CreateHousehold.
type CreateHouseholdOptions struct {
	ValidateOnly bool
	// EffectiveFrom is when the household was registered; now when zero.
	EffectiveFrom time.Time
}

// CreateHousehold validates and registers a household. Its id, when not
// given, is its household number in lower case.
func (s *Service) CreateHousehold(ctx context.Context, h *Household, o CreateHouseholdOptions) (*Household, error) {
	h.normalize()
	if h.ID == "" {
		h.ID = strings.ToLower(h.Number)
	}
	var v errs.Violations
	h.validate(&v)
	if err := s.checkAddress(ctx, &v, householdPrefix+"registered_address", h.RegisteredAddress, ""); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	h.MergedInto = ""
	h.CreateTime, h.UpdateTime, h.Revision = now, now, 1
	if o.ValidateOnly {
		return h, nil
	}
	if err := s.store.CreateHousehold(ctx, h, o.EffectiveFrom); err != nil {
		return nil, fmt.Errorf("create household: %w", err)
	}
	return s.store.GetHousehold(ctx, h.ID, history.Point{})
}

func checkHouseholdName(id, field string) error {
	if err := CheckHouseholdID(id); err != nil {
		return errs.Field(field, "%v", err)
	}
	return nil
}

// GetHousehold returns one household as in effect and known at the point,
// with its head then. A household merged into another resolves to that
// one, with RedirectedFrom set, as an old identifier does.
func (s *Service) GetHousehold(ctx context.Context, id string, at history.Point) (*Household, error) {
	if err := checkHouseholdName(id, "name"); err != nil {
		return nil, err
	}
	h, err := s.followMerges(ctx, id, at)
	if err != nil {
		return nil, fmt.Errorf("get household: %w", err)
	}
	return h, nil
}

// followMerges reads a household and, while it is a merged tombstone, the
// household it was merged into.
func (s *Service) followMerges(ctx context.Context, id string, at history.Point) (*Household, error) {
	cur := id
	for hops := 0; hops < 10; hops++ {
		h, err := s.store.GetHousehold(ctx, cur, at)
		if err != nil {
			return nil, err
		}
		next, merged := strings.CutPrefix(h.MergedInto, HouseholdCollection+"/")
		if !h.Retired || !merged {
			if cur != id {
				h.RedirectedFrom = id
			}
			return h, nil
		}
		cur = next
	}
	return nil, fmt.Errorf("%s: merges form a chain longer than 10: %w", HouseholdName(id), errs.ErrFailedPrecondition)
}

var immutableHouseholdFields = []string{"name", "head", "merged_into", "create_time", "update_time", "etag", "retired", "redirected_from", "version"}

var updatableHousehold = map[string]func(dst, src *Household){
	"household_number":   func(d, s *Household) { d.Number = s.Number },
	"household_type":     func(d, s *Household) { d.Type = s.Type },
	"registered_address": func(d, s *Household) { d.RegisteredAddress = s.RegisteredAddress },
}

// UpdateHousehold copies the fields named by paths from in onto the stored
// household, validates the result and stores it. Unlike a read, a write to a
// merged household does not follow the merge: it is refused as a write to a
// retired record.
func (s *Service) UpdateHousehold(ctx context.Context, id string, in *Household, paths []string, o UpdateOptions) (*Household, error) {
	if err := checkPaths(paths, updatableHousehold, immutableHouseholdFields); err != nil {
		return nil, err
	}
	if err := checkHouseholdName(id, "household.name"); err != nil {
		return nil, err
	}
	at := history.Point{}
	if o.Correction {
		at.ValidAt = o.EffectiveFrom
	}
	cur, err := s.store.GetHousehold(ctx, id, at)
	if err != nil {
		return nil, fmt.Errorf("update household: %w", err)
	}
	if cur.Retired && !o.Correction {
		return nil, fmt.Errorf("%s is retired; it can only be corrected: %w", HouseholdName(id), errs.ErrFailedPrecondition)
	}
	candidate := *cur
	applyPaths(&candidate, in, paths, updatableHousehold)
	candidate.normalize()
	var v errs.Violations
	candidate.validate(&v)
	if err := s.checkAddress(ctx, &v, householdPrefix+"registered_address", candidate.RegisteredAddress, cur.RegisteredAddress); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var would *Household
	h, err := s.store.UpdateHousehold(ctx, id, WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction}, func(t *Household) error {
		if err := checkRevision(o.Revision, t.Revision); err != nil {
			return err
		}
		applyPaths(t, in, paths, updatableHousehold)
		t.normalize()
		var v errs.Violations
		t.validate(&v)
		if err := v.Err(); err != nil {
			return err
		}
		s.touchHousehold(t)
		if o.ValidateOnly {
			would = t
			return errValidateOnly
		}
		return nil
	})
	switch {
	case o.ValidateOnly && errors.Is(err, errValidateOnly):
		would.Head = cur.Head
		return would, nil
	case err != nil:
		return nil, fmt.Errorf("update household: %w", err)
	}
	return h, nil
}

func (s *Service) touchHousehold(h *Household) {
	h.UpdateTime = s.now().UTC()
	h.Revision++
}

// DeleteHousehold retires a household without members. One with active
// members is refused: retiring it would leave them registered nowhere.
func (s *Service) DeleteHousehold(ctx context.Context, id string, o DeleteOptions) (*Household, error) {
	if err := checkHouseholdName(id, "name"); err != nil {
		return nil, err
	}
	members, err := s.store.ListMembers(ctx, MembersQuery{Household: HouseholdName(id), PageSize: 1})
	if err != nil {
		return nil, fmt.Errorf("retire household: %w", err)
	}
	if len(members.Persons) > 0 {
		return nil, fmt.Errorf("%s still has active members; move them to another household or merge it into one: %w",
			HouseholdName(id), errs.ErrFailedPrecondition)
	}
	h, err := s.store.UpdateHousehold(ctx, id, WriteOptions{EffectiveFrom: o.EffectiveFrom, Retire: true}, func(t *Household) error {
		if err := checkRevision(o.Revision, t.Revision); err != nil {
			return err
		}
		s.touchHousehold(t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retire household: %w", err)
	}
	return h, nil
}

// MergeOptions modify MergeHouseholds.
type MergeOptions struct {
	// Relations gives moved members their relation to the staying
	// household's head, by person resource name.
	Relations map[string]Relation
	// EffectiveFrom is when the merge took effect; now when zero.
	EffectiveFrom time.Time
}

// mergeAttempts bounds how often a merge moves members that joined the
// merged household while it ran, before giving up.
const mergeAttempts = 3

// MergeHouseholds merges household `merged` into `into` (合户): every active
// member of merged moves into `into` (keeping their relation, or the one
// given; its head becomes OTHER), then merged is retired with MergedInto
// set, so that reading it resolves to `into`.
//
// The store writes one record per transaction, so a merge is a sequence of
// writes, ordered so that every state between them is valid: members move
// first, the emptied household is retired last. A merge cut off midway
// leaves some members moved and the household still there; repeating the
// request finishes it, and repeating a finished merge returns its result.
func (s *Service) MergeHouseholds(ctx context.Context, into, merged string, o MergeOptions) (*Household, error) {
	var v errs.Violations
	v.Check("name", CheckHouseholdID(into))
	v.Check("merged_household", CheckHouseholdID(merged))
	if into == merged && into != "" {
		v.Add("merged_household", "is the household itself")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	target, err := s.store.GetHousehold(ctx, into, history.Point{})
	if err != nil {
		return nil, fmt.Errorf("merge households: %w", err)
	}
	if target.Retired {
		return nil, fmt.Errorf("%s is retired; merge into a current household: %w", HouseholdName(into), errs.ErrFailedPrecondition)
	}
	src, err := s.store.GetHousehold(ctx, merged, history.Point{})
	switch {
	case errors.Is(err, errs.ErrNotFound):
		return nil, errs.Field("merged_household", "%s does not exist", HouseholdName(merged))
	case err != nil:
		return nil, fmt.Errorf("merge households: %w", err)
	case src.Retired && src.MergedInto == HouseholdName(into):
		return target, nil // merged already: a repeated request
	case src.Retired:
		return nil, fmt.Errorf("%s is retired: %w", HouseholdName(merged), errs.ErrFailedPrecondition)
	}
	for attempt := 0; ; attempt++ {
		members, err := s.allMembers(ctx, HouseholdName(merged))
		if err != nil {
			return nil, fmt.Errorf("merge households: %w", err)
		}
		if err := s.checkMerge(src, target, members, o); err != nil {
			return nil, err
		}
		for _, m := range members {
			if err := s.moveMember(ctx, m, into, o); err != nil {
				return nil, fmt.Errorf("merge households: move %s: %w", PersonName(mask.IDNumber(m.IDNumber)), err)
			}
		}
		_, err = s.store.UpdateHousehold(ctx, merged, WriteOptions{EffectiveFrom: o.EffectiveFrom, Retire: true}, func(t *Household) error {
			t.MergedInto = HouseholdName(into)
			s.touchHousehold(t)
			return nil
		})
		if err == nil {
			break
		}
		// A member who joined meanwhile makes the store refuse the
		// retirement; move them too, a few times at most.
		if !errors.Is(err, errs.ErrFailedPrecondition) || attempt+1 >= mergeAttempts {
			return nil, fmt.Errorf("merge households: retire %s: %w", HouseholdName(merged), err)
		}
		if target, err = s.store.GetHousehold(ctx, into, history.Point{}); err != nil {
			return nil, fmt.Errorf("merge households: %w", err)
		}
	}
	return s.store.GetHousehold(ctx, into, history.Point{})
}

// checkMerge reports every reason a merge cannot start, before it writes
// anything: relations for persons who are not members, a second head, an
// effective time before a record's latest change.
func (s *Service) checkMerge(src, target *Household, members []*Person, o MergeOptions) error {
	var v errs.Violations
	isMember := map[string]bool{}
	for _, m := range members {
		isMember[PersonName(m.IDNumber)] = true
	}
	heads := 0
	for name, r := range o.Relations {
		switch {
		case !isMember[name]:
			v.Add("relations", "%s is not an active member of %s", PersonName(mask.IDNumber(strings.TrimPrefix(name, PersonCollection+"/"))), HouseholdName(src.ID))
		case RelationCode(r) == "":
			v.Add("relations", "unknown relation %q", r)
		case r == RelationHead:
			heads++
		}
	}
	if heads > 1 {
		v.Add("relations", "names %d heads; a household has one", heads)
	}
	if heads > 0 && target.Head != "" {
		v.Add("relations", "%s already has a head, %s", HouseholdName(target.ID), PersonName(mask.IDNumber(target.Head)))
	}
	if !o.EffectiveFrom.IsZero() {
		t := o.EffectiveFrom
		if t.After(s.now()) {
			v.Add("effective_time", "%s is in the future", t.Format(time.RFC3339))
		}
		if t.Before(src.Version.ValidFrom) {
			v.Add("effective_time", "is before the latest change of %s (%s)", HouseholdName(src.ID), src.Version.ValidFrom.Format(time.RFC3339))
		}
		for _, m := range members {
			if t.Before(m.Version.ValidFrom) {
				v.Add("effective_time", "is before the latest change of member %s (%s)",
					PersonName(mask.IDNumber(m.IDNumber)), m.Version.ValidFrom.Format(time.RFC3339))
			}
		}
	}
	return v.Err()
}

// moveMember registers one member of a merged household in the household
// it merges into.
func (s *Service) moveMember(ctx context.Context, m *Person, into string, o MergeOptions) error {
	_, err := s.store.UpdatePerson(ctx, m.IDNumber, WriteOptions{EffectiveFrom: o.EffectiveFrom}, func(t *Person) error {
		if r, ok := o.Relations[PersonName(t.IDNumber)]; ok {
			t.Relation = r
		} else if t.Relation == RelationHead {
			t.Relation = RelationOther
		}
		t.Household = HouseholdName(into)
		s.touchPerson(t)
		return nil
	})
	return err
}

// allMembers reads every active member of a household.
func (s *Service) allMembers(ctx context.Context, household string) ([]*Person, error) {
	var out []*Person
	tok := ""
	for {
		p, err := s.store.ListMembers(ctx, MembersQuery{Household: household, PageSize: MaxListPageSize, PageToken: tok})
		if err != nil {
			return nil, err
		}
		out = append(out, p.Persons...)
		if p.NextPageToken == "" {
			return out, nil
		}
		tok = p.NextPageToken
	}
}

// HouseholdVersions returns one page of the household's own history.
func (s *Service) HouseholdVersions(ctx context.Context, id string, pageSize int, pageToken string) ([]*Household, string, error) {
	if err := checkHouseholdName(id, "name"); err != nil {
		return nil, "", err
	}
	all, err := s.store.HouseholdHistory(ctx, id)
	if err != nil {
		return nil, "", fmt.Errorf("list versions: %w", err)
	}
	return pageOf(all, "households\x00"+id, pageSize, pageToken)
}

// ListHouseholds returns a page of households, heads masked.
func (s *Service) ListHouseholds(ctx context.Context, q ListQuery) (HouseholdPage, error) {
	size, err := page.Size(int32(q.PageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return HouseholdPage{}, err
	}
	q.PageSize = size
	p, err := s.store.ListHouseholds(ctx, q)
	if err != nil {
		return HouseholdPage{}, fmt.Errorf("list households: %w", err)
	}
	for _, h := range p.Households {
		maskHousehold(h)
	}
	return p, nil
}

// MembersOptions modify ListHouseholdMembers.
type MembersOptions struct {
	IncludeFormer bool
	PageSize      int
	PageToken     string
	At            history.Point
}

// ListHouseholdMembers returns a page of a household's members, masked; a
// merged household lists the household it was merged into.
func (s *Service) ListHouseholdMembers(ctx context.Context, id string, o MembersOptions) (PersonPage, error) {
	if err := checkHouseholdName(id, "parent"); err != nil {
		return PersonPage{}, err
	}
	size, err := page.Size(int32(o.PageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return PersonPage{}, err
	}
	h, err := s.followMerges(ctx, id, o.At)
	if err != nil {
		return PersonPage{}, fmt.Errorf("list members: %w", err)
	}
	p, err := s.store.ListMembers(ctx, MembersQuery{
		Household: HouseholdName(h.ID), IncludeFormer: o.IncludeFormer, PageSize: size, PageToken: o.PageToken, At: o.At,
	})
	if err != nil {
		return PersonPage{}, fmt.Errorf("list members: %w", err)
	}
	for _, x := range p.Persons {
		maskPerson(x)
	}
	return p, nil
}

func maskHousehold(h *Household) {
	if h != nil && h.Head != "" {
		h.Head = mask.IDNumber(h.Head)
	}
}
