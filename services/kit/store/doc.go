// Package store opens a service's own database — a SQLite file by default,
// PostgreSQL when a DSN is given — applies the service's embedded
// migrations, and runs queries and transactions with one tracing span each.
//
// Services write their SQL once, with `?` placeholders and the common subset
// of SQLite and PostgreSQL; the DB rewrites placeholders for PostgreSQL.
// This package must never know any service's tables, and never logs query
// arguments (they carry personal data).
package store
