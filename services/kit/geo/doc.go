// Package geo is the planar geometry the registries share, on orb's types
// in WGS84 longitude and latitude: whether a polygon is simple (rings
// closed and long enough, no repeated points, no ring crossing itself or
// another, holes inside the outer ring and not nested), where a point lies
// against a polygon, whether two polygons intersect or one lies within the
// other, and distances on the earth — great-circle between points, through
// a local equirectangular projection to lines and edges — with the boxes
// that prefilter them.
//
// Its predicates treat a polygon's boundary as part of it (closed sets)
// and are exact up to the floating-point rounding of the orientation test.
// Its checks name rings and points by index from 0, an edge by its first
// point, and report in plain geometric words; a registry whose domain
// names the parts otherwise (a building's courtyard is a hole here) words
// a Problem from its Kind and places.
//
// It holds no registry's rules — no limits on sizes, no extent such as
// China's — and must never touch storage or transport: no SQL, no gRPC,
// no GeoJSON encoding, so that any registry's domain package may import it.
package geo
