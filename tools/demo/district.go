package demo

import (
	"context"
	"fmt"
	"time"

	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	buildingapi "github.com/zhbase/zhbase/services/building/api"
	"github.com/zhbase/zhbase/services/building/buildinggen"
	"github.com/zhbase/zhbase/services/economy/reportgen"
	popdemo "github.com/zhbase/zhbase/services/population/demo"
	spatialapi "github.com/zhbase/zhbase/services/spatial/api"
	spatialdemo "github.com/zhbase/zhbase/services/spatial/demo"
)

// Clients are the registries a district is loaded into.
type Clients struct {
	Spatial     spatialv1.SpatialServiceClient
	Population  populationv1.PopulationServiceClient
	LegalEntity legalentityv1.LegalEntityServiceClient
	Building    buildingv1.BuildingServiceClient
	Economy     economyv1.EconomyServiceClient
}

// Size says how large a district to make.
type Size struct {
	Addresses, Persons, LegalEntities, Buildings int
	// ReportYears is how many years (ending 2025) of annual reports each
	// enterprise files; monthly reports only for the last year.
	ReportYears int
}

// SmallDistrict is what `zhbase up` loads on first start.
var SmallDistrict = Size{Addresses: 400, Persons: 800, LegalEntities: 300, Buildings: 400, ReportYears: 3}

// Loaded counts what LoadDistrict created.
type Loaded struct {
	Divisions, Features, Addresses, Persons, LegalEntities, Buildings, Reports int
}

// LoadDistrict creates a coherent synthetic Zhenhai through the registries'
// APIs, in the order references need: divisions, community boundaries,
// roads and addresses; households and persons living at those addresses;
// legal entities registered at them; buildings on them owned by those
// persons and entities; and the enterprises' economic reports. Everything is
// derived from seed, so loading twice finds every record already there.
func LoadDistrict(ctx context.Context, c Clients, seed uint64, size Size, progress func(string)) (Loaded, error) {
	var n Loaded
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}

	// Spatial base.
	base := spatialdemo.New(spatialdemo.Options{Seed: seed, Addresses: size.Addresses, POIs: size.Addresses / 20})
	for _, d := range base.Divisions {
		_, err := c.Spatial.CreateDivision(ctx, &spatialv1.CreateDivisionRequest{Division: spatialapi.DivisionToProto(d)})
		if err := skipExisting(err, &n.Divisions); err != nil {
			return n, fmt.Errorf("division %s: %w", d.Code, err)
		}
	}
	features := append(base.Boundaries(), base.Roads()...)
	for f := range base.POIs() {
		features = append(features, f)
	}
	for _, f := range features {
		m, err := spatialapi.FeatureToProto(f)
		if err != nil {
			return n, err
		}
		_, err = c.Spatial.CreateFeature(ctx, &spatialv1.CreateFeatureRequest{Feature: m, FeatureId: f.ID})
		if err := skipExisting(err, &n.Features); err != nil {
			return n, fmt.Errorf("feature %s: %w", f.Name, err)
		}
	}
	var popAddrs []popdemo.Address
	var bldAddrs []buildinggen.Address
	var texts []*legalentityv1.Address
	for a := range base.Addresses() {
		_, err := c.Spatial.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: spatialapi.AddressToProto(a), AddressId: a.ID})
		if err := skipExisting(err, &n.Addresses); err != nil {
			return n, fmt.Errorf("address %s: %w", a.FullText, err)
		}
		name := "addresses/" + a.ID
		township := a.DivisionCode[:9] + "000"
		popAddrs = append(popAddrs, popdemo.Address{Name: name, DivisionCode: township})
		bldAddrs = append(bldAddrs, buildinggen.Address{Name: name, Label: a.FullText, Lon: a.Location.Lon, Lat: a.Location.Lat, DivisionCode: a.DivisionCode})
		texts = append(texts, &legalentityv1.Address{Text: a.FullText, DivisionCode: a.DivisionCode})
	}
	say("spatial: %d divisions, %d features, %d addresses", n.Divisions, n.Features, n.Addresses)

	// Population at those addresses.
	var owners []buildinggen.Owner
	err := popdemo.Generate(seed, popAddrs, size.Persons, func(h popdemo.Household) error {
		_, err := c.Population.CreateHousehold(ctx, &populationv1.CreateHouseholdRequest{Household: h.Household, HouseholdId: h.ID})
		if err := skipExisting(err, new(int)); err != nil {
			return fmt.Errorf("household %s: %w", h.ID, err)
		}
		for _, p := range h.Members {
			_, err := c.Population.CreatePerson(ctx, &populationv1.CreatePersonRequest{Person: p})
			if err := skipExisting(err, &n.Persons); err != nil {
				return fmt.Errorf("person of household %s: %w", h.ID, err)
			}
			if len(owners) < size.Buildings/2 {
				owners = append(owners, buildinggen.Owner{Name: "persons/" + p.GetIdNumber(), DisplayName: p.GetDisplayName()})
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	say("population: %d persons", n.Persons)

	// Legal entities registered at the district's addresses.
	entities := LegalEntities(seed, size.LegalEntities)
	for i, e := range entities {
		if len(texts) > 0 {
			e.RegisteredAddress = texts[(i*7)%len(texts)]
		}
		_, err := c.LegalEntity.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: e})
		if err := skipExisting(err, &n.LegalEntities); err != nil {
			return n, fmt.Errorf("legal entity %s: %w", e.GetUscc(), err)
		}
		owners = append(owners, buildinggen.Owner{Name: "legalEntities/" + e.GetUscc(), DisplayName: e.GetDisplayName()})
	}
	say("legal entities: %d", n.LegalEntities)

	// Buildings on the addresses, owned by those persons and entities.
	if len(bldAddrs) > 0 && size.Buildings > 0 {
		gen := buildinggen.New(seed, bldAddrs, owners)
		// Building ids are assigned by the registry, so unlike the other
		// records buildings are created anew on every load: load once.
		var batch []*buildingv1.CreateBuildingRequest
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			resp, err := c.Building.BatchCreateBuildings(ctx, &buildingv1.BatchCreateBuildingsRequest{Requests: batch})
			if err != nil {
				return fmt.Errorf("buildings: %w", err)
			}
			n.Buildings += len(resp.GetBuildings())
			batch = batch[:0]
			return nil
		}
		for i := 0; i < size.Buildings; i++ {
			batch = append(batch, &buildingv1.CreateBuildingRequest{Building: buildingapi.ToProto(gen.Next())})
			if len(batch) == 200 {
				if err := flush(); err != nil {
					return n, err
				}
			}
		}
		if err := flush(); err != nil {
			return n, err
		}
		say("buildings: %d", n.Buildings)
	}

	// Economic reports of the enterprises.
	if size.ReportYears > 0 {
		const last = 2025
		enterprises := reportgen.FromLegalEntities(entities)
		reqs, err := reportgen.Reports(seed, enterprises, reportgen.Options{FirstYear: last, LastYear: last})
		if err != nil {
			return n, err
		}
		if size.ReportYears > 1 {
			annual, err := reportgen.Reports(seed, enterprises, reportgen.Options{FirstYear: last - size.ReportYears + 1, LastYear: last - 1, AnnualOnly: true})
			if err != nil {
				return n, err
			}
			reqs = append(annual, reqs...)
		}
		created, err := reportgen.Seed(ctx, c.Economy, reqs)
		n.Reports = created
		if err != nil {
			return n, fmt.Errorf("reports: %w", err)
		}
		say("economic reports: %d", n.Reports)
	}
	return n, nil
}

// skipExisting counts a created record, passes over one that exists
// already (seeding twice is harmless) and returns any other error.
func skipExisting(err error, created *int) error {
	if err == nil {
		*created++
		return nil
	}
	if alreadyExists(err) {
		return nil
	}
	return err
}

// Deadline for loading the small district on first start.
const LoadTimeout = 10 * time.Minute
