package cluster

import (
	"context"
	"errors"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	"github.com/zhbase/zhbase/gateway"
	auditv1 "github.com/zhbase/zhbase/proto/zhbase/audit/v1"
	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	auditapi "github.com/zhbase/zhbase/services/audit/api"
	exchangeapi "github.com/zhbase/zhbase/services/exchange/api"
	subscriptionapi "github.com/zhbase/zhbase/services/exchange/subscription/api"
	"github.com/zhbase/zhbase/services/kit/authz"

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
	// resources describes its resource types for the catalogue and for
	// authorisation; division tells the division of a resource of another
	// registry (a person's registered address).
	resources func(division divisionOf) []authz.Resource
}

// divisionOf tells the administrative division code of a resource.
type divisionOf func(ctx context.Context, name string) (string, error)

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
		rest:      legalentityv1.RegisterLegalEntityServiceHandler,
		resources: func(_ divisionOf) []authz.Resource { return legalentityapi.Resources() },
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
		rest:      populationv1.RegisterPopulationServiceHandler,
		resources: func(d divisionOf) []authz.Resource { return populationapi.Resources(populationapi.AddressDivision(d)) },
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
		rest:      economyv1.RegisterEconomyServiceHandler,
		resources: func(_ divisionOf) []authz.Resource { return economyapi.Resources() },
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
		rest:      spatialv1.RegisterSpatialServiceHandler,
		resources: func(_ divisionOf) []authz.Resource { return spatialapi.Resources() },
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
		rest:      buildingv1.RegisterBuildingServiceHandler,
		resources: func(_ divisionOf) []authz.Resource { return buildingapi.Resources() },
	},
}

// platformResources lists every registry's resource types.
func platformResources(division divisionOf) []authz.Resource {
	var out []authz.Resource
	for _, r := range registries {
		out = append(out, r.resources(division)...)
	}
	return out
}

// PlatformResources lists every registry's resource types, for tools that
// need the catalogue's shape without a running platform (their division
// lookups answer nothing).
func PlatformResources() []authz.Resource {
	return platformResources(func(context.Context, string) (string, error) {
		return "", errors.New("no division lookup outside a running platform")
	})
}

// registryServices maps every registry to its gRPC service.
func registryServices() map[string]string {
	out := map[string]string{}
	for _, r := range registries {
		out[r.name] = r.protoService
	}
	return out
}

// gatewayRoutes lists every service of the REST facade.
func gatewayRoutes() []gateway.Route {
	var out []gateway.Route
	for _, r := range registries {
		out = append(out, gateway.Route{Service: r.name, ProtoService: r.protoService, Register: r.rest})
	}
	return append(out,
		gateway.Route{Service: ExchangeTarget, ProtoService: exchangeapi.ServiceName, Register: exchangev1.RegisterExchangeServiceHandler},
		gateway.Route{Service: ExchangeTarget, ProtoService: subscriptionapi.ServiceName, Register: exchangev1.RegisterSubscriptionServiceHandler},
		gateway.Route{Service: AuditTarget, ProtoService: auditapi.ServiceName, Register: auditv1.RegisterAuditServiceHandler},
	)
}

// Targets besides the registries.
const (
	// GatewayTarget is the REST facade.
	GatewayTarget = "gateway"
	// ExchangeTarget is the exchange platform: departments, credentials,
	// the catalogue, grants, the access policy and subscriptions.
	ExchangeTarget = "exchange"
	// AuditTarget serves the audit log's search and verification.
	AuditTarget = "audit"
)

// ServiceTargets lists the targets that serve gRPC: the registries, the
// exchange and the audit service.
func ServiceTargets() []string {
	out := make([]string, 0, len(registries)+2)
	for _, r := range registries {
		out = append(out, r.name)
	}
	return append(out, ExchangeTarget, AuditTarget)
}

// DatabaseComponents lists what owns a database: the registries, the
// exchange and the audit log (written by every process that serves gRPC).
func DatabaseComponents() []string { return ServiceTargets() }

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
