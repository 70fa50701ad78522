package geo

import (
	"slices"

	"github.com/paulmach/orb"
)

// Location is where a point lies against a polygon.
type Location int

const (
	Outside Location = iota
	Boundary
	Inside
)

func (l Location) String() string {
	switch l {
	case Boundary:
		return "boundary"
	case Inside:
		return "inside"
	}
	return "outside"
}

// Locate tells whether pt lies outside, on the boundary of, or inside p
// (inside the outer ring and outside every hole).
func Locate(pt orb.Point, p orb.Polygon) Location {
	if len(p) == 0 {
		return Outside
	}
	where := locateRing(pt, p[0])
	if where != Inside {
		return where
	}
	for _, hole := range p[1:] {
		switch locateRing(pt, hole) {
		case Inside:
			return Outside
		case Boundary:
			return Boundary
		}
	}
	return Inside
}

func locateRing(pt orb.Point, r orb.Ring) Location {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if onSegment(a, b, pt) {
			return Boundary
		}
		if (a[1] > pt[1]) != (b[1] > pt[1]) {
			x := a[0] + (pt[1]-a[1])/(b[1]-a[1])*(b[0]-a[0])
			if pt[0] < x {
				in = !in
			}
		}
	}
	if in {
		return Inside
	}
	return Outside
}

// Contains reports whether a Polygon or MultiPolygon holds the position,
// boundary included; false for points and lines.
func Contains(g orb.Geometry, lon, lat float64) bool {
	pt := orb.Point{lon, lat}
	switch g := g.(type) {
	case orb.Polygon:
		return Locate(pt, g) != Outside
	case orb.MultiPolygon:
		for _, p := range g {
			if Locate(pt, p) != Outside {
				return true
			}
		}
	}
	return false
}

// Intersects reports whether two polygons share at least one point,
// boundaries included: a polygon touching another intersects it.
func Intersects(a, b orb.Polygon) bool {
	if len(a) == 0 || len(a[0]) == 0 || len(b) == 0 || len(b[0]) == 0 || !a.Bound().Intersects(b.Bound()) {
		return false
	}
	for _, ar := range a {
		arb := ar.Bound()
		for _, br := range b {
			if !arb.Intersects(br.Bound()) {
				continue
			}
			for i := 0; i+1 < len(ar); i++ {
				for j := 0; j+1 < len(br); j++ {
					if segmentsMeet(ar[i], ar[i+1], br[j], br[j+1]) {
						return true
					}
				}
			}
		}
	}
	// No boundaries meet: one lies inside the other, or they are apart.
	return Locate(a[0][0], b) == Inside || Locate(b[0][0], a) == Inside
}

// Within reports whether inner lies entirely in outer, boundaries
// included: a polygon whose edge runs along outer's edge can still lie
// within it.
func Within(inner, outer orb.Polygon) bool {
	if len(inner) == 0 || len(inner[0]) == 0 || len(outer) == 0 || len(outer[0]) == 0 {
		return false
	}
	ib, ob := inner.Bound(), outer.Bound()
	if !ob.Contains(ib.Min) || !ob.Contains(ib.Max) {
		return false
	}
	for _, r := range inner {
		for i := 0; i+1 < len(r); i++ {
			if !segmentWithin(r[i], r[i+1], outer) {
				return false
			}
		}
	}
	// inner's boundary lies in outer; inner still leaves outer if it
	// encloses (part of) one of outer's holes.
	for _, hole := range outer[1:] {
		for i := 0; i+1 < len(hole); i++ {
			if Locate(hole[i], inner) == Inside || Locate(mid(hole[i], hole[i+1], 0.5), inner) == Inside {
				return false
			}
		}
	}
	return true
}

// segmentWithin splits p→q where it meets the polygon's boundary; each
// piece then lies wholly inside, outside or along the boundary, so testing
// its midpoint (and the ends) decides.
func segmentWithin(p, q orb.Point, poly orb.Polygon) bool {
	if Locate(p, poly) == Outside || Locate(q, poly) == Outside {
		return false
	}
	ts := []float64{0, 1}
	for _, r := range poly {
		for j := 0; j+1 < len(r); j++ {
			ts = appendCrossings(ts, p, q, r[j], r[j+1])
		}
	}
	slices.Sort(ts)
	for k := 0; k+1 < len(ts); k++ {
		if ts[k+1] > ts[k] && Locate(mid(p, q, (ts[k]+ts[k+1])/2), poly) == Outside {
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

// IntersectsBound reports whether a Point, LineString, Polygon or
// MultiPolygon shares a point with a box, edges included; false for other
// geometries.
func IntersectsBound(g orb.Geometry, b orb.Bound) bool {
	if !g.Bound().Intersects(b) {
		return false
	}
	switch g := g.(type) {
	case orb.Point:
		return b.Contains(g)
	case orb.LineString:
		box := b.ToRing()
		for i := range g {
			if b.Contains(g[i]) {
				return true
			}
			if i+1 == len(g) {
				break
			}
			for j := 0; j+1 < len(box); j++ {
				if segmentsMeet(g[i], g[i+1], box[j], box[j+1]) {
					return true
				}
			}
		}
	case orb.Polygon:
		return Intersects(g, b.ToPolygon())
	case orb.MultiPolygon:
		box := b.ToPolygon()
		for _, p := range g {
			if Intersects(p, box) {
				return true
			}
		}
	}
	return false
}
