package legalentity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/mask"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Page sizes of List, Search, ListVersions and the change feed.
const (
	DefaultListPageSize     = 50
	MaxListPageSize         = 1000
	DefaultSearchPageSize   = 20
	MaxSearchPageSize       = 200
	DefaultVersionsPageSize = 100
	MaxVersionsPageSize     = 1000
	DefaultChangesPageSize  = 100
	MaxChangesPageSize      = 1000
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

// Create validates and stores a new entity. Its history starts on its
// establishment date: that is when it began to exist in the world.
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
	established, _ := standard.ParseDate(e.EstablishedOn) // validated above
	// The entity existed from the start of that day in China, which is
	// never after now once validation has passed.
	y, m, d := established.Date()
	if err := s.store.Create(ctx, e, time.Date(y, m, d, 0, 0, 0, 0, standard.ChinaTime)); err != nil {
		return nil, fmt.Errorf("create legal entity: %w", err)
	}
	return s.store.Get(ctx, e.USCC, history.Point{})
}

// Get returns one entity in full, as in effect and known at the point. A
// name that cannot be a USCC is refused as invalid rather than reported
// missing, so that a typo is told apart from an entity the registry does
// not hold; a code failing only its check character is looked up first,
// since pilot codes are stored in lenient mode.
func (s *Service) Get(ctx context.Context, uscc string, at history.Point) (*LegalEntity, error) {
	badName := standard.CheckUSCC(uscc)
	if badName != nil && !isCheckCharOnly(badName) {
		return nil, errs.Field("name", "%v", badName)
	}
	e, err := s.store.Get(ctx, uscc, at)
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
	// Revision, when not zero, must equal the revision of the version the
	// update amends (the etag the caller read).
	Revision     int64
	ValidateOnly bool
	// EffectiveFrom is when the change took effect; now when zero.
	EffectiveFrom time.Time
	// Correction amends the period in effect at EffectiveFrom.
	Correction bool
}

// Update copies the fields named by paths from in onto the stored entity,
// validates the result and stores it as a change or a correction. paths use
// the API's field names; "*" means every writable field.
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
		if err := checkRevision(o.Revision, cur); err != nil {
			return err
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
		return s.touch(cur, lenient)
	}
	if o.ValidateOnly {
		// Run the real write, with all its rules, and abort it at the end.
		var would *LegalEntity
		_, err := s.store.Update(ctx, uscc, WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction}, func(cur *LegalEntity) error {
			if err := apply(cur); err != nil {
				return err
			}
			would = cur
			return errValidateOnly
		})
		if !errors.Is(err, errValidateOnly) {
			return nil, fmt.Errorf("update legal entity: %w", err)
		}
		return would, nil
	}
	e, err := s.store.Update(ctx, uscc, WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction}, apply)
	if err != nil {
		return nil, fmt.Errorf("update legal entity: %w", err)
	}
	return e, nil
}

// errValidateOnly aborts a write that was only to be validated.
var errValidateOnly = errors.New("validate only: nothing stored")

// touch validates a changed entity and stamps the write.
func (s *Service) touch(e *LegalEntity, lenient bool) error {
	e.normalize()
	now := s.now().UTC()
	if err := e.validate(lenient, now); err != nil {
		return err
	}
	e.UpdateTime = now
	e.Revision++
	return nil
}

func checkRevision(want int64, cur *LegalEntity) error {
	if want != 0 && want != cur.Revision {
		return fmt.Errorf("etag %d does not match the stored %d; read the entity again: %w", want, cur.Revision, errs.ErrConflict)
	}
	return nil
}

// DeleteOptions modify Delete.
type DeleteOptions struct {
	Revision      int64
	EffectiveFrom time.Time
}

// Delete retires the entity: it stays readable, marked retired, with its
// history.
func (s *Service) Delete(ctx context.Context, uscc string, o DeleteOptions) (*LegalEntity, error) {
	e, err := s.store.Update(ctx, uscc, WriteOptions{EffectiveFrom: o.EffectiveFrom, Retire: true}, func(cur *LegalEntity) error {
		if err := checkRevision(o.Revision, cur); err != nil {
			return err
		}
		cur.UpdateTime = s.now().UTC()
		cur.Revision++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retire legal entity: %w", err)
	}
	return e, nil
}

// RenameOptions modify Rename.
type RenameOptions struct {
	Revision      int64
	EffectiveFrom time.Time
}

// Rename moves an entity to a new USCC; the old one redirects to it. The
// new code must be fully valid: lenient mode exists for old codes, not for
// their replacements.
func (s *Service) Rename(ctx context.Context, uscc, newUSCC string, o RenameOptions) (*LegalEntity, error) {
	newUSCC = standard.NormalizeUSCC(newUSCC)
	if err := standard.CheckUSCC(newUSCC); err != nil {
		return nil, errs.Field("new_uscc", "%v", err)
	}
	e, err := s.store.Rename(ctx, uscc, newUSCC, o.EffectiveFrom, func(cur *LegalEntity) error {
		if err := checkRevision(o.Revision, cur); err != nil {
			return err
		}
		cur.USCC = newUSCC
		if err := s.touch(cur, false); err != nil {
			var inv *errs.InvalidError
			if errors.As(err, &inv) {
				for i := range inv.Violations {
					inv.Violations[i].Field = strings.Replace(inv.Violations[i].Field, fieldPrefix+"uscc", "new_uscc", 1)
				}
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rename legal entity: %w", err)
	}
	return e, nil
}

// Versions returns one page of the entity's history in full.
func (s *Service) Versions(ctx context.Context, uscc string, pageSize int, pageToken string) ([]*LegalEntity, string, error) {
	size, err := page.Size(int32(pageSize), DefaultVersionsPageSize, MaxVersionsPageSize)
	if err != nil {
		return nil, "", err
	}
	tok, err := page.Decode("versions\x00"+uscc, pageToken)
	if err != nil {
		return nil, "", err
	}
	all, err := s.store.History(ctx, uscc)
	if err != nil {
		return nil, "", fmt.Errorf("list versions: %w", err)
	}
	if tok.Offset >= len(all) {
		return nil, "", nil
	}
	end := min(tok.Offset+size, len(all))
	next := ""
	if end < len(all) {
		next = page.Encode("versions\x00"+uscc, page.Token{Offset: end})
	}
	return all[tok.Offset:end], next, nil
}

// immutable fields are the identity and what the registry computes.
var immutable = []string{"name", "uscc", "check_character_invalid", "create_time", "update_time", "etag", "retired", "redirected_from", "version"}

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

// The change feed and the exports carry entities as stored: consumers that
// keep a copy in step need the values, and what each caller may see of
// them is decided per caller by the access rules in front of the registry
// (services/kit/authz), which withhold the representative's ID number from
// every department not granted it. Lists and search, read by people, mask
// it for everyone.

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

// Export calls fn with every entity as known at a sequence.
func (s *Service) Export(ctx context.Context, at int64, fn func(*LegalEntity) error) (int64, error) {
	return s.store.Export(ctx, at, fn)
}

// Delta calls fn with the net changes between two sequences.
func (s *Service) Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error {
	if upTo != 0 && upTo < after {
		return errs.Field("up_to_sequence", "must not be below after_sequence (%d)", after)
	}
	return s.store.Delta(ctx, after, upTo, fn)
}

// maskPersonalData hides the representative's ID number in lists and search,
// where a full number would let anyone harvest them (DESIGN: first 6, last 4).
func maskPersonalData(e *LegalEntity) {
	if e != nil && e.Representative.IDNumber != "" {
		e.Representative.IDNumber = mask.IDNumber(e.Representative.IDNumber)
	}
}
