// Package cluster assembles a zhbase process from targets: one or more
// registries, the REST gateway, or all of them, with the embedded etcd of
// `zhbase up` when asked. It owns the typed process Config, the dependency
// map between modules (started in order, stopped in reverse), and the
// graceful stop sequence. It holds no business rules: each registry brings
// its own from services/<name>.
package cluster
