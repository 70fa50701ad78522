package spatial

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/geo"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Page sizes of the spatial queries.
const (
	DefaultWithinPageSize   = 100
	MaxWithinPageSize       = 1000
	DefaultGeoJSONPageSize  = 500
	MaxGeoJSONPageSize      = 5000
	DefaultReverseResults   = 1
	MaxReverseResults       = 100
	DefaultReverseDistance  = 1000
	maxContainingResults    = 1000
	reverseGeocodeFirstStep = 100 // metres
)

// Circle is a circle on the earth's surface.
type Circle struct {
	Center Location
	// Radius in metres, great-circle.
	Radius float64
}

// Area is what a spatial query covers: exactly one of Bound and Circle.
type Area struct {
	Bound  *Bound
	Circle *Circle
}

// WithinQuery selects records in an area.
type WithinQuery struct {
	Area
	// Filter is the collection's List filter.
	Filter string
	// Kinds restricts features; all when empty.
	Kinds     []FeatureKind
	PageSize  int
	PageToken string
	At        history.Point
}

// Located is an address with its distance from the point asked about.
type Located struct {
	Address *Address
	// Distance in metres from the circle's centre; 0 for a box.
	Distance float64
}

// check validates an area, naming the API's fields: bbox.min_longitude,
// circle.radius_meters, circle.center.latitude …
func (a Area) check() error {
	var v errs.Violations
	switch {
	case a.Bound == nil && a.Circle == nil:
		v.Add("bbox", "set a bbox or a circle")
	case a.Bound != nil && a.Circle != nil:
		v.Add("bbox", "set a bbox or a circle, not both")
	case a.Bound != nil:
		checkBound(&v, "bbox", *a.Bound)
	default:
		checkCircle(&v, "circle", *a.Circle)
	}
	return v.Err()
}

func checkBound(v *errs.Violations, field string, b Bound) {
	okMinLon := checkCoordinate(v, field+".min_longitude", b.MinLon, -180, 180)
	okMaxLon := checkCoordinate(v, field+".max_longitude", b.MaxLon, -180, 180)
	okMinLat := checkCoordinate(v, field+".min_latitude", b.MinLat, -90, 90)
	okMaxLat := checkCoordinate(v, field+".max_latitude", b.MaxLat, -90, 90)
	if okMinLon && okMaxLon && b.MinLon > b.MaxLon {
		v.Add(field+".min_longitude", "must not exceed %s.max_longitude (%g), got %g", field, b.MaxLon, b.MinLon)
	}
	if okMinLat && okMaxLat && b.MinLat > b.MaxLat {
		v.Add(field+".min_latitude", "must not exceed %s.max_latitude (%g), got %g", field, b.MaxLat, b.MinLat)
	}
}

func checkCircle(v *errs.Violations, field string, c Circle) {
	checkPoint(v, field+".center", c.Center)
	switch r := c.Radius; {
	case math.IsNaN(r) || math.IsInf(r, 0):
		v.Add(field+".radius_meters", "must be a finite number")
	case r <= 0 || r > MaxRadius:
		v.Add(field+".radius_meters", "must be greater than 0 and at most %d (50 km), got %g", MaxRadius, r)
	}
}

// checkPoint checks a position asked about: in range (it need not lie in
// China; a point outside simply finds nothing).
func checkPoint(v *errs.Violations, field string, l Location) {
	checkCoordinate(v, field+".longitude", l.Lon, -180, 180)
	checkCoordinate(v, field+".latitude", l.Lat, -90, 90)
}

// prefilter is the box the index is asked for.
func (a Area) prefilter() Bound {
	if a.Bound != nil {
		return *a.Bound
	}
	return BoundOf(geo.CircleBound(a.Circle.Center.Lon, a.Circle.Center.Lat, a.Circle.Radius))
}

// binding identifies a spatial query for its page tokens.
func (q WithinQuery) binding(what string) string {
	var b strings.Builder
	b.WriteString(what)
	if q.Bound != nil {
		fmt.Fprintf(&b, "\x00box %v", *q.Bound)
	}
	if q.Circle != nil {
		fmt.Fprintf(&b, "\x00circle %v", *q.Circle)
	}
	fmt.Fprintf(&b, "\x00%s\x00%v\x00%s", q.Filter, q.Kinds, q.At)
	return b.String()
}

func (q WithinQuery) after(bind string) (string, error) {
	tok, err := page.Decode(bind, q.PageToken)
	if err != nil {
		return "", err
	}
	switch len(tok.After) {
	case 0:
		return "", nil
	case 1:
		return tok.After[0], nil
	}
	return "", errs.Field("page_token", "is not a token of this query")
}

// AddressesWithin returns a page of the addresses located in the area, in
// id order, with their distances from a circle's centre.
func (s *Service) AddressesWithin(ctx context.Context, q WithinQuery) ([]Located, string, error) {
	if err := q.check(); err != nil {
		return nil, "", err
	}
	size, err := page.Size(int32(q.PageSize), DefaultWithinPageSize, MaxWithinPageSize)
	if err != nil {
		return nil, "", err
	}
	bind := q.binding(Addresses)
	after, err := q.after(bind)
	if err != nil {
		return nil, "", err
	}
	var out []Located
	more := false
	err = s.store.ScanAddresses(ctx, ScanQuery{Bound: q.prefilter(), Filter: q.Filter, After: after, At: q.At}, func(a *Address) (bool, error) {
		d := 0.0
		if c := q.Circle; c != nil {
			if d = geo.Haversine(c.Center.Lon, c.Center.Lat, a.Location.Lon, a.Location.Lat); d > c.Radius {
				return true, nil
			}
		}
		if len(out) == size {
			more = true
			return false, nil
		}
		out = append(out, Located{Address: a, Distance: d})
		return true, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("find addresses: %w", err)
	}
	next := ""
	if more {
		next = page.Encode(bind, page.Token{After: []string{out[len(out)-1].Address.ID}})
	}
	as := make([]*Address, len(out))
	for i, l := range out {
		as[i] = l.Address
	}
	return out, next, s.render(ctx, q.At, as...)
}

// ReverseQuery asks for the addresses nearest a point.
type ReverseQuery struct {
	Location Location
	// MaxResults defaults to 1, at most 100.
	MaxResults int
	// MaxDistance in metres defaults to 1000, at most 50,000.
	MaxDistance float64
	At          history.Point
}

// ReverseGeocode returns the addresses nearest a point, nearest first (ties
// by id), no further than q.MaxDistance. It widens a circle from 100 m
// until it holds enough addresses: the k nearest of the addresses within
// a circle are the k nearest of all when the circle holds k of them.
func (s *Service) ReverseGeocode(ctx context.Context, q ReverseQuery) ([]Located, error) {
	var v errs.Violations
	checkPoint(&v, "location", q.Location)
	k, err := page.Size(int32(q.MaxResults), DefaultReverseResults, MaxReverseResults)
	if err != nil {
		v.Add("max_results", "must not be negative")
	}
	maxDist := q.MaxDistance
	switch {
	case math.IsNaN(maxDist) || math.IsInf(maxDist, 0):
		v.Add("max_distance_meters", "must be a finite number")
	case maxDist < 0 || maxDist > MaxRadius:
		v.Add("max_distance_meters", "must be greater than 0 and at most %d (50 km), got %g", MaxRadius, maxDist)
	case maxDist == 0:
		maxDist = DefaultReverseDistance
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	lon, lat := q.Location.Lon, q.Location.Lat
	for r := math.Min(reverseGeocodeFirstStep, maxDist); ; r = math.Min(r*2, maxDist) {
		var found []Located
		err := s.store.ScanAddresses(ctx, ScanQuery{Bound: BoundOf(geo.CircleBound(lon, lat, r)), At: q.At}, func(a *Address) (bool, error) {
			if d := geo.Haversine(lon, lat, a.Location.Lon, a.Location.Lat); d <= r {
				found = append(found, Located{Address: a, Distance: d})
			}
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("reverse geocode: %w", err)
		}
		if len(found) >= k || r >= maxDist {
			sortByDistance(found)
			found = found[:min(k, len(found))]
			as := make([]*Address, len(found))
			for i, l := range found {
				as[i] = l.Address
			}
			return found, s.render(ctx, q.At, as...)
		}
	}
}

func sortByDistance(ls []Located) {
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Distance != ls[j].Distance {
			return ls[i].Distance < ls[j].Distance
		}
		return ls[i].Address.ID < ls[j].Address.ID
	})
}

func checkKinds(v *errs.Violations, kinds []FeatureKind) {
	for i, k := range kinds {
		if !slices.Contains(FeatureKinds, k) {
			v.Add(fmt.Sprintf("kinds[%d]", i), "unknown kind %q", k)
		}
	}
}

// meets reports whether a feature's geometry meets the area.
func (a Area) meets(f *Feature) bool {
	if a.Bound != nil {
		return geo.IntersectsBound(f.Geometry, a.Bound.orbBound())
	}
	return geo.DistanceTo(f.Geometry, a.Circle.Center.Lon, a.Circle.Center.Lat) <= a.Circle.Radius
}

// FeaturesWithin returns a page of the features whose geometry meets the
// area (shares a point with the box, or comes within the circle's
// radius), in id order.
func (s *Service) FeaturesWithin(ctx context.Context, q WithinQuery) ([]*Feature, string, error) {
	return s.featuresWithin(ctx, q, DefaultWithinPageSize, MaxWithinPageSize)
}

func (s *Service) featuresWithin(ctx context.Context, q WithinQuery, def, max int32) ([]*Feature, string, error) {
	err := q.check()
	var v errs.Violations
	checkKinds(&v, q.Kinds)
	if err := withViolations(err, v); err != nil {
		return nil, "", err
	}
	size, err := page.Size(int32(q.PageSize), def, max)
	if err != nil {
		return nil, "", err
	}
	bind := q.binding(Features)
	after, err := q.after(bind)
	if err != nil {
		return nil, "", err
	}
	var out []*Feature
	more := false
	err = s.store.ScanFeatures(ctx, ScanQuery{Bound: q.prefilter(), Filter: q.Filter, Kinds: q.Kinds, After: after, At: q.At}, func(f *Feature) (bool, error) {
		if !q.meets(f) {
			return true, nil
		}
		if len(out) == size {
			more = true
			return false, nil
		}
		out = append(out, f)
		return true, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("find features: %w", err)
	}
	next := ""
	if more {
		next = page.Encode(bind, page.Token{After: []string{out[len(out)-1].ID}})
	}
	return out, next, nil
}

// ContainingQuery asks which polygon features contain a point.
type ContainingQuery struct {
	Point Location
	// Kinds defaults to every polygon kind (PARCEL, COMMUNITY).
	Kinds []FeatureKind
	At    history.Point
}

// FeaturesContaining returns the polygon features containing the point
// (boundary included), smallest area first: the index finds those whose
// bounding box holds the point, then each polygon is tested exactly.
func (s *Service) FeaturesContaining(ctx context.Context, q ContainingQuery) ([]*Feature, error) {
	var v errs.Violations
	checkPoint(&v, "point", q.Point)
	checkKinds(&v, q.Kinds)
	for i, k := range q.Kinds {
		if slices.Contains(FeatureKinds, k) && !slices.Contains(PolygonKinds, k) {
			v.Add(fmt.Sprintf("kinds[%d]", i), "%s features are not areas and contain no point; ask for %s", k, strings.Join(kindNames(PolygonKinds), " or "))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = PolygonKinds
	}
	lon, lat := q.Point.Lon, q.Point.Lat
	var out []*Feature
	err := s.store.ScanFeatures(ctx, ScanQuery{Bound: Bound{lon, lat, lon, lat}, Kinds: kinds, At: q.At}, func(f *Feature) (bool, error) {
		if geo.Contains(f.Geometry, lon, lat) {
			out = append(out, f)
		}
		return len(out) < maxContainingResults, nil
	})
	if err != nil {
		return nil, fmt.Errorf("find features containing a point: %w", err)
	}
	areas := make(map[*Feature]float64, len(out))
	for _, f := range out {
		areas[f] = geo.Area(f.Geometry)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if areas[out[i]] != areas[out[j]] {
			return areas[out[i]] < areas[out[j]]
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func kindNames(ks []FeatureKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// AutocompleteQuery completes what has been typed of an address.
type AutocompleteQuery struct {
	Prefix string
	// Limit defaults to 10, at most 100.
	Limit int
}

// Autocomplete sizes.
const (
	DefaultAutocomplete = 10
	MaxAutocomplete     = 100
)

// AutocompleteAddresses completes a prefix of an address's canonical text
// or of its road-and-numbers text. The division names at the start (in
// full or abbreviated) narrow the addresses to those divisions; a
// division name still being typed narrows them to the divisions it may
// become.
func (s *Service) AutocompleteAddresses(ctx context.Context, q AutocompleteQuery) ([]*Address, error) {
	limit, err := page.Size(int32(q.Limit), DefaultAutocomplete, MaxAutocomplete)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(q.Prefix) == "" {
		return nil, errs.Field("prefix", "is required")
	}
	g, err := s.gazetteer(ctx, history.Point{})
	if err != nil {
		return nil, err
	}
	// Each reading of the prefix adds its completions, most likely first.
	var out []*Address
	seen := map[string]bool{}
	for _, sc := range g.Scopes(q.Prefix) {
		cq := CompleteQuery{Prefix: sc.Rest, Limit: limit}
		for _, code := range sc.Codes {
			cq.DivisionPrefixes = append(cq.DivisionPrefixes, divisionPrefixOf(code))
		}
		as, err := s.store.CompleteAddresses(ctx, cq)
		if err != nil {
			return nil, fmt.Errorf("autocomplete addresses: %w", err)
		}
		for _, a := range as {
			if !seen[a.ID] && len(out) < limit {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
	}
	return out, s.render(ctx, history.Point{}, out...)
}

// divisionPrefixOf is the code prefix shared by a division and everything
// in it: 330211 for the county, 330211003 for a township.
func divisionPrefixOf(code string) string {
	switch Level(standard.DivisionLevel(code)) {
	case LevelProvince:
		return code[:2]
	case LevelCity:
		return code[:4]
	case LevelCounty:
		return code[:6]
	case LevelTownship:
		return code[:9]
	}
	return code
}
