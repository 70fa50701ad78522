// Package auth is who is calling: the verified Identity of a caller (a
// department's application, or another zhbase service), how it travels
// between processes (a short-lived assertion signed with the cluster key,
// in gRPC metadata), and the server interceptor that refuses calls without
// one. It decides nothing about what a caller may see; that is authz.
//
// It must never log a credential, an assertion or the purpose text in clear.
package auth
