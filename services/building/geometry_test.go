package building_test

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/building"
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

func TestCheckPolygon(t *testing.T) {
	bowtie := orb.Polygon{ring(0, 0, 1, 1, 1, 0, 0, 1)}
	// A convex heptagon with its points 3 and 5 swapped: the edge from
	// point 2 crosses the edge from point 5, and no other two meet.
	crossed := orb.Polygon{ring(0, 0, 4, -1, 7, 1, 2, 7, 6, 7, 8, 4, -1, 4)}
	tests := []struct {
		name string
		p    orb.Polygon
		want string // a substring of the only problem; "" for none
	}{
		{"a closed square is valid", orb.Polygon{square(0, 0, 1)}, ""},
		{"a clockwise square is valid too", orb.Polygon{ring(0, 0, 0, 1, 1, 1, 1, 0)}, ""},
		{"a courtyard inside the outline is valid", orb.Polygon{square(0, 0, 10), square(2, 2, 2), square(6, 6, 2)}, ""},
		{"a concave outline is valid", orb.Polygon{ring(0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3)}, ""},
		{"a polygon without rings is refused", orb.Polygon{}, "has no rings"},
		{"a ring of three points is refused", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, "ring 0 has 3 points; a closed ring needs at least 4"},
		{"an open ring is refused", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, "ring 0 is not closed"},
		{"a bow tie intersects itself", bowtie, "ring 0 intersects itself between points 0 and 2"},
		{"crossing edges are named by their first points", crossed, "ring 0 intersects itself between points 2 and 5"},
		{"an edge folding back over the previous one is refused", orb.Polygon{ring(0, 0, 2, 0, 1, 0, 1, 1)}, "ring 0 intersects itself between points 0 and 1"},
		{"a ring touching itself at a vertex is refused", orb.Polygon{ring(0, 0, 2, 0, 1, 1, 2, 2, 0, 2, 1, 1)}, "intersects itself"},
		{"a repeated point is refused", orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 0}}}, "repeats point 1 as point 2"},
		{"a ring enclosing no area is refused", orb.Polygon{{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {0, 0}}}, "intersects itself"},
		{"a longitude beyond 180 is refused", orb.Polygon{square(179.5, 0, 1)}, "ring 0 point 1 (180.5, 0) is not a longitude"},
		{"a courtyard outside the outline is refused", orb.Polygon{square(0, 0, 1), square(5, 5, 1)}, "ring 1, a courtyard, lies outside ring 0"},
		{"a courtyard crossing the outline is refused", orb.Polygon{square(0, 0, 2), square(1, 1, 2)}, "ring 1 touches or crosses ring 0"},
		{"a courtyard touching the outline is refused", orb.Polygon{square(0, 0, 2), ring(0, 0, 1, 0.5, 0.5, 1)}, "ring 1 touches or crosses ring 0"},
		{"nested courtyards are refused", orb.Polygon{square(0, 0, 10), square(1, 1, 8), square(2, 2, 2)}, "ring 2 lies inside ring 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := building.CheckPolygon(tt.p)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("CheckPolygon = %q, want no problems", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Fatalf("CheckPolygon = %q, want one problem containing %q", got, tt.want)
			}
		})
	}
	t.Run("every broken ring is reported at once", func(t *testing.T) {
		got := building.CheckPolygon(orb.Polygon{bowtie[0], {{0, 0}, {1, 0}, {1, 1}}})
		if len(got) != 2 {
			t.Fatalf("CheckPolygon = %q, want a problem for each of the two rings", got)
		}
	})
}

func TestParsePolygon(t *testing.T) {
	tests := []struct {
		name, json string
		want       orb.Polygon
		problem    string
	}{
		{"a GeoJSON polygon is read", `{"type":"Polygon","coordinates":[[[121.5,29.9],[121.6,29.9],[121.6,30],[121.5,29.9]]]}`,
			orb.Polygon{{{121.5, 29.9}, {121.6, 29.9}, {121.6, 30}, {121.5, 29.9}}}, ""},
		{"an altitude is dropped and foreign members ignored", `{"type":"Polygon","bbox":[0,0,1,1],"crs":"x","coordinates":[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]]}`,
			orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, ""},
		{"another geometry type is refused by name", `{"type":"Point","coordinates":[1,2]}`, nil, `must be a GeoJSON Polygon, got type "Point"`},
		{"a missing type is refused", `{"coordinates":[]}`, nil, `it has no "type"`},
		{"missing coordinates are refused", `{"type":"Polygon"}`, nil, `without "coordinates"`},
		{"a position of one number is refused", `{"type":"Polygon","coordinates":[[[0],[1,0],[1,1],[0,0]]]}`, nil, "coordinates[0][0] must be [longitude, latitude], got 1 numbers"},
		{"a null coordinate is refused", `{"type":"Polygon","coordinates":[[[0,null],[1,0],[1,1],[0,0]]]}`, nil, "coordinates[0][0][1] is null"},
		{"a string coordinate is refused", `{"type":"Polygon","coordinates":[[["0",0]]]}`, nil, "found a JSON string where a number belongs"},
		{"a polygon one level too shallow is refused", `{"type":"Polygon","coordinates":[[0,0],[1,0]]}`, nil, "coordinates must be an array of rings"},
		{"text that is not JSON is refused", `POLYGON((0 0, 1 0))`, nil, "is not a GeoJSON geometry object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := building.ParsePolygon([]byte(tt.json))
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("ParsePolygon = %v, %v; want an error containing %q", got, err, tt.problem)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("ParsePolygon = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestAreaMatches pins what an Area adds to kit/geo's predicates: a box
// (or a point) as an area, and the relation choosing the predicate.
func TestAreaMatches(t *testing.T) {
	// A U-shaped area: the gap between its arms is x in (1, 2), y > 1.
	u := building.PolygonArea(orb.Polygon{ring(0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3)})
	box := building.BoxArea(orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{4, 4}})
	point := building.BoxArea(orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{1, 1}})
	diamond := orb.Polygon{ring(2, -1, 5, 2, 2, 5, -1, 2)} // its bounding box covers box's corner (4, 4)
	tests := []struct {
		name       string
		area       building.Area
		footprint  orb.Polygon
		intersects bool
		within     bool
	}{
		{"a footprint inside the box", box, orb.Polygon{square(1, 1, 1)}, true, true},
		{"a footprint touching the box's edge from outside intersects it only", box, orb.Polygon{square(4, 1, 1)}, true, false},
		{"a footprint apart from the box", box, orb.Polygon{square(5, 5, 1)}, false, false},
		{"a diamond whose bounding box meets the box's corner only by its box", building.BoxArea(orb.Bound{Min: orb.Point{4.6, 4.6}, Max: orb.Point{6, 6}}), diamond, false, false},
		{"a footprint containing the query point", point, orb.Polygon{square(0, 0, 2)}, true, false},
		{"a footprint whose corner is the query point", point, orb.Polygon{square(1, 1, 1)}, true, false},
		{"a footprint inside an arm of the U", u, orb.Polygon{square(0.2, 1.5, 0.5)}, true, true},
		{"a footprint bridging the U's gap, vertices all inside, leaves the area", u, orb.Polygon{ring(0.5, 2, 2.5, 2, 2.5, 2.5, 0.5, 2.5)}, true, false},
		{"an empty footprint matches nothing", box, orb.Polygon{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.area.Matches(tt.footprint, building.Intersects); got != tt.intersects {
				t.Errorf("intersects = %v, want %v", got, tt.intersects)
			}
			if got := tt.area.Matches(tt.footprint, building.Within); got != tt.within {
				t.Errorf("within = %v, want %v", got, tt.within)
			}
		})
	}
}

func TestPolygonGeoJSONRoundTrips(t *testing.T) {
	p := orb.Polygon{square(121.5, 29.95, 0.001), square(121.5002, 29.9502, 0.0002)}
	got, err := building.ParsePolygon(building.PolygonGeoJSON(p))
	if err != nil || !got.Equal(p) {
		t.Fatalf("round trip = %v, %v; want %v", got, err, p)
	}
}

func FuzzParsePolygon(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[2,1],[1,3],[3,2],[0,4],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[4,2],[4,4],[2,2]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0,1],[1,0],[1,1],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[]}`,
		`{"type":"Polygon","coordinates":[[[1e308,-1e308],[1,0],[1,1],[1e308,-1e308]]]}`,
		`{"type":"MultiPolygon","coordinates":[]}`,
		`null`, `[]`, `{"type":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := building.ParsePolygon(data)
		if err != nil {
			if p != nil {
				t.Fatalf("ParsePolygon returned a polygon with error %v", err)
			}
			return
		}
		if len(p) > building.MaxRings {
			t.Fatalf("accepted %d rings", len(p))
		}
		problems := building.CheckPolygon(p)
		if len(problems) > 0 {
			return
		}
		// A valid polygon survives a round trip, contains its centroid's
		// bounding box, and both intersects and lies within itself.
		back, err := building.ParsePolygon(building.PolygonGeoJSON(p))
		if err != nil || !back.Equal(p) {
			t.Fatalf("round trip of %v = %v, %v", p, back, err)
		}
		c := building.Centroid(p)
		if b := p.Bound(); !b.Contains(c) {
			t.Fatalf("centroid %v outside the bounding box %v", c, b)
		}
		self := building.PolygonArea(p)
		if !self.Matches(p, building.Intersects) || !self.Matches(p, building.Within) {
			t.Fatalf("%v does not match itself", p)
		}
	})
}
