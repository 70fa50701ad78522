package building

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/zhbase/zhbase/services/kit/geo"
)

// Limits on one polygon, footprint or query area: generous for buildings,
// small enough that the pairwise edge tests of intersects and within stay
// cheap.
const (
	MaxRings         = 50
	MaxRingPoints    = 2000
	MaxPolygonPoints = 5000
	// MaxFootprintSpanM bounds a footprint's extent. The largest plants of
	// the district are well under it; a footprint spanning more is almost
	// always swapped or mistyped coordinates.
	MaxFootprintSpanM = 5000
)

func problemf(format string, args ...any) error { return problem(fmt.Sprintf(format, args...)) }

// ParsePolygon reads a GeoJSON Polygon geometry object (RFC 7946 §3.1.6):
// {"type": "Polygon", "coordinates": [[[lon, lat], …], …]}. A third
// coordinate (altitude) is accepted and dropped; foreign members and bbox
// are ignored. It checks the shape of the JSON only; CheckPolygon checks the
// geometry.
func ParsePolygon(data []byte) (orb.Polygon, error) {
	var g struct {
		Type        *string           `json:"type"`
		Coordinates json.RawMessage   `json:"coordinates"`
		Geometries  []json.RawMessage `json:"geometries"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, problemf("is not a GeoJSON geometry object: %v", jsonReason(err))
	}
	switch {
	case g.Type == nil:
		return nil, problemf(`is not a GeoJSON geometry object: it has no "type"`)
	case *g.Type != "Polygon":
		return nil, problemf(`must be a GeoJSON Polygon, got type %q`, *g.Type)
	case len(g.Coordinates) == 0 || bytes.Equal(bytes.TrimSpace(g.Coordinates), []byte("null")):
		return nil, problemf(`is a Polygon without "coordinates"`)
	}
	var rings [][][]*float64
	if err := json.Unmarshal(g.Coordinates, &rings); err != nil {
		return nil, problemf("coordinates must be an array of rings, each an array of [longitude, latitude] positions: %v", jsonReason(err))
	}
	if len(rings) > MaxRings {
		return nil, problemf("has %d rings; at most %d are accepted", len(rings), MaxRings)
	}
	poly := make(orb.Polygon, len(rings))
	total := 0
	for i, ring := range rings {
		total += len(ring)
		if len(ring) > MaxRingPoints || total > MaxPolygonPoints {
			return nil, problemf("has too many points (ring %d has %d); at most %d a ring and %d in all are accepted", i, len(ring), MaxRingPoints, MaxPolygonPoints)
		}
		poly[i] = make(orb.Ring, len(ring))
		for j, pos := range ring {
			if len(pos) < 2 || len(pos) > 3 {
				return nil, problemf("coordinates[%d][%d] must be [longitude, latitude], got %d numbers", i, j, len(pos))
			}
			for k, c := range pos {
				if c == nil {
					return nil, problemf("coordinates[%d][%d][%d] is null; positions are numbers", i, j, k)
				}
			}
			poly[i][j] = orb.Point{*pos[0], *pos[1]}
		}
	}
	return poly, nil
}

// jsonReason shortens encoding/json's messages, which name Go types.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("found a JSON %s where a %s belongs", te.Value, jsonKind(te.Type.Kind().String()))
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice":
		return "array"
	case "float64", "ptr":
		return "number"
	}
	return goKind
}

// PolygonGeoJSON renders p as a GeoJSON Polygon geometry object.
func PolygonGeoJSON(p orb.Polygon) []byte {
	coords := make([][][2]float64, len(p))
	for i, r := range p {
		coords[i] = make([][2]float64, len(r))
		for j, pt := range r {
			coords[i][j] = pt
		}
	}
	b, _ := json.Marshal(struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	}{"Polygon", coords})
	return b
}

// CheckPolygon checks that p is a simple polygon in longitude/latitude
// within the limits above: every ring closed with at least 4 points, no
// ring crossing itself or another, courtyards inside the outline (see
// geo.CheckPolygon). It returns every problem found, each in words naming
// the ring and points (numbered from 0).
func CheckPolygon(p orb.Polygon) []string {
	if len(p) > MaxRings {
		return []string{fmt.Sprintf("has %d rings; at most %d are accepted", len(p), MaxRings)}
	}
	total := 0
	for i, r := range p {
		total += len(r)
		if len(r) > MaxRingPoints || total > MaxPolygonPoints {
			return []string{fmt.Sprintf("has too many points (ring %d has %d); at most %d a ring and %d in all are accepted", i, len(r), MaxRingPoints, MaxPolygonPoints)}
		}
	}
	var out []string
	for _, pr := range geo.CheckPolygon(p) {
		out = append(out, footprintProblem(pr))
	}
	return out
}

// footprintProblem words a problem in a footprint's terms where they
// differ from the kit's: ring 0 is the outline, further rings courtyards.
func footprintProblem(pr geo.Problem) string {
	switch pr.Kind {
	case geo.RingsIntersect:
		return fmt.Sprintf("ring %d touches or crosses ring %d (the edge from its point %d meets the edge from point %d of ring %d)",
			pr.Other.Ring, pr.At.Ring, pr.Other.Point, pr.At.Point, pr.At.Ring)
	case geo.HoleOutside:
		return fmt.Sprintf("ring %d, a courtyard, lies outside ring 0, the outline", pr.At.Ring)
	case geo.NestedHole:
		return fmt.Sprintf("ring %d lies inside ring %d; courtyards cannot nest", pr.At.Ring, pr.Other.Ring)
	}
	return pr.Error()
}

// Centroid is the centroid of a valid polygon, courtyards excluded.
func Centroid(p orb.Polygon) orb.Point {
	c, _ := planar.CentroidArea(p)
	return c
}

// Relation is how a footprint must relate to a query area.
type Relation int

const (
	// Intersects: the footprint and the area share at least one point.
	Intersects Relation = iota
	// Within: the footprint lies entirely inside the area, boundary
	// included.
	Within
)

func (r Relation) String() string {
	if r == Within {
		return "within"
	}
	return "intersects"
}

// Area is the region of a spatial query: a bounding box or a polygon.
type Area struct {
	Polygon orb.Polygon
	bound   orb.Bound
}

// BoxArea is the area of a bounding box (a point when min equals max).
func BoxArea(b orb.Bound) Area { return Area{Polygon: b.ToPolygon(), bound: b} }

// PolygonArea is the area of a valid polygon.
func PolygonArea(p orb.Polygon) Area { return Area{Polygon: p, bound: p.Bound()} }

// Bound is the area's bounding box, what a spatial index prefilters with.
func (a Area) Bound() orb.Bound { return a.bound }

// Key identifies the area in page tokens.
func (a Area) Key() string { return string(PolygonGeoJSON(a.Polygon)) }

// Matches is the exact test of a footprint against the area, after an
// index has prefiltered by bounding box. Boundaries count as part of both
// (closed sets), so a footprint touching the area intersects it, and one
// whose edge runs along the area's edge can still lie within it.
func (a Area) Matches(footprint orb.Polygon, r Relation) bool {
	if r == Within {
		return geo.Within(footprint, a.Polygon)
	}
	return geo.Intersects(footprint, a.Polygon)
}
