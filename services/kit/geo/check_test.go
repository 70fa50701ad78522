package geo

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestCheckPolygon(t *testing.T) {
	bowtie := orb.Polygon{ring(0, 0, 1, 1, 1, 0, 0, 1)}
	// A convex heptagon with its points 3 and 5 swapped: the edge from
	// point 2 crosses the edge from point 5, and no other two meet.
	heptagon := orb.Polygon{ring(0, 0, 4, -1, 7, 1, 2, 7, 6, 7, 8, 4, -1, 4)}
	// A bow tie drawn with extra points: bottom 0-1-2-3, diagonal 3→4,
	// top 4-5-6-7, diagonal 7→0; only the diagonals cross.
	drawn := orb.Polygon{ring(0, 0, 1, 0, 2, 0, 3, 0, 0, 3, 1, 3, 2, 3, 3, 3)}
	tests := []struct {
		name      string
		p         orb.Polygon
		kind      Kind   // 0 for a simple polygon
		at, other Place  // where the problem shows
		says      string // a part of the message
	}{
		{"a closed square is simple", orb.Polygon{square(0, 0, 1)}, 0, Place{}, Place{}, ""},
		{"a clockwise square is simple too", orb.Polygon{ring(0, 0, 0, 1, 1, 1, 1, 0)}, 0, Place{}, Place{}, ""},
		{"holes inside the outer ring are simple", orb.Polygon{square(0, 0, 10), square(2, 2, 2), square(6, 6, 2)}, 0, Place{}, Place{}, ""},
		{"a concave ring is simple", orb.Polygon{ring(0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3)}, 0, Place{}, Place{}, ""},
		{"a hole inside a concave ring's arm is simple", orb.Polygon{ring(0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3), square(0.2, 1.5, 0.5)}, 0, Place{}, Place{}, ""},
		{"a polygon needs a ring", orb.Polygon{}, NoRings, Place{}, Place{}, "has no rings"},
		{"a ring of three points is too short", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, TooFewPoints, Place{}, Place{}, "ring 0 has 3 points; a closed ring needs at least 4"},
		{"a ring must close", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, NotClosed, Place{Point: 3}, Place{}, "ring 0 is not closed: its last point (0, 1) must repeat its first (0, 0)"},
		{"a repeated point is named with its repetition", orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 0}}}, RepeatedPoint, Place{Point: 1}, Place{Point: 2}, "ring 0 repeats point 1 as point 2"},
		{"a bow tie intersects itself", bowtie, SelfIntersection, Place{Point: 0}, Place{Point: 2}, "ring 0 intersects itself between points 0 and 2"},
		{"crossing edges are named by their first points", heptagon, SelfIntersection, Place{Point: 2}, Place{Point: 5}, "ring 0 intersects itself between points 2 and 5"},
		{"only the crossing edges are named, not the collinear ones beside them", drawn, SelfIntersection, Place{Point: 3}, Place{Point: 7}, "ring 0 intersects itself between points 3 and 7"},
		{"an edge folding back over the previous one intersects it", orb.Polygon{ring(0, 0, 2, 0, 1, 0, 1, 1)}, SelfIntersection, Place{Point: 0}, Place{Point: 1}, "ring 0 intersects itself between points 0 and 1"},
		{"the closing edge folding back over the first intersects it", orb.Polygon{ring(0, 0, 2, 0, 2, 1, 3, 1, 3, 0)}, SelfIntersection, Place{Point: 0}, Place{Point: 4}, "between points 0 and 4"},
		{"a ring touching itself at a vertex intersects itself", orb.Polygon{ring(0, 0, 2, 0, 1, 1, 2, 2, 0, 2, 1, 1)}, SelfIntersection, Place{Point: 1}, Place{Point: 4}, "ring 0 intersects itself"},
		{"a ring on one line intersects itself", orb.Polygon{{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {0, 0}}}, SelfIntersection, Place{Point: 0}, Place{Point: 3}, "ring 0 intersects itself"},
		{"a longitude beyond 180 is not a position", orb.Polygon{square(179.5, 0, 1)}, BadPosition, Place{Point: 1}, Place{}, "ring 0 point 1 (180.5, 0) is not a longitude in -180..180"},
		{"NaN is not a position", orb.Polygon{{{0, 0}, {1, math.NaN()}, {1, 1}, {0, 0}}}, BadPosition, Place{Point: 1}, Place{}, "ring 0 point 1 (1, NaN)"},
		{"a hole outside the outer ring is refused", orb.Polygon{square(0, 0, 1), square(5, 5, 1)}, HoleOutside, Place{Ring: 1}, Place{}, "ring 1 is a hole but lies outside ring 0"},
		{"a hole crossing the outer ring is named by both edges", orb.Polygon{square(0, 0, 2), square(1, 1, 2)}, RingsIntersect, Place{Ring: 0, Point: 1}, Place{Ring: 1, Point: 0}, "ring 0 (point 1) and ring 1 (point 0) intersect"},
		{"a hole touching the outer ring intersects it", orb.Polygon{square(0, 0, 2), ring(0, 0, 1, 0.5, 0.5, 1)}, RingsIntersect, Place{Ring: 0, Point: 0}, Place{Ring: 1, Point: 0}, "ring 0 (point 0) and ring 1 (point 0) intersect"},
		{"holes touching each other intersect", orb.Polygon{square(0, 0, 10), square(2, 2, 2), square(4, 2, 2)}, RingsIntersect, Place{Ring: 1, Point: 0}, Place{Ring: 2, Point: 0}, "ring 1 (point 0) and ring 2 (point 0) intersect"},
		{"a hole inside another is refused", orb.Polygon{square(0, 0, 10), square(1, 1, 8), square(2, 2, 2)}, NestedHole, Place{Ring: 2}, Place{Ring: 1}, "ring 2 lies inside ring 1; holes cannot nest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckPolygon(tt.p)
			if tt.kind == 0 {
				if len(got) != 0 {
					t.Fatalf("CheckPolygon = %v, want no problems", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("CheckPolygon = %v, want one problem", got)
			}
			if pr := got[0]; pr.Kind != tt.kind || pr.At != tt.at || pr.Other != tt.other || !strings.Contains(pr.Error(), tt.says) {
				t.Fatalf("CheckPolygon = %+v (%q), want kind %d at %+v and %+v saying %q", pr, pr.Error(), tt.kind, tt.at, tt.other, tt.says)
			}
		})
	}
	t.Run("every broken ring is reported at once", func(t *testing.T) {
		got := CheckPolygon(orb.Polygon{bowtie[0], {{0, 0}, {1, 0}, {1, 1}}})
		if len(got) != 2 || got[0].Kind != SelfIntersection || got[1].Kind != TooFewPoints || got[1].At.Ring != 1 {
			t.Fatalf("CheckPolygon = %v, want a problem for each of the two rings", got)
		}
	})
	t.Run("every misplaced hole is reported at once", func(t *testing.T) {
		got := CheckPolygon(orb.Polygon{square(0, 0, 10), square(20, 0, 1), square(1, 1, 8), square(2, 2, 2)})
		if len(got) != 2 || got[0].Kind != HoleOutside || got[0].At.Ring != 1 || got[1].Kind != NestedHole || got[1].At.Ring != 3 {
			t.Fatalf("CheckPolygon = %v, want ring 1 outside and ring 3 nested", got)
		}
	})
}

func TestCheckPolygonsApart(t *testing.T) {
	tests := []struct {
		name      string
		mp        orb.MultiPolygon
		kind      Kind
		at, other Place
		says      string
	}{
		{"two polygons apart are fine", orb.MultiPolygon{{square(0, 0, 1)}, {square(2, 0, 1)}}, 0, Place{}, Place{}, ""},
		{"a polygon in another's hole is apart from it", orb.MultiPolygon{{square(0, 0, 10), square(2, 2, 6)}, {square(4, 4, 1)}}, 0, Place{}, Place{}, ""},
		{"overlapping polygons intersect", orb.MultiPolygon{{square(0, 0, 2)}, {square(1, 1, 2)}}, PolygonsIntersect, Place{Polygon: 0, Point: 1}, Place{Polygon: 1, Point: 0}, "polygons 0 and 1 intersect"},
		{"polygons touching at a corner intersect", orb.MultiPolygon{{square(0, 0, 1)}, {square(1, 1, 1)}}, PolygonsIntersect, Place{Polygon: 0, Point: 1}, Place{Polygon: 1, Point: 0}, "polygons 0 and 1 intersect"},
		{"a polygon meeting another's hole intersects it", orb.MultiPolygon{{square(0, 0, 10), square(2, 2, 6)}, {square(4, 4, 4)}}, PolygonsIntersect, Place{Polygon: 0, Ring: 1, Point: 1}, Place{Polygon: 1, Point: 0}, "polygons 0 and 1 intersect"},
		{"a polygon inside another is refused", orb.MultiPolygon{{square(0, 0, 10)}, {square(2, 2, 2)}}, PolygonInside, Place{Polygon: 1}, Place{Polygon: 0}, "polygon 1 lies inside polygon 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckPolygonsApart(tt.mp)
			if tt.kind == 0 {
				if len(got) != 0 {
					t.Fatalf("CheckPolygonsApart = %v, want no problems", got)
				}
				return
			}
			if len(got) != 1 || got[0].Kind != tt.kind || got[0].At != tt.at || got[0].Other != tt.other || !strings.Contains(got[0].Error(), tt.says) {
				t.Fatalf("CheckPolygonsApart = %+v, want kind %d at %+v and %+v saying %q", got, tt.kind, tt.at, tt.other, tt.says)
			}
		})
	}
}

// TestFindCrossingAgreesWithAllPairs checks the sweep against comparing
// every pair of edges, on random rings.
func TestFindCrossingAgreesWithAllPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 3000; i++ {
		n := 3 + rng.IntN(8)
		var r orb.Ring
		for j := 0; j < n; j++ {
			// A coarse grid makes touching and collinear edges common.
			p := orb.Point{float64(rng.IntN(6)), float64(rng.IntN(6))}
			if len(r) == 0 || p != r[len(r)-1] {
				r = append(r, p)
			}
		}
		if r[len(r)-1] != r[0] {
			r = append(r, r[0])
		}
		if len(r) < 4 {
			continue
		}
		a, b, got := findCrossing([]orb.Ring{r})
		var wantA, wantB edge
		want := false
		for i := 0; i+1 < len(r) && !want; i++ {
			for j := i + 1; j+1 < len(r) && !want; j++ {
				si := segment{edge: edge{0, i}, a: r[i], b: r[i+1], last: i+2 == len(r)}
				sj := segment{edge: edge{0, j}, a: r[j], b: r[j+1], last: j+2 == len(r)}
				if edgesConflict(&si, &sj) {
					wantA, wantB, want = si.edge, sj.edge, true
				}
			}
		}
		if got != want || a != wantA || b != wantB {
			t.Fatalf("ring %v: sweep says %v between %v and %v, all pairs say %v between %v and %v", r, got, a, b, want, wantA, wantB)
		}
	}
}

// FuzzRingChecks builds rings from fuzzed integers (a small grid, so that
// collinear and touching cases are common) and checks that a ring
// CheckPolygon accepts really is simple, by a brute-force oracle.
func FuzzRingChecks(f *testing.F) {
	f.Add([]byte{0, 0, 4, 0, 4, 4, 0, 4})
	f.Add([]byte{0, 0, 4, 0, 4, 4, 2, 1, 1, 3, 3, 2, 0, 4})
	f.Add([]byte{0, 0, 2, 0, 1, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 6 || len(data) > 40 {
			return
		}
		var xy []float64
		for _, b := range data[:len(data)/2*2] {
			xy = append(xy, float64(b%8))
		}
		r := ring(xy...)
		if problems := CheckPolygon(orb.Polygon{r}); len(problems) > 0 {
			return
		}
		if !simple(r) {
			t.Fatalf("CheckPolygon accepted %v, which is not simple", r)
		}
	})
}

// simple is a slow oracle: sample every edge densely and look for a point
// of one edge lying on a non-adjacent edge, or a repeated vertex.
func simple(r orb.Ring) bool {
	n := len(r) - 1
	seen := map[orb.Point]bool{}
	for _, v := range r[:n] {
		if seen[v] {
			return false
		}
		seen[v] = true
	}
	on := func(a, b, p orb.Point) bool {
		cr := (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
		return cr == 0 && min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j || j == (i+1)%n || i == (j+1)%n {
				continue
			}
			for k := 0; k <= 64; k++ { // points of edge i, exact on this grid for multiples of 1/64
				t := float64(k) / 64
				p := orb.Point{r[i][0] + t*(r[i+1][0]-r[i][0]), r[i][1] + t*(r[i+1][1]-r[i][1])}
				if on(r[j], r[j+1], p) {
					return false
				}
			}
		}
	}
	return true
}
