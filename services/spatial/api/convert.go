package api

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb/geojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	typev1 "github.com/zhbase/zhbase/proto/zhbase/type/v1"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/spatial"
	"github.com/zhbase/zhbase/services/spatial/addrtext"
)

// divisionRef reads a reference to a division: `divisions/{code}`, or ""
// when unset. Anything else is refused naming field.
func divisionRef(name, field string) (string, error) {
	if name == "" {
		return "", nil
	}
	code := spatial.DivisionCodeOf(name)
	if code == "" {
		return "", errs.Field(field, "must be a division's resource name such as divisions/330211003000, got %q", name)
	}
	return code, nil
}

func divisionFromProto(m *spatialv1.Division) *spatial.Division {
	return &spatial.Division{Code: m.GetCode(), Name: m.GetDisplayName()}
}

func divisionToProto(d *spatial.Division) *spatialv1.Division {
	m := &spatialv1.Division{
		Name:           spatial.DivisionName(d.Code),
		Code:           d.Code,
		DisplayName:    d.Name,
		Level:          spatialv1.DivisionLevel(d.Level()),
		RedirectedFrom: apiconv.Name(spatial.Divisions, d.RedirectedFrom),
	}
	if p := d.ParentCode(); p != "" {
		m.Parent = spatial.DivisionName(p)
	}
	setMeta(&d.Meta, &m.CreateTime, &m.UpdateTime, &m.Etag, &m.Retired, &m.Version)
	return m
}

// setMeta fills the output-only fields every record message has.
func setMeta(meta *spatial.Meta, create, update **timestamppb.Timestamp, etag *string, retired *bool, version **typev1.VersionInfo) {
	*create, *update = apiconv.Timestamp(meta.CreateTime), apiconv.Timestamp(meta.UpdateTime)
	*etag, *retired = apiconv.Etag(meta.Revision), meta.Retired
	*version = apiconv.VersionInfo(meta.Version)
}

func locationFromProto(l *spatialv1.Location) spatial.Location {
	return spatial.Location{Lon: l.GetLongitude(), Lat: l.GetLatitude()}
}

func addressFromProto(m *spatialv1.Address) (*spatial.Address, error) {
	code, err := divisionRef(m.GetDivision(), "address.division")
	if err != nil {
		return nil, err
	}
	return &spatial.Address{
		DivisionCode: code, Road: m.GetRoad(), HouseNumber: m.GetHouseNumber(), Building: m.GetBuilding(),
		Unit: m.GetUnit(), Room: m.GetRoom(), Location: locationFromProto(m.GetLocation()),
	}, nil
}

func addressToProto(a *spatial.Address) *spatialv1.Address {
	if a == nil {
		return nil
	}
	m := &spatialv1.Address{
		Name: spatial.AddressName(a.ID), Id: a.ID, Division: spatial.DivisionName(a.DivisionCode),
		Road: a.Road, HouseNumber: a.HouseNumber, Building: a.Building, Unit: a.Unit, Room: a.Room,
		FullText: a.FullText,
	}
	if a.Location != (spatial.Location{}) {
		m.Location = &spatialv1.Location{Longitude: a.Location.Lon, Latitude: a.Location.Lat}
	}
	setMeta(&a.Meta, &m.CreateTime, &m.UpdateTime, &m.Etag, &m.Retired, &m.Version)
	return m
}

func kindFromProto(k spatialv1.FeatureKind) spatial.FeatureKind {
	if k == spatialv1.FeatureKind_FEATURE_KIND_UNSPECIFIED {
		return ""
	}
	return spatial.FeatureKind(strings.TrimPrefix(k.String(), "FEATURE_KIND_"))
}

func kindsFromProto(ks []spatialv1.FeatureKind) []spatial.FeatureKind {
	var out []spatial.FeatureKind
	for _, k := range ks {
		out = append(out, kindFromProto(k))
	}
	return out
}

func kindToProto(k spatial.FeatureKind) spatialv1.FeatureKind {
	return spatialv1.FeatureKind(spatialv1.FeatureKind_value["FEATURE_KIND_"+string(k)])
}

func featureFromProto(m *spatialv1.Feature) (*spatial.Feature, error) {
	code, err := divisionRef(m.GetDivision(), "feature.division")
	if err != nil {
		return nil, err
	}
	f := &spatial.Feature{Kind: kindFromProto(m.GetKind()), Name: m.GetDisplayName(), DivisionCode: code,
		Subject: m.GetSubject(), Properties: m.GetProperties()}
	if g := m.GetGeometry(); g != nil {
		raw, err := g.MarshalJSON()
		if err != nil {
			return nil, errs.Field("feature.geometry", "cannot be read as JSON: %v", err)
		}
		f.RawGeometry = raw
	}
	return f, nil
}

func featureToProto(f *spatial.Feature) (*spatialv1.Feature, error) {
	m := &spatialv1.Feature{
		Name: spatial.FeatureName(f.ID), Id: f.ID, Kind: kindToProto(f.Kind), DisplayName: f.Name,
		Division: spatial.DivisionName(f.DivisionCode), Subject: f.Subject, Properties: f.Properties,
		Bbox: boundToProto(f.Bound),
	}
	if f.Geometry != nil {
		raw, err := geojson.NewGeometry(f.Geometry).MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("render geometry of %s: %w", f.ID, err)
		}
		m.Geometry = &structpb.Struct{}
		if err := m.Geometry.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("render geometry of %s: %w", f.ID, err)
		}
	}
	setMeta(&f.Meta, &m.CreateTime, &m.UpdateTime, &m.Etag, &m.Retired, &m.Version)
	return m, nil
}

func boundToProto(b spatial.Bound) *spatialv1.BoundingBox {
	return &spatialv1.BoundingBox{MinLongitude: b.MinLon, MinLatitude: b.MinLat, MaxLongitude: b.MaxLon, MaxLatitude: b.MaxLat}
}

func boundFromProto(b *spatialv1.BoundingBox) *spatial.Bound {
	if b == nil {
		return nil
	}
	return &spatial.Bound{MinLon: b.GetMinLongitude(), MinLat: b.GetMinLatitude(), MaxLon: b.GetMaxLongitude(), MaxLat: b.GetMaxLatitude()}
}

// areaFromProto reads a query's oneof area.
func areaFromProto(bbox *spatialv1.BoundingBox, circle *spatialv1.Circle) (spatial.Area, error) {
	a := spatial.Area{Bound: boundFromProto(bbox)}
	if circle != nil {
		if circle.GetCenter() == nil {
			return a, errs.Field("circle.center", "is required")
		}
		a.Circle = &spatial.Circle{Center: locationFromProto(circle.GetCenter()), Radius: circle.GetRadiusMeters()}
	}
	return a, nil
}

func componentsToProto(c addrtext.Components) *spatialv1.AddressComponents {
	m := &spatialv1.AddressComponents{
		Province: c.Province, City: c.City, County: c.County, Township: c.Township, Community: c.Community,
		Road: c.Road, HouseNumber: c.HouseNumber, Building: c.Building, Unit: c.Unit, Room: c.Room,
	}
	if c.DivisionCode != "" {
		m.Division = spatial.DivisionName(c.DivisionCode)
	}
	return m
}

// DivisionToProto, AddressToProto and FeatureToProto convert domain records
// to API messages for callers outside the registry that hold domain records,
// such as the demo loader, which creates them through the API.
func DivisionToProto(d *spatial.Division) *spatialv1.Division { return divisionToProto(d) }

// AddressToProto converts an address; see DivisionToProto.
func AddressToProto(a *spatial.Address) *spatialv1.Address { return addressToProto(a) }

// FeatureToProto converts a feature; see DivisionToProto.
func FeatureToProto(f *spatial.Feature) (*spatialv1.Feature, error) { return featureToProto(f) }
