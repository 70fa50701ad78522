package spatial

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// GeoJSONMediaType is the media type of GeoJSON (RFC 7946).
const GeoJSONMediaType = "application/geo+json"

// FeatureCollection renders features as a GeoJSON FeatureCollection. Each
// feature's id is its resource name; its properties hold kind,
// display_name, division, subject and the free attributes. The
// collection's bbox covers the features; next, when not empty, travels as
// the foreign member "next_page_token".
func FeatureCollection(fs []*Feature, next string) ([]byte, error) {
	fc := geojson.NewFeatureCollection()
	var bound orb.Bound
	for i, f := range fs {
		gf := geojson.NewFeature(f.Geometry)
		gf.ID = FeatureName(f.ID)
		gf.BBox = geojson.BBox{f.Bound.MinLon, f.Bound.MinLat, f.Bound.MaxLon, f.Bound.MaxLat}
		gf.Properties = geojson.Properties{
			"kind":         string(f.Kind),
			"display_name": f.Name,
			"division":     DivisionName(f.DivisionCode),
		}
		if f.Subject != "" {
			gf.Properties["subject"] = f.Subject
		}
		if len(f.Properties) > 0 {
			gf.Properties["attributes"] = f.Properties
		}
		fc.Append(gf)
		if i == 0 {
			bound = f.Geometry.Bound()
		} else {
			bound = bound.Union(f.Geometry.Bound())
		}
	}
	if len(fs) > 0 {
		fc.BBox = geojson.NewBBox(bound)
	}
	if next != "" {
		fc.ExtraMembers = geojson.Properties{"next_page_token": next}
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return nil, fmt.Errorf("render GeoJSON: %w", err)
	}
	return b, nil
}

// GeoJSONQuery selects the features of a GeoJSON page.
type GeoJSONQuery struct {
	Bound     Bound
	Kinds     []FeatureKind
	Filter    string
	PageSize  int
	PageToken string
}

// FeaturesGeoJSON returns the features meeting a box as one page of a
// GeoJSON FeatureCollection (see FeatureCollection).
func (s *Service) FeaturesGeoJSON(ctx context.Context, q GeoJSONQuery) ([]byte, error) {
	b := q.Bound
	fs, next, err := s.featuresWithin(ctx, WithinQuery{Area: Area{Bound: &b}, Kinds: q.Kinds, Filter: q.Filter,
		PageSize: q.PageSize, PageToken: q.PageToken}, DefaultGeoJSONPageSize, MaxGeoJSONPageSize)
	if err != nil {
		return nil, err
	}
	return FeatureCollection(fs, next)
}
