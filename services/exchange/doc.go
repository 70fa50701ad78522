// Package exchange is the exchange platform's core (数据交换平台): the
// departments admitted to it (准入), the credentials of their applications,
// the resource catalogue with each data item's sharing class (资源目录,
// 共享制度), the grants departments apply for to read conditionally shared
// items, and the access policy the registries enforce from all of these.
//
// This package holds the domain and its rules, including who may do what
// inside the exchange (from the caller's auth.Identity). The SQL store lives
// in sqlstore/, the gRPC handler in api/; this package must never import
// either, nor gRPC or SQL. It must never log, return twice or store in
// clear a credential's secret: API keys are kept as SHA-256 digests and
// shown once, when issued.
package exchange
