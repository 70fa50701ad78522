// Package spatial is the spatial geography base registry (空间地理基础数据库):
// administrative divisions (GB/T 2260 and its 12-digit extension down to
// communities and villages), standard addresses and geographic features
// (roads, parcels, points of interest, community boundaries). This package
// holds the domain — the records, their validation rules, the spatial
// queries, address standardisation — and the application service that
// reads and writes them through a Store it defines. The SQL store lives in
// sqlstore/, the gRPC handler in api/, the synthetic district in demo/;
// this package must never import them, nor gRPC or SQL.
//
// Coordinates are WGS84 longitude and latitude in degrees. The geometry —
// whether a polygon is simple, containment, distances — is kit/geo's,
// shared with the buildings registry: distances between points are
// great-circle distances (haversine, mean earth radius); distances from a
// point to a line or polygon edge use a local equirectangular projection
// around the point, which is exact to well under a metre within the 50 km
// a query may reach. What is the registry's own: China's extent, the
// limits, and repeated positions dropped rather than refused.
package spatial
