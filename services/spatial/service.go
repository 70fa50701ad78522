package spatial

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/spatial/addrtext"
)

// Page sizes.
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
// references, applies update masks, renders address text, answers the
// spatial queries and standardises addresses, and delegates storage. The
// registry holds no personal data, so nothing is masked in bulk reads.
type Service struct {
	store Store
	refs  refs.Checker
	now   func() time.Time
	newID func() string

	mu  sync.Mutex
	gaz *addrtext.Gazetteer // of the current divisions, retired ones included
	rev int64               // the DivisionRevision gaz was built at
}

// NewService returns a Service over store. checker answers whether the
// records of other registries that features refer to (legal entities,
// buildings) exist.
func NewService(store Store, checker refs.Checker) *Service {
	return &Service{store: store, refs: checker, now: time.Now, newID: func() string { return uuid.NewString() }}
}

// CreateOptions modify the Create methods.
type CreateOptions struct {
	// ID is the id the creator chose for an address or feature (a UUID);
	// the registry assigns one when empty. Divisions are keyed by code.
	ID string
	// EffectiveFrom is when the record came into being; now when zero.
	EffectiveFrom time.Time
	// ValidateOnly returns the record as it would be stored, storing nothing.
	ValidateOnly bool
}

// UpdateOptions modify the Update methods.
type UpdateOptions struct {
	// Revision, when not zero, must equal the revision of the version the
	// update amends (the etag the caller read).
	Revision      int64
	ValidateOnly  bool
	EffectiveFrom time.Time
	Correction    bool
}

// DeleteOptions modify the Delete methods.
type DeleteOptions struct {
	Revision      int64
	EffectiveFrom time.Time
}

func (s *Service) stamp(m *Meta) {
	now := s.now().UTC()
	m.CreateTime, m.UpdateTime, m.Revision = now, now, 1
}

func (s *Service) touch(m *Meta) {
	m.UpdateTime = s.now().UTC()
	m.Revision++
}

func checkRevision(want int64, m *Meta) error {
	if want != 0 && want != m.Revision {
		return fmt.Errorf("etag %d does not match the stored %d; read the record again: %w", want, m.Revision, errs.ErrConflict)
	}
	return nil
}

// effective checks a create's effect time; the store checks updates'.
func (s *Service) effective(t time.Time) (time.Time, error) {
	now := s.now().UTC()
	if t.IsZero() {
		return now, nil
	}
	if t.After(now) {
		return time.Time{}, errs.Field("effective_time", "%s is in the future", t.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// withViolations adds more violations to err, the result of validating a
// record's own rules, so that every broken rule is reported at once.
func withViolations(err error, more errs.Violations) error {
	if err == nil {
		return more.Err()
	}
	var inv *errs.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	return errs.Invalid(append(slices.Clone(inv.Violations), more...)...)
}

// checkPaths refuses an empty update mask and fields that cannot be
// updated.
func checkPaths(paths []string, updatable []string, immutable []string) error {
	if len(paths) == 0 {
		return errs.Field("update_mask", "is required: name the fields to change, or \"*\" for all")
	}
	for _, p := range paths {
		switch {
		case p == "*" || slices.Contains(updatable, p):
		case slices.Contains(immutable, p):
			return errs.Field("update_mask", "%q cannot be changed", p)
		default:
			return errs.Field("update_mask", "unknown field %q; updatable fields are %s", p, strings.Join(updatable, ", "))
		}
	}
	return nil
}

func masks(paths []string, field string) bool {
	return slices.Contains(paths, "*") || slices.Contains(paths, field)
}

// checkDivisionRef checks that a record's division exists now and is in
// use, reporting on field.
func (s *Service) checkDivisionRef(ctx context.Context, v *errs.Violations, field, code string) error {
	if code == "" || standard.CheckDivisionCode(code) != nil {
		return nil // the record's own rules report it
	}
	d, err := s.store.Divisions().Get(ctx, code, history.Point{})
	switch {
	case errors.Is(err, errs.ErrNotFound):
		v.Add(field, "%s does not exist", DivisionName(code))
	case err != nil:
		return fmt.Errorf("check division %s: %w", code, err)
	case d.RedirectedFrom != "":
		v.Add(field, "%s was renamed to %s; refer to the new code", DivisionName(code), DivisionName(d.Code))
	case d.Retired:
		v.Add(field, "%s is retired", DivisionName(code))
	}
	return nil
}

// checkSubject asks the other registry whether a feature's subject exists.
func (s *Service) checkSubject(ctx context.Context, v *errs.Violations, subject string) error {
	if subject == "" || s.refs == nil {
		return nil
	}
	err := s.refs.Check(ctx, featurePrefix+"subject", subject)
	var inv *errs.InvalidError
	if errors.As(err, &inv) {
		*v = append(*v, inv.Violations...)
		return nil
	}
	return err
}

// versions pages through a record's history.
func versions[T any](ctx context.Context, recs Records[T], collection, key string, pageSize int, pageToken string) ([]T, string, error) {
	size, err := page.Size(int32(pageSize), DefaultVersionsPageSize, MaxVersionsPageSize)
	if err != nil {
		return nil, "", err
	}
	bind := "versions\x00" + collection + "\x00" + key
	tok, err := page.Decode(bind, pageToken)
	if err != nil {
		return nil, "", err
	}
	all, err := recs.History(ctx, key)
	if err != nil {
		return nil, "", fmt.Errorf("list versions of %s/%s: %w", collection, key, err)
	}
	if tok.Offset >= len(all) {
		return nil, "", nil
	}
	end := min(tok.Offset+size, len(all))
	next := ""
	if end < len(all) {
		next = page.Encode(bind, page.Token{Offset: end})
	}
	return all[tok.Offset:end], next, nil
}

func listPageSize(q *ListQuery) error {
	size, err := page.Size(int32(q.PageSize), DefaultListPageSize, MaxListPageSize)
	q.PageSize = size
	return err
}

func searchPageSize(q *SearchQuery) error {
	size, err := page.Size(int32(q.PageSize), DefaultSearchPageSize, MaxSearchPageSize)
	if err != nil {
		return err
	}
	q.PageSize = size
	q.Query = strings.TrimSpace(q.Query)
	if q.Query == "" {
		return errs.Field("query", "is required")
	}
	return nil
}

// ——— Divisions ———

// divisionImmutable are the division fields an update may not name.
var divisionImmutable = []string{"name", "code", "level", "parent", "create_time", "update_time", "etag", "retired", "redirected_from", "version"}

var divisionUpdatable = []string{"display_name"}

// checkParent checks that the division containing code exists and is in
// use (a province has none).
func (s *Service) checkParent(ctx context.Context, v *errs.Violations, field, code string) error {
	parent := standard.DivisionParent(code)
	if parent == "" {
		return nil
	}
	p, err := s.store.Divisions().Get(ctx, parent, history.Point{})
	switch {
	case errors.Is(err, errs.ErrNotFound):
		v.Add(field, "its parent %s does not exist; register it first", DivisionName(parent))
	case err != nil:
		return fmt.Errorf("check parent %s: %w", parent, err)
	case p.RedirectedFrom != "":
		v.Add(field, "its parent %s was renamed to %s; use a code under the new one", DivisionName(parent), DivisionName(p.Code))
	case p.Retired:
		v.Add(field, "its parent %s is retired", DivisionName(parent))
	}
	return nil
}

// CreateDivision validates and stores a new division.
func (s *Service) CreateDivision(ctx context.Context, d *Division, o CreateOptions) (*Division, error) {
	d.normalize()
	err := d.validate()
	var more errs.Violations
	if err == nil {
		if perr := s.checkParent(ctx, &more, divisionPrefix+"code", d.Code); perr != nil {
			return nil, perr
		}
	}
	if err := withViolations(err, more); err != nil {
		return nil, err
	}
	from, err := s.effective(o.EffectiveFrom)
	if err != nil {
		return nil, err
	}
	s.stamp(&d.Meta)
	if o.ValidateOnly {
		return d, nil
	}
	if err := s.store.Divisions().Create(ctx, d, from); err != nil {
		return nil, fmt.Errorf("create division: %w", err)
	}
	return s.store.Divisions().Get(ctx, d.Code, history.Point{})
}

func checkDivisionName(code string) error {
	if err := standard.CheckDivisionCode(code); err != nil {
		return errs.Field("name", "%s: %v", DivisionName(code), err)
	}
	return nil
}

// GetDivision returns one division as in effect and known at the point.
func (s *Service) GetDivision(ctx context.Context, code string, at history.Point) (*Division, error) {
	if err := checkDivisionName(code); err != nil {
		return nil, err
	}
	d, err := s.store.Divisions().Get(ctx, code, at)
	if err != nil {
		return nil, fmt.Errorf("get division: %w", err)
	}
	return d, nil
}

// UpdateDivision copies the masked fields from in and stores the result.
func (s *Service) UpdateDivision(ctx context.Context, code string, in *Division, paths []string, o UpdateOptions) (*Division, error) {
	if err := checkPaths(paths, divisionUpdatable, divisionImmutable); err != nil {
		return nil, err
	}
	apply := func(cur *Division) error {
		if err := checkRevision(o.Revision, &cur.Meta); err != nil {
			return err
		}
		if masks(paths, "display_name") {
			cur.Name = in.Name
		}
		cur.normalize()
		if err := cur.validate(); err != nil {
			return err
		}
		s.touch(&cur.Meta)
		return nil
	}
	return update(ctx, s.store.Divisions(), "division", code, o, apply)
}

// errValidateOnly aborts a write that was only to be validated.
var errValidateOnly = errors.New("validate only: nothing stored")

// update runs an update through the store. A validate-only update runs
// the real write, with all its rules, and aborts it at the end.
func update[T any](ctx context.Context, recs Records[T], what, key string, o UpdateOptions, apply func(T) error) (T, error) {
	var zero T
	wo := WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction}
	if o.ValidateOnly {
		var would T
		_, err := recs.Update(ctx, key, wo, func(cur T) error {
			if err := apply(cur); err != nil {
				return err
			}
			would = cur
			return errValidateOnly
		})
		if !errors.Is(err, errValidateOnly) {
			return zero, fmt.Errorf("update %s: %w", what, err)
		}
		return would, nil
	}
	rec, err := recs.Update(ctx, key, wo, apply)
	if err != nil {
		return zero, fmt.Errorf("update %s: %w", what, err)
	}
	return rec, nil
}

// retire retires a record after checking its etag.
func retire[T interface{ Metadata() *Meta }](ctx context.Context, s *Service, recs Records[T], what, key string, o DeleteOptions) (T, error) {
	rec, err := recs.Update(ctx, key, WriteOptions{EffectiveFrom: o.EffectiveFrom, Retire: true}, func(cur T) error {
		if err := checkRevision(o.Revision, cur.Metadata()); err != nil {
			return err
		}
		s.touch(cur.Metadata())
		return nil
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("retire %s: %w", what, err)
	}
	return rec, nil
}

// DeleteDivision retires a division that nothing current lies in any more.
func (s *Service) DeleteDivision(ctx context.Context, code string, o DeleteOptions) (*Division, error) {
	if err := checkDivisionName(code); err != nil {
		return nil, err
	}
	if err := s.checkEmpty(ctx, code); err != nil {
		return nil, err
	}
	return retire(ctx, s, s.store.Divisions(), "division", code, o)
}

// checkEmpty refuses to retire a division that current divisions,
// addresses or features still lie in: they would refer to nothing.
func (s *Service) checkEmpty(ctx context.Context, code string) error {
	name := DivisionName(code)
	q := ListQuery{PageSize: 1}
	q.Filter = fmt.Sprintf("parent = %q", name)
	if ds, _, err := s.store.Divisions().List(ctx, q); err != nil {
		return err
	} else if len(ds) > 0 {
		return fmt.Errorf("%s still contains %s; retire or move what lies in it first: %w", name, DivisionName(ds[0].Code), errs.ErrFailedPrecondition)
	}
	q.Filter = fmt.Sprintf("division = %q", name)
	if as, _, err := s.store.Addresses().List(ctx, q); err != nil {
		return err
	} else if len(as) > 0 {
		return fmt.Errorf("%s still holds %s; retire or move what lies in it first: %w", name, AddressName(as[0].ID), errs.ErrFailedPrecondition)
	}
	if fs, _, err := s.store.Features().List(ctx, q); err != nil {
		return err
	} else if len(fs) > 0 {
		return fmt.Errorf("%s still holds %s; retire or move what lies in it first: %w", name, FeatureName(fs[0].ID), errs.ErrFailedPrecondition)
	}
	return nil
}

// RenameOptions modify RenameDivision.
type RenameOptions struct {
	Revision      int64
	EffectiveFrom time.Time
}

// RenameDivision moves a division to a new code of the same level, whose
// parent exists. A division that other divisions lie in is not renamed:
// create its successor, rename those into it, then retire it. Addresses
// and features keep the old code, which redirects.
func (s *Service) RenameDivision(ctx context.Context, code, newCode string, o RenameOptions) (*Division, error) {
	if err := checkDivisionName(code); err != nil {
		return nil, err
	}
	newCode = normalizeCode(newCode)
	var v errs.Violations
	checkCode(&v, "new_code", newCode)
	if len(v) == 0 {
		if ol, nl := standard.DivisionLevel(code), standard.DivisionLevel(newCode); ol != nl {
			v.Add("new_code", "%s is a %s code, but %s is a %s", newCode, strings.ToLower(Level(nl).String()), code, strings.ToLower(Level(ol).String()))
		} else if err := s.checkParent(ctx, &v, "new_code", newCode); err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	q := ListQuery{PageSize: 1, Filter: fmt.Sprintf("parent = %q", DivisionName(code))}
	if ds, _, err := s.store.Divisions().List(ctx, q); err != nil {
		return nil, err
	} else if len(ds) > 0 {
		return nil, fmt.Errorf("%s contains %s: create its successor, rename what lies in it there, then retire it: %w",
			DivisionName(code), DivisionName(ds[0].Code), errs.ErrFailedPrecondition)
	}
	d, err := s.store.RenameDivision(ctx, code, newCode, o.EffectiveFrom, func(cur *Division) error {
		if err := checkRevision(o.Revision, &cur.Meta); err != nil {
			return err
		}
		cur.Code = newCode
		s.touch(&cur.Meta)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rename division: %w", err)
	}
	return d, nil
}

// DivisionVersions returns one page of a division's history.
func (s *Service) DivisionVersions(ctx context.Context, code string, pageSize int, pageToken string) ([]*Division, string, error) {
	if err := checkDivisionName(code); err != nil {
		return nil, "", err
	}
	return versions(ctx, s.store.Divisions(), Divisions, code, pageSize, pageToken)
}

// ListDivisions returns a page of divisions.
func (s *Service) ListDivisions(ctx context.Context, q ListQuery) ([]*Division, string, error) {
	if err := listPageSize(&q); err != nil {
		return nil, "", err
	}
	ds, next, err := s.store.Divisions().List(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("list divisions: %w", err)
	}
	return ds, next, nil
}

// SearchDivisions ranks divisions by name.
func (s *Service) SearchDivisions(ctx context.Context, q SearchQuery) ([]Hit[*Division], string, error) {
	if err := searchPageSize(&q); err != nil {
		return nil, "", err
	}
	hits, next, err := s.store.Divisions().Search(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("search divisions: %w", err)
	}
	return hits, next, nil
}

// ——— The gazetteer ———

// gazetteer returns the divisions as they were at the point, indexed for
// address text. The current one is cached until a division is written.
func (s *Service) gazetteer(ctx context.Context, at history.Point) (*addrtext.Gazetteer, error) {
	if !at.IsNow() {
		return s.loadGazetteer(ctx, at)
	}
	rev, err := s.store.DivisionRevision(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	g, cached := s.gaz, s.rev
	s.mu.Unlock()
	if g != nil && cached == rev {
		return g, nil
	}
	g, err = s.loadGazetteer(ctx, at)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.gaz, s.rev = g, rev
	s.mu.Unlock()
	return g, nil
}

func (s *Service) loadGazetteer(ctx context.Context, at history.Point) (*addrtext.Gazetteer, error) {
	var places []addrtext.Place
	q := ListQuery{PageSize: MaxListPageSize, At: at, ShowRetired: true}
	for {
		ds, next, err := s.store.Divisions().List(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("load divisions: %w", err)
		}
		for _, d := range ds {
			places = append(places, addrtext.Place{Code: d.Code, Name: d.Name, Retired: d.Retired})
		}
		if next == "" {
			return addrtext.NewGazetteer(places), nil
		}
		q.PageToken = next
	}
}

// render sets the full text of addresses with the division names in effect
// at the point. An address whose division the gazetteer lacks keeps the
// text stored with it.
func (s *Service) render(ctx context.Context, at history.Point, as ...*Address) error {
	if len(as) == 0 {
		return nil
	}
	g, err := s.gazetteer(ctx, at)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a != nil && g.Has(a.DivisionCode) {
			a.FullText = g.Canonical(a.DivisionCode, a.Parts())
		}
	}
	return nil
}

// Parts are the address's components below its division.
func (a *Address) Parts() addrtext.Parts {
	return addrtext.Parts{Road: a.Road, HouseNumber: a.HouseNumber, Building: a.Building, Unit: a.Unit, Room: a.Room}
}

// ——— Addresses ———

var addressImmutable = []string{"name", "id", "full_text", "create_time", "update_time", "etag", "retired", "version"}

var addressUpdatable = []string{"division", "road", "house_number", "building", "unit", "room", "location",
	"location.longitude", "location.latitude"}

var addressSetters = map[string]func(dst, src *Address){
	"division":           func(d, s *Address) { d.DivisionCode = s.DivisionCode },
	"road":               func(d, s *Address) { d.Road = s.Road },
	"house_number":       func(d, s *Address) { d.HouseNumber = s.HouseNumber },
	"building":           func(d, s *Address) { d.Building = s.Building },
	"unit":               func(d, s *Address) { d.Unit = s.Unit },
	"room":               func(d, s *Address) { d.Room = s.Room },
	"location":           func(d, s *Address) { d.Location = s.Location },
	"location.longitude": func(d, s *Address) { d.Location.Lon = s.Location.Lon },
	"location.latitude":  func(d, s *Address) { d.Location.Lat = s.Location.Lat },
}

func (s *Service) newRecordID(v *errs.Violations, field, chosen string) string {
	if chosen == "" {
		return s.newID()
	}
	chosen = strings.ToLower(strings.TrimSpace(chosen))
	checkID(v, field, chosen)
	return chosen
}

// canonical computes the stored full text of an address.
func (s *Service) canonical(ctx context.Context, a *Address) error {
	g, err := s.gazetteer(ctx, history.Point{})
	if err != nil {
		return err
	}
	a.FullText, a.Locality = g.Canonical(a.DivisionCode, a.Parts()), g.Locality(a.DivisionCode)
	return nil
}

// CreateAddress validates and stores a new address.
func (s *Service) CreateAddress(ctx context.Context, a *Address, o CreateOptions) (*Address, error) {
	var more errs.Violations
	a.ID = s.newRecordID(&more, "address_id", o.ID)
	a.normalize()
	err := a.validate()
	if cerr := s.checkDivisionRef(ctx, &more, addressPrefix+"division", a.DivisionCode); cerr != nil {
		return nil, cerr
	}
	if err := withViolations(err, more); err != nil {
		return nil, err
	}
	from, err := s.effective(o.EffectiveFrom)
	if err != nil {
		return nil, err
	}
	if err := s.canonical(ctx, a); err != nil {
		return nil, err
	}
	s.stamp(&a.Meta)
	if o.ValidateOnly {
		return a, nil
	}
	if err := s.store.Addresses().Create(ctx, a, from); err != nil {
		return nil, fmt.Errorf("create address: %w", err)
	}
	return s.GetAddress(ctx, a.ID, history.Point{})
}

func checkRecordName(id, collection string) error {
	if _, err := uuid.Parse(id); err != nil {
		return errs.Field("name", "%s/%s: the id is not a UUID", collection, id)
	}
	return nil
}

// GetAddress returns one address as in effect and known at the point.
func (s *Service) GetAddress(ctx context.Context, id string, at history.Point) (*Address, error) {
	if err := checkRecordName(id, Addresses); err != nil {
		return nil, err
	}
	a, err := s.store.Addresses().Get(ctx, strings.ToLower(id), at)
	if err != nil {
		return nil, fmt.Errorf("get address: %w", err)
	}
	return a, s.render(ctx, at, a)
}

// UpdateAddress copies the masked fields from in and stores the result.
func (s *Service) UpdateAddress(ctx context.Context, id string, in *Address, paths []string, o UpdateOptions) (*Address, error) {
	if err := checkRecordName(id, Addresses); err != nil {
		return nil, err
	}
	if err := checkPaths(paths, addressUpdatable, addressImmutable); err != nil {
		return nil, err
	}
	var more errs.Violations
	if masks(paths, "division") {
		if err := s.checkDivisionRef(ctx, &more, addressPrefix+"division", normalizeCode(in.DivisionCode)); err != nil {
			return nil, err
		}
	}
	g, err := s.gazetteer(ctx, history.Point{})
	if err != nil {
		return nil, err
	}
	apply := func(cur *Address) error {
		if err := checkRevision(o.Revision, &cur.Meta); err != nil {
			return err
		}
		for _, p := range paths {
			if p == "*" {
				for _, set := range addressSetters {
					set(cur, in)
				}
				continue
			}
			addressSetters[p](cur, in)
		}
		cur.normalize()
		if err := withViolations(cur.validate(), more); err != nil {
			return err
		}
		cur.FullText, cur.Locality = g.Canonical(cur.DivisionCode, cur.Parts()), g.Locality(cur.DivisionCode)
		s.touch(&cur.Meta)
		return nil
	}
	a, err := update(ctx, s.store.Addresses(), "address", strings.ToLower(id), o, apply)
	if err != nil {
		return nil, err
	}
	return a, s.render(ctx, history.Point{}, a)
}

// DeleteAddress retires an address.
func (s *Service) DeleteAddress(ctx context.Context, id string, o DeleteOptions) (*Address, error) {
	if err := checkRecordName(id, Addresses); err != nil {
		return nil, err
	}
	a, err := retire(ctx, s, s.store.Addresses(), "address", strings.ToLower(id), o)
	if err != nil {
		return nil, err
	}
	return a, s.render(ctx, history.Point{}, a)
}

// AddressVersions returns one page of an address's history, each version
// with the text it was stored with.
func (s *Service) AddressVersions(ctx context.Context, id string, pageSize int, pageToken string) ([]*Address, string, error) {
	if err := checkRecordName(id, Addresses); err != nil {
		return nil, "", err
	}
	return versions(ctx, s.store.Addresses(), Addresses, strings.ToLower(id), pageSize, pageToken)
}

// ListAddresses returns a page of addresses.
func (s *Service) ListAddresses(ctx context.Context, q ListQuery) ([]*Address, string, error) {
	if err := listPageSize(&q); err != nil {
		return nil, "", err
	}
	as, next, err := s.store.Addresses().List(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("list addresses: %w", err)
	}
	return as, next, s.render(ctx, q.At, as...)
}

// SearchAddresses ranks addresses by how much of the query their text
// holds.
func (s *Service) SearchAddresses(ctx context.Context, q SearchQuery) ([]Hit[*Address], string, error) {
	if err := searchPageSize(&q); err != nil {
		return nil, "", err
	}
	hits, next, err := s.store.Addresses().Search(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("search addresses: %w", err)
	}
	as := make([]*Address, len(hits))
	for i, h := range hits {
		as[i] = h.Record
	}
	return hits, next, s.render(ctx, q.At, as...)
}

// ——— Features ———

var featureImmutable = []string{"name", "id", "bbox", "create_time", "update_time", "etag", "retired", "version"}

var featureUpdatable = []string{"kind", "display_name", "division", "geometry", "subject", "properties"}

var featureSetters = map[string]func(dst, src *Feature){
	"kind":         func(d, s *Feature) { d.Kind = s.Kind },
	"display_name": func(d, s *Feature) { d.Name = s.Name },
	"division":     func(d, s *Feature) { d.DivisionCode = s.DivisionCode },
	"geometry":     func(d, s *Feature) { d.Geometry, d.RawGeometry = s.Geometry, s.RawGeometry },
	"subject":      func(d, s *Feature) { d.Subject = s.Subject },
	"properties":   func(d, s *Feature) { d.Properties = s.Properties },
}

// CreateFeature validates and stores a new feature.
func (s *Service) CreateFeature(ctx context.Context, f *Feature, o CreateOptions) (*Feature, error) {
	var more errs.Violations
	f.ID = s.newRecordID(&more, "feature_id", o.ID)
	err := f.validate()
	if cerr := s.checkDivisionRef(ctx, &more, featurePrefix+"division", f.DivisionCode); cerr != nil {
		return nil, cerr
	}
	if cerr := s.checkSubject(ctx, &more, f.Subject); cerr != nil {
		return nil, cerr
	}
	if err := withViolations(err, more); err != nil {
		return nil, err
	}
	from, err := s.effective(o.EffectiveFrom)
	if err != nil {
		return nil, err
	}
	s.stamp(&f.Meta)
	if o.ValidateOnly {
		return f, nil
	}
	if err := s.store.Features().Create(ctx, f, from); err != nil {
		return nil, fmt.Errorf("create feature: %w", err)
	}
	return s.store.Features().Get(ctx, f.ID, history.Point{})
}

// GetFeature returns one feature as in effect and known at the point.
func (s *Service) GetFeature(ctx context.Context, id string, at history.Point) (*Feature, error) {
	if err := checkRecordName(id, Features); err != nil {
		return nil, err
	}
	f, err := s.store.Features().Get(ctx, strings.ToLower(id), at)
	if err != nil {
		return nil, fmt.Errorf("get feature: %w", err)
	}
	return f, nil
}

// UpdateFeature copies the masked fields from in and stores the result.
func (s *Service) UpdateFeature(ctx context.Context, id string, in *Feature, paths []string, o UpdateOptions) (*Feature, error) {
	if err := checkRecordName(id, Features); err != nil {
		return nil, err
	}
	if err := checkPaths(paths, featureUpdatable, featureImmutable); err != nil {
		return nil, err
	}
	var more errs.Violations
	if masks(paths, "division") {
		if err := s.checkDivisionRef(ctx, &more, featurePrefix+"division", normalizeCode(in.DivisionCode)); err != nil {
			return nil, err
		}
	}
	if masks(paths, "subject") {
		if err := s.checkSubject(ctx, &more, strings.TrimSpace(in.Subject)); err != nil {
			return nil, err
		}
	}
	apply := func(cur *Feature) error {
		if err := checkRevision(o.Revision, &cur.Meta); err != nil {
			return err
		}
		for _, p := range paths {
			if p == "*" {
				for _, set := range featureSetters {
					set(cur, in)
				}
				continue
			}
			featureSetters[p](cur, in)
		}
		if err := withViolations(cur.validate(), more); err != nil {
			return err
		}
		s.touch(&cur.Meta)
		return nil
	}
	return update(ctx, s.store.Features(), "feature", strings.ToLower(id), o, apply)
}

// DeleteFeature retires a feature.
func (s *Service) DeleteFeature(ctx context.Context, id string, o DeleteOptions) (*Feature, error) {
	if err := checkRecordName(id, Features); err != nil {
		return nil, err
	}
	return retire(ctx, s, s.store.Features(), "feature", strings.ToLower(id), o)
}

// FeatureVersions returns one page of a feature's history.
func (s *Service) FeatureVersions(ctx context.Context, id string, pageSize int, pageToken string) ([]*Feature, string, error) {
	if err := checkRecordName(id, Features); err != nil {
		return nil, "", err
	}
	return versions(ctx, s.store.Features(), Features, strings.ToLower(id), pageSize, pageToken)
}

// ListFeatures returns a page of features.
func (s *Service) ListFeatures(ctx context.Context, q ListQuery) ([]*Feature, string, error) {
	if err := listPageSize(&q); err != nil {
		return nil, "", err
	}
	fs, next, err := s.store.Features().List(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("list features: %w", err)
	}
	return fs, next, nil
}

// SearchFeatures ranks features by name.
func (s *Service) SearchFeatures(ctx context.Context, q SearchQuery) ([]Hit[*Feature], string, error) {
	if err := searchPageSize(&q); err != nil {
		return nil, "", err
	}
	hits, next, err := s.store.Features().Search(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("search features: %w", err)
	}
	return hits, next, nil
}

// ——— The change feed ———

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
	return cs, head, s.renderChanges(ctx, cs)
}

func (s *Service) renderChanges(ctx context.Context, cs []Change) error {
	var as []*Address
	for _, c := range cs {
		if c.Address != nil {
			as = append(as, c.Address)
		}
	}
	return s.render(ctx, history.Point{}, as...)
}

// Watch sends the changes after a sequence, then follows new ones.
func (s *Service) Watch(ctx context.Context, after int64, send func([]Change) error) error {
	return s.store.Watch(ctx, after, func(cs []Change) error {
		if err := s.renderChanges(ctx, cs); err != nil {
			return err
		}
		return send(cs)
	})
}

// Export calls fn with every record as known at a sequence (the head when
// 0) and returns the sequence used.
func (s *Service) Export(ctx context.Context, at int64, fn func(Record) error) (int64, error) {
	g, err := s.gazetteer(ctx, history.Point{})
	if err != nil {
		return 0, err
	}
	return s.store.Export(ctx, at, func(r Record) error {
		if a := r.Address; a != nil && g.Has(a.DivisionCode) {
			a.FullText = g.Canonical(a.DivisionCode, a.Parts())
		}
		return fn(r)
	})
}

// Delta calls fn with the net changes between two sequences.
func (s *Service) Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error {
	if upTo != 0 && upTo < after {
		return errs.Field("up_to_sequence", "must not be below after_sequence (%d)", after)
	}
	g, err := s.gazetteer(ctx, history.Point{})
	if err != nil {
		return err
	}
	return s.store.Delta(ctx, after, upTo, func(c Change) error {
		if a := c.Address; a != nil && g.Has(a.DivisionCode) {
			a.FullText = g.Canonical(a.DivisionCode, a.Parts())
		}
		return fn(c)
	})
}
