// Package filter parses the AIP-160 subset that zhbase List requests accept
// in their `filter` field, and compiles it to a parameterised SQL WHERE
// fragment that runs unchanged on SQLite and PostgreSQL.
//
// A service declares a Schema: which filter field names a client may use,
// the SQL column each maps to, and what kind of value it holds. Everything
// not in the Schema is refused, so the filter surface is exactly what the
// service chose to expose.
//
// This package must never put text from the filter into the SQL string:
// values only ever travel as arguments, and the only SQL it writes is the
// Schema's columns, fixed operators and `?` placeholders. It must never
// execute queries or import a database driver, and it must never accept a
// filter it cannot fully check; a clerk is better served by an error that
// names the problem than by a result set silently narrowed to nothing.
//
// Errors a client can fix are *Error (they also match errs.ErrInvalid, so
// the transport reports INVALID_ARGUMENT on the "filter" field); any other
// error means the Schema or a hand-built Node is wrong, which is a bug.
package filter
