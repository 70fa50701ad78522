package spatial

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// China's extent: every location and geometry the registry holds lies in
// it (the mainland, Hainan and the South China Sea islands).
var China = Bound{MinLon: 73.4, MinLat: 3.8, MaxLon: 135.1, MaxLat: 53.6}

// Zhenhai is the district's usual extent; nothing is refused for lying
// outside it, but the demo data and the tests stay inside.
var Zhenhai = Bound{MinLon: 121.48, MinLat: 29.90, MaxLon: 121.80, MaxLat: 30.08}

// EarthRadius is the mean earth radius in metres (IUGG), which haversine
// distances use.
const EarthRadius = 6371008.8

// MaxRadius bounds circle queries and reverse geocoding, in metres.
const MaxRadius = 50000

// MaxPositions bounds the positions of one geometry.
const MaxPositions = 50000

// Haversine is the great-circle distance between two positions in metres.
func Haversine(lon1, lat1, lon2, lat2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(a)))
}

// CircleBound is the smallest box holding every position within radius
// metres of the centre (a spherical cap), widened by a hair against
// rounding, so that it can prefilter a circle query without losing any
// position in the circle.
func CircleBound(lon, lat, radius float64) Bound {
	const deg = 180 / math.Pi
	const hair = 1e-9
	ang := radius / EarthRadius
	dLat := ang * deg
	b := Bound{MinLat: lat - dLat - hair, MaxLat: lat + dLat + hair}
	if s, c := math.Sin(ang), math.Cos(lat*math.Pi/180); s < c {
		dLon := math.Asin(s/c) * deg
		b.MinLon, b.MaxLon = lon-dLon-hair, lon+dLon+hair
	} else { // the cap reaches a pole
		b.MinLon, b.MaxLon = -180, 180
	}
	return b
}

// local projects positions near an origin onto a plane in metres
// (equirectangular), for distances to lines and edges.
type local struct{ lon0, lat0, kx, ky float64 }

func newLocal(lon, lat float64) local {
	ky := EarthRadius * math.Pi / 180
	return local{lon, lat, ky * math.Cos(lat*math.Pi/180), ky}
}

func (l local) xy(p orb.Point) (float64, float64) {
	return (p[0] - l.lon0) * l.kx, (p[1] - l.lat0) * l.ky
}

// distanceToSegment is the distance in metres from the origin to segment ab.
func (l local) distanceToSegment(a, b orb.Point) float64 {
	ax, ay := l.xy(a)
	bx, by := l.xy(b)
	dx, dy := bx-ax, by-ay
	t := 0.0
	if d := dx*dx + dy*dy; d > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/d))
	}
	x, y := ax+t*dx, ay+t*dy
	return math.Hypot(x, y)
}

// DistanceTo is the distance in metres from a position to a geometry: 0
// inside a polygon, the great-circle distance to a point, the distance to
// the nearest edge otherwise.
func DistanceTo(g orb.Geometry, lon, lat float64) float64 {
	switch g := g.(type) {
	case orb.Point:
		return Haversine(lon, lat, g[0], g[1])
	case orb.LineString:
		return newLocal(lon, lat).toLine(g)
	case orb.Polygon:
		if planar.PolygonContains(g, orb.Point{lon, lat}) {
			return 0
		}
		return newLocal(lon, lat).toRings(g)
	case orb.MultiPolygon:
		if planar.MultiPolygonContains(g, orb.Point{lon, lat}) {
			return 0
		}
		l, d := newLocal(lon, lat), math.Inf(1)
		for _, p := range g {
			d = math.Min(d, l.toRings(p))
		}
		return d
	}
	return math.Inf(1)
}

func (l local) toLine(ls []orb.Point) float64 {
	d := math.Inf(1)
	if len(ls) == 1 {
		return Haversine(l.lon0, l.lat0, ls[0][0], ls[0][1])
	}
	for i := 0; i+1 < len(ls); i++ {
		d = math.Min(d, l.distanceToSegment(ls[i], ls[i+1]))
	}
	return d
}

func (l local) toRings(p orb.Polygon) float64 {
	d := math.Inf(1)
	for _, r := range p {
		d = math.Min(d, l.toLine(r))
	}
	return d
}

// Contains reports whether a polygon geometry holds the position
// (boundary included); false for points and lines.
func Contains(g orb.Geometry, lon, lat float64) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, orb.Point{lon, lat})
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, orb.Point{lon, lat})
	}
	return false
}

// AreaOf is a geometry's area on the earth in square metres (0 for points
// and lines).
func AreaOf(g orb.Geometry) float64 { return math.Abs(geo.Area(g)) }

// IntersectsBound reports whether a geometry shares a point with a box.
func IntersectsBound(g orb.Geometry, b Bound) bool {
	if !BoundOf(g).Intersects(b) {
		return false
	}
	corners := [4]orb.Point{{b.MinLon, b.MinLat}, {b.MaxLon, b.MinLat}, {b.MaxLon, b.MaxLat}, {b.MinLon, b.MaxLat}}
	edgeMeets := func(a, c orb.Point) bool {
		if b.Contains(a[0], a[1]) || b.Contains(c[0], c[1]) {
			return true
		}
		for i := range corners {
			if segmentsIntersect(a, c, corners[i], corners[(i+1)%4]) {
				return true
			}
		}
		return false
	}
	lineMeets := func(ls []orb.Point) bool {
		for i := range ls {
			if b.Contains(ls[i][0], ls[i][1]) {
				return true
			}
			if i+1 < len(ls) && edgeMeets(ls[i], ls[i+1]) {
				return true
			}
		}
		return false
	}
	polygonMeets := func(p orb.Polygon) bool {
		for _, r := range p {
			if lineMeets(r) {
				return true
			}
		}
		// No edge meets the box: either the box lies inside the polygon
		// or they are apart.
		return planar.PolygonContains(p, corners[0])
	}
	switch g := g.(type) {
	case orb.Point:
		return b.Contains(g[0], g[1])
	case orb.LineString:
		return lineMeets(g)
	case orb.Polygon:
		return polygonMeets(g)
	case orb.MultiPolygon:
		for _, p := range g {
			if polygonMeets(p) {
				return true
			}
		}
	}
	return false
}

// orient is twice the signed area of the triangle abc: positive when c
// lies left of ab, 0 when the three are collinear.
func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// onSegment reports whether p, collinear with ab, lies within its extent.
func onSegment(a, b, p orb.Point) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// segmentsIntersect reports whether segments ab and cd share a point.
func segmentsIntersect(a, b, c, d orb.Point) bool {
	o1, o2 := sign(orient(a, b, c)), sign(orient(a, b, d))
	o3, o4 := sign(orient(c, d, a)), sign(orient(c, d, b))
	if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}

// segment is one edge of a ring, for the intersection sweep.
type segment struct {
	ring, index int // which ring, and the index of its first point
	a, b        orb.Point
	minX, maxX  float64
	minY, maxY  float64
	last        bool // the ring's closing edge
}

// crossing is the first intersection the sweep found.
type crossing struct {
	ringA, pointA, ringB, pointB int
}

// findCrossing looks for two edges of the rings that share a point where
// they must not: any two edges of different rings, and two edges of one
// ring unless they are neighbours meeting only at their common point. It
// sweeps the edges in order of their western end, so that only edges
// overlapping in longitude are compared. Each ring must be closed and free
// of repeated consecutive points.
func findCrossing(rings []orb.Ring) (crossing, bool) {
	var segs []segment
	for ri, r := range rings {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			segs = append(segs, segment{ring: ri, index: i, a: a, b: b,
				minX: math.Min(a[0], b[0]), maxX: math.Max(a[0], b[0]),
				minY: math.Min(a[1], b[1]), maxY: math.Max(a[1], b[1]),
				last: i+2 == len(r)})
		}
	}
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].minX < segs[j].minX })
	var found crossing
	ok := false
	var active []int
	for si := range segs {
		s := &segs[si]
		keep := active[:0]
		for _, ai := range active {
			if segs[ai].maxX >= s.minX {
				keep = append(keep, ai)
			}
		}
		active = keep
		for _, ai := range active {
			t := &segs[ai]
			if t.maxY < s.minY || s.maxY < t.minY {
				continue
			}
			if !edgesConflict(t, s) {
				continue
			}
			c := crossing{t.ring, t.index, s.ring, s.index}
			if c.ringA > c.ringB || (c.ringA == c.ringB && c.pointA > c.pointB) {
				c = crossing{s.ring, s.index, t.ring, t.index}
			}
			if !ok || less(c, found) {
				found, ok = c, true
			}
		}
		active = append(active, si)
	}
	return found, ok
}

func less(a, b crossing) bool {
	if a.ringA != b.ringA {
		return a.ringA < b.ringA
	}
	if a.pointA != b.pointA {
		return a.pointA < b.pointA
	}
	if a.ringB != b.ringB {
		return a.ringB < b.ringB
	}
	return a.pointB < b.pointB
}

// edgesConflict reports whether two edges meet where they must not.
func edgesConflict(s, t *segment) bool {
	if s.ring == t.ring {
		if s.index > t.index {
			s, t = t, s
		}
		var shared, sOther, tOther orb.Point
		switch {
		case t.index == s.index+1: // s ends where t begins
			shared, sOther, tOther = s.b, s.a, t.b
		case s.index == 0 && t.last: // the closing edge ends where the first begins
			shared, sOther, tOther = s.a, s.b, t.a
		default:
			return segmentsIntersect(s.a, s.b, t.a, t.b)
		}
		// Neighbours meet at their shared point; they conflict only when
		// the ring turns back along itself (a spike).
		if orient(sOther, shared, tOther) != 0 {
			return false
		}
		return (sOther[0]-shared[0])*(tOther[0]-shared[0])+(sOther[1]-shared[1])*(tOther[1]-shared[1]) > 0
	}
	return segmentsIntersect(s.a, s.b, t.a, t.b)
}
