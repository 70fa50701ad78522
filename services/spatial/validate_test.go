package spatial

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// violations returns "field: reason" for each violation of err.
func violations(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var inv *errs.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("error %v is not an InvalidError", err)
	}
	var out []string
	for _, v := range inv.Violations {
		out = append(out, v.Field+": "+v.Reason)
	}
	return out
}

// expect fails unless every wanted "field: part of reason" is among got,
// and got has no other violation.
func expect(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("violations %q, want %d matching %q", got, len(want), want)
	}
	for _, w := range want {
		field, part, _ := strings.Cut(w, ": ")
		if !slices.ContainsFunc(got, func(g string) bool {
			return strings.HasPrefix(g, field+": ") && strings.Contains(g, part)
		}) {
			t.Fatalf("violations %q do not include %q", got, w)
		}
	}
}

func TestDivisionRules(t *testing.T) {
	tests := []struct {
		name string
		d    Division
		want []string
	}{
		{"a township with a name is valid", Division{Code: "330211003000", Name: "骆驼街道"}, nil},
		{"full-width digits and spaces in the code are tidied", Division{Code: " ３３０２１１ ", Name: "镇海区"}, nil},
		{"the code is required", Division{Name: "某地"}, []string{"division.code: is required"}},
		{"the code must be 6 or 12 digits", Division{Code: "33021", Name: "某地"}, []string{"division.code: must be 6 or 12 digits"}},
		{"the 12-digit padding of a county code is refused", Division{Code: "330211000000", Name: "镇海区"}, []string{"division.code: write this unit's code as 330211"}},
		{"the name is required", Division{Code: "330211"}, []string{"division.display_name: is required"}},
		{"the name is at most 100 characters", Division{Code: "330211", Name: strings.Repeat("镇", 101)}, []string{"division.display_name: at most 100"}},
		{"every broken rule is reported at once", Division{Code: "x", Name: "\x01"}, []string{"division.code: must be 6 or 12", "division.display_name: control character"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			d.normalize()
			expect(t, violations(t, d.validate()), tt.want...)
		})
	}
}

func validAddress() Address {
	return Address{DivisionCode: "330211003000", Road: "某某路", HouseNumber: "88", Building: "3", Unit: "2", Room: "501",
		Location: Location{Lon: 121.58, Lat: 29.98}}
}

func TestAddressRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Address)
		want   []string
		check  func(*testing.T, Address)
	}{
		{"a full address is valid", func(*Address) {}, nil, nil},
		{"building, unit and room are optional", func(a *Address) { a.Building, a.Unit, a.Room = "", "", "" }, nil, nil},
		{"numbers typed with markers, full-width or in Chinese are tidied", func(a *Address) {
			a.HouseNumber, a.Building, a.Unit, a.Room = "８８号", "三栋", "二单元", "五零一室"
		}, nil, func(t *testing.T, a Address) {
			if a.HouseNumber != "88" || a.Building != "3" || a.Unit != "2" || a.Room != "501" {
				t.Fatalf("tidied to %q %q %q %q", a.HouseNumber, a.Building, a.Unit, a.Room)
			}
		}},
		{"spaces inside the road name go", func(a *Address) { a.Road = " 某某 路 " }, nil, func(t *testing.T, a Address) {
			if a.Road != "某某路" {
				t.Fatalf("road %q", a.Road)
			}
		}},
		{"a house number with a suffix is valid", func(a *Address) { a.HouseNumber = "88-2" }, nil, nil},
		{"the division is required", func(a *Address) { a.DivisionCode = "" }, []string{"address.division: is required"}, nil},
		{"the division must be a township or a community", func(a *Address) { a.DivisionCode = "330211" }, []string{"address.division: lies in a township or a community, but divisions/330211 is a county"}, nil},
		{"the division must be a valid code", func(a *Address) { a.DivisionCode = "999999" }, []string{"address.division: divisions/999999: starts with 99"}, nil},
		{"the road is required", func(a *Address) { a.Road = "" }, []string{"address.road: is required"}, nil},
		{"the road holds no digits", func(a *Address) { a.Road = "某某路88" }, []string{"address.road: must not contain digits"}, nil},
		{"the house number is required", func(a *Address) { a.HouseNumber = "" }, []string{"address.house_number: is required"}, nil},
		{"the house number has no leading zero", func(a *Address) { a.HouseNumber = "0" }, []string{"address.house_number: must be a number such as 88"}, nil},
		{"the house number holds one suffix at most", func(a *Address) { a.HouseNumber = "88-2-1" }, []string{"address.house_number: must be a number"}, nil},
		{"the building is a number", func(a *Address) { a.Building = "A" }, []string{"address.building: must be a number"}, nil},
		{"the room is a number", func(a *Address) { a.Room = "B301" }, []string{"address.room: must be a number"}, nil},
		{"the location is required", func(a *Address) { a.Location = Location{} }, []string{"address.location: is required"}, nil},
		{"a latitude out of range names the latitude", func(a *Address) { a.Location.Lat = 95 }, []string{"address.location.latitude: must lie between -90 and 90"}, nil},
		{"a longitude that is not finite names the longitude", func(a *Address) { a.Location.Lon = math.NaN() }, []string{"address.location.longitude: must be a finite number"}, nil},
		{"a location outside China is refused", func(a *Address) { a.Location = Location{Lon: 2.35, Lat: 48.85} }, []string{"address.location: lies outside China"}, nil},
		{"swapped coordinates are refused", func(a *Address) { a.Location = Location{Lon: 29.98, Lat: 121.58} }, []string{"address.location.latitude: must lie between"}, nil},
		{"a location outside Zhenhai but in China is accepted", func(a *Address) { a.Location = Location{Lon: 116.39, Lat: 39.9} }, nil, nil},
		{"every broken rule is reported at once", func(a *Address) { a.Road, a.HouseNumber, a.Location = "", "x", Location{} }, []string{
			"address.road: is required", "address.house_number: must be", "address.location: is required"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := validAddress()
			tt.change(&a)
			a.normalize()
			expect(t, violations(t, a.validate()), tt.want...)
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func validFeature() Feature {
	return Feature{Kind: KindParcel, Name: "镇海地块0001", DivisionCode: "330211003000",
		Geometry: square(121.58, 29.98, 0.001), Properties: map[string]string{"land_use": "工业用地"}}
}

func TestFeatureRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Feature)
		want   []string
	}{
		{"a parcel is valid", func(*Feature) {}, nil},
		{"GeoJSON as sent is parsed", func(f *Feature) {
			f.Geometry, f.RawGeometry = nil, []byte(`{"type":"Point","coordinates":[121.58,29.98]}`)
			f.Kind = KindPOI
		}, nil},
		{"GeoJSON that does not parse is refused", func(f *Feature) { f.Geometry, f.RawGeometry = nil, []byte(`{"type":"Polygon","coordinates":"x"}`) },
			[]string{"feature.geometry: is not a GeoJSON geometry"}},
		{"the kind is required", func(f *Feature) { f.Kind = "" }, []string{"feature.kind: is required"}},
		{"the kind must be known", func(f *Feature) { f.Kind = "RIVER" }, []string{"feature.kind: unknown kind"}},
		{"the name is required", func(f *Feature) { f.Name = " " }, []string{"feature.display_name: is required"}},
		{"a community boundary belongs to a community", func(f *Feature) { f.Kind = KindCommunity },
			[]string{"feature.division: a community boundary belongs to its community or village"}},
		{"the subject names a legal entity or a building", func(f *Feature) { f.Subject = "persons/330211199001011234" },
			[]string{"feature.subject: must name a legal entity"}},
		{"a property key must not be empty", func(f *Feature) { f.Properties[""] = "x" }, []string{"feature.properties: key \"\" must have 1 to 64"}},
		{"a property value is at most 500 characters", func(f *Feature) { f.Properties["note"] = strings.Repeat("长", 501) },
			[]string{`feature.properties["note"]: must be at most 500`}},
		{"a self-intersecting polygon is refused together with the other rules", func(f *Feature) {
			f.Name = ""
			f.Geometry = orb.Polygon{{{121.60, 29.95}, {121.61, 29.95}, {121.60, 29.96}, {121.61, 29.96}, {121.60, 29.95}}}
		}, []string{"feature.display_name: is required", "feature.geometry: ring 0 intersects itself between points 1 and 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validFeature()
			tt.change(&f)
			expect(t, violations(t, f.validate()), tt.want...)
			if len(tt.want) == 0 && f.Bound != BoundOf(f.Geometry) {
				t.Fatalf("bound %+v is not the geometry's", f.Bound)
			}
		})
	}
}

func TestAreaRules(t *testing.T) {
	box := func(minLon, minLat, maxLon, maxLat float64) Area {
		return Area{Bound: &Bound{MinLon: minLon, MinLat: minLat, MaxLon: maxLon, MaxLat: maxLat}}
	}
	circle := func(lon, lat, r float64) Area { return Area{Circle: &Circle{Center: Location{lon, lat}, Radius: r}} }
	tests := []struct {
		name string
		a    Area
		want []string
	}{
		{"a box over Zhenhai is valid", box(121.48, 29.9, 121.8, 30.08), nil},
		{"a box of one point is valid", box(121.6, 29.9, 121.6, 29.9), nil},
		{"a box with min longitude above max is refused naming min_longitude", box(121.8, 29.9, 121.48, 30.08), []string{"bbox.min_longitude: must not exceed bbox.max_longitude"}},
		{"a box with min latitude above max is refused naming min_latitude", box(121.48, 30.08, 121.8, 29.9), []string{"bbox.min_latitude: must not exceed bbox.max_latitude"}},
		{"a latitude out of range is refused naming it", box(121.48, -91, 121.8, 29.9), []string{"bbox.min_latitude: must lie between -90 and 90"}},
		{"a longitude out of range is refused naming it", box(121.48, 29.9, 181, 30), []string{"bbox.max_longitude: must lie between -180 and 180"}},
		{"a circle of 50 km is valid", circle(121.6, 29.95, 50000), nil},
		{"a radius of 0 is refused", circle(121.6, 29.95, 0), []string{"circle.radius_meters: must be greater than 0 and at most 50000"}},
		{"a negative radius is refused", circle(121.6, 29.95, -5), []string{"circle.radius_meters: must be greater than 0"}},
		{"a radius over 50 km is refused", circle(121.6, 29.95, 50000.5), []string{"circle.radius_meters: at most 50000"}},
		{"a centre out of range is refused naming it", circle(200, 29.95, 10), []string{"circle.center.longitude: must lie between -180 and 180"}},
		{"an area is required", Area{}, []string{"bbox: set a bbox or a circle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, violations(t, tt.a.check()), tt.want...)
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
