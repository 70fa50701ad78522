// Package building is the buildings base registry (建筑物库): every building
// of the district with its footprint, address, use, size, structure, safety
// rating, owners and lifecycle. This package holds the domain — the
// Building record, its validation rules (footprint limits and geometry,
// plausible sizes and dates, lifecycle transitions), the query areas a
// footprint is matched against, and the application service
// that reads and writes buildings through a Store it defines and checks
// references through a refs.Checker. The SQL store (with its spatial index)
// lives in sqlstore/, the gRPC handler in api/, the demo and benchmark
// generator in buildinggen/; this package must never import any of them,
// nor gRPC or SQL. Whether a footprint is a simple polygon and how it
// relates to an area is decided by kit/geo, shared with the spatial
// registry; this package adds the limits and words problems in a
// footprint's terms (the outline and its courtyards).
//
// Identifiers are assigned by the registry: 16 characters of Crockford
// base32 in lower case (80 random bits), never reused and never changed.
// They carry no meaning, so that a new address, a re-survey of the
// footprint or a change of owner leaves a building's name alone; a building
// is never renamed.
//
// A building's division is what the caller states (division_code, checked
// with kit/standard), not derived from its address: the spatial registry
// owns addresses, and asking it on every write would couple the two
// registries' availability for a value a surveyor knows anyway.
package building
