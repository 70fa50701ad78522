package building

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/mask"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Page sizes of List, Within, Search, ListVersions and the change feed.
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
// references, applies update masks and lifecycle rules, masks personal
// data in bulk reads, and delegates storage.
type Service struct {
	store Store
	refs  refs.Checker
	now   func() time.Time
	newID func() string
}

// NewService returns a Service over store that checks addresses and owners
// through checker.
func NewService(store Store, checker refs.Checker) *Service {
	return &Service{store: store, refs: checker, now: time.Now, newID: NewID}
}

// CreateOptions modify Create and CreateMany.
type CreateOptions struct {
	// ValidateOnly returns the buildings as they would be stored, storing
	// nothing.
	ValidateOnly bool
}

// Create validates a new building, checks its references, assigns its id
// and stores it. Its history starts when its current status began (see
// effectiveFrom).
func (s *Service) Create(ctx context.Context, b *Building, o CreateOptions) (*Building, error) {
	out, err := s.create(ctx, []*Building{b}, o, func(int) string { return fieldPrefix })
	if err != nil {
		return nil, fmt.Errorf("create building: %w", err)
	}
	return out[0], nil
}

// CreateMany creates buildings all or none, in one transaction: the batch
// API and the path of bulk imports. Violations name
// requests[i].building.<field>. References repeated across the batch are
// checked once. The API bounds a batch at 1000; Go callers loading a
// survey may pass larger ones (a few thousand per call loads fastest).
func (s *Service) CreateMany(ctx context.Context, bs []*Building, o CreateOptions) ([]*Building, error) {
	if len(bs) == 0 {
		return nil, nil
	}
	out, err := s.create(ctx, bs, o, func(i int) string { return fmt.Sprintf("requests[%d].%s", i, fieldPrefix) })
	if err != nil {
		return nil, fmt.Errorf("create %d buildings: %w", len(bs), err)
	}
	return out, nil
}

func (s *Service) create(ctx context.Context, bs []*Building, o CreateOptions, prefix func(int) string) ([]*Building, error) {
	now := s.now().UTC()
	var v errs.Violations
	checker := s.refChecker()
	for i, b := range bs {
		b.ID, b.Centroid = "", orb.Point{} // output only
		b.normalize()
		b.prepare(&v, prefix(i), now)
		if err := checker.check(ctx, &v, prefix(i), b, nil); err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for _, b := range bs {
		b.CreateTime, b.UpdateTime, b.Revision = now, now, 1
	}
	if o.ValidateOnly {
		return bs, nil // with no id: nothing was registered
	}
	news := make([]NewBuilding, len(bs))
	for i, b := range bs {
		b.ID = s.newID()
		news[i] = NewBuilding{Building: b, EffectiveFrom: b.effectiveFrom()}
	}
	var err error
	if len(news) == 1 {
		err = s.store.Create(ctx, bs[0], news[0].EffectiveFrom)
	} else {
		err = s.store.CreateMany(ctx, news)
	}
	if err != nil {
		return nil, err
	}
	return bs, nil
}

// refChecker checks references, each name once however often it recurs.
type refChecker struct {
	refs  refs.Checker
	seen  map[string]error
	today time.Time
}

func (s *Service) refChecker() *refChecker {
	return &refChecker{refs: s.refs, seen: map[string]error{}, today: s.now()}
}

// check checks the well-formed references of b that are not in skip, adding
// a violation for each that does not exist. A registry that cannot answer
// fails the write: an unchecked reference is never stored.
func (c *refChecker) check(ctx context.Context, v *errs.Violations, prefix string, b *Building, skip map[string]bool) error {
	for _, r := range references(b, prefix, c.today) {
		if skip[r.name] {
			continue
		}
		err, done := c.seen[r.name]
		if !done {
			err = c.refs.Check(ctx, r.field, r.name)
			c.seen[r.name] = err
		}
		if err == nil {
			continue
		}
		var inv *errs.InvalidError
		if !errors.As(err, &inv) {
			return fmt.Errorf("check %s: %w", r.field, err)
		}
		for _, fv := range inv.Violations {
			v.Add(r.field, "%s", fv.Reason)
		}
	}
	return nil
}

type reference struct{ field, name string }

// references lists b's well-formed references (malformed ones are already
// violations of their own).
func references(b *Building, prefix string, today time.Time) []reference {
	var out []reference
	if b.Address != "" && checkAddress(b.Address) == nil {
		out = append(out, reference{prefix + "address", b.Address})
	}
	for i, o := range b.Owners {
		if checkOwner(o, today) == nil {
			out = append(out, reference{fmt.Sprintf("%sowners[%d]", prefix, i), o})
		}
	}
	return out
}

func referenceSet(b *Building) map[string]bool {
	set := map[string]bool{}
	if b.Address != "" {
		set[b.Address] = true
	}
	for _, o := range b.Owners {
		set[o] = true
	}
	return set
}

// Get returns one building in full, as in effect and known at the point.
// A name that cannot be a building id is refused as invalid rather than
// reported missing, so that a typo is told apart from a building the
// registry does not hold.
func (s *Service) Get(ctx context.Context, id string, at history.Point) (*Building, error) {
	if err := CheckID(id); err != nil {
		return nil, errs.Field("name", "%v", err)
	}
	b, err := s.store.Get(ctx, id, at)
	if err != nil {
		return nil, fmt.Errorf("get building: %w", err)
	}
	return b, nil
}

// UpdateOptions modify Update.
type UpdateOptions struct {
	// Revision, when not zero, must equal the revision of the version the
	// update amends (the etag the caller read).
	Revision     int64
	ValidateOnly bool
	// EffectiveFrom is when the change took effect; now when zero.
	EffectiveFrom time.Time
	// Correction amends the period in effect at EffectiveFrom; it may
	// change a demolished building and move a status backwards.
	Correction bool
}

// Update copies the fields named by paths from in onto the stored building,
// validates the result (a recorded change must also follow the lifecycle),
// checks the references it adds and stores it as a change or a correction.
// paths use the API's field names; "*" means every writable field.
//
// References are checked before the write's transaction, never inside it,
// so that a slow registry does not hold the database's write lock; should
// the building gain other references in between, the update fails with a
// conflict and is to be sent again.
func (s *Service) Update(ctx context.Context, id string, in *Building, paths []string, o UpdateOptions) (*Building, error) {
	if err := CheckID(id); err != nil {
		return nil, errs.Field(fieldPrefix+"name", "%v", err)
	}
	if len(paths) == 0 {
		return nil, errs.Field("update_mask", "is required: name the fields to change, or \"*\" for all")
	}
	for _, p := range paths {
		if _, ok := updatable[p]; !ok && p != "*" {
			if reason, ok := immutable[p]; ok {
				return nil, errs.Field("update_mask", "%q cannot be changed: %s", p, reason)
			}
			return nil, errs.Field("update_mask", "unknown field %q; updatable fields are %s", p, strings.Join(updatableNames(), ", "))
		}
	}
	at := history.Point{}
	if o.Correction && !o.EffectiveFrom.IsZero() {
		at.ValidAt = o.EffectiveFrom
	}
	cur, err := s.store.Get(ctx, id, at)
	if err != nil {
		return nil, fmt.Errorf("update building: %w", err)
	}
	// The dry run, outside the write's transaction: every rule, and the
	// references the update adds.
	checked, err := s.amend(ctx, cur.Clone(), in, paths, o, nil)
	if err != nil {
		return nil, err
	}
	var would *Building
	b, err := s.store.Update(ctx, id, WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction}, func(cur *Building) error {
		if _, err := s.amend(ctx, cur, in, paths, o, checked); err != nil {
			return err
		}
		if o.ValidateOnly {
			// The real write ran with all its rules; abort it here.
			would = cur
			return errValidateOnly
		}
		return nil
	})
	if o.ValidateOnly && errors.Is(err, errValidateOnly) {
		return would, nil
	}
	if err != nil {
		return nil, fmt.Errorf("update building: %w", err)
	}
	return b, nil
}

// errValidateOnly aborts a write that was only to be validated.
var errValidateOnly = errors.New("validate only: nothing stored")

// amend applies an update to cur and validates it. With checked nil it
// checks the references the update adds and returns them; otherwise (inside
// the write's transaction) it refuses references outside checked.
func (s *Service) amend(ctx context.Context, cur, in *Building, paths []string, o UpdateOptions, checked map[string]bool) (map[string]bool, error) {
	if err := checkRevision(o.Revision, cur); err != nil {
		return nil, err
	}
	if !o.Correction && cur.Status == StatusDemolished {
		return nil, fmt.Errorf("%s was demolished on %s and is final; send a correction to change what was recorded: %w",
			ResourceName(cur.ID), cur.StatusDate, errs.ErrFailedPrecondition)
	}
	before := cur.Clone()
	for _, p := range paths {
		if p == "*" {
			for _, set := range updatable {
				set(cur, in)
			}
			continue
		}
		updatable[p](cur, in)
	}
	now := s.now().UTC()
	cur.normalize()
	var v errs.Violations
	cur.prepare(&v, fieldPrefix, now)
	if !o.Correction {
		checkTransition(&v, fieldPrefix, before, cur)
	}
	had := referenceSet(before)
	if checked == nil {
		checked = map[string]bool{}
		if err := s.refChecker().check(ctx, &v, fieldPrefix, cur, had); err != nil {
			return nil, err
		}
		for _, r := range references(cur, fieldPrefix, now) {
			checked[r.name] = true
		}
	} else {
		for _, r := range references(cur, fieldPrefix, now) {
			if !had[r.name] && !checked[r.name] {
				return nil, fmt.Errorf("%s changed while its references were checked; send the update again: %w", ResourceName(cur.ID), errs.ErrConflict)
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	cur.UpdateTime = now
	cur.Revision++
	return checked, nil
}

func checkRevision(want int64, cur *Building) error {
	if want != 0 && want != cur.Revision {
		return fmt.Errorf("etag %d does not match the stored %d; read the building again: %w", want, cur.Revision, errs.ErrConflict)
	}
	return nil
}

// immutable fields are the identity and what the registry computes, with
// why they cannot be set.
var immutable = map[string]string{
	"name":         "the registry assigns it",
	"centroid":     "it is computed from the footprint",
	"bounding_box": "it is computed from the footprint",
	"create_time":  "the registry records it",
	"update_time":  "the registry records it",
	"etag":         "the registry computes it",
	"retired":      "retire a building with DeleteBuilding",
	"version":      "the registry records it",
}

// updatable maps each API field path to how it is copied.
var updatable = map[string]func(dst, src *Building){
	"display_name": func(d, s *Building) { d.Name = s.Name },
	"footprint": func(d, s *Building) {
		d.Footprint, d.FootprintGeoJSON = s.Footprint.Clone(), slices.Clone(s.FootprintGeoJSON)
	},
	"address":                func(d, s *Building) { d.Address = s.Address },
	"division_code":          func(d, s *Building) { d.DivisionCode = s.DivisionCode },
	"use":                    func(d, s *Building) { d.Use = s.Use },
	"floors_above_ground":    func(d, s *Building) { d.FloorsAbove = s.FloorsAbove },
	"floors_below_ground":    func(d, s *Building) { d.FloorsBelow = s.FloorsBelow },
	"height_m":               func(d, s *Building) { d.HeightM = s.HeightM },
	"floor_area_m2":          func(d, s *Building) { d.FloorAreaM2 = s.FloorAreaM2 },
	"year_built":             func(d, s *Building) { d.YearBuilt = s.YearBuilt },
	"structure_type":         func(d, s *Building) { d.Structure = s.Structure },
	"safety_rating":          func(d, s *Building) { d.SafetyRating = s.SafetyRating },
	"safety_assessment_date": func(d, s *Building) { d.SafetyAssessedOn = s.SafetyAssessedOn },
	"owners":                 func(d, s *Building) { d.Owners = slices.Clone(s.Owners) },
	"status":                 func(d, s *Building) { d.Status = s.Status },
	"status_date":            func(d, s *Building) { d.StatusDate = s.StatusDate },
}

func updatableNames() []string {
	names := make([]string, 0, len(updatable))
	for n := range updatable {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// DeleteOptions modify Delete.
type DeleteOptions struct {
	Revision      int64
	EffectiveFrom time.Time
}

// Delete retires the building: it stays readable, marked retired, with its
// history. Any building may be retired, a demolished one included.
func (s *Service) Delete(ctx context.Context, id string, o DeleteOptions) (*Building, error) {
	if err := CheckID(id); err != nil {
		return nil, errs.Field("name", "%v", err)
	}
	b, err := s.store.Update(ctx, id, WriteOptions{EffectiveFrom: o.EffectiveFrom, Retire: true}, func(cur *Building) error {
		if err := checkRevision(o.Revision, cur); err != nil {
			return err
		}
		cur.UpdateTime = s.now().UTC()
		cur.Revision++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retire building: %w", err)
	}
	return b, nil
}

// Versions returns one page of the building's history in full.
func (s *Service) Versions(ctx context.Context, id string, pageSize int, pageToken string) ([]*Building, string, error) {
	if err := CheckID(id); err != nil {
		return nil, "", errs.Field("name", "%v", err)
	}
	size, err := page.Size(int32(pageSize), DefaultVersionsPageSize, MaxVersionsPageSize)
	if err != nil {
		return nil, "", err
	}
	tok, err := page.Decode("versions\x00"+id, pageToken)
	if err != nil {
		return nil, "", err
	}
	all, err := s.store.History(ctx, id)
	if err != nil {
		return nil, "", fmt.Errorf("list versions: %w", err)
	}
	if tok.Offset >= len(all) {
		return nil, "", nil
	}
	end := min(tok.Offset+size, len(all))
	next := ""
	if end < len(all) {
		next = page.Encode("versions\x00"+id, page.Token{Offset: end})
	}
	return all[tok.Offset:end], next, nil
}

// List returns a page of buildings with owners' ID numbers masked.
func (s *Service) List(ctx context.Context, q ListQuery) (Page, error) {
	size, err := page.Size(int32(q.PageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return Page{}, err
	}
	q.PageSize = size
	if q.Owner != "" {
		q.Owner = normalizeOwner(q.Owner)
		if err := checkOwner(q.Owner, s.now()); err != nil {
			return Page{}, errs.Field("owner", "%v", err)
		}
	}
	p, err := s.store.List(ctx, q)
	if err != nil {
		return Page{}, fmt.Errorf("list buildings: %w", err)
	}
	maskAll(p.Buildings)
	return p, nil
}

// NewBoxArea checks a bounding box from a request, naming its fields under
// prefix (e.g. "bounding_box."), and returns its area.
func NewBoxArea(minLon, minLat, maxLon, maxLat float64, prefix string) (Area, error) {
	var v errs.Violations
	for _, c := range []struct {
		name     string
		x, limit float64
	}{{"min_longitude", minLon, 180}, {"min_latitude", minLat, 90}, {"max_longitude", maxLon, 180}, {"max_latitude", maxLat, 90}} {
		if math.IsNaN(c.x) || c.x < -c.limit || c.x > c.limit {
			v.Add(prefix+c.name, "must be between %v and %v, got %v", -c.limit, c.limit, c.x)
		}
	}
	if minLon > maxLon {
		v.Add(prefix+"min_longitude", "%v is greater than max_longitude %v", minLon, maxLon)
	}
	if minLat > maxLat {
		v.Add(prefix+"min_latitude", "%v is greater than max_latitude %v", minLat, maxLat)
	}
	if err := v.Err(); err != nil {
		return Area{}, err
	}
	return BoxArea(orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}), nil
}

// NewPolygonArea checks a GeoJSON Polygon from a request, naming field, and
// returns its area.
func NewPolygonArea(geojson []byte, field string) (Area, error) {
	p, err := ParsePolygon(geojson)
	if err != nil {
		return Area{}, errs.Field(field, "%v", err)
	}
	var v errs.Violations
	for _, msg := range CheckPolygon(p) {
		v.Add(field, "%s", msg)
	}
	if err := v.Err(); err != nil {
		return Area{}, err
	}
	return PolygonArea(p), nil
}

// Within returns a page of the buildings whose footprint matches the area,
// owners masked.
func (s *Service) Within(ctx context.Context, q WithinQuery) (Page, error) {
	if len(q.Area.Polygon) == 0 {
		return Page{}, errs.Field("area", "is required: a bounding_box or a polygon")
	}
	size, err := page.Size(int32(q.PageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return Page{}, err
	}
	q.PageSize = size
	p, err := s.store.Within(ctx, q)
	if err != nil {
		return Page{}, fmt.Errorf("find buildings %s area: %w", q.Relation, err)
	}
	maskAll(p.Buildings)
	return p, nil
}

// Aggregate adds up the buildings per division, rolled up to
// q.RollupLevel, in code order, and over all of them.
func (s *Service) Aggregate(ctx context.Context, q AggregateQuery) ([]DivisionTotal, DivisionTotal, error) {
	if q.RollupLevel < 0 || q.RollupLevel > 5 {
		return nil, DivisionTotal{}, errs.Field("rollup_level", "must be 0 (as recorded) or a division level from 1 (province) to 5 (village), got %d", q.RollupLevel)
	}
	totals, err := s.store.Aggregate(ctx, q)
	if err != nil {
		return nil, DivisionTotal{}, fmt.Errorf("aggregate buildings: %w", err)
	}
	merged := map[string]*DivisionTotal{}
	var all DivisionTotal
	for _, t := range totals {
		code := t.DivisionCode
		for q.RollupLevel > 0 && standard.DivisionLevel(code) > q.RollupLevel {
			code = standard.DivisionParent(code)
		}
		m := merged[code]
		if m == nil {
			m = &DivisionTotal{DivisionCode: code}
			merged[code] = m
		}
		m.Count += t.Count
		m.FloorAreaCenti += t.FloorAreaCenti
		all.Count += t.Count
		all.FloorAreaCenti += t.FloorAreaCenti
	}
	out := make([]DivisionTotal, 0, len(merged))
	for _, m := range merged {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b DivisionTotal) int { return strings.Compare(a.DivisionCode, b.DivisionCode) })
	return out, all, nil
}

// Search returns a page of ranked matches with owners masked.
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
		return SearchPage{}, fmt.Errorf("search buildings: %w", err)
	}
	for _, h := range p.Hits {
		maskPersonalData(h.Building)
	}
	return p, nil
}

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
	for _, c := range cs {
		maskPersonalData(c.Building)
	}
	return cs, head, nil
}

// Watch sends the changes after a sequence, masked, then follows new ones.
func (s *Service) Watch(ctx context.Context, after int64, send func([]Change) error) error {
	return s.store.Watch(ctx, after, func(cs []Change) error {
		for _, c := range cs {
			maskPersonalData(c.Building)
		}
		return send(cs)
	})
}

// Export calls fn with every building, masked, as known at a sequence.
func (s *Service) Export(ctx context.Context, at int64, fn func(*Building) error) (int64, error) {
	return s.store.Export(ctx, at, func(b *Building) error {
		maskPersonalData(b)
		return fn(b)
	})
}

// Delta calls fn with the net changes between two sequences, masked.
func (s *Service) Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error {
	if upTo != 0 && upTo < after {
		return errs.Field("up_to_sequence", "must not be below after_sequence (%d)", after)
	}
	return s.store.Delta(ctx, after, upTo, func(c Change) error {
		maskPersonalData(c.Building)
		return fn(c)
	})
}

func maskAll(bs []*Building) {
	for _, b := range bs {
		maskPersonalData(b)
	}
}

// maskPersonalData hides the ID numbers inside owners' resource names in
// bulk reads, where full numbers would let anyone harvest them (DESIGN:
// first 6, last 4). Legal entities' codes are public and stay.
func maskPersonalData(b *Building) {
	if b == nil {
		return
	}
	for i, o := range b.Owners {
		if id, ok := strings.CutPrefix(o, "persons/"); ok {
			b.Owners[i] = "persons/" + mask.IDNumber(id)
		}
	}
}
