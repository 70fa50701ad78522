package geo

import (
	"math"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// EarthRadius is the mean earth radius in metres (IUGG), which haversine
// distances use.
const EarthRadius = 6371008.8

// MetersPerDegree is the length of a degree of latitude in metres (and of
// longitude on the equator) on the sphere of EarthRadius.
const MetersPerDegree = EarthRadius * math.Pi / 180

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
func CircleBound(lon, lat, radius float64) orb.Bound {
	const deg = 180 / math.Pi
	const hair = 1e-9
	ang := radius / EarthRadius
	dLat := ang * deg
	b := orb.Bound{Min: orb.Point{0, lat - dLat - hair}, Max: orb.Point{0, lat + dLat + hair}}
	if s, c := math.Sin(ang), math.Cos(lat*math.Pi/180); s < c {
		dLon := math.Asin(s/c) * deg
		b.Min[0], b.Max[0] = lon-dLon-hair, lon+dLon+hair
	} else { // the cap reaches a pole
		b.Min[0], b.Max[0] = -180, 180
	}
	return b
}

// SpanMeters is the larger side of a box in metres, projected at its
// middle (exact enough within a district).
func SpanMeters(b orb.Bound) float64 {
	l := newLocal(b.Center())
	x0, y0 := l.xy(b.Min)
	x1, y1 := l.xy(b.Max)
	return math.Max(x1-x0, y1-y0)
}

// Area is a geometry's area on the earth in square metres (0 for points
// and lines).
func Area(g orb.Geometry) float64 { return math.Abs(orbgeo.Area(g)) }

// DistanceTo is the distance in metres from a position to a geometry: 0
// inside a polygon, the great-circle distance to a point, the distance to
// the nearest edge otherwise.
func DistanceTo(g orb.Geometry, lon, lat float64) float64 {
	l := newLocal(orb.Point{lon, lat})
	switch g := g.(type) {
	case orb.Point:
		return Haversine(lon, lat, g[0], g[1])
	case orb.LineString:
		return l.toLine(g)
	case orb.Polygon:
		if Contains(g, lon, lat) {
			return 0
		}
		return l.toRings(g)
	case orb.MultiPolygon:
		if Contains(g, lon, lat) {
			return 0
		}
		d := math.Inf(1)
		for _, p := range g {
			d = math.Min(d, l.toRings(p))
		}
		return d
	}
	return math.Inf(1)
}

// local projects positions near an origin onto a plane in metres
// (equirectangular), for distances to lines and edges and for spans.
type local struct{ lon0, lat0, kx, ky float64 }

func newLocal(origin orb.Point) local {
	return local{origin[0], origin[1], MetersPerDegree * math.Cos(origin[1]*math.Pi/180), MetersPerDegree}
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
	return math.Hypot(ax+t*dx, ay+t*dy)
}

func (l local) toLine(ls []orb.Point) float64 {
	if len(ls) == 1 {
		return Haversine(l.lon0, l.lat0, ls[0][0], ls[0][1])
	}
	d := math.Inf(1)
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
