package building

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Limits on one polygon, footprint or query area: generous for buildings,
// small enough that the quadratic checks below stay cheap.
const (
	MaxRings         = 50
	MaxRingPoints    = 2000
	MaxPolygonPoints = 5000
	// MaxFootprintSpanM bounds a footprint's extent. The largest plants of
	// the district are well under it; a footprint spanning more is almost
	// always swapped or mistyped coordinates.
	MaxFootprintSpanM = 5000
)

func problemf(format string, args ...any) error { return problem(fmt.Sprintf(format, args...)) }

// ParsePolygon reads a GeoJSON Polygon geometry object (RFC 7946 §3.1.6):
// {"type": "Polygon", "coordinates": [[[lon, lat], …], …]}. A third
// coordinate (altitude) is accepted and dropped; foreign members and bbox
// are ignored. It checks the shape of the JSON only; CheckPolygon checks the
// geometry.
func ParsePolygon(data []byte) (orb.Polygon, error) {
	var g struct {
		Type        *string           `json:"type"`
		Coordinates json.RawMessage   `json:"coordinates"`
		Geometries  []json.RawMessage `json:"geometries"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, problemf("is not a GeoJSON geometry object: %v", jsonReason(err))
	}
	switch {
	case g.Type == nil:
		return nil, problemf(`is not a GeoJSON geometry object: it has no "type"`)
	case *g.Type != "Polygon":
		return nil, problemf(`must be a GeoJSON Polygon, got type %q`, *g.Type)
	case len(g.Coordinates) == 0 || bytes.Equal(bytes.TrimSpace(g.Coordinates), []byte("null")):
		return nil, problemf(`is a Polygon without "coordinates"`)
	}
	var rings [][][]*float64
	if err := json.Unmarshal(g.Coordinates, &rings); err != nil {
		return nil, problemf("coordinates must be an array of rings, each an array of [longitude, latitude] positions: %v", jsonReason(err))
	}
	if len(rings) > MaxRings {
		return nil, problemf("has %d rings; at most %d are accepted", len(rings), MaxRings)
	}
	poly := make(orb.Polygon, len(rings))
	total := 0
	for i, ring := range rings {
		total += len(ring)
		if len(ring) > MaxRingPoints || total > MaxPolygonPoints {
			return nil, problemf("has too many points (ring %d has %d); at most %d a ring and %d in all are accepted", i, len(ring), MaxRingPoints, MaxPolygonPoints)
		}
		poly[i] = make(orb.Ring, len(ring))
		for j, pos := range ring {
			if len(pos) < 2 || len(pos) > 3 {
				return nil, problemf("coordinates[%d][%d] must be [longitude, latitude], got %d numbers", i, j, len(pos))
			}
			for k, c := range pos {
				if c == nil {
					return nil, problemf("coordinates[%d][%d][%d] is null; positions are numbers", i, j, k)
				}
			}
			poly[i][j] = orb.Point{*pos[0], *pos[1]}
		}
	}
	return poly, nil
}

// jsonReason shortens encoding/json's messages, which name Go types.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("found a JSON %s where a %s belongs", te.Value, jsonKind(te.Type.Kind().String()))
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice":
		return "array"
	case "float64", "ptr":
		return "number"
	}
	return goKind
}

// PolygonGeoJSON renders p as a GeoJSON Polygon geometry object.
func PolygonGeoJSON(p orb.Polygon) []byte {
	coords := make([][][2]float64, len(p))
	for i, r := range p {
		coords[i] = make([][2]float64, len(r))
		for j, pt := range r {
			coords[i][j] = pt
		}
	}
	b, _ := json.Marshal(struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	}{"Polygon", coords})
	return b
}

// CheckPolygon checks that p is a simple polygon in longitude/latitude:
// every ring closed with at least 4 points, no ring crossing itself or
// another, courtyards inside the outline. It returns every problem found,
// each in words naming the ring and points (numbered from 0).
func CheckPolygon(p orb.Polygon) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if len(p) == 0 {
		add("has no rings; a polygon needs its outline as ring 0")
		return out
	}
	if len(p) > MaxRings {
		add("has %d rings; at most %d are accepted", len(p), MaxRings)
		return out
	}
	total := 0
	sound := make([]bool, len(p)) // rings fit for the checks between rings
	for i, r := range p {
		total += len(r)
		if len(r) > MaxRingPoints || total > MaxPolygonPoints {
			add("has too many points (ring %d has %d); at most %d a ring and %d in all are accepted", i, len(r), MaxRingPoints, MaxPolygonPoints)
			return out
		}
		before := len(out)
		for j, pt := range r {
			if !(pt[0] >= -180 && pt[0] <= 180) || !(pt[1] >= -90 && pt[1] <= 90) {
				add("ring %d point %d (%v, %v) is not a longitude in -180..180 and a latitude in -90..90", i, j, pt[0], pt[1])
				break
			}
		}
		if len(out) > before {
			continue
		}
		if len(r) < 4 {
			add("ring %d has %d points; a closed ring needs at least 4 (the last repeating the first)", i, len(r))
			continue
		}
		if r[0] != r[len(r)-1] {
			add("ring %d is not closed: its last point (%v, %v) must repeat its first (%v, %v)", i, r[len(r)-1][0], r[len(r)-1][1], r[0][0], r[0][1])
			continue
		}
		if msg := ringSelfIntersection(r); msg != "" {
			add("ring %d %s", i, msg)
			continue
		}
		if planar.Area(r) == 0 {
			add("ring %d encloses no area", i)
			continue
		}
		sound[i] = true
	}
	if len(out) > 0 {
		return out
	}
	// Courtyards: inside the outline, outside each other, no two rings
	// sharing a point.
	for i := 0; i < len(p); i++ {
		for j := i + 1; j < len(p); j++ {
			if a, b, ok := ringsMeet(p[i], p[j]); ok {
				add("ring %d touches or crosses ring %d (the edge from its point %d meets the edge from point %d of ring %d)", j, i, b, a, i)
				return out
			}
		}
	}
	outline := orb.Polygon{p[0]}
	for i := 1; i < len(p); i++ {
		if locate(p[i][0], outline) != inside {
			add("ring %d, a courtyard, lies outside ring 0, the outline", i)
			continue
		}
		for j := 1; j < len(p); j++ {
			if j != i && locate(p[i][0], orb.Polygon{p[j]}) == inside {
				add("ring %d lies inside ring %d; courtyards cannot nest", i, j)
				break
			}
		}
	}
	return out
}

// ringSelfIntersection finds two edges of a closed ring that meet other
// than where consecutive edges join. Edge i runs from point i to point i+1.
func ringSelfIntersection(r orb.Ring) string {
	n := len(r) - 1 // edges
	for i := 0; i < n; i++ {
		if r[i] == r[i+1] {
			return fmt.Sprintf("repeats point %d as point %d; remove the duplicate", i, i+1)
		}
	}
	for i := 0; i < n; i++ {
		a, b := r[i], r[i+1]
		for j := i + 1; j < n; j++ {
			c, d := r[j], r[j+1]
			adjacent := j == i+1 || (i == 0 && j == n-1)
			if adjacent {
				// Consecutive edges share one point; they may not fold back
				// over each other.
				var shared, p, q orb.Point
				if j == i+1 {
					shared, p, q = b, a, d
				} else {
					shared, p, q = a, b, c
				}
				if orient(p, shared, q) == 0 && dot(sub(p, shared), sub(q, shared)) > 0 {
					return fmt.Sprintf("intersects itself between points %d and %d: the edge from point %d to point %d folds back over the edge from point %d to point %d", i, j, j, j+1, i, i+1)
				}
				continue
			}
			if segmentsMeet(a, b, c, d) {
				return fmt.Sprintf("intersects itself between points %d and %d: the edge from point %d to point %d meets the edge from point %d to point %d", i, j, i, i+1, j, j+1)
			}
		}
	}
	return ""
}

// ringsMeet reports the first pair of edges of two rings that share a
// point, by the index of their first points.
func ringsMeet(r, s orb.Ring) (int, int, bool) {
	rb, sb := r.Bound(), s.Bound()
	if !boundsMeet(rb, sb) {
		return 0, 0, false
	}
	for i := 0; i+1 < len(r); i++ {
		for j := 0; j+1 < len(s); j++ {
			if segmentsMeet(r[i], r[i+1], s[j], s[j+1]) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// SpanMeters is the larger side of p's bounding box in metres, by the
// equirectangular approximation (exact enough within a district).
func SpanMeters(p orb.Polygon) float64 {
	b := p.Bound()
	lat := (b.Min[1] + b.Max[1]) / 2 * math.Pi / 180
	const mPerDeg = 6371008.8 * math.Pi / 180
	return math.Max((b.Max[0]-b.Min[0])*mPerDeg*math.Cos(lat), (b.Max[1]-b.Min[1])*mPerDeg)
}

// Centroid is the centroid of a valid polygon, courtyards excluded.
func Centroid(p orb.Polygon) orb.Point {
	c, _ := planar.CentroidArea(p)
	return c
}

// Relation is how a footprint must relate to a query area.
type Relation int

const (
	// Intersects: the footprint and the area share at least one point.
	Intersects Relation = iota
	// Within: the footprint lies entirely inside the area, boundary
	// included.
	Within
)

func (r Relation) String() string {
	if r == Within {
		return "within"
	}
	return "intersects"
}

// Area is the region of a spatial query: a bounding box or a polygon.
type Area struct {
	Polygon orb.Polygon
	bound   orb.Bound
}

// BoxArea is the area of a bounding box (a point when min equals max).
func BoxArea(b orb.Bound) Area { return Area{Polygon: b.ToPolygon(), bound: b} }

// PolygonArea is the area of a valid polygon.
func PolygonArea(p orb.Polygon) Area { return Area{Polygon: p, bound: p.Bound()} }

// Bound is the area's bounding box, what a spatial index prefilters with.
func (a Area) Bound() orb.Bound { return a.bound }

// Key identifies the area in page tokens.
func (a Area) Key() string { return string(PolygonGeoJSON(a.Polygon)) }

// Matches is the exact test of a footprint against the area, after an
// index has prefiltered by bounding box. Boundaries count as part of both
// (closed sets), so a footprint touching the area intersects it, and one
// whose edge runs along the area's edge can still lie within it. It is
// exact up to floating-point rounding of the orientation tests.
func (a Area) Matches(footprint orb.Polygon, r Relation) bool {
	if len(footprint) == 0 || len(footprint[0]) == 0 {
		return false
	}
	fb := footprint.Bound()
	if r == Within {
		return containsBound(a.bound, fb) && within(footprint, a.Polygon)
	}
	return boundsMeet(a.bound, fb) && intersects(footprint, a.Polygon)
}

func boundsMeet(a, b orb.Bound) bool {
	return a.Min[0] <= b.Max[0] && b.Min[0] <= a.Max[0] && a.Min[1] <= b.Max[1] && b.Min[1] <= a.Max[1]
}

func containsBound(outer, inner orb.Bound) bool {
	return outer.Min[0] <= inner.Min[0] && inner.Max[0] <= outer.Max[0] && outer.Min[1] <= inner.Min[1] && inner.Max[1] <= outer.Max[1]
}

func intersects(f, a orb.Polygon) bool {
	for _, fr := range f {
		frb := fr.Bound()
		for _, ar := range a {
			if !boundsMeet(frb, ar.Bound()) {
				continue
			}
			for i := 0; i+1 < len(fr); i++ {
				for j := 0; j+1 < len(ar); j++ {
					if segmentsMeet(fr[i], fr[i+1], ar[j], ar[j+1]) {
						return true
					}
				}
			}
		}
	}
	// No boundaries meet: one lies inside the other, or they are apart.
	return locate(f[0][0], a) == inside || locate(a[0][0], f) == inside
}

func within(f, a orb.Polygon) bool {
	for _, fr := range f {
		for i := 0; i+1 < len(fr); i++ {
			if !segmentWithin(fr[i], fr[i+1], a) {
				return false
			}
		}
	}
	// The footprint's boundary lies in the area; it still leaves the area
	// if it encloses (part of) one of the area's holes.
	for _, hole := range a[1:] {
		for i := 0; i+1 < len(hole); i++ {
			if locate(hole[i], f) == inside || locate(mid(hole[i], hole[i+1], 0.5), f) == inside {
				return false
			}
		}
	}
	return true
}

// segmentWithin splits p→q where it meets the area's boundary; each piece
// then lies wholly inside, outside or along the boundary, so testing its
// midpoint (and the ends) decides.
func segmentWithin(p, q orb.Point, a orb.Polygon) bool {
	ts := []float64{0, 1}
	for _, r := range a {
		for j := 0; j+1 < len(r); j++ {
			ts = appendCrossings(ts, p, q, r[j], r[j+1])
		}
	}
	slices.Sort(ts)
	if locate(p, a) == outside || locate(q, a) == outside {
		return false
	}
	for k := 0; k+1 < len(ts); k++ {
		if ts[k+1] > ts[k] && locate(mid(p, q, (ts[k]+ts[k+1])/2), a) == outside {
			return false
		}
	}
	return true
}

// appendCrossings adds the parameters t in [0, 1] of p + t(q−p) where the
// segment meets a→b (both ends of a collinear overlap).
func appendCrossings(ts []float64, p, q, a, b orb.Point) []float64 {
	d, e, ap := sub(q, p), sub(b, a), sub(a, p)
	den := cross(d, e)
	if den != 0 {
		t, u := cross(ap, e)/den, cross(ap, d)/den
		if t >= 0 && t <= 1 && u >= 0 && u <= 1 {
			ts = append(ts, t)
		}
		return ts
	}
	if cross(ap, d) != 0 {
		return ts // parallel, apart
	}
	dd := dot(d, d)
	for _, x := range []orb.Point{a, b} {
		if t := dot(sub(x, p), d) / dd; t >= 0 && t <= 1 {
			ts = append(ts, t)
		}
	}
	return ts
}

const (
	outside = iota
	boundary
	inside
)

// locate tells whether pt lies outside, on the boundary of, or inside p
// (inside the outline and outside every courtyard).
func locate(pt orb.Point, p orb.Polygon) int {
	where := locateRing(pt, p[0])
	if where != inside {
		return where
	}
	for _, hole := range p[1:] {
		switch locateRing(pt, hole) {
		case inside:
			return outside
		case boundary:
			return boundary
		}
	}
	return inside
}

func locateRing(pt orb.Point, r orb.Ring) int {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if onSegment(a, b, pt) {
			return boundary
		}
		if (a[1] > pt[1]) != (b[1] > pt[1]) {
			x := a[0] + (pt[1]-a[1])/(b[1]-a[1])*(b[0]-a[0])
			if pt[0] < x {
				in = !in
			}
		}
	}
	if in {
		return inside
	}
	return outside
}

// segmentsMeet reports whether the closed segments ab and cd share a point.
func segmentsMeet(a, b, c, d orb.Point) bool {
	if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
		math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
		return false
	}
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}

// orient is the sign of the turn a→b→c: +1 left, −1 right, 0 collinear.
func orient(a, b, c orb.Point) float64 {
	v := cross(sub(b, a), sub(c, a))
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// onSegment reports whether p lies on the closed segment ab.
func onSegment(a, b, p orb.Point) bool {
	return cross(sub(b, a), sub(p, a)) == 0 &&
		math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

func sub(a, b orb.Point) orb.Point { return orb.Point{a[0] - b[0], a[1] - b[1]} }
func cross(a, b orb.Point) float64 { return a[0]*b[1] - a[1]*b[0] }
func dot(a, b orb.Point) float64   { return a[0]*b[0] + a[1]*b[1] }
func mid(p, q orb.Point, t float64) orb.Point {
	return orb.Point{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])}
}
