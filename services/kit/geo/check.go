package geo

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Kind is a reason a polygon is not simple.
type Kind int

const (
	NoRings           Kind = iota + 1 // the polygon has no ring at all
	BadPosition                       // a point is not a longitude in -180..180 and a latitude in -90..90
	TooFewPoints                      // a ring has fewer than 4 points
	NotClosed                         // a ring's last point is not its first
	RepeatedPoint                     // a ring repeats a point right after itself
	SelfIntersection                  // two edges of a ring meet other than where neighbours join
	NoArea                            // a ring encloses no area
	RingsIntersect                    // an edge of one ring meets an edge of another
	HoleOutside                       // a hole lies outside the outer ring
	NestedHole                        // a hole lies inside another
	PolygonsIntersect                 // two polygons of a MultiPolygon meet
	PolygonInside                     // a polygon of a MultiPolygon lies inside another
)

// Place names a point of a geometry, each index from 0: the polygon of a
// MultiPolygon (0 in a Polygon), its ring, and the ring's point. An edge
// is named by its first point.
type Place struct{ Polygon, Ring, Point int }

// Problem is one reason a polygon is not simple. At is where it shows;
// Other is the second place of a problem between two: the other edge of
// an intersection, the other point of a repetition, the hole or polygon
// holding another.
type Problem struct {
	Kind      Kind
	At, Other Place
	msg       string
}

// Error words the problem in the kit's terms (rings, holes, points).
func (p Problem) Error() string { return p.msg }

func problem(k Kind, at, other Place, format string, args ...any) Problem {
	return Problem{Kind: k, At: at, Other: other, msg: fmt.Sprintf(format, args...)}
}

// CheckPolygon checks that p is a simple polygon in longitude and
// latitude: every ring closed, of 4 points or more, free of repeated
// points and enclosing an area; no ring meeting itself (but for
// neighbouring edges at their common point) or another ring; every hole
// inside the outer ring and none inside another. It returns each broken
// ring's first problem, or else the first problem between rings, or else
// every misplaced hole. Finding crossings takes O(n log n) for n points
// unless many edges overlap in longitude.
func CheckPolygon(p orb.Polygon) []Problem {
	if len(p) == 0 {
		return []Problem{problem(NoRings, Place{}, Place{}, "has no rings; a polygon needs at least its outer ring")}
	}
	var out []Problem
	for i, r := range p {
		if pr, ok := checkRing(i, r); !ok {
			out = append(out, pr)
		}
	}
	if len(out) > 0 {
		return out
	}
	// Every ring is simple, so any crossing left lies between two rings.
	if a, b, found := findCrossing(p); found {
		return []Problem{problem(RingsIntersect, Place{Ring: a.ring, Point: a.point}, Place{Ring: b.ring, Point: b.point},
			"ring %d (point %d) and ring %d (point %d) intersect", a.ring, a.point, b.ring, b.point)}
	}
	// No rings meet, so a hole's first point lies off every other ring.
	outer := orb.Polygon{p[0]}
	for i := 1; i < len(p); i++ {
		if Locate(p[i][0], outer) != Inside {
			out = append(out, problem(HoleOutside, Place{Ring: i}, Place{}, "ring %d is a hole but lies outside ring 0", i))
			continue
		}
		for j := 1; j < len(p); j++ {
			if j != i && Locate(p[i][0], orb.Polygon{p[j]}) == Inside {
				out = append(out, problem(NestedHole, Place{Ring: i}, Place{Ring: j}, "ring %d lies inside ring %d; holes cannot nest", i, j))
				break
			}
		}
	}
	return out
}

// checkRing returns the first problem of ring i on its own.
func checkRing(i int, r orb.Ring) (Problem, bool) {
	for j, pt := range r {
		if !(pt[0] >= -180 && pt[0] <= 180) || !(pt[1] >= -90 && pt[1] <= 90) {
			return problem(BadPosition, Place{Ring: i, Point: j}, Place{},
				"ring %d point %d (%v, %v) is not a longitude in -180..180 and a latitude in -90..90", i, j, pt[0], pt[1]), false
		}
	}
	if len(r) < 4 {
		return problem(TooFewPoints, Place{Ring: i}, Place{},
			"ring %d has %d points; a closed ring needs at least 4 (the last repeating the first)", i, len(r)), false
	}
	first, last := r[0], r[len(r)-1]
	if first != last {
		return problem(NotClosed, Place{Ring: i, Point: len(r) - 1}, Place{Ring: i},
			"ring %d is not closed: its last point (%v, %v) must repeat its first (%v, %v)", i, last[0], last[1], first[0], first[1]), false
	}
	for j := 0; j+1 < len(r); j++ {
		if r[j] == r[j+1] {
			return problem(RepeatedPoint, Place{Ring: i, Point: j}, Place{Ring: i, Point: j + 1},
				"ring %d repeats point %d as point %d; remove the duplicate", i, j, j+1), false
		}
	}
	if a, b, found := findCrossing([]orb.Ring{r}); found {
		return problem(SelfIntersection, Place{Ring: i, Point: a.point}, Place{Ring: i, Point: b.point},
			"ring %d intersects itself between points %d and %d", i, a.point, b.point), false
	}
	if planar.Area(r) == 0 { // only by rounding: a simple ring encloses an area
		return problem(NoArea, Place{Ring: i}, Place{}, "ring %d encloses no area", i), false
	}
	return Problem{}, true
}

// CheckPolygonsApart checks that the polygons of a MultiPolygon, each
// passing CheckPolygon, neither meet nor lie inside one another (a polygon
// in another's hole is apart from it). It returns the first problem.
func CheckPolygonsApart(mp orb.MultiPolygon) []Problem {
	var rings []orb.Ring
	var places []Place // of each ring's point 0
	for i, p := range mp {
		for j, r := range p {
			rings = append(rings, r)
			places = append(places, Place{Polygon: i, Ring: j})
		}
	}
	if a, b, found := findCrossing(rings); found {
		at, other := places[a.ring], places[b.ring]
		at.Point, other.Point = a.point, b.point
		return []Problem{problem(PolygonsIntersect, at, other, "polygons %d and %d intersect", at.Polygon, other.Polygon)}
	}
	for i := range mp {
		for j := range mp {
			if i != j && Locate(mp[j][0][0], mp[i]) == Inside {
				return []Problem{problem(PolygonInside, Place{Polygon: j}, Place{Polygon: i}, "polygon %d lies inside polygon %d", j, i)}
			}
		}
	}
	return nil
}
