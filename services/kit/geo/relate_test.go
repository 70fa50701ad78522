package geo

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// ring builds a closed ring from x, y pairs (the closing point added).
func ring(xy ...float64) orb.Ring {
	r := make(orb.Ring, 0, len(xy)/2+1)
	for i := 0; i+1 < len(xy); i += 2 {
		r = append(r, orb.Point{xy[i], xy[i+1]})
	}
	return append(r, r[0])
}

// square is the axis-aligned square [x, x+s] × [y, y+s].
func square(x, y, s float64) orb.Ring { return ring(x, y, x+s, y, x+s, y+s, x, y+s) }

// box is the polygon of the box [minX, maxX] × [minY, maxY].
func box(minX, minY, maxX, maxY float64) orb.Polygon {
	return orb.Bound{Min: orb.Point{minX, minY}, Max: orb.Point{maxX, maxY}}.ToPolygon()
}

func TestLocate(t *testing.T) {
	withHole := orb.Polygon{square(0, 0, 10), square(4, 4, 2)}
	tests := []struct {
		name string
		pt   orb.Point
		want Location
	}{
		{"a point inside the outer ring is inside", orb.Point{1, 1}, Inside},
		{"a point on an edge is on the boundary", orb.Point{10, 5}, Boundary},
		{"a corner is on the boundary", orb.Point{0, 0}, Boundary},
		{"a point beyond the outer ring is outside", orb.Point{11, 5}, Outside},
		{"a point level with a vertex but beyond it is outside", orb.Point{-1, 10}, Outside},
		{"a point in a hole is outside", orb.Point{5, 5}, Outside},
		{"a point on a hole's edge is on the boundary", orb.Point{4, 5}, Boundary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Locate(tt.pt, withHole); got != tt.want {
				t.Fatalf("Locate(%v) = %v, want %v", tt.pt, got, tt.want)
			}
		})
	}
	t.Run("nothing lies in a polygon without rings", func(t *testing.T) {
		if got := Locate(orb.Point{0, 0}, orb.Polygon{}); got != Outside {
			t.Fatalf("Locate = %v, want outside", got)
		}
	})
}

func TestContains(t *testing.T) {
	withHole := orb.Polygon{square(0, 0, 10), square(4, 4, 2)}
	tests := []struct {
		name string
		g    orb.Geometry
		pt   orb.Point
		want bool
	}{
		{"a polygon holds a point inside it", withHole, orb.Point{1, 1}, true},
		{"a polygon holds a point on its boundary", withHole, orb.Point{0, 5}, true},
		{"a polygon holds a point on a hole's boundary", withHole, orb.Point{4, 5}, true},
		{"a polygon does not hold a point in its hole", withHole, orb.Point{5, 5}, false},
		{"a MultiPolygon holds a point of any of its polygons", orb.MultiPolygon{{square(20, 20, 1)}, withHole}, orb.Point{1, 1}, true},
		{"a line holds nothing", orb.LineString{{0, 0}, {2, 2}}, orb.Point{1, 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Contains(tt.g, tt.pt[0], tt.pt[1]); got != tt.want {
				t.Fatalf("Contains = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIntersectsAndWithin(t *testing.T) {
	// A U-shaped area: the gap between its arms is x in (1, 2), y > 1.
	u := orb.Polygon{ring(0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3)}
	withHole := orb.Polygon{square(0, 0, 10), square(4, 4, 2)}
	b := box(0, 0, 4, 4)
	point := box(1, 1, 1, 1)
	diamond := orb.Polygon{ring(2, -1, 5, 2, 2, 5, -1, 2)} // its bounding box covers b's corner (4, 4)
	tests := []struct {
		name       string
		area, p    orb.Polygon
		intersects bool
		within     bool
	}{
		{"a polygon inside the box", b, orb.Polygon{square(1, 1, 1)}, true, true},
		{"a polygon touching the box's edge from inside lies within it", b, orb.Polygon{square(0, 1, 1)}, true, true},
		{"a polygon touching the box's edge from outside intersects it only", b, orb.Polygon{square(4, 1, 1)}, true, false},
		{"a polygon touching the box's corner intersects it", b, orb.Polygon{square(4, 4, 1)}, true, false},
		{"a polygon crossing the box's edge", b, orb.Polygon{square(3, 3, 2)}, true, false},
		{"a polygon apart from the box", b, orb.Polygon{square(5, 5, 1)}, false, false},
		{"a polygon covering the whole box", b, orb.Polygon{square(-1, -1, 6)}, true, false},
		{"a diamond whose bounding box meets the box's corner only by its box", box(4.6, 4.6, 6, 6), diamond, false, false},
		{"a polygon containing a point box", point, orb.Polygon{square(0, 0, 2)}, true, false},
		{"a polygon whose corner is the point box", point, orb.Polygon{square(1, 1, 1)}, true, false},
		{"a polygon inside an arm of the U", u, orb.Polygon{square(0.2, 1.5, 0.5)}, true, true},
		{"a polygon in the U's gap is apart from it", u, orb.Polygon{square(1.2, 1.5, 0.5)}, false, false},
		{"a polygon bridging the U's gap, vertices all inside, leaves the area", u, orb.Polygon{ring(0.5, 2, 2.5, 2, 2.5, 2.5, 0.5, 2.5)}, true, false},
		{"a polygon in the area's hole is apart from it", withHole, orb.Polygon{square(4.5, 4.5, 1)}, false, false},
		{"a polygon around the area's hole is not within it", withHole, orb.Polygon{square(3, 3, 4)}, true, false},
		{"a polygon beside the area's hole is within it", withHole, orb.Polygon{square(1, 1, 2)}, true, true},
		{"a polygon with a hole around the area misses it", box(4.5, 4.5, 5.5, 5.5), orb.Polygon{square(0, 0, 10), square(4, 4, 2)}, false, false},
		{"a polygon without rings meets nothing", b, orb.Polygon{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Intersects(tt.p, tt.area); got != tt.intersects {
				t.Errorf("Intersects = %v, want %v", got, tt.intersects)
			}
			if got := Intersects(tt.area, tt.p); got != tt.intersects {
				t.Errorf("Intersects with the polygons swapped = %v, want %v", got, tt.intersects)
			}
			if got := Within(tt.p, tt.area); got != tt.within {
				t.Errorf("Within = %v, want %v", got, tt.within)
			}
		})
	}
}

// For axis-aligned rectangles the answer is plain interval arithmetic: an
// oracle independent of the polygon code, run over many random cases.
func TestIntersectsAndWithinAgreeWithIntervalArithmeticForRectangles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	coord := func() float64 { return float64(r.IntN(20)) / 2 } // a coarse grid, so that touching is common
	for i := 0; i < 20000; i++ {
		ax, ay, fx, fy := coord(), coord(), coord(), coord()
		aw, ah, fw, fh := coord(), coord(), 0.5+coord(), 0.5+coord()
		area := box(ax, ay, ax+aw, ay+ah) // a point or a line when aw or ah is 0
		p := orb.Polygon{ring(fx, fy, fx+fw, fy, fx+fw, fy+fh, fx, fy+fh)}
		wantI := fx <= ax+aw && ax <= fx+fw && fy <= ay+ah && ay <= fy+fh
		wantW := ax <= fx && fx+fw <= ax+aw && ay <= fy && fy+fh <= ay+ah
		if got := Intersects(p, area); got != wantI {
			t.Fatalf("box %v, polygon %v: intersects = %v, want %v", area, p, got, wantI)
		}
		if got := Within(p, area); got != wantW {
			t.Fatalf("box %v, polygon %v: within = %v, want %v", area, p, got, wantW)
		}
		// The same box drawn clockwise from another corner answers the
		// same.
		cw := orb.Polygon{ring(ax+aw, ay, ax, ay, ax, ay+ah, ax+aw, ay+ah)}
		if aw > 0 && ah > 0 && (Intersects(p, cw) != wantI || Within(p, cw) != wantW) {
			t.Fatalf("the box %v drawn clockwise answers differently for %v", area, p)
		}
	}
}

func TestIntersectsBound(t *testing.T) {
	b := orb.Bound{Min: orb.Point{121.60, 29.95}, Max: orb.Point{121.61, 29.96}}
	big := orb.Polygon{{{121.5, 29.9}, {121.7, 29.9}, {121.7, 30.0}, {121.5, 30.0}, {121.5, 29.9}}}
	tests := []struct {
		name string
		g    orb.Geometry
		want bool
	}{
		{"a point inside meets it", orb.Point{121.605, 29.955}, true},
		{"a point on the edge meets it", orb.Point{121.61, 29.955}, true},
		{"a point outside does not", orb.Point{121.62, 29.955}, false},
		{"a line crossing it without a vertex inside meets it", orb.LineString{{121.59, 29.955}, {121.62, 29.955}}, true},
		{"a line passing by does not", orb.LineString{{121.59, 29.97}, {121.62, 29.97}}, false},
		{"a line whose box overlaps but which passes the corner does not", orb.LineString{{121.595, 29.962}, {121.6015, 29.97}}, false},
		{"a polygon around it meets it", big, true},
		{"a polygon inside it meets it", orb.Polygon{{{121.601, 29.951}, {121.602, 29.951}, {121.602, 29.952}, {121.601, 29.951}}}, true},
		{"a polygon with a hole around the box does not", orb.Polygon{big[0], {{121.59, 29.94}, {121.59, 29.97}, {121.62, 29.97}, {121.62, 29.94}, {121.59, 29.94}}}, false},
		{"a MultiPolygon with one polygon around it meets it", orb.MultiPolygon{{square(121.0, 29.0, 0.1)}, big}, true},
		{"other geometries do not", orb.MultiPoint{{121.605, 29.955}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IntersectsBound(tt.g, b); got != tt.want {
				t.Fatalf("IntersectsBound = %v, want %v", got, tt.want)
			}
		})
	}
}
