package cluster

import (
	"context"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	"github.com/zhbase/zhbase/gateway"
	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"

	"github.com/zhbase/zhbase/services/building"
	buildingapi "github.com/zhbase/zhbase/services/building/api"
	buildingstore "github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/economy"
	economyapi "github.com/zhbase/zhbase/services/economy/api"
	economystore "github.com/zhbase/zhbase/services/economy/sqlstore"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/legalentity"
	legalentityapi "github.com/zhbase/zhbase/services/legalentity/api"
	legalentitystore "github.com/zhbase/zhbase/services/legalentity/sqlstore"
	"github.com/zhbase/zhbase/services/population"
	populationapi "github.com/zhbase/zhbase/services/population/api"
	populationstore "github.com/zhbase/zhbase/services/population/sqlstore"
	"github.com/zhbase/zhbase/services/spatial"
	spatialapi "github.com/zhbase/zhbase/services/spatial/api"
	spatialstore "github.com/zhbase/zhbase/services/spatial/sqlstore"
)

// registry describes one registry target: how to open its store and put its
// gRPC service on a server. Adding a registry means adding a line here.
type registry struct {
	name         string
	protoService string
	open         func(ctx context.Context, db *store.DB, srv *server.Server, refs refs.Checker) error
	// rest registers the registry's REST routes on the gateway.
	rest func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
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
		rest: legalentityv1.RegisterLegalEntityServiceHandler,
	},
	{
		name:         "population",
		protoService: populationapi.ServiceName,
		open: func(ctx context.Context, db *store.DB, srv *server.Server, refs refs.Checker) error {
			st, err := populationstore.Open(ctx, db)
			if err != nil {
				return err
			}
			populationapi.Register(srv, population.NewService(st, refs))
			return nil
		},
		rest: populationv1.RegisterPopulationServiceHandler,
	},
	{
		name:         "economy",
		protoService: economyapi.ServiceName,
		open: func(ctx context.Context, db *store.DB, srv *server.Server, refs refs.Checker) error {
			st, err := economystore.Open(ctx, db)
			if err != nil {
				return err
			}
			economyapi.Register(srv, economy.NewService(st, refs))
			return nil
		},
		rest: economyv1.RegisterEconomyServiceHandler,
	},
	{
		name:         "spatial",
		protoService: spatialapi.ServiceName,
		open: func(ctx context.Context, db *store.DB, srv *server.Server, refs refs.Checker) error {
			st, err := spatialstore.Open(ctx, db)
			if err != nil {
				return err
			}
			spatialapi.Register(srv, spatial.NewService(st, refs))
			return nil
		},
		rest: spatialv1.RegisterSpatialServiceHandler,
	},
	{
		name:         "building",
		protoService: buildingapi.ServiceName,
		open: func(ctx context.Context, db *store.DB, srv *server.Server, refs refs.Checker) error {
			st, err := buildingstore.Open(ctx, db)
			if err != nil {
				return err
			}
			buildingapi.Register(srv, building.NewService(st, refs))
			return nil
		},
		rest: buildingv1.RegisterBuildingServiceHandler,
	},
}

// gatewayRoutes lists every registry for the REST facade.
func gatewayRoutes() []gateway.Route {
	out := make([]gateway.Route, len(registries))
	for i, r := range registries {
		out[i] = gateway.Route{Service: r.name, ProtoService: r.protoService, Register: r.rest}
	}
	return out
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
