// Package legalentity is the legal-entity base registry (法人基础数据库):
// enterprises, institutions and organisations keyed by their unified social
// credit code. This package holds the domain — the LegalEntity record, its
// validation rules, and the application service that reads and writes it
// through a Store it defines. The SQL store lives in sqlstore/, the gRPC
// handler in api/; this package must never import either, nor gRPC or SQL.
package legalentity
