package cluster

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	"github.com/zhbase/zhbase/services/kit/refs"
)

// nameOnly asks a registry for as little as possible: existence is all a
// reference check needs, and it keeps personal data off the wire.
var nameOnly = &fieldmaskpb.FieldMask{Paths: []string{"name"}}

// referenceLookups maps each collection other registries may refer to, to
// its lookup through the owning registry's client.
var referenceLookups = map[string]struct {
	service string
	lookup  func(conn *grpc.ClientConn) refs.Lookup
}{
	"legalEntities": {"legalentity", func(conn *grpc.ClientConn) refs.Lookup {
		c := legalentityv1.NewLegalEntityServiceClient(conn)
		return func(ctx context.Context, name string) error {
			_, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: name, ReadMask: nameOnly})
			return refs.FromStatus(err)
		}
	}},
	"persons": {"population", func(conn *grpc.ClientConn) refs.Lookup {
		c := populationv1.NewPopulationServiceClient(conn)
		return func(ctx context.Context, name string) error {
			_, err := c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: name, ReadMask: nameOnly})
			return refs.FromStatus(err)
		}
	}},
	"addresses": {"spatial", func(conn *grpc.ClientConn) refs.Lookup {
		c := spatialv1.NewSpatialServiceClient(conn)
		return func(ctx context.Context, name string) error {
			_, err := c.GetAddress(ctx, &spatialv1.GetAddressRequest{Name: name, ReadMask: nameOnly})
			return refs.FromStatus(err)
		}
	}},
	"buildings": {"building", func(conn *grpc.ClientConn) refs.Lookup {
		c := buildingv1.NewBuildingServiceClient(conn)
		return func(ctx context.Context, name string) error {
			_, err := c.GetBuilding(ctx, &buildingv1.GetBuildingRequest{Name: name, ReadMask: nameOnly})
			return refs.FromStatus(err)
		}
	}},
	"households": {"population", func(conn *grpc.ClientConn) refs.Lookup {
		c := populationv1.NewPopulationServiceClient(conn)
		return func(ctx context.Context, name string) error {
			_, err := c.GetHousehold(ctx, &populationv1.GetHouseholdRequest{Name: name, ReadMask: nameOnly})
			return refs.FromStatus(err)
		}
	}},
}

// startReferences sets up the reference checks registries make on write,
// and the division lookups of division-scoped grants, over the process's
// connections (lazy: a registry that is not up yet makes checks fail as
// unavailable, never pass).
func (p *Process) startReferences(ctx context.Context) (func(context.Context) error, error) {
	reg := refs.Registry{}
	for collection, l := range referenceLookups {
		reg[collection] = l.lookup(p.conns[l.service])
	}
	p.refs = reg
	p.resources = platformResources(newDivisionCache(p.conns["spatial"]).addressDivision)
	return nil, nil
}
