package spatial

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/kit/errs"
)

func TestHaversine(t *testing.T) {
	tests := []struct {
		name                   string
		lon1, lat1, lon2, lat2 float64
		want, tolerance        float64
	}{
		{"a point is 0 m from itself", 121.7, 29.96, 121.7, 29.96, 0, 0},
		{"one degree of latitude is about 111.195 km", 121.7, 29.0, 121.7, 30.0, 111195, 1},
		{"one degree of longitude at 30°N is about 96.3 km", 121.0, 30.0, 122.0, 30.0, 96297, 2},
		{"Zhenhai to Beijing is about 1,230 km", 121.716, 29.949, 116.397, 39.908, 1213000, 15000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Haversine(tt.lon1, tt.lat1, tt.lon2, tt.lat2); math.Abs(got-tt.want) > tt.tolerance {
				t.Fatalf("Haversine = %.1f m, want %.1f ± %.1f", got, tt.want, tt.tolerance)
			}
		})
	}
}

func TestCircleBoundHoldsEveryPositionOfTheCircle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		lon, lat := 121.48+rng.Float64()*0.32, 29.9+rng.Float64()*0.18
		if i%10 == 0 {
			lat = 53.5 // far north, where longitude degrees are short
		}
		r := 1 + rng.Float64()*MaxRadius
		b := CircleBound(lon, lat, r)
		// A position on the circle in a random direction.
		bearing := rng.Float64() * 2 * math.Pi
		ang := r / EarthRadius
		φ1, λ1 := lat*math.Pi/180, lon*math.Pi/180
		φ2 := math.Asin(math.Sin(φ1)*math.Cos(ang) + math.Cos(φ1)*math.Sin(ang)*math.Cos(bearing))
		λ2 := λ1 + math.Atan2(math.Sin(bearing)*math.Sin(ang)*math.Cos(φ1), math.Cos(ang)-math.Sin(φ1)*math.Sin(φ2))
		plon, plat := λ2*180/math.Pi, φ2*180/math.Pi
		if d := Haversine(lon, lat, plon, plat); math.Abs(d-r) > 1e-3 {
			t.Fatalf("test geometry: %g m from the centre, want %g", d, r)
		}
		if !b.Contains(plon, plat) {
			t.Fatalf("circle (%g, %g) r=%g: its position (%g, %g) lies outside the bound %+v", lon, lat, r, plon, plat, b)
		}
	}
}

func TestIntersectsBound(t *testing.T) {
	box := Bound{MinLon: 121.60, MinLat: 29.95, MaxLon: 121.61, MaxLat: 29.96}
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IntersectsBound(tt.g, box); got != tt.want {
				t.Fatalf("IntersectsBound = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDistanceTo(t *testing.T) {
	line := orb.LineString{{121.60, 29.95}, {121.62, 29.95}}
	tests := []struct {
		name     string
		g        orb.Geometry
		lon, lat float64
		want     float64
	}{
		{"to a line, the perpendicular distance", line, 121.61, 29.951, 111.2},
		{"to a line beyond its end, the distance to the end", line, 121.59, 29.95, 964.0},
		{"inside a polygon, 0", square(121.6, 29.95, 0.01), 121.605, 29.955, 0},
		{"outside a polygon, the distance to the nearest edge", square(121.6, 29.95, 0.01), 121.605, 29.961, 111.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DistanceTo(tt.g, tt.lon, tt.lat); math.Abs(got-tt.want) > 1 {
				t.Fatalf("DistanceTo = %.1f m, want %.1f", got, tt.want)
			}
		})
	}
}

func square(lon, lat, d float64) orb.Polygon {
	return orb.Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
}

// geometryReason validates g for kind and returns the reason given for
// feature.geometry, or "".
func geometryReason(t *testing.T, kind FeatureKind, g orb.Geometry) string {
	t.Helper()
	var v errs.Violations
	checkGeometry(&v, "feature.geometry", kind, dropRepeats(g))
	var reasons []string
	for _, x := range v {
		if x.Field != "feature.geometry" {
			t.Fatalf("violation on %s: %s", x.Field, x.Reason)
		}
		reasons = append(reasons, x.Reason)
	}
	return strings.Join(reasons, "; ")
}

func TestGeometryRules(t *testing.T) {
	// A bow tie: points 0..4 with edges 1→2 and 3→0 crossing.
	bowTie := orb.Polygon{{{121.60, 29.95}, {121.61, 29.95}, {121.60, 29.96}, {121.61, 29.96}, {121.60, 29.95}}}
	// A bow tie drawn with extra points: bottom 0-1-2-3, diagonal 3→4,
	// top 4-5-6-7, diagonal 7→0; only the diagonals cross.
	at := func(x, y float64) orb.Point { return orb.Point{121.60 + x*0.01, 29.95 + y*0.01} }
	crossed := orb.Polygon{{at(0, 0), at(1, 0), at(2, 0), at(3, 0), at(0, 3), at(1, 3), at(2, 3), at(3, 3), at(0, 0)}}
	tests := []struct {
		name string
		kind FeatureKind
		g    orb.Geometry
		want string // a part of the reason; "" for a valid geometry
	}{
		{"a simple square parcel is valid", KindParcel, square(121.6, 29.95, 0.01), ""},
		{"a square with a hole inside is valid", KindParcel, orb.Polygon{square(121.6, 29.95, 0.01)[0], square(121.602, 29.952, 0.002)[0]}, ""},
		{"two apart squares make a valid MultiPolygon", KindCommunity, orb.MultiPolygon{square(121.6, 29.95, 0.01), square(121.62, 29.95, 0.01)}, ""},
		{"a repeated position is dropped, not refused", KindParcel, orb.Polygon{{{121.6, 29.95}, {121.61, 29.95}, {121.61, 29.95}, {121.61, 29.96}, {121.6, 29.95}}}, ""},
		{"a ring must close", KindParcel, orb.Polygon{{{121.6, 29.95}, {121.61, 29.95}, {121.61, 29.96}, {121.6, 29.96}}}, "ring 0 is not closed"},
		{"a ring needs 4 positions", KindParcel, orb.Polygon{{{121.6, 29.95}, {121.61, 29.95}, {121.6, 29.95}}}, "ring 0 has 3 positions; a ring needs at least 4"},
		{"a bow tie intersects itself", KindParcel, bowTie, "ring 0 intersects itself between points 1 and 3"},
		{"the crossing is reported by the points starting the two edges", KindParcel, crossed, "ring 0 intersects itself between points 3 and 7"},
		{"a ring turning back on itself intersects itself", KindParcel, orb.Polygon{{{121.6, 29.95}, {121.62, 29.95}, {121.61, 29.95}, {121.61, 29.96}, {121.6, 29.95}}}, "intersects itself between points 0 and 1"},
		{"a hole crossing the shell is refused", KindParcel, orb.Polygon{square(121.6, 29.95, 0.01)[0], square(121.605, 29.955, 0.01)[0]}, "ring 0 (point 1) and ring 1 (point 0) intersect"},
		{"a hole outside the shell is refused", KindParcel, orb.Polygon{square(121.6, 29.95, 0.01)[0], square(121.65, 29.95, 0.01)[0]}, "ring 1 is a hole but lies outside ring 0"},
		{"overlapping polygons of a MultiPolygon are refused", KindParcel, orb.MultiPolygon{square(121.6, 29.95, 0.01), square(121.605, 29.955, 0.01)}, "polygons 0 and 1 intersect"},
		{"a polygon inside another of a MultiPolygon is refused", KindParcel, orb.MultiPolygon{square(121.6, 29.95, 0.01), square(121.602, 29.952, 0.002)}, "polygon 1 lies inside polygon 0"},
		{"a bad ring of a MultiPolygon is named by polygon and ring", KindParcel, orb.MultiPolygon{square(121.6, 29.95, 0.01), bowTie}, "polygon 1 ring 0 intersects itself"},
		{"a position outside China is refused, longitude first", KindPOI, orb.Point{29.95, 121.6}, "lies outside China"},
		{"a road is a LineString", KindRoad, orb.Point{121.6, 29.95}, "a ROAD feature needs a LineString geometry, got Point"},
		{"a point of interest is a Point", KindPOI, square(121.6, 29.95, 0.01), "a POINT_OF_INTEREST feature needs a Point geometry"},
		{"a community boundary is an area", KindCommunity, orb.LineString{{121.6, 29.95}, {121.61, 29.95}}, "needs a Polygon or MultiPolygon"},
		{"a line needs two distinct positions", KindRoad, orb.LineString{{121.6, 29.95}, {121.6, 29.95}}, "at least 2 distinct positions"},
		{"unsupported types are refused", KindRoad, orb.MultiLineString{{{121.6, 29.95}, {121.61, 29.95}}}, "type MultiLineString is not supported"},
		{"a geometry is required", KindRoad, nil, "is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := geometryReason(t, tt.kind, tt.g)
			if tt.want == "" && got != "" {
				t.Fatalf("refused: %s", got)
			}
			if !strings.Contains(got, tt.want) || (tt.want != "" && got == "") {
				t.Fatalf("reason %q does not say %q", got, tt.want)
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
		r := make(orb.Ring, 0, n+1)
		for j := 0; j < n; j++ {
			// A coarse grid makes touching and collinear edges common.
			r = append(r, orb.Point{float64(rng.IntN(6)), float64(rng.IntN(6))})
		}
		r = append(r, r[0])
		r = orb.Ring(dropRepeats(orb.LineString(r)).(orb.LineString))
		if len(r) < 4 || r[0] != r[len(r)-1] {
			continue
		}
		_, got := findCrossing([]orb.Ring{r})
		want := false
		for a := 0; a+1 < len(r); a++ {
			for b := a + 1; b+1 < len(r); b++ {
				sa := segment{ring: 0, index: a, a: r[a], b: r[a+1], last: a+2 == len(r)}
				sb := segment{ring: 0, index: b, a: r[b], b: r[b+1], last: b+2 == len(r)}
				want = want || edgesConflict(&sa, &sb)
			}
		}
		if got != want {
			t.Fatalf("ring %v: sweep says %v, all pairs say %v", r, got, want)
		}
	}
}
