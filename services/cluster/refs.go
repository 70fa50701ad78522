package cluster

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	"github.com/zhbase/zhbase/services/kit/discovery"
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

// startReferences dials, through etcd, every registry that holds referable
// collections, so that registries can check references on write. The
// connections are lazy: a registry that is not up yet makes checks fail as
// unavailable, never pass.
func (p *Process) startReferences(ctx context.Context) (func(context.Context) error, error) {
	conns := map[string]*grpc.ClientConn{}
	reg := refs.Registry{}
	for collection, l := range referenceLookups {
		conn, ok := conns[l.service]
		if !ok {
			var err error
			conn, err = discovery.Dial(p.cli, l.service, discovery.DialOptions{ProtoServices: []string{protoServiceOf(l.service)}})
			if err != nil {
				return nil, err
			}
			conns[l.service] = conn
		}
		reg[collection] = l.lookup(conn)
	}
	p.refs = reg
	return func(context.Context) error {
		var errs []error
		for _, c := range conns {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}, nil
}

func protoServiceOf(service string) string {
	for _, r := range registries {
		if r.name == service {
			return r.protoService
		}
	}
	return ""
}
