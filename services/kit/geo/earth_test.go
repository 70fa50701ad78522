package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
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
		r := 1 + rng.Float64()*50000
		b := CircleBound(lon, lat, r)
		// A position on the circle in a random direction.
		bearing := rng.Float64() * 2 * math.Pi
		ang := r / EarthRadius
		φ1, λ1 := lat*math.Pi/180, lon*math.Pi/180
		φ2 := math.Asin(math.Sin(φ1)*math.Cos(ang) + math.Cos(φ1)*math.Sin(ang)*math.Cos(bearing))
		λ2 := λ1 + math.Atan2(math.Sin(bearing)*math.Sin(ang)*math.Cos(φ1), math.Cos(ang)-math.Sin(φ1)*math.Sin(φ2))
		p := orb.Point{λ2 * 180 / math.Pi, φ2 * 180 / math.Pi}
		if d := Haversine(lon, lat, p[0], p[1]); math.Abs(d-r) > 1e-3 {
			t.Fatalf("test geometry: %g m from the centre, want %g", d, r)
		}
		if !b.Contains(p) {
			t.Fatalf("circle (%g, %g) r=%g: its position %v lies outside the bound %+v", lon, lat, r, p, b)
		}
	}
}

func TestCircleBoundReachingAPoleSpansEveryLongitude(t *testing.T) {
	b := CircleBound(121.6, 89.9, 50000)
	if b.Min[0] != -180 || b.Max[0] != 180 {
		t.Fatalf("CircleBound near the pole = %+v, want longitudes -180..180", b)
	}
}

func TestSpanMeters(t *testing.T) {
	tests := []struct {
		name      string
		b         orb.Bound
		want, tol float64
	}{
		{"a point spans nothing", orb.Bound{Min: orb.Point{121.6, 29.95}, Max: orb.Point{121.6, 29.95}}, 0, 0},
		{"a tall box spans its height: 0.01° of latitude is about 1,112 m", orb.Bound{Min: orb.Point{121.6, 29.95}, Max: orb.Point{121.601, 29.96}}, 1112, 1},
		{"a wide box spans its width: 0.02° of longitude at 30°N is about 1,926 m", orb.Bound{Min: orb.Point{121.6, 29.999}, Max: orb.Point{121.62, 30.001}}, 1926, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SpanMeters(tt.b); math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("SpanMeters = %.1f m, want %.1f ± %.1f", got, tt.want, tt.tol)
			}
		})
	}
}

func TestDistanceTo(t *testing.T) {
	line := orb.LineString{{121.60, 29.95}, {121.62, 29.95}}
	sq := orb.Polygon{square(121.6, 29.95, 0.01)}
	tests := []struct {
		name     string
		g        orb.Geometry
		lon, lat float64
		want     float64
	}{
		{"to a point, the great-circle distance", orb.Point{121.60, 29.96}, 121.60, 29.95, 1112.0},
		{"to a line, the perpendicular distance", line, 121.61, 29.951, 111.2},
		{"to a line beyond its end, the distance to the end", line, 121.59, 29.95, 964.0},
		{"inside a polygon, 0", sq, 121.605, 29.955, 0},
		{"on a polygon's edge, 0", sq, 121.61, 29.955, 0},
		{"outside a polygon, the distance to the nearest edge", sq, 121.605, 29.961, 111.2},
		{"in a polygon's hole, the distance to the hole's edge", orb.Polygon{sq[0], square(121.602, 29.952, 0.006)}, 121.605, 29.955, 289.0},
		{"to a MultiPolygon, the distance to the nearest polygon", orb.MultiPolygon{sq, {square(121.7, 29.95, 0.01)}}, 121.605, 29.961, 111.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DistanceTo(tt.g, tt.lon, tt.lat); math.Abs(got-tt.want) > 1 {
				t.Fatalf("DistanceTo = %.1f m, want %.1f", got, tt.want)
			}
		})
	}
}

func TestArea(t *testing.T) {
	// 0.01° × 0.01° at 30°N: about 1,112 m × 963 m.
	if got := Area(orb.Polygon{square(121.6, 29.995, 0.01)}); math.Abs(got-1112*963)/(1112*963) > 0.005 {
		t.Fatalf("Area = %.0f m², want about %d", got, 1112*963)
	}
	if got := Area(orb.LineString{{121.6, 29.95}, {121.61, 29.95}}); got != 0 {
		t.Fatalf("the area of a line = %g, want 0", got)
	}
}
