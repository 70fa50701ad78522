package legalentity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/mask"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Page sizes of List and Search.
const (
	DefaultListPageSize   = 50
	MaxListPageSize       = 1000
	DefaultSearchPageSize = 20
	MaxSearchPageSize     = 200
)

// Service is the registry's application logic: it validates, applies update
// masks, masks personal data in bulk reads, and delegates storage.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store.
func NewService(store Store) *Service {
	return &Service{store: store, now: time.Now}
}

// CreateOptions modify Create.
type CreateOptions struct {
	// LenientCheckCharacter accepts an early pilot USCC whose check
	// character is wrong, flagging the entity.
	LenientCheckCharacter bool
	// ValidateOnly returns the entity as it would be stored, storing nothing.
	ValidateOnly bool
}

// Create validates and stores a new entity.
func (s *Service) Create(ctx context.Context, e *LegalEntity, o CreateOptions) (*LegalEntity, error) {
	e.normalize()
	now := s.now().UTC()
	if err := e.validate(o.LenientCheckCharacter, now); err != nil {
		return nil, err
	}
	e.CreateTime, e.UpdateTime, e.Revision = now, now, 1
	if o.ValidateOnly {
		return e, nil
	}
	if err := s.store.Create(ctx, e); err != nil {
		return nil, fmt.Errorf("create legal entity: %w", err)
	}
	return e, nil
}

// Get returns one entity in full. A name that cannot be a USCC is refused
// as invalid rather than reported missing, so that a typo is told apart
// from an entity the registry does not hold; a code failing only its check
// character is looked up first, since pilot codes are stored in lenient mode.
func (s *Service) Get(ctx context.Context, uscc string) (*LegalEntity, error) {
	badName := standard.CheckUSCC(uscc)
	if badName != nil && !isCheckCharOnly(badName) {
		return nil, errs.Field("name", "%v", badName)
	}
	e, err := s.store.Get(ctx, uscc)
	if errors.Is(err, errs.ErrNotFound) && badName != nil {
		return nil, errs.Field("name", "%v", badName)
	}
	if err != nil {
		return nil, fmt.Errorf("get legal entity: %w", err)
	}
	return e, nil
}

// UpdateOptions modify Update.
type UpdateOptions struct {
	// Revision, when not zero, must equal the stored revision (the etag).
	Revision     int64
	ValidateOnly bool
}

// Update copies the fields named by paths from in onto the stored entity,
// validates the result and stores it. paths use the API's field names;
// "*" means every writable field.
func (s *Service) Update(ctx context.Context, uscc string, in *LegalEntity, paths []string, o UpdateOptions) (*LegalEntity, error) {
	if len(paths) == 0 {
		return nil, errs.Field("update_mask", "is required: name the fields to change, or \"*\" for all")
	}
	for _, p := range paths {
		if _, ok := updatable[p]; !ok && p != "*" {
			if slices.Contains(immutable, p) {
				return nil, errs.Field("update_mask", "%q cannot be changed", p)
			}
			return nil, errs.Field("update_mask", "unknown field %q; updatable fields are %s", p, strings.Join(updatableNames(), ", "))
		}
	}
	apply := func(cur *LegalEntity) error {
		if o.Revision != 0 && o.Revision != cur.Revision {
			return fmt.Errorf("etag %d does not match the stored %d: %w", o.Revision, cur.Revision, errs.ErrConflict)
		}
		lenient := cur.CheckCharInvalid
		for _, p := range paths {
			if p == "*" {
				for _, set := range updatable {
					set(cur, in)
				}
				continue
			}
			updatable[p](cur, in)
		}
		cur.normalize()
		now := s.now().UTC()
		if err := cur.validate(lenient, now); err != nil {
			return err
		}
		cur.UpdateTime = now
		cur.Revision++
		if o.ValidateOnly {
			return errValidateOnly
		}
		return nil
	}
	if o.ValidateOnly {
		cur, err := s.store.Get(ctx, uscc)
		if err != nil {
			return nil, fmt.Errorf("update legal entity: %w", err)
		}
		if err := apply(cur); err != nil && err != errValidateOnly {
			return nil, err
		}
		return cur, nil
	}
	e, err := s.store.Update(ctx, uscc, apply)
	if err != nil {
		return nil, fmt.Errorf("update legal entity: %w", err)
	}
	return e, nil
}

var errValidateOnly = fmt.Errorf("validate only")

// immutable fields are the identity and what the registry computes.
var immutable = []string{"name", "uscc", "check_character_invalid", "create_time", "update_time", "etag"}

// updatable maps each API field path to how it is copied.
var updatable = map[string]func(dst, src *LegalEntity){
	"display_name":                     func(d, s *LegalEntity) { d.Name = s.Name },
	"former_names":                     func(d, s *LegalEntity) { d.FormerNames = slices.Clone(s.FormerNames) },
	"entity_type":                      func(d, s *LegalEntity) { d.Type = s.Type },
	"legal_representative":             func(d, s *LegalEntity) { d.Representative = s.Representative },
	"legal_representative.name":        func(d, s *LegalEntity) { d.Representative.Name = s.Representative.Name },
	"legal_representative.id_number":   func(d, s *LegalEntity) { d.Representative.IDNumber = s.Representative.IDNumber },
	"registered_capital":               func(d, s *LegalEntity) { d.Capital = s.Capital },
	"registered_capital.amount":        func(d, s *LegalEntity) { d.Capital.Amount = s.Capital.Amount },
	"registered_capital.currency":      func(d, s *LegalEntity) { d.Capital.Currency = s.Capital.Currency },
	"establishment_date":               func(d, s *LegalEntity) { d.EstablishedOn = s.EstablishedOn },
	"registration_authority":           func(d, s *LegalEntity) { d.RegistrationAuthority = s.RegistrationAuthority },
	"business_scope":                   func(d, s *LegalEntity) { d.BusinessScope = s.BusinessScope },
	"industry_code":                    func(d, s *LegalEntity) { d.IndustryCode = s.IndustryCode },
	"registered_address":               func(d, s *LegalEntity) { d.Address = s.Address },
	"registered_address.text":          func(d, s *LegalEntity) { d.Address.Text = s.Address.Text },
	"registered_address.division_code": func(d, s *LegalEntity) { d.Address.DivisionCode = s.Address.DivisionCode },
	"status":                           func(d, s *LegalEntity) { d.Status = s.Status },
	"status_date":                      func(d, s *LegalEntity) { d.StatusDate = s.StatusDate },
}

func updatableNames() []string {
	names := make([]string, 0, len(updatable))
	for n := range updatable {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// List returns a page of entities with personal data masked.
func (s *Service) List(ctx context.Context, q ListQuery) (Page, error) {
	size, err := page.Size(int32(q.PageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return Page{}, err
	}
	q.PageSize = size
	p, err := s.store.List(ctx, q)
	if err != nil {
		return Page{}, fmt.Errorf("list legal entities: %w", err)
	}
	for _, e := range p.Entities {
		maskPersonalData(e)
	}
	return p, nil
}

// Search returns a page of ranked matches with personal data masked.
func (s *Service) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	size, err := page.Size(int32(q.PageSize), DefaultSearchPageSize, MaxSearchPageSize)
	if err != nil {
		return SearchPage{}, err
	}
	q.PageSize = size
	q.Query = strings.TrimSpace(q.Query)
	if q.Query == "" {
		return SearchPage{}, errs.Field("query", "is required")
	}
	p, err := s.store.Search(ctx, q)
	if err != nil {
		return SearchPage{}, fmt.Errorf("search legal entities: %w", err)
	}
	for _, h := range p.Hits {
		maskPersonalData(h.Entity)
	}
	return p, nil
}

// maskPersonalData hides the representative's ID number in bulk reads,
// where a full number would let anyone harvest them (DESIGN: first 6, last 4).
func maskPersonalData(e *LegalEntity) {
	if e.Representative.IDNumber != "" {
		e.Representative.IDNumber = mask.IDNumber(e.Representative.IDNumber)
	}
}
