package cluster

import (
	"context"

	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/legalentity"
	legalentityapi "github.com/zhbase/zhbase/services/legalentity/api"
	legalentitystore "github.com/zhbase/zhbase/services/legalentity/sqlstore"
)

// registry describes one registry target: how to open its store and put its
// gRPC service on a server. Adding a registry means adding a line here.
type registry struct {
	name         string
	protoService string
	open         func(ctx context.Context, db *store.DB, srv *server.Server, refs refs.Checker) error
}

var registries = []registry{
	{
		name:         "legalentity",
		protoService: legalentityapi.ServiceName,
		open: func(ctx context.Context, db *store.DB, srv *server.Server, _ refs.Checker) error {
			st, err := legalentitystore.Open(ctx, db)
			if err != nil {
				return err
			}
			legalentityapi.Register(srv, legalentity.NewService(st))
			return nil
		},
	},
}

// GatewayTarget is the REST facade's target name.
const GatewayTarget = "gateway"

// ServiceTargets lists the registry targets.
func ServiceTargets() []string {
	out := make([]string, len(registries))
	for i, r := range registries {
		out[i] = r.name
	}
	return out
}

// AllTargets lists every target `all` stands for.
func AllTargets() []string { return append(ServiceTargets(), GatewayTarget) }

// expand replaces "all" by every target and drops duplicates.
func expand(targets []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range targets {
		list := []string{t}
		if t == "all" {
			list = AllTargets()
		}
		for _, x := range list {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out
}
