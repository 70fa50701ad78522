// Package discovery is how zhbase services find each other through etcd:
// Register puts a lease-backed endpoint under zhbase/<service>/<addr> and
// keeps it there (re-granting the lease after a loss), and Dial connects to
// etcd:///zhbase/<service> with round-robin balancing, per-call deadlines,
// retries of idempotent methods and tracing. It is the only way one zhbase
// process dials another; nothing else should build a grpc.ClientConn.
package discovery
