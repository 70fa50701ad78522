package spatial

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/zhbase/zhbase/services/kit/check"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/geo"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/spatial/addrtext"
)

// Field names in violations are the API's, prefixed with the request field
// holding the record.
const (
	divisionPrefix = "division."
	addressPrefix  = "address."
	featurePrefix  = "feature."
)

// normalizeCode tidies a division code as typed: spaces and full-width
// digits.
func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case unicode.IsSpace(r):
			return -1
		}
		return r
	}, code)
}

func (d *Division) normalize() {
	d.Code = normalizeCode(d.Code)
	d.Name = strings.TrimSpace(d.Name)
}

// validate checks the division's own rules; whether its parent exists is
// the service's to check.
func (d *Division) validate() error {
	var v errs.Violations
	checkCode(&v, divisionPrefix+"code", d.Code)
	check.Text(&v, divisionPrefix+"display_name", d.Name, true, 100)
	return v.Err()
}

func checkCode(v *errs.Violations, field, code string) {
	if code == "" {
		v.Add(field, "is required")
		return
	}
	v.Check(field, standard.CheckDivisionCode(code))
}

// Number shapes: a house number may carry one suffix number (88-2); the
// others are plain positive numbers.
var (
	houseNumberShape = regexp.MustCompile(`^[1-9][0-9]{0,4}(-[1-9][0-9]{0,3})?$`)
	buildingShape    = regexp.MustCompile(`^[1-9][0-9]{0,3}$`)
	unitShape        = regexp.MustCompile(`^[1-9][0-9]{0,2}$`)
	roomShape        = regexp.MustCompile(`^[1-9][0-9]{0,5}$`)
)

// normalizeNumber reads a number as typed (８８号, 八十八号, 88) without its
// marker.
func normalizeNumber(s string, markers ...string) string {
	s = addrtext.Normalize(s)
	for _, m := range markers {
		if t, ok := strings.CutSuffix(s, m); ok {
			return t
		}
	}
	return s
}

func (a *Address) normalize() {
	a.ID = strings.ToLower(strings.TrimSpace(a.ID))
	a.DivisionCode = normalizeCode(a.DivisionCode)
	a.Road = strings.Join(strings.Fields(a.Road), "")
	a.HouseNumber = normalizeNumber(a.HouseNumber, "号")
	a.Building = normalizeNumber(a.Building, "号楼", "幢")
	a.Unit = normalizeNumber(a.Unit, "单元")
	a.Room = normalizeNumber(a.Room, "室")
}

// validate checks the address's own rules; whether its division exists is
// the service's to check.
func (a *Address) validate() error {
	var v errs.Violations
	if a.DivisionCode == "" {
		v.Add(addressPrefix+"division", "is required")
	} else if err := standard.CheckDivisionCode(a.DivisionCode); err != nil {
		v.Add(addressPrefix+"division", "%s: %v", DivisionName(a.DivisionCode), err)
	} else if l := standard.DivisionLevel(a.DivisionCode); l < int(LevelTownship) {
		v.Add(addressPrefix+"division", "an address lies in a township or a community, but %s is a %s",
			DivisionName(a.DivisionCode), strings.ToLower(Level(l).String()))
	}
	check.Text(&v, addressPrefix+"road", a.Road, true, 50)
	if strings.ContainsFunc(a.Road, unicode.IsDigit) {
		v.Add(addressPrefix+"road", "must not contain digits: write the number in house_number")
	}
	checkShape(&v, addressPrefix+"house_number", a.HouseNumber, true, houseNumberShape, "a number such as 88 or 88-2")
	checkShape(&v, addressPrefix+"building", a.Building, false, buildingShape, "a number from 1 to 9999")
	checkShape(&v, addressPrefix+"unit", a.Unit, false, unitShape, "a number from 1 to 999")
	checkShape(&v, addressPrefix+"room", a.Room, false, roomShape, "a number such as 501")
	checkLocation(&v, addressPrefix+"location", a.Location)
	return v.Err()
}

func checkShape(v *errs.Violations, field, s string, required bool, shape *regexp.Regexp, want string) {
	switch {
	case s == "" && required:
		v.Add(field, "is required")
	case s != "" && !shape.MatchString(s):
		v.Add(field, "must be %s, got %q", want, s)
	}
}

// checkLocation checks a position: set, finite, in range and in China.
func checkLocation(v *errs.Violations, field string, l Location) {
	if l == (Location{}) {
		v.Add(field, "is required")
		return
	}
	okLon := checkCoordinate(v, field+".longitude", l.Lon, -180, 180)
	okLat := checkCoordinate(v, field+".latitude", l.Lat, -90, 90)
	if okLon && okLat && !China.Contains(l.Lon, l.Lat) {
		v.Add(field, "(%.6f, %.6f) lies outside China (%.1f–%.1f E, %.1f–%.1f N); coordinates are longitude first, WGS84",
			l.Lon, l.Lat, China.MinLon, China.MaxLon, China.MinLat, China.MaxLat)
	}
}

func checkCoordinate(v *errs.Violations, field string, x, lo, hi float64) bool {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		v.Add(field, "must be a finite number")
	case x < lo || x > hi:
		v.Add(field, "must lie between %g and %g, got %g", lo, hi, x)
	default:
		return true
	}
	return false
}

func (f *Feature) normalize() {
	f.ID = strings.ToLower(strings.TrimSpace(f.ID))
	f.Name = strings.TrimSpace(f.Name)
	f.DivisionCode = normalizeCode(f.DivisionCode)
	f.Subject = strings.TrimSpace(f.Subject)
	if f.Geometry != nil {
		f.Geometry = dropRepeats(f.Geometry)
		f.Bound = BoundOf(f.Geometry)
	}
}

// parseGeometry reads RawGeometry, when a client sent one, into Geometry.
func (f *Feature) parseGeometry(v *errs.Violations) {
	if f.RawGeometry == nil {
		return
	}
	g, err := geojson.UnmarshalGeometry(f.RawGeometry)
	f.RawGeometry = nil
	if err != nil {
		v.Add(featurePrefix+"geometry", "is not a GeoJSON geometry: %v", err)
		f.Geometry = nil
		return
	}
	f.Geometry = g.Geometry()
}

// validate checks the feature's own rules; whether its division and
// subject exist is the service's to check.
func (f *Feature) validate() error {
	var v errs.Violations
	f.parseGeometry(&v)
	f.normalize()
	if f.Kind == "" {
		v.Add(featurePrefix+"kind", "is required")
	} else if !slices.Contains(FeatureKinds, f.Kind) {
		v.Add(featurePrefix+"kind", "unknown kind %q", f.Kind)
	}
	check.Text(&v, featurePrefix+"display_name", f.Name, true, 200)
	if f.DivisionCode == "" {
		v.Add(featurePrefix+"division", "is required")
	} else if err := standard.CheckDivisionCode(f.DivisionCode); err != nil {
		v.Add(featurePrefix+"division", "%s: %v", DivisionName(f.DivisionCode), err)
	} else if f.Kind == KindCommunity && standard.DivisionLevel(f.DivisionCode) != int(LevelVillage) {
		v.Add(featurePrefix+"division", "a community boundary belongs to its community or village, but %s is not one", DivisionName(f.DivisionCode))
	}
	if !hasField(v, featurePrefix+"geometry") { // a geometry that did not parse was reported already
		checkGeometry(&v, featurePrefix+"geometry", f.Kind, f.Geometry)
	}
	if f.Subject != "" {
		coll, id, ok := strings.Cut(f.Subject, "/")
		if !ok || id == "" || (coll != "legalEntities" && coll != "buildings") {
			v.Add(featurePrefix+"subject", "must name a legal entity (legalEntities/{uscc}) or a building (buildings/{id}), got %q", f.Subject)
		}
	}
	if len(f.Properties) > 50 {
		v.Add(featurePrefix+"properties", "may hold at most 50 entries, got %d", len(f.Properties))
	}
	keys := make([]string, 0, len(f.Properties))
	for k := range f.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if n := utf8.RuneCountInString(k); n == 0 || n > 64 {
			v.Add(featurePrefix+"properties", "key %q must have 1 to 64 characters", k)
		}
		check.Text(&v, fmt.Sprintf("%sproperties[%q]", featurePrefix, k), f.Properties[k], false, 500)
	}
	return v.Err()
}

func hasField(v errs.Violations, field string) bool {
	for _, x := range v {
		if x.Field == field {
			return true
		}
	}
	return false
}

// geometryKinds says which geometry types each kind takes.
var geometryKinds = map[FeatureKind][]string{
	KindRoad:      {"LineString"},
	KindPOI:       {"Point"},
	KindParcel:    {"Polygon", "MultiPolygon"},
	KindCommunity: {"Polygon", "MultiPolygon"},
}

// checkGeometry checks a feature's geometry: a supported type fitting the
// kind, every position in China, lines of two positions or more, polygon
// rings closed, of four positions or more, and free of intersections.
func checkGeometry(v *errs.Violations, field string, kind FeatureKind, g orb.Geometry) {
	if g == nil {
		v.Add(field, "is required")
		return
	}
	typ := g.GeoJSONType()
	switch g.(type) {
	case orb.Point, orb.LineString, orb.Polygon, orb.MultiPolygon:
	default:
		v.Add(field, "type %s is not supported; use Point, LineString, Polygon or MultiPolygon", typ)
		return
	}
	if want, ok := geometryKinds[kind]; ok && !slices.Contains(want, typ) {
		v.Add(field, "a %s feature needs a %s geometry, got %s", kind, strings.Join(want, " or "), typ)
	}
	if n := countPositions(g); n > MaxPositions {
		v.Add(field, "has %d positions; at most %d are accepted", n, MaxPositions)
		return
	}
	switch g := g.(type) {
	case orb.Point:
		checkPosition(v, field, "", g)
	case orb.LineString:
		for i, p := range g {
			checkPosition(v, field, fmt.Sprintf("point %d ", i), p)
		}
		if len(g) < 2 {
			v.Add(field, "a LineString needs at least 2 distinct positions, got %d", len(g))
		}
	case orb.Polygon:
		checkPolygon(v, field, "", g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			v.Add(field, "a MultiPolygon needs at least one polygon")
		}
		valid := true
		for i, p := range g {
			n := len(*v)
			checkPolygon(v, field, fmt.Sprintf("polygon %d ", i), p)
			valid = valid && len(*v) == n
		}
		if valid {
			for _, pr := range geo.CheckPolygonsApart(g) {
				v.Add(field, "%v", pr)
			}
		}
	}
}

func checkPosition(v *errs.Violations, field, what string, p orb.Point) {
	switch {
	case math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0):
		v.Add(field, "%sis not a finite position", what)
	case !China.Contains(p[0], p[1]):
		v.Add(field, "%s(%.6f, %.6f) lies outside China (%.1f–%.1f E, %.1f–%.1f N); positions are longitude first, WGS84",
			what, p[0], p[1], China.MinLon, China.MaxLon, China.MinLat, China.MaxLat)
	}
}

// checkPolygon checks one polygon: its positions, then whether it is
// simple; what prefixes messages ("polygon 1 ") inside a MultiPolygon.
func checkPolygon(v *errs.Violations, field, what string, p orb.Polygon) {
	n := len(*v)
	for i, r := range p {
		for j, pt := range r {
			checkPosition(v, field, fmt.Sprintf("%sring %d point %d ", what, i, j), pt)
			if len(*v) > n {
				return // one bad position says enough about the polygon
			}
		}
	}
	for _, pr := range geo.CheckPolygon(p) {
		if pr.Kind == geo.TooFewPoints { // counted in positions, as GeoJSON and the other messages say
			v.Add(field, "%sring %d has %d positions; a ring needs at least 4 (3 corners and the first again)", what, pr.At.Ring, len(p[pr.At.Ring]))
			continue
		}
		v.Add(field, "%s%v", what, pr)
	}
}

func countPositions(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.LineString:
		return len(g)
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += countPositions(p)
		}
		return n
	}
	return 0
}

// dropRepeats removes positions repeating the one before them, which add
// nothing and would read as a ring touching itself.
func dropRepeats(g orb.Geometry) orb.Geometry {
	line := func(ls []orb.Point) []orb.Point {
		out := make([]orb.Point, 0, len(ls))
		for i, p := range ls {
			if i == 0 || p != ls[i-1] {
				out = append(out, p)
			}
		}
		return out
	}
	switch g := g.(type) {
	case orb.LineString:
		return orb.LineString(line(g))
	case orb.Polygon:
		out := make(orb.Polygon, len(g))
		for i, r := range g {
			out[i] = orb.Ring(line(r))
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = dropRepeats(p).(orb.Polygon)
		}
		return out
	}
	return g
}

// checkID checks an id a creator chose: a UUID in its canonical form.
func checkID(v *errs.Violations, field, id string) {
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		v.Add(field, "must be a UUID such as 6f1c2b1e-8f7a-4c7d-9a53-2f0e6e0b9a10, got %q", id)
	}
}
