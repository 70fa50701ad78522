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
