// Package page implements List paging for zhbase services: the page size a
// request gets, and opaque page tokens bound to the query that made them.
//
// A token carries where the next page starts (the sort key values of the
// last row returned, or an offset for ranked search results) plus a short
// hash of the query, so a token replayed with a different filter or
// order_by is refused instead of silently returning the wrong rows.
//
// Tokens are tamper-evident against accidental reuse, not secret and not
// signed. This package must therefore never be used to carry anything the
// caller may not already see, and a decoded token must never grant access
// or skip a check: its values go into SQL only as arguments, after the
// service has parsed them as the column types it expects.
package page
