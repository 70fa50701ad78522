package geo

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// orient is the sign of the turn a→b→c: +1 left, −1 right, 0 collinear.
func orient(a, b, c orb.Point) int {
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

func sub(a, b orb.Point) orb.Point { return orb.Point{a[0] - b[0], a[1] - b[1]} }
func cross(a, b orb.Point) float64 { return a[0]*b[1] - a[1]*b[0] }
func dot(a, b orb.Point) float64   { return a[0]*b[0] + a[1]*b[1] }
func mid(p, q orb.Point, t float64) orb.Point {
	return orb.Point{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])}
}

// edge names an edge of a ring by the ring and its first point.
type edge struct{ ring, point int }

// segment is one edge of a ring, for the intersection sweep.
type segment struct {
	edge
	a, b       orb.Point
	minX, maxX float64
	minY, maxY float64
	last       bool // the ring's closing edge
}

// findCrossing looks for two edges of the rings that share a point where
// they must not: any two edges of different rings, and two edges of one
// ring unless they are neighbours meeting only at their common point. Of
// the pairs it returns the first, ordering each pair by its earlier edge
// and then its later one, so that the answer does not depend on the sweep. It sweeps the edges in
// order of their western end, so that only edges overlapping in longitude
// are compared. Each ring must be closed and free of repeated consecutive
// points.
func findCrossing(rings []orb.Ring) (first, second edge, found bool) {
	var segs []segment
	for ri, r := range rings {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			segs = append(segs, segment{edge: edge{ri, i}, a: a, b: b,
				minX: math.Min(a[0], b[0]), maxX: math.Max(a[0], b[0]),
				minY: math.Min(a[1], b[1]), maxY: math.Max(a[1], b[1]),
				last: i+2 == len(r)})
		}
	}
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].minX < segs[j].minX })
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
			if t.maxY < s.minY || s.maxY < t.minY || !edgesConflict(t, s) {
				continue
			}
			a, b := t.edge, s.edge
			if before(b, a) {
				a, b = b, a
			}
			if !found || before(a, first) || (a == first && before(b, second)) {
				first, second, found = a, b, true
			}
		}
		active = append(active, si)
	}
	return first, second, found
}

// before orders edges by ring, then by point.
func before(a, b edge) bool {
	return a.ring < b.ring || (a.ring == b.ring && a.point < b.point)
}

// edgesConflict reports whether two edges meet where they must not.
func edgesConflict(s, t *segment) bool {
	if s.ring != t.ring {
		return segmentsMeet(s.a, s.b, t.a, t.b)
	}
	if s.point > t.point {
		s, t = t, s
	}
	var shared, sOther, tOther orb.Point
	switch {
	case t.point == s.point+1: // s ends where t begins
		shared, sOther, tOther = s.b, s.a, t.b
	case s.point == 0 && t.last: // the closing edge ends where the first begins
		shared, sOther, tOther = s.a, s.b, t.a
	default:
		return segmentsMeet(s.a, s.b, t.a, t.b)
	}
	// Neighbours meet at their shared point; they conflict only when the
	// ring turns back along itself (a spike).
	return orient(sOther, shared, tOther) == 0 && dot(sub(sOther, shared), sub(tOther, shared)) > 0
}
