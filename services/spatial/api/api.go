// Package api is the gRPC face of the spatial registry: it translates
// between the proto messages and the domain, and nothing more. Rules live
// in package spatial; errors are mapped by the kit's server.
package api

import (
	"context"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/protomask"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/spatial"
)

// ServiceName is the full proto name of the service.
const ServiceName = "zhbase.spatial.v1.SpatialService"

// Handler implements spatialv1.SpatialServiceServer.
type Handler struct {
	spatialv1.UnimplementedSpatialServiceServer
	svc *spatial.Service
}

// Register adds the service to srv and marks it serving.
func Register(srv *server.Server, svc *spatial.Service) {
	spatialv1.RegisterSpatialServiceServer(srv.GRPC(), &Handler{svc: svc})
	srv.SetServing(ServiceName)
}

// readMask normalises and checks a read mask against a record message.
func readMask(msg proto.Message, paths []string) ([]string, error) {
	paths = protomask.Normalize(msg, paths)
	return paths, protomask.Check(msg, paths, "read_mask")
}

func listQuery(pageSize int32, pageToken, filter, orderBy string, at history.Point, showRetired bool) spatial.ListQuery {
	return spatial.ListQuery{Filter: filter, OrderBy: orderBy, PageSize: int(pageSize), PageToken: pageToken, At: at, ShowRetired: showRetired}
}

func searchQuery(query string, pageSize int32, pageToken, filter string, at history.Point, showRetired bool) spatial.SearchQuery {
	return spatial.SearchQuery{Query: query, Filter: filter, PageSize: int(pageSize), PageToken: pageToken, At: at, ShowRetired: showRetired}
}

// ——— Divisions ———

func (h *Handler) CreateDivision(ctx context.Context, req *spatialv1.CreateDivisionRequest) (*spatialv1.Division, error) {
	d, err := h.svc.CreateDivision(ctx, divisionFromProto(req.GetDivision()), spatial.CreateOptions{
		EffectiveFrom: apiconv.Time(req.GetEffectiveTime()), ValidateOnly: req.GetValidateOnly()})
	if err != nil {
		return nil, err
	}
	return divisionToProto(d), nil
}

func (h *Handler) GetDivision(ctx context.Context, req *spatialv1.GetDivisionRequest) (*spatialv1.Division, error) {
	code, err := apiconv.ParseName(req.GetName(), spatial.Divisions, "name")
	if err != nil {
		return nil, err
	}
	paths, err := readMask(&spatialv1.Division{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	d, err := h.svc.GetDivision(ctx, code, at)
	if err != nil {
		return nil, err
	}
	out := divisionToProto(d)
	protomask.Apply(out, paths, "name")
	return out, nil
}

func (h *Handler) UpdateDivision(ctx context.Context, req *spatialv1.UpdateDivisionRequest) (*spatialv1.Division, error) {
	in := req.GetDivision()
	code, err := apiconv.ParseName(in.GetName(), spatial.Divisions, "division.name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(in.GetEtag(), "division.etag")
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&spatialv1.Division{}, req.GetUpdateMask().GetPaths())
	d, err := h.svc.UpdateDivision(ctx, code, divisionFromProto(in), paths, updateOptions(revision, req.GetValidateOnly(), req.GetEffectiveTime(), req.GetCorrection()))
	if err != nil {
		return nil, err
	}
	return divisionToProto(d), nil
}

func updateOptions(revision int64, validateOnly bool, effective *timestamppb.Timestamp, correction bool) spatial.UpdateOptions {
	return spatial.UpdateOptions{Revision: revision, ValidateOnly: validateOnly, EffectiveFrom: apiconv.Time(effective), Correction: correction}
}

func (h *Handler) ListDivisions(ctx context.Context, req *spatialv1.ListDivisionsRequest) (*spatialv1.ListDivisionsResponse, error) {
	paths, err := readMask(&spatialv1.Division{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	ds, next, err := h.svc.ListDivisions(ctx, listQuery(req.GetPageSize(), req.GetPageToken(), req.GetFilter(), req.GetOrderBy(), at, req.GetShowRetired()))
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.ListDivisionsResponse{NextPageToken: next}
	for _, d := range ds {
		m := divisionToProto(d)
		protomask.Apply(m, paths, "name")
		resp.Divisions = append(resp.Divisions, m)
	}
	return resp, nil
}

func (h *Handler) SearchDivisions(ctx context.Context, req *spatialv1.SearchDivisionsRequest) (*spatialv1.SearchDivisionsResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	hits, next, err := h.svc.SearchDivisions(ctx, searchQuery(req.GetQuery(), req.GetPageSize(), req.GetPageToken(), req.GetFilter(), at, req.GetShowRetired()))
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.SearchDivisionsResponse{NextPageToken: next}
	for _, hit := range hits {
		resp.Results = append(resp.Results, &spatialv1.DivisionSearchResult{Division: divisionToProto(hit.Record), Score: hit.Score})
	}
	return resp, nil
}

func (h *Handler) DeleteDivision(ctx context.Context, req *spatialv1.DeleteDivisionRequest) (*spatialv1.Division, error) {
	code, err := apiconv.ParseName(req.GetName(), spatial.Divisions, "name")
	if err != nil {
		return nil, err
	}
	o, err := deleteOptions(req.GetEtag(), req.GetEffectiveTime())
	if err != nil {
		return nil, err
	}
	d, err := h.svc.DeleteDivision(ctx, code, o)
	if err != nil {
		return nil, err
	}
	return divisionToProto(d), nil
}

func deleteOptions(etag string, effective *timestamppb.Timestamp) (spatial.DeleteOptions, error) {
	revision, err := apiconv.ParseEtag(etag, "etag")
	return spatial.DeleteOptions{Revision: revision, EffectiveFrom: apiconv.Time(effective)}, err
}

func (h *Handler) RenameDivision(ctx context.Context, req *spatialv1.RenameDivisionRequest) (*spatialv1.Division, error) {
	code, err := apiconv.ParseName(req.GetName(), spatial.Divisions, "name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(req.GetEtag(), "etag")
	if err != nil {
		return nil, err
	}
	d, err := h.svc.RenameDivision(ctx, code, req.GetNewCode(), spatial.RenameOptions{Revision: revision, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return divisionToProto(d), nil
}

func (h *Handler) ListDivisionVersions(ctx context.Context, req *spatialv1.ListDivisionVersionsRequest) (*spatialv1.ListDivisionVersionsResponse, error) {
	code, err := apiconv.ParseName(req.GetName(), spatial.Divisions, "name")
	if err != nil {
		return nil, err
	}
	vs, next, err := h.svc.DivisionVersions(ctx, code, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.ListDivisionVersionsResponse{NextPageToken: next}
	for _, v := range vs {
		resp.Versions = append(resp.Versions, divisionToProto(v))
	}
	return resp, nil
}

// ——— Addresses ———

func (h *Handler) CreateAddress(ctx context.Context, req *spatialv1.CreateAddressRequest) (*spatialv1.Address, error) {
	a, err := addressFromProto(req.GetAddress())
	if err != nil {
		return nil, err
	}
	a, err = h.svc.CreateAddress(ctx, a, spatial.CreateOptions{ID: req.GetAddressId(), EffectiveFrom: apiconv.Time(req.GetEffectiveTime()), ValidateOnly: req.GetValidateOnly()})
	if err != nil {
		return nil, err
	}
	return addressToProto(a), nil
}

func (h *Handler) GetAddress(ctx context.Context, req *spatialv1.GetAddressRequest) (*spatialv1.Address, error) {
	id, err := apiconv.ParseName(req.GetName(), spatial.Addresses, "name")
	if err != nil {
		return nil, err
	}
	paths, err := readMask(&spatialv1.Address{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	a, err := h.svc.GetAddress(ctx, id, at)
	if err != nil {
		return nil, err
	}
	out := addressToProto(a)
	protomask.Apply(out, paths, "name")
	return out, nil
}

func (h *Handler) UpdateAddress(ctx context.Context, req *spatialv1.UpdateAddressRequest) (*spatialv1.Address, error) {
	in := req.GetAddress()
	id, err := apiconv.ParseName(in.GetName(), spatial.Addresses, "address.name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(in.GetEtag(), "address.etag")
	if err != nil {
		return nil, err
	}
	a, err := addressFromProto(in)
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&spatialv1.Address{}, req.GetUpdateMask().GetPaths())
	a, err = h.svc.UpdateAddress(ctx, id, a, paths, updateOptions(revision, req.GetValidateOnly(), req.GetEffectiveTime(), req.GetCorrection()))
	if err != nil {
		return nil, err
	}
	return addressToProto(a), nil
}

func (h *Handler) ListAddresses(ctx context.Context, req *spatialv1.ListAddressesRequest) (*spatialv1.ListAddressesResponse, error) {
	paths, err := readMask(&spatialv1.Address{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	as, next, err := h.svc.ListAddresses(ctx, listQuery(req.GetPageSize(), req.GetPageToken(), req.GetFilter(), req.GetOrderBy(), at, req.GetShowRetired()))
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.ListAddressesResponse{NextPageToken: next}
	for _, a := range as {
		m := addressToProto(a)
		protomask.Apply(m, paths, "name")
		resp.Addresses = append(resp.Addresses, m)
	}
	return resp, nil
}

func (h *Handler) SearchAddresses(ctx context.Context, req *spatialv1.SearchAddressesRequest) (*spatialv1.SearchAddressesResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	hits, next, err := h.svc.SearchAddresses(ctx, searchQuery(req.GetQuery(), req.GetPageSize(), req.GetPageToken(), req.GetFilter(), at, req.GetShowRetired()))
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.SearchAddressesResponse{NextPageToken: next}
	for _, hit := range hits {
		resp.Results = append(resp.Results, &spatialv1.AddressSearchResult{Address: addressToProto(hit.Record), Score: hit.Score})
	}
	return resp, nil
}

func (h *Handler) DeleteAddress(ctx context.Context, req *spatialv1.DeleteAddressRequest) (*spatialv1.Address, error) {
	id, err := apiconv.ParseName(req.GetName(), spatial.Addresses, "name")
	if err != nil {
		return nil, err
	}
	o, err := deleteOptions(req.GetEtag(), req.GetEffectiveTime())
	if err != nil {
		return nil, err
	}
	a, err := h.svc.DeleteAddress(ctx, id, o)
	if err != nil {
		return nil, err
	}
	return addressToProto(a), nil
}

func (h *Handler) ListAddressVersions(ctx context.Context, req *spatialv1.ListAddressVersionsRequest) (*spatialv1.ListAddressVersionsResponse, error) {
	id, err := apiconv.ParseName(req.GetName(), spatial.Addresses, "name")
	if err != nil {
		return nil, err
	}
	vs, next, err := h.svc.AddressVersions(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.ListAddressVersionsResponse{NextPageToken: next}
	for _, v := range vs {
		resp.Versions = append(resp.Versions, addressToProto(v))
	}
	return resp, nil
}

func (h *Handler) AutocompleteAddresses(ctx context.Context, req *spatialv1.AutocompleteAddressesRequest) (*spatialv1.AutocompleteAddressesResponse, error) {
	as, err := h.svc.AutocompleteAddresses(ctx, spatial.AutocompleteQuery{Prefix: req.GetPrefix(), Limit: int(req.GetPageSize())})
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.AutocompleteAddressesResponse{}
	for _, a := range as {
		resp.Addresses = append(resp.Addresses, addressToProto(a))
	}
	return resp, nil
}

func (h *Handler) StandardizeAddress(ctx context.Context, req *spatialv1.StandardizeAddressRequest) (*spatialv1.StandardizeAddressResponse, error) {
	r, err := h.svc.StandardizeAddress(ctx, req.GetText(), int(req.GetMaxAlternatives()))
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.StandardizeAddressResponse{Components: componentsToProto(r.Components), Match: addressToProto(r.Match), Confidence: r.Confidence}
	for _, c := range r.Alternatives {
		resp.Alternatives = append(resp.Alternatives, &spatialv1.AddressCandidate{Address: addressToProto(c.Address), Confidence: c.Confidence})
	}
	return resp, nil
}

func (h *Handler) FindAddressesWithin(ctx context.Context, req *spatialv1.FindAddressesWithinRequest) (*spatialv1.FindAddressesWithinResponse, error) {
	area, err := areaFromProto(req.GetBbox(), req.GetCircle())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	ls, next, err := h.svc.AddressesWithin(ctx, spatial.WithinQuery{Area: area, Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(), At: at})
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.FindAddressesWithinResponse{NextPageToken: next}
	for _, l := range ls {
		resp.Results = append(resp.Results, &spatialv1.LocatedAddress{Address: addressToProto(l.Address), DistanceMeters: l.Distance})
	}
	return resp, nil
}

func (h *Handler) ReverseGeocode(ctx context.Context, req *spatialv1.ReverseGeocodeRequest) (*spatialv1.ReverseGeocodeResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	ls, err := h.svc.ReverseGeocode(ctx, spatial.ReverseQuery{Location: locationFromProto(req.GetLocation()), MaxResults: int(req.GetMaxResults()),
		MaxDistance: req.GetMaxDistanceMeters(), At: at})
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.ReverseGeocodeResponse{}
	for _, l := range ls {
		resp.Results = append(resp.Results, &spatialv1.LocatedAddress{Address: addressToProto(l.Address), DistanceMeters: l.Distance})
	}
	return resp, nil
}

// ——— Features ———

func (h *Handler) CreateFeature(ctx context.Context, req *spatialv1.CreateFeatureRequest) (*spatialv1.Feature, error) {
	f, err := featureFromProto(req.GetFeature())
	if err != nil {
		return nil, err
	}
	f, err = h.svc.CreateFeature(ctx, f, spatial.CreateOptions{ID: req.GetFeatureId(), EffectiveFrom: apiconv.Time(req.GetEffectiveTime()), ValidateOnly: req.GetValidateOnly()})
	if err != nil {
		return nil, err
	}
	return featureToProto(f)
}

func (h *Handler) GetFeature(ctx context.Context, req *spatialv1.GetFeatureRequest) (*spatialv1.Feature, error) {
	id, err := apiconv.ParseName(req.GetName(), spatial.Features, "name")
	if err != nil {
		return nil, err
	}
	paths, err := readMask(&spatialv1.Feature{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	f, err := h.svc.GetFeature(ctx, id, at)
	if err != nil {
		return nil, err
	}
	out, err := featureToProto(f)
	if err != nil {
		return nil, err
	}
	protomask.Apply(out, paths, "name")
	return out, nil
}

func (h *Handler) UpdateFeature(ctx context.Context, req *spatialv1.UpdateFeatureRequest) (*spatialv1.Feature, error) {
	in := req.GetFeature()
	id, err := apiconv.ParseName(in.GetName(), spatial.Features, "feature.name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(in.GetEtag(), "feature.etag")
	if err != nil {
		return nil, err
	}
	f, err := featureFromProto(in)
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&spatialv1.Feature{}, req.GetUpdateMask().GetPaths())
	f, err = h.svc.UpdateFeature(ctx, id, f, paths, updateOptions(revision, req.GetValidateOnly(), req.GetEffectiveTime(), req.GetCorrection()))
	if err != nil {
		return nil, err
	}
	return featureToProto(f)
}

func (h *Handler) ListFeatures(ctx context.Context, req *spatialv1.ListFeaturesRequest) (*spatialv1.ListFeaturesResponse, error) {
	paths, err := readMask(&spatialv1.Feature{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	fs, next, err := h.svc.ListFeatures(ctx, listQuery(req.GetPageSize(), req.GetPageToken(), req.GetFilter(), req.GetOrderBy(), at, req.GetShowRetired()))
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.ListFeaturesResponse{NextPageToken: next}
	for _, f := range fs {
		m, err := featureToProto(f)
		if err != nil {
			return nil, err
		}
		protomask.Apply(m, paths, "name")
		resp.Features = append(resp.Features, m)
	}
	return resp, nil
}

func (h *Handler) SearchFeatures(ctx context.Context, req *spatialv1.SearchFeaturesRequest) (*spatialv1.SearchFeaturesResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	hits, next, err := h.svc.SearchFeatures(ctx, searchQuery(req.GetQuery(), req.GetPageSize(), req.GetPageToken(), req.GetFilter(), at, req.GetShowRetired()))
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.SearchFeaturesResponse{NextPageToken: next}
	for _, hit := range hits {
		m, err := featureToProto(hit.Record)
		if err != nil {
			return nil, err
		}
		resp.Results = append(resp.Results, &spatialv1.FeatureSearchResult{Feature: m, Score: hit.Score})
	}
	return resp, nil
}

func (h *Handler) DeleteFeature(ctx context.Context, req *spatialv1.DeleteFeatureRequest) (*spatialv1.Feature, error) {
	id, err := apiconv.ParseName(req.GetName(), spatial.Features, "name")
	if err != nil {
		return nil, err
	}
	o, err := deleteOptions(req.GetEtag(), req.GetEffectiveTime())
	if err != nil {
		return nil, err
	}
	f, err := h.svc.DeleteFeature(ctx, id, o)
	if err != nil {
		return nil, err
	}
	return featureToProto(f)
}

func (h *Handler) ListFeatureVersions(ctx context.Context, req *spatialv1.ListFeatureVersionsRequest) (*spatialv1.ListFeatureVersionsResponse, error) {
	id, err := apiconv.ParseName(req.GetName(), spatial.Features, "name")
	if err != nil {
		return nil, err
	}
	vs, next, err := h.svc.FeatureVersions(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.ListFeatureVersionsResponse{NextPageToken: next}
	for _, v := range vs {
		m, err := featureToProto(v)
		if err != nil {
			return nil, err
		}
		resp.Versions = append(resp.Versions, m)
	}
	return resp, nil
}

func (h *Handler) FindFeaturesWithin(ctx context.Context, req *spatialv1.FindFeaturesWithinRequest) (*spatialv1.FindFeaturesWithinResponse, error) {
	area, err := areaFromProto(req.GetBbox(), req.GetCircle())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	fs, next, err := h.svc.FeaturesWithin(ctx, spatial.WithinQuery{Area: area, Kinds: kindsFromProto(req.GetKinds()), Filter: req.GetFilter(),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(), At: at})
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.FindFeaturesWithinResponse{NextPageToken: next}
	for _, f := range fs {
		m, err := featureToProto(f)
		if err != nil {
			return nil, err
		}
		resp.Features = append(resp.Features, m)
	}
	return resp, nil
}

func (h *Handler) FindFeaturesContaining(ctx context.Context, req *spatialv1.FindFeaturesContainingRequest) (*spatialv1.FindFeaturesContainingResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	fs, err := h.svc.FeaturesContaining(ctx, spatial.ContainingQuery{Point: locationFromProto(req.GetPoint()), Kinds: kindsFromProto(req.GetKinds()), At: at})
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.FindFeaturesContainingResponse{}
	for _, f := range fs {
		m, err := featureToProto(f)
		if err != nil {
			return nil, err
		}
		resp.Features = append(resp.Features, m)
	}
	return resp, nil
}

func (h *Handler) ListFeaturesGeoJson(ctx context.Context, req *spatialv1.ListFeaturesGeoJsonRequest) (*httpbody.HttpBody, error) {
	bound := boundFromProto(req.GetBbox())
	if bound == nil {
		return nil, errs.Field("bbox", "is required")
	}
	body, err := h.svc.FeaturesGeoJSON(ctx, spatial.GeoJSONQuery{Bound: *bound, Kinds: kindsFromProto(req.GetKinds()),
		Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	return &httpbody.HttpBody{ContentType: spatial.GeoJSONMediaType, Data: body}, nil
}

// ——— The change feed ———

func changeToProto(c spatial.Change) (*spatialv1.SpatialChange, error) {
	m := &spatialv1.SpatialChange{Sequence: c.Sequence, Name: c.Collection + "/" + c.Key, Action: apiconv.Action(c.Action), Version: apiconv.VersionInfo(c.Version)}
	switch {
	case c.Division != nil:
		m.Record = &spatialv1.SpatialChange_Division{Division: divisionToProto(c.Division)}
	case c.Address != nil:
		m.Record = &spatialv1.SpatialChange_Address{Address: addressToProto(c.Address)}
	case c.Feature != nil:
		f, err := featureToProto(c.Feature)
		if err != nil {
			return nil, err
		}
		m.Record = &spatialv1.SpatialChange_Feature{Feature: f}
	}
	return m, nil
}

func (h *Handler) ListSpatialChanges(ctx context.Context, req *spatialv1.ListSpatialChangesRequest) (*spatialv1.ListSpatialChangesResponse, error) {
	cs, head, err := h.svc.Changes(ctx, req.GetAfterSequence(), int(req.GetMax()))
	if err != nil {
		return nil, err
	}
	resp := &spatialv1.ListSpatialChangesResponse{HeadSequence: head}
	for _, c := range cs {
		m, err := changeToProto(c)
		if err != nil {
			return nil, err
		}
		resp.Changes = append(resp.Changes, m)
	}
	return resp, nil
}

func (h *Handler) WatchSpatialChanges(req *spatialv1.WatchSpatialChangesRequest, stream spatialv1.SpatialService_WatchSpatialChangesServer) error {
	return h.svc.Watch(stream.Context(), req.GetAfterSequence(), func(cs []spatial.Change) error {
		for _, c := range cs {
			m, err := changeToProto(c)
			if err != nil {
				return err
			}
			if err := stream.Send(m); err != nil {
				return err
			}
		}
		return nil
	})
}

func (h *Handler) ExportSpatialRecords(req *spatialv1.ExportSpatialRecordsRequest, stream spatialv1.SpatialService_ExportSpatialRecordsServer) error {
	head := req.GetAtSequence()
	if head == 0 {
		var err error
		if _, head, err = h.svc.Changes(stream.Context(), 0, 1); err != nil {
			return err
		}
	}
	if err := stream.Send(&spatialv1.ExportSpatialRecordsResponse{Sequence: head}); err != nil {
		return err
	}
	_, err := h.svc.Export(stream.Context(), head, func(r spatial.Record) error {
		m := &spatialv1.ExportSpatialRecordsResponse{Sequence: head}
		switch {
		case r.Division != nil:
			m.Record = &spatialv1.ExportSpatialRecordsResponse_Division{Division: divisionToProto(r.Division)}
		case r.Address != nil:
			m.Record = &spatialv1.ExportSpatialRecordsResponse_Address{Address: addressToProto(r.Address)}
		case r.Feature != nil:
			f, err := featureToProto(r.Feature)
			if err != nil {
				return err
			}
			m.Record = &spatialv1.ExportSpatialRecordsResponse_Feature{Feature: f}
		}
		return stream.Send(m)
	})
	return err
}

func (h *Handler) ExportSpatialDelta(req *spatialv1.ExportSpatialDeltaRequest, stream spatialv1.SpatialService_ExportSpatialDeltaServer) error {
	return h.svc.Delta(stream.Context(), req.GetAfterSequence(), req.GetUpToSequence(), func(c spatial.Change) error {
		m, err := changeToProto(c)
		if err != nil {
			return err
		}
		return stream.Send(m)
	})
}
