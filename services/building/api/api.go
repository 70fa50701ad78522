// Package api is the gRPC face of the buildings registry: it translates
// between the proto messages and the domain, and nothing more. Rules live
// in package building; errors are mapped by the kit's server.
package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/protomask"
	"github.com/zhbase/zhbase/services/kit/server"
)

// ServiceName is the full proto name of the service.
const ServiceName = "zhbase.building.v1.BuildingService"

// Handler implements buildingv1.BuildingServiceServer.
type Handler struct {
	buildingv1.UnimplementedBuildingServiceServer
	svc *building.Service
}

// Register adds the service to srv and marks it serving.
func Register(srv *server.Server, svc *building.Service) {
	buildingv1.RegisterBuildingServiceServer(srv.GRPC(), &Handler{svc: svc})
	srv.SetServing(ServiceName)
}

func (h *Handler) CreateBuilding(ctx context.Context, req *buildingv1.CreateBuildingRequest) (*buildingv1.Building, error) {
	b, err := h.svc.Create(ctx, FromProto(req.GetBuilding()), building.CreateOptions{ValidateOnly: req.GetValidateOnly()})
	if err != nil {
		return nil, err
	}
	return ToProto(b), nil
}

func (h *Handler) BatchCreateBuildings(ctx context.Context, req *buildingv1.BatchCreateBuildingsRequest) (*buildingv1.BatchCreateBuildingsResponse, error) {
	in := make([]*building.Building, len(req.GetRequests()))
	validateOnly := req.GetValidateOnly()
	for i, r := range req.GetRequests() {
		in[i] = FromProto(r.GetBuilding())
		validateOnly = validateOnly || r.GetValidateOnly()
	}
	bs, err := h.svc.CreateMany(ctx, in, building.CreateOptions{ValidateOnly: validateOnly})
	if err != nil {
		return nil, err
	}
	resp := &buildingv1.BatchCreateBuildingsResponse{Buildings: make([]*buildingv1.Building, len(bs))}
	for i, b := range bs {
		resp.Buildings[i] = ToProto(b)
	}
	return resp, nil
}

func (h *Handler) GetBuilding(ctx context.Context, req *buildingv1.GetBuildingRequest) (*buildingv1.Building, error) {
	id, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	paths, err := readMask(req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	b, err := h.svc.Get(ctx, id, at)
	if err != nil {
		return nil, err
	}
	out := ToProto(b)
	protomask.Apply(out, paths, "name")
	return out, nil
}

func (h *Handler) UpdateBuilding(ctx context.Context, req *buildingv1.UpdateBuildingRequest) (*buildingv1.Building, error) {
	in := req.GetBuilding()
	id, err := parseName(in.GetName(), "building.name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(in.GetEtag(), "building.etag")
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&buildingv1.Building{}, req.GetUpdateMask().GetPaths())
	b, err := h.svc.Update(ctx, id, FromProto(in), paths, building.UpdateOptions{
		Revision: revision, ValidateOnly: req.GetValidateOnly(),
		EffectiveFrom: apiconv.Time(req.GetEffectiveTime()), Correction: req.GetCorrection(),
	})
	if err != nil {
		return nil, err
	}
	return ToProto(b), nil
}

func (h *Handler) ListBuildings(ctx context.Context, req *buildingv1.ListBuildingsRequest) (*buildingv1.ListBuildingsResponse, error) {
	paths, err := readMask(req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.List(ctx, building.ListQuery{
		Filter: req.GetFilter(), OrderBy: req.GetOrderBy(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(), Owner: req.GetOwner(),
	})
	if err != nil {
		return nil, err
	}
	return &buildingv1.ListBuildingsResponse{Buildings: masked(p.Buildings, paths), NextPageToken: p.NextPageToken}, nil
}

func (h *Handler) FindBuildingsWithin(ctx context.Context, req *buildingv1.FindBuildingsWithinRequest) (*buildingv1.FindBuildingsWithinResponse, error) {
	var area building.Area
	var err error
	switch a := req.GetArea().(type) {
	case *buildingv1.FindBuildingsWithinRequest_BoundingBox:
		bb := a.BoundingBox
		area, err = building.NewBoxArea(bb.GetMinLongitude(), bb.GetMinLatitude(), bb.GetMaxLongitude(), bb.GetMaxLatitude(), "bounding_box.")
	case *buildingv1.FindBuildingsWithinRequest_Polygon:
		var js []byte
		if js, err = protojson.Marshal(a.Polygon); err == nil {
			area, err = building.NewPolygonArea(js, "polygon")
		}
	default:
		err = errs.Field("bounding_box", "an area is required: a bounding_box or a polygon")
	}
	if err != nil {
		return nil, err
	}
	paths, err := readMask(req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	relation := building.Intersects
	if req.GetRelation() == buildingv1.SpatialRelation_SPATIAL_RELATION_WITHIN {
		relation = building.Within
	}
	p, err := h.svc.Within(ctx, building.WithinQuery{
		Area: area, Relation: relation, Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(),
	})
	if err != nil {
		return nil, err
	}
	return &buildingv1.FindBuildingsWithinResponse{Buildings: masked(p.Buildings, paths), NextPageToken: p.NextPageToken}, nil
}

func (h *Handler) AggregateBuildings(ctx context.Context, req *buildingv1.AggregateBuildingsRequest) (*buildingv1.AggregateBuildingsResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	divisions, all, err := h.svc.Aggregate(ctx, building.AggregateQuery{Filter: req.GetFilter(), At: at, RollupLevel: int(req.GetRollupLevel())})
	if err != nil {
		return nil, err
	}
	resp := &buildingv1.AggregateBuildingsResponse{BuildingCount: all.Count, FloorAreaM2: all.FloorAreaM2()}
	for _, d := range divisions {
		resp.Divisions = append(resp.Divisions, &buildingv1.DivisionAggregate{
			DivisionCode: d.DivisionCode, BuildingCount: d.Count, FloorAreaM2: d.FloorAreaM2(),
		})
	}
	return resp, nil
}

func (h *Handler) SearchBuildings(ctx context.Context, req *buildingv1.SearchBuildingsRequest) (*buildingv1.SearchBuildingsResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.Search(ctx, building.SearchQuery{
		Query: req.GetQuery(), Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(),
	})
	if err != nil {
		return nil, err
	}
	resp := &buildingv1.SearchBuildingsResponse{NextPageToken: p.NextPageToken}
	for _, hit := range p.Hits {
		resp.Results = append(resp.Results, &buildingv1.SearchResult{Building: ToProto(hit.Building), Score: hit.Score})
	}
	return resp, nil
}

func (h *Handler) DeleteBuilding(ctx context.Context, req *buildingv1.DeleteBuildingRequest) (*buildingv1.Building, error) {
	id, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(req.GetEtag(), "etag")
	if err != nil {
		return nil, err
	}
	b, err := h.svc.Delete(ctx, id, building.DeleteOptions{Revision: revision, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return ToProto(b), nil
}

func (h *Handler) ListBuildingVersions(ctx context.Context, req *buildingv1.ListBuildingVersionsRequest) (*buildingv1.ListBuildingVersionsResponse, error) {
	id, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	vs, next, err := h.svc.Versions(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &buildingv1.ListBuildingVersionsResponse{NextPageToken: next}
	for _, v := range vs {
		resp.Versions = append(resp.Versions, ToProto(v))
	}
	return resp, nil
}

func (h *Handler) ListBuildingChanges(ctx context.Context, req *buildingv1.ListBuildingChangesRequest) (*buildingv1.ListBuildingChangesResponse, error) {
	cs, head, err := h.svc.Changes(ctx, req.GetAfterSequence(), int(req.GetMax()))
	if err != nil {
		return nil, err
	}
	resp := &buildingv1.ListBuildingChangesResponse{HeadSequence: head}
	for _, c := range cs {
		resp.Changes = append(resp.Changes, changeProto(c))
	}
	return resp, nil
}

func (h *Handler) WatchBuildingChanges(req *buildingv1.WatchBuildingChangesRequest, stream buildingv1.BuildingService_WatchBuildingChangesServer) error {
	return h.svc.Watch(stream.Context(), req.GetAfterSequence(), func(cs []building.Change) error {
		for _, c := range cs {
			if err := stream.Send(changeProto(c)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (h *Handler) ExportBuildings(req *buildingv1.ExportBuildingsRequest, stream buildingv1.BuildingService_ExportBuildingsServer) error {
	head := req.GetAtSequence()
	if head == 0 {
		var err error
		if _, head, err = h.svc.Changes(stream.Context(), 0, 1); err != nil {
			return err
		}
	}
	if err := stream.Send(&buildingv1.ExportBuildingsResponse{Sequence: head}); err != nil {
		return err
	}
	_, err := h.svc.Export(stream.Context(), head, func(b *building.Building) error {
		return stream.Send(&buildingv1.ExportBuildingsResponse{Sequence: head, Building: ToProto(b)})
	})
	return err
}

func (h *Handler) ExportBuildingDelta(req *buildingv1.ExportBuildingDeltaRequest, stream buildingv1.BuildingService_ExportBuildingDeltaServer) error {
	return h.svc.Delta(stream.Context(), req.GetAfterSequence(), req.GetUpToSequence(), func(c building.Change) error {
		return stream.Send(changeProto(c))
	})
}

func changeProto(c building.Change) *buildingv1.BuildingChange {
	return &buildingv1.BuildingChange{
		Sequence: c.Sequence,
		Name:     building.ResourceName(c.ID),
		Action:   apiconv.Action(c.Action),
		Version:  apiconv.VersionInfo(c.Version),
		Building: ToProto(c.Building),
	}
}

func readMask(paths []string) ([]string, error) {
	paths = protomask.Normalize(&buildingv1.Building{}, paths)
	return paths, protomask.Check(&buildingv1.Building{}, paths, "read_mask")
}

func masked(bs []*building.Building, paths []string) []*buildingv1.Building {
	out := make([]*buildingv1.Building, len(bs))
	for i, b := range bs {
		out[i] = ToProto(b)
		protomask.Apply(out[i], paths, "name")
	}
	return out
}

// parseName extracts the id from `buildings/{id}`.
func parseName(name, field string) (string, error) {
	return apiconv.ParseName(name, building.Collection, field)
}

// FromProto converts an API building into the domain's; the footprint
// travels as GeoJSON for the domain to parse and judge with the rest.
func FromProto(m *buildingv1.Building) *building.Building {
	b := &building.Building{
		Name:             m.GetDisplayName(),
		Address:          m.GetAddress(),
		DivisionCode:     m.GetDivisionCode(),
		FloorsAbove:      int(m.GetFloorsAboveGround()),
		FloorsBelow:      int(m.GetFloorsBelowGround()),
		HeightM:          m.GetHeightM(),
		FloorAreaM2:      m.GetFloorAreaM2(),
		YearBuilt:        int(m.GetYearBuilt()),
		SafetyAssessedOn: m.GetSafetyAssessmentDate(),
		Owners:           append([]string(nil), m.GetOwners()...),
		StatusDate:       m.GetStatusDate(),
	}
	if f := m.GetFootprint(); f != nil {
		js, err := protojson.Marshal(f)
		if err != nil {
			js = []byte(fmt.Sprintf("%q", err.Error())) // not an object: refused by the domain's parser
		}
		b.FootprintGeoJSON = js
	}
	if u := m.GetUse(); u != buildingv1.BuildingUse_BUILDING_USE_UNSPECIFIED {
		b.Use = building.Use(strings.TrimPrefix(u.String(), "BUILDING_USE_"))
	}
	if s := m.GetStructureType(); s != buildingv1.StructureType_STRUCTURE_TYPE_UNSPECIFIED {
		b.Structure = building.Structure(strings.TrimPrefix(s.String(), "STRUCTURE_TYPE_"))
	}
	if r := m.GetSafetyRating(); r != buildingv1.SafetyRating_SAFETY_RATING_UNSPECIFIED {
		b.SafetyRating = building.Rating(strings.TrimPrefix(r.String(), "SAFETY_RATING_"))
	}
	if s := m.GetStatus(); s != buildingv1.BuildingStatus_BUILDING_STATUS_UNSPECIFIED {
		b.Status = building.Status(strings.TrimPrefix(s.String(), "BUILDING_STATUS_"))
	}
	return b
}

// ToProto converts a domain building into the API's.
func ToProto(b *building.Building) *buildingv1.Building {
	m := &buildingv1.Building{
		Name:                 building.ResourceName(b.ID),
		DisplayName:          b.Name,
		Address:              b.Address,
		DivisionCode:         b.DivisionCode,
		Use:                  buildingv1.BuildingUse(buildingv1.BuildingUse_value["BUILDING_USE_"+string(b.Use)]),
		FloorsAboveGround:    int32(b.FloorsAbove),
		FloorsBelowGround:    int32(b.FloorsBelow),
		HeightM:              b.HeightM,
		FloorAreaM2:          b.FloorAreaM2,
		YearBuilt:            int32(b.YearBuilt),
		StructureType:        buildingv1.StructureType(buildingv1.StructureType_value["STRUCTURE_TYPE_"+string(b.Structure)]),
		SafetyRating:         buildingv1.SafetyRating(buildingv1.SafetyRating_value["SAFETY_RATING_"+string(b.SafetyRating)]),
		SafetyAssessmentDate: b.SafetyAssessedOn,
		Owners:               b.Owners,
		Status:               buildingv1.BuildingStatus(buildingv1.BuildingStatus_value["BUILDING_STATUS_"+string(b.Status)]),
		StatusDate:           b.StatusDate,
		CreateTime:           timestamppb.New(b.CreateTime),
		UpdateTime:           timestamppb.New(b.UpdateTime),
		Etag:                 apiconv.Etag(b.Revision),
		Retired:              b.Retired,
		Version:              apiconv.VersionInfo(b.Version),
	}
	if b.ID == "" {
		m.Name = "" // validate_only: nothing was assigned
	}
	if len(b.Footprint) > 0 {
		m.Footprint = footprintStruct(b.Footprint)
		m.Centroid = &buildingv1.LngLat{Longitude: b.Centroid[0], Latitude: b.Centroid[1]}
		bd := b.Bound()
		m.BoundingBox = &buildingv1.BoundingBox{MinLongitude: bd.Min[0], MinLatitude: bd.Min[1], MaxLongitude: bd.Max[0], MaxLatitude: bd.Max[1]}
	}
	return m
}

// footprintStruct renders a polygon as a GeoJSON Polygon object.
func footprintStruct(p orb.Polygon) *structpb.Struct {
	rings := make([]*structpb.Value, len(p))
	for i, r := range p {
		pts := make([]*structpb.Value, len(r))
		for j, pt := range r {
			pts[j] = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewNumberValue(pt[0]), structpb.NewNumberValue(pt[1])}})
		}
		rings[i] = structpb.NewListValue(&structpb.ListValue{Values: pts})
	}
	return &structpb.Struct{Fields: map[string]*structpb.Value{
		"type":        structpb.NewStringValue("Polygon"),
		"coordinates": structpb.NewListValue(&structpb.ListValue{Values: rings}),
	}}
}
