// Package population is the population base registry (人口基础数据库):
// persons keyed by their citizen ID number (GB 11643-1999) and the
// households (户) they are registered in. This package holds the domain —
// the Person and Household records, the national code tables they use, the
// validation rules, and the application service that reads and writes them
// through a Store it defines. The SQL store lives in sqlstore/, the gRPC
// handler in api/, the demo-data generator in demo/.
//
// It must never import gRPC or SQL, and never log personal data: ID
// numbers, names, birth dates and phone numbers leave it only in full to a
// caller reading one person (Get, versions), masked in every bulk read.
package population
