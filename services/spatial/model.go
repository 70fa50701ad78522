package spatial

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Collections of the registry, as in resource names.
const (
	Divisions = "divisions"
	Addresses = "addresses"
	Features  = "features"
)

// Meta is what every record carries besides its content.
type Meta struct {
	CreateTime time.Time `json:"create_time"`
	UpdateTime time.Time `json:"update_time"`
	// Revision counts writes; the API shows it as the etag.
	Revision int64 `json:"revision"`

	// What a read found out besides the document; never stored in it.
	Retired        bool         `json:"-"`
	RedirectedFrom string       `json:"-"`
	Version        history.Info `json:"-"`
}

// Metadata gives stores and the service the record's metadata.
func (m *Meta) Metadata() *Meta { return m }

// Level is the level of a division, which its code encodes.
type Level int

const (
	LevelProvince Level = 1 // 省级
	LevelCity     Level = 2 // 地级
	LevelCounty   Level = 3 // 县级
	LevelTownship Level = 4 // 乡级: 街道, 镇, 乡
	LevelVillage  Level = 5 // 村级: 社区, 村
)

// Levels names the levels as the API's enum does.
var Levels = map[Level]string{LevelProvince: "PROVINCE", LevelCity: "CITY", LevelCounty: "COUNTY", LevelTownship: "TOWNSHIP", LevelVillage: "VILLAGE"}

func (l Level) String() string {
	if s, ok := Levels[l]; ok {
		return s
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Division is an administrative division (行政区划).
type Division struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Meta
}

// Level is derived from the code.
func (d *Division) Level() Level { return Level(standard.DivisionLevel(d.Code)) }

// ParentCode is the code of the division directly containing d, "" for a
// province.
func (d *Division) ParentCode() string { return standard.DivisionParent(d.Code) }

// Location is a WGS84 position.
type Location struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// Point is the location as an orb point.
func (l Location) Point() orb.Point { return orb.Point{l.Lon, l.Lat} }

// Address is a standard address (标准地址).
type Address struct {
	ID           string `json:"id"`
	DivisionCode string `json:"division_code"`
	Road         string `json:"road"`
	HouseNumber  string `json:"house_number"`
	Building     string `json:"building,omitempty"`
	Unit         string `json:"unit,omitempty"`
	Room         string `json:"room,omitempty"`
	// FullText is the canonical text as of the write; reads render it
	// again with the division names in effect at the point read.
	FullText string `json:"full_text"`
	// Locality is the name of the address's township (and community) as
	// of the write, which the text search indexes with road and numbers.
	Locality string   `json:"locality,omitempty"`
	Location Location `json:"location"`
	Meta
}

// FeatureKind is what a feature is.
type FeatureKind string

const (
	KindRoad      FeatureKind = "ROAD"
	KindParcel    FeatureKind = "PARCEL"
	KindPOI       FeatureKind = "POINT_OF_INTEREST"
	KindCommunity FeatureKind = "COMMUNITY"
)

// FeatureKinds lists every kind.
var FeatureKinds = []FeatureKind{KindRoad, KindParcel, KindPOI, KindCommunity}

// PolygonKinds are the kinds whose geometry is an area.
var PolygonKinds = []FeatureKind{KindParcel, KindCommunity}

// China's extent: every location and geometry the registry holds lies in
// it (the mainland, Hainan and the South China Sea islands).
var China = Bound{MinLon: 73.4, MinLat: 3.8, MaxLon: 135.1, MaxLat: 53.6}

// Zhenhai is the district's usual extent; nothing is refused for lying
// outside it, but the demo data and the tests stay inside.
var Zhenhai = Bound{MinLon: 121.48, MinLat: 29.90, MaxLon: 121.80, MaxLat: 30.08}

// MaxRadius bounds circle queries and reverse geocoding, in metres.
const MaxRadius = 50000

// MaxPositions bounds the positions of one geometry.
const MaxPositions = 50000

// Bound is a box of longitudes and latitudes, edges included.
type Bound struct {
	MinLon float64 `json:"min_lon"`
	MinLat float64 `json:"min_lat"`
	MaxLon float64 `json:"max_lon"`
	MaxLat float64 `json:"max_lat"`
}

// BoundOf is the bounding box of a geometry.
func BoundOf(g orb.Geometry) Bound {
	b := g.Bound()
	return Bound{MinLon: b.Min[0], MinLat: b.Min[1], MaxLon: b.Max[0], MaxLat: b.Max[1]}
}

// orbBound is the box as orb's, for kit/geo.
func (b Bound) orbBound() orb.Bound {
	return orb.Bound{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}}
}

// Intersects reports whether two boxes share at least one point.
func (b Bound) Intersects(o Bound) bool {
	return b.MinLon <= o.MaxLon && o.MinLon <= b.MaxLon && b.MinLat <= o.MaxLat && o.MinLat <= b.MaxLat
}

// Contains reports whether the box holds the position.
func (b Bound) Contains(lon, lat float64) bool {
	return b.MinLon <= lon && lon <= b.MaxLon && b.MinLat <= lat && lat <= b.MaxLat
}

// Feature is a geographic feature: a road, parcel, point of interest or
// community boundary.
type Feature struct {
	ID           string      `json:"id"`
	Kind         FeatureKind `json:"kind"`
	Name         string      `json:"name"`
	DivisionCode string      `json:"division_code"`
	// Geometry is a Point, LineString, Polygon or MultiPolygon.
	Geometry orb.Geometry `json:"-"`
	// RawGeometry is GeoJSON as a client sent it, parsed into Geometry
	// (and checked) when the feature is validated. Input only.
	RawGeometry json.RawMessage   `json:"-"`
	Bound       Bound             `json:"bound"`
	Subject     string            `json:"subject,omitempty"`
	Properties  map[string]string `json:"properties,omitempty"`
	Meta
}

// featureDoc is how a feature is stored: its geometry as GeoJSON.
type featureDoc struct {
	*featureAlias
	Geometry *geojson.Geometry `json:"geometry"`
}

type featureAlias Feature

// MarshalJSON stores the geometry as GeoJSON.
func (f *Feature) MarshalJSON() ([]byte, error) {
	d := featureDoc{featureAlias: (*featureAlias)(f)}
	if f.Geometry != nil {
		d.Geometry = geojson.NewGeometry(f.Geometry)
	}
	return json.Marshal(d)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (f *Feature) UnmarshalJSON(b []byte) error {
	d := featureDoc{featureAlias: (*featureAlias)(f)}
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	if d.Geometry != nil {
		f.Geometry = d.Geometry.Geometry()
	}
	return nil
}

// Resource names.

// DivisionName is the resource name of a division.
func DivisionName(code string) string { return Divisions + "/" + code }

// AddressName is the resource name of an address.
func AddressName(id string) string { return Addresses + "/" + id }

// FeatureName is the resource name of a feature.
func FeatureName(id string) string { return Features + "/" + id }

// DivisionCodeOf extracts the code from `divisions/{code}`, "" when name
// is not of that form.
func DivisionCodeOf(name string) string {
	code, ok := strings.CutPrefix(name, Divisions+"/")
	if !ok || code == "" || strings.Contains(code, "/") {
		return ""
	}
	return code
}

// Record is one record of any collection; exactly one field is set.
type Record struct {
	Division *Division
	Address  *Address
	Feature  *Feature
}

// Change is one event of the registry's feed.
type Change struct {
	Sequence int64
	// Collection and Key name the record changed.
	Collection string
	Key        string
	Action     history.Action
	// Version describes the version the change wrote.
	Version history.Info
	// Record is the record's state after the change.
	Record
}
