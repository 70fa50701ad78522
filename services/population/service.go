package population

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/mask"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Page sizes of the reads.
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

// Service is the registry's application logic: it validates, checks
// references, applies update masks, masks personal data in bulk reads, and
// delegates storage.
type Service struct {
	store Store
	refs  refs.Checker
	now   func() time.Time
}

// NewService returns a Service over store. refs checks the addresses
// persons and households refer to, in the spatial registry.
func NewService(store Store, refs refs.Checker) *Service {
	return &Service{store: store, refs: refs, now: time.Now}
}

// CreatePersonOptions modify CreatePerson.
type CreatePersonOptions struct {
	// ValidateOnly returns the person as they would be stored, storing
	// nothing.
	ValidateOnly bool
	// LegacyIDNumber keeps a 15-digit ID number instead of upgrading it.
	LegacyIDNumber bool
	// EffectiveFrom is when the registration took effect; now when zero.
	EffectiveFrom time.Time
}

// CreatePerson validates and registers a person. Every broken rule is
// reported at once, those needing other records (the household, the head,
// the addresses) included.
func (s *Service) CreatePerson(ctx context.Context, p *Person, o CreatePersonOptions) (*Person, error) {
	legacy := o.LegacyIDNumber && isLegacyIDNumber(standard.NormalizeIDNumber(p.IDNumber))
	p.normalize(legacy)
	now := s.now().UTC()
	if p.RegisteredAddress == "" {
		s.defaultRegisteredAddress(ctx, p)
	}
	var v errs.Violations
	p.validate(&v, legacy, now)
	if !o.EffectiveFrom.IsZero() {
		if b, err := standard.ParseDate(p.BirthDate); err == nil && o.EffectiveFrom.Before(startOfDay(b)) {
			v.Add("effective_time", "is before the birth date %s", p.BirthDate)
		}
	}
	if err := s.checkPersonReferences(ctx, &v, p, nil); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.checkNotRegisteredUnderTheOtherForm(ctx, p.IDNumber); err != nil {
		return nil, err
	}
	p.UID = newUID()
	p.CreateTime, p.UpdateTime, p.Revision = now, now, 1
	if o.ValidateOnly {
		return p, nil
	}
	if err := s.store.CreatePerson(ctx, p, o.EffectiveFrom); err != nil {
		return nil, fmt.Errorf("create person: %w", err)
	}
	return s.store.GetPerson(ctx, p.IDNumber, history.Point{})
}

// defaultRegisteredAddress gives a new person their household's registered
// address: a person's 户籍 address is normally the household's. A household
// that cannot be read is left for validation to report.
func (s *Service) defaultRegisteredAddress(ctx context.Context, p *Person) {
	id, ok := strings.CutPrefix(p.Household, HouseholdCollection+"/")
	if !ok || CheckHouseholdID(id) != nil {
		return
	}
	if h, err := s.store.GetHousehold(ctx, id, history.Point{}); err == nil && !h.Retired {
		p.RegisteredAddress = h.RegisteredAddress
	}
}

// checkNotRegisteredUnderTheOtherForm refuses to register, under its 18- or
// its 15-character form, a number whose other form the registry holds: that
// is the same person, registered twice.
func (s *Service) checkNotRegisteredUnderTheOtherForm(ctx context.Context, id string) error {
	other := ""
	switch {
	case isLegacyIDNumber(id):
		other, _ = standard.UpgradeIDNumber(id)
	case len(id) == 18 && id[6:8] == "19":
		other = id[:6] + id[8:17]
	}
	if other == "" {
		return nil
	}
	_, err := s.store.GetPerson(ctx, other, history.Point{})
	switch {
	case err == nil:
		return fmt.Errorf("%s holds this person under the other form of the number; upgrade a 15-digit record with RenamePerson: %w",
			PersonName(other), errs.ErrAlreadyExists)
	case errors.Is(err, errs.ErrNotFound):
		return nil
	}
	return fmt.Errorf("check %s: %w", PersonName(other), err)
}

// checkPersonReferences adds to v what is wrong with the records p refers
// to: a household that does not exist (or is retired, for an active
// person), a second head, an address the spatial registry does not hold.
// Addresses are checked only when new (prev is the record before an update,
// nil on create): a record whose address was retired later stays
// updatable. Fields already refused by validate are not checked again. An
// error means a check could not be made, and the write must fail.
func (s *Service) checkPersonReferences(ctx context.Context, v *errs.Violations, p, prev *Person) error {
	if !hasViolation(*v, personPrefix+"household") {
		id := strings.TrimPrefix(p.Household, HouseholdCollection+"/")
		h, err := s.store.GetHousehold(ctx, id, history.Point{})
		switch {
		case errors.Is(err, errs.ErrNotFound):
			v.Add(personPrefix+"household", "%s does not exist", p.Household)
		case err != nil:
			return fmt.Errorf("check %s: %w", p.Household, err)
		case h.Retired && p.Active() && h.MergedInto != "":
			v.Add(personPrefix+"household", "%s was merged into %s; register the person there", p.Household, h.MergedInto)
		case h.Retired && p.Active():
			v.Add(personPrefix+"household", "%s is retired", p.Household)
		case p.Active() && p.Relation == RelationHead && h.Head != "" && h.Head != p.IDNumber && (prev == nil || h.Head != prev.IDNumber):
			v.Add(personPrefix+"relation", "%s already has a head, %s; change that person's relation first",
				p.Household, PersonName(mask.IDNumber(h.Head)))
		}
	}
	for _, a := range []struct{ field, value, before string }{
		{"registered_address", p.RegisteredAddress, prevValue(prev, func(p *Person) string { return p.RegisteredAddress })},
		{"residence_address", p.ResidenceAddress, prevValue(prev, func(p *Person) string { return p.ResidenceAddress })},
	} {
		if err := s.checkAddress(ctx, v, personPrefix+a.field, a.value, a.before); err != nil {
			return err
		}
	}
	return nil
}

func prevValue(prev *Person, f func(*Person) string) string {
	if prev == nil {
		return ""
	}
	return f(prev)
}

// checkAddress asks the spatial registry whether a new address exists,
// adding its answer to v.
func (s *Service) checkAddress(ctx context.Context, v *errs.Violations, field, value, before string) error {
	if value == "" || value == before || hasViolation(*v, field) {
		return nil
	}
	err := s.refs.Check(ctx, field, value)
	var inv *errs.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inv):
		*v = append(*v, inv.Violations...)
		return nil
	}
	return fmt.Errorf("check %s: %w", field, err)
}

func hasViolation(v errs.Violations, field string) bool {
	for _, x := range v {
		if x.Field == field {
			return true
		}
	}
	return false
}

// newUID returns a random UUID (version 4), the AIP-148 uid.
func newUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// checkPersonName refuses a name that cannot be an ID number as invalid,
// rather than reporting it missing, so that a typo is told apart from a
// person the registry does not hold.
func checkPersonName(id string) error {
	switch {
	case strings.Contains(id, "*"):
		return errs.Field("name", "is masked, as bulk reads return it; ask with the full ID number")
	case isLegacyIDNumber(id):
		if _, err := standard.UpgradeIDNumber(id); err != nil {
			return errs.Field("name", "%v", err)
		}
		return nil
	}
	if err := standard.CheckIDNumber(id); err != nil {
		return errs.Field("name", "%v", err)
	}
	return nil
}

// GetPerson returns one person in full, as in effect and known at the
// point. A 15-digit number resolves to the record stored under it, or else
// to the record of its upgrade, with RedirectedFrom set.
func (s *Service) GetPerson(ctx context.Context, id string, at history.Point) (*Person, error) {
	if err := checkPersonName(id); err != nil {
		return nil, err
	}
	p, err := s.store.GetPerson(ctx, id, at)
	if errors.Is(err, errs.ErrNotFound) && isLegacyIDNumber(id) {
		up, _ := standard.UpgradeIDNumber(id) // checked by checkPersonName
		if p, err = s.store.GetPerson(ctx, up, at); err == nil {
			p.RedirectedFrom = id
		}
	}
	if err != nil {
		return nil, fmt.Errorf("get person: %w", err)
	}
	return p, nil
}

// UpdateOptions modify UpdatePerson and UpdateHousehold.
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

// immutablePersonFields are the identity and what the registry computes.
var immutablePersonFields = []string{"name", "id_number", "uid", "create_time", "update_time", "etag", "retired", "redirected_from", "version"}

// updatablePerson maps each API field path to how it is copied.
var updatablePerson = map[string]func(dst, src *Person){
	"display_name":       func(d, s *Person) { d.Name = s.Name },
	"former_names":       func(d, s *Person) { d.FormerNames = slices.Clone(s.FormerNames) },
	"sex":                func(d, s *Person) { d.Sex = s.Sex },
	"birth_date":         func(d, s *Person) { d.BirthDate = s.BirthDate },
	"ethnicity":          func(d, s *Person) { d.Ethnicity = s.Ethnicity },
	"household":          func(d, s *Person) { d.Household = s.Household },
	"relation":           func(d, s *Person) { d.Relation = s.Relation },
	"registered_address": func(d, s *Person) { d.RegisteredAddress = s.RegisteredAddress },
	"residence_address":  func(d, s *Person) { d.ResidenceAddress = s.ResidenceAddress },
	"phone":              func(d, s *Person) { d.Phone = s.Phone },
	"education":          func(d, s *Person) { d.Education = s.Education },
	"marital_status":     func(d, s *Person) { d.MaritalStatus = s.MaritalStatus },
	"status":             func(d, s *Person) { d.Status = s.Status },
	"status_date":        func(d, s *Person) { d.StatusDate = s.StatusDate },
}

// checkPaths refuses an empty mask, immutable fields and unknown fields.
func checkPaths[T any](paths []string, updatable map[string]func(dst, src T), immutable []string) error {
	if len(paths) == 0 {
		return errs.Field("update_mask", "is required: name the fields to change, or \"*\" for all")
	}
	for _, p := range paths {
		if _, ok := updatable[p]; ok || p == "*" {
			continue
		}
		if slices.Contains(immutable, p) {
			return errs.Field("update_mask", "%q cannot be changed", p)
		}
		names := make([]string, 0, len(updatable))
		for n := range updatable {
			names = append(names, n)
		}
		slices.Sort(names)
		return errs.Field("update_mask", "unknown field %q; updatable fields are %s", p, strings.Join(names, ", "))
	}
	return nil
}

func applyPaths[T any](dst, src T, paths []string, updatable map[string]func(dst, src T)) {
	for _, p := range paths {
		if p == "*" {
			for _, set := range updatable {
				set(dst, src)
			}
			continue
		}
		updatable[p](dst, src)
	}
}

func clonePerson(p *Person) *Person {
	c := *p
	c.FormerNames = slices.Clone(p.FormerNames)
	return &c
}

func checkRevision(want, have int64) error {
	if want != 0 && want != have {
		return fmt.Errorf("etag %d does not match the stored %d; read the record again: %w", want, have, errs.ErrConflict)
	}
	return nil
}

// checkDeceased refuses a change to a deceased person: death closes the
// record, and only a correction may amend what was recorded.
func checkDeceased(p *Person, correction bool) error {
	if p.Status == StatusDeceased && !correction {
		return fmt.Errorf("%s is deceased; only a correction can change the record: %w", PersonName(p.IDNumber), errs.ErrFailedPrecondition)
	}
	return nil
}

// UpdatePerson copies the fields named by paths from in onto the stored
// person, validates the result, checks the records it refers to, and
// stores it as a change or a correction. paths use the API's field names;
// "*" means every writable field. A former or 15-digit number resolves to
// the person's current record, as GetPerson does.
func (s *Service) UpdatePerson(ctx context.Context, id string, in *Person, paths []string, o UpdateOptions) (*Person, error) {
	if err := checkPaths(paths, updatablePerson, immutablePersonFields); err != nil {
		return nil, err
	}
	at := history.Point{}
	if o.Correction {
		at.ValidAt = o.EffectiveFrom
	}
	cur, err := s.GetPerson(ctx, id, at)
	if err != nil {
		return nil, fmt.Errorf("update person: %w", err)
	}
	if cur.Retired && !o.Correction {
		return nil, fmt.Errorf("%s is retired; it can only be corrected: %w", PersonName(cur.IDNumber), errs.ErrFailedPrecondition)
	}
	if err := checkDeceased(cur, o.Correction); err != nil {
		return nil, err
	}
	// Everything that needs other records is checked here, outside the
	// write's transaction, which must not wait on another registry.
	legacy := isLegacyIDNumber(cur.IDNumber)
	candidate := clonePerson(cur)
	applyPaths(candidate, in, paths, updatablePerson)
	candidate.normalize(legacy)
	var v errs.Violations
	candidate.validate(&v, legacy, s.now().UTC())
	if err := s.checkPersonReferences(ctx, &v, candidate, cur); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// The write itself applies the mask again to the version it amends,
	// which another writer may have changed since, and judges the result.
	var would *Person
	p, err := s.store.UpdatePerson(ctx, cur.IDNumber, WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction}, func(t *Person) error {
		if err := checkRevision(o.Revision, t.Revision); err != nil {
			return err
		}
		if err := checkDeceased(t, o.Correction); err != nil {
			return err
		}
		applyPaths(t, in, paths, updatablePerson)
		t.normalize(legacy)
		var v errs.Violations
		t.validate(&v, legacy, s.now().UTC())
		if err := v.Err(); err != nil {
			return err
		}
		s.touchPerson(t)
		if o.ValidateOnly {
			would = t
			return errValidateOnly
		}
		return nil
	})
	switch {
	case o.ValidateOnly && errors.Is(err, errValidateOnly):
		return would, nil
	case err != nil:
		return nil, fmt.Errorf("update person: %w", err)
	}
	return p, nil
}

// errValidateOnly aborts a write that was only to be validated: the real
// write runs, with every rule the store applies, and is rolled back.
var errValidateOnly = errors.New("validate only: nothing stored")

func (s *Service) touchPerson(p *Person) {
	p.UpdateTime = s.now().UTC()
	p.Revision++
}

// DeleteOptions modify the retirement of a record.
type DeleteOptions struct {
	Revision      int64
	EffectiveFrom time.Time
}

// DeletePerson retires the person: they stay readable, marked retired, with
// their history, and no longer count as a member of their household.
func (s *Service) DeletePerson(ctx context.Context, id string, o DeleteOptions) (*Person, error) {
	cur, err := s.GetPerson(ctx, id, history.Point{})
	if err != nil {
		return nil, fmt.Errorf("retire person: %w", err)
	}
	p, err := s.store.UpdatePerson(ctx, cur.IDNumber, WriteOptions{EffectiveFrom: o.EffectiveFrom, Retire: true}, func(t *Person) error {
		if err := checkRevision(o.Revision, t.Revision); err != nil {
			return err
		}
		s.touchPerson(t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retire person: %w", err)
	}
	return p, nil
}

// RenameOptions modify RenamePerson.
type RenameOptions struct {
	Revision      int64
	EffectiveFrom time.Time
}

// RenamePerson moves a person to a new ID number; the old one redirects to
// it. An empty newID upgrades a 15-digit number. The birth date and sex are
// taken from the new number: a number is re-issued precisely when they were
// found wrong, and the new number is the authority on them.
func (s *Service) RenamePerson(ctx context.Context, id, newID string, o RenameOptions) (*Person, error) {
	cur, err := s.GetPerson(ctx, id, history.Point{})
	if err != nil {
		return nil, fmt.Errorf("rename person: %w", err)
	}
	newID = standard.NormalizeIDNumber(newID)
	switch {
	case newID == "" && isLegacyIDNumber(cur.IDNumber):
		newID, _ = standard.UpgradeIDNumber(cur.IDNumber) // stored, so valid
	case newID == "":
		return nil, errs.Field("new_id_number", "is required: %s is already an 18-character number", PersonName(cur.IDNumber))
	case newID == cur.IDNumber:
		return nil, errs.Field("new_id_number", "is the person's number already")
	}
	if err := standard.CheckIDNumberAt(newID, s.now()); err != nil {
		return nil, errs.Field("new_id_number", "%v", err)
	}
	info, _ := standard.ParseIDNumberAt(newID, s.now()) // checked above
	p, err := s.store.RenamePerson(ctx, cur.IDNumber, newID, o.EffectiveFrom, func(t *Person) error {
		if err := checkRevision(o.Revision, t.Revision); err != nil {
			return err
		}
		t.IDNumber, t.Sex, t.BirthDate = newID, sexOf(info), info.Birth.Format(time.DateOnly)
		t.normalize(false)
		var v errs.Violations
		t.validate(&v, false, s.now().UTC())
		for i := range v {
			if v[i].Field == personPrefix+"id_number" {
				v[i].Field = "new_id_number"
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		s.touchPerson(t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rename person: %w", err)
	}
	return p, nil
}

// PersonVersions returns one page of the person's history in full. A
// 15-digit number that was never stored lists the history of its upgrade.
func (s *Service) PersonVersions(ctx context.Context, id string, pageSize int, pageToken string) ([]*Person, string, error) {
	if err := checkPersonName(id); err != nil {
		return nil, "", err
	}
	all, err := s.store.PersonHistory(ctx, id)
	if errors.Is(err, errs.ErrNotFound) && isLegacyIDNumber(id) {
		up, _ := standard.UpgradeIDNumber(id)
		all, err = s.store.PersonHistory(ctx, up)
	}
	if err != nil {
		return nil, "", fmt.Errorf("list versions: %w", err)
	}
	return pageOf(all, "persons\x00"+id, pageSize, pageToken)
}

// pageOf cuts one page out of a whole history.
func pageOf[T any](all []T, binding string, pageSize int, pageToken string) ([]T, string, error) {
	size, err := page.Size(int32(pageSize), DefaultVersionsPageSize, MaxVersionsPageSize)
	if err != nil {
		return nil, "", err
	}
	tok, err := page.Decode("versions\x00"+binding, pageToken)
	if err != nil {
		return nil, "", err
	}
	if tok.Offset >= len(all) {
		return nil, "", nil
	}
	end := min(tok.Offset+size, len(all))
	next := ""
	if end < len(all) {
		next = page.Encode("versions\x00"+binding, page.Token{Offset: end})
	}
	return all[tok.Offset:end], next, nil
}

// ListPersons returns a page of persons with personal data masked.
func (s *Service) ListPersons(ctx context.Context, q ListQuery) (PersonPage, error) {
	size, err := page.Size(int32(q.PageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return PersonPage{}, err
	}
	q.PageSize = size
	p, err := s.store.ListPersons(ctx, q)
	if err != nil {
		return PersonPage{}, fmt.Errorf("list persons: %w", err)
	}
	for _, x := range p.Persons {
		maskPerson(x)
	}
	return p, nil
}

// SearchPersons returns a page of matches with personal data masked.
func (s *Service) SearchPersons(ctx context.Context, q SearchQuery) (SearchPage, error) {
	size, err := page.Size(int32(q.PageSize), DefaultSearchPageSize, MaxSearchPageSize)
	if err != nil {
		return SearchPage{}, err
	}
	q.PageSize = size
	q.Query, q.BirthDate = strings.TrimSpace(q.Query), strings.TrimSpace(q.BirthDate)
	q.Address, q.Household = strings.TrimSpace(q.Address), strings.TrimSpace(q.Household)
	var v errs.Violations
	if q.Query == "" && q.Address == "" && q.Household == "" {
		v.Add("query", "is required unless address or household is given")
	}
	if q.BirthDate != "" {
		if _, err := standard.ParseDate(q.BirthDate); err != nil {
			v.Check("birth_date", err)
		}
	}
	checkName(&v, "address", q.Address, AddressCollection, false)
	checkName(&v, "household", q.Household, HouseholdCollection, false)
	if err := v.Err(); err != nil {
		return SearchPage{}, err
	}
	p, err := s.store.SearchPersons(ctx, q)
	if err != nil {
		return SearchPage{}, fmt.Errorf("search persons: %w", err)
	}
	for _, h := range p.Hits {
		maskPerson(h.Person)
	}
	return p, nil
}

// maskPerson hides what identifies a person in bulk reads, where full values
// would let anyone harvest them (DESIGN: ID number first 6 and last 4,
// phone first 3 and last 4). The resource name carries the ID number, so
// it is masked with it; the uid still tells persons apart.
func maskPerson(p *Person) {
	if p == nil {
		return
	}
	p.IDNumber = mask.IDNumber(p.IDNumber)
	if p.Phone != "" {
		p.Phone = mask.Phone(p.Phone)
	}
	if p.RedirectedFrom != "" {
		p.RedirectedFrom = mask.IDNumber(p.RedirectedFrom)
	}
}
