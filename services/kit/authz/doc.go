// Package authz decides what a verified caller may do with a registry:
// which methods it may call, which objects (by administrative division) and
// which fields it may see or write. Everything is denied unless the
// catalogue's sharing class, a live grant or ownership allows it.
//
// The rules live here once and are applied by an interceptor in front of
// every registry, so a registry's handlers never check access themselves.
// It must never let a response leave with a field the caller may not see.
package authz
