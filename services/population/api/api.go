// Package api is the gRPC face of the population registry: it translates
// between the proto messages and the domain, and nothing more. Rules and
// masking live in package population; errors are mapped by the kit's
// server.
package api

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/protomask"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/population"
)

// ServiceName is the full proto name of the service.
const ServiceName = "zhbase.population.v1.PopulationService"

// Handler implements populationv1.PopulationServiceServer.
type Handler struct {
	populationv1.UnimplementedPopulationServiceServer
	svc *population.Service
}

// Register adds the service to srv and marks it serving.
func Register(srv *server.Server, svc *population.Service) {
	populationv1.RegisterPopulationServiceServer(srv.GRPC(), &Handler{svc: svc})
	srv.SetServing(ServiceName)
}

func personID(name, field string) (string, error) {
	return apiconv.ParseName(name, population.PersonCollection, field)
}

func householdID(name, field string) (string, error) {
	return apiconv.ParseName(name, population.HouseholdCollection, field)
}

// readMask normalises and checks a read mask against msg's type.
func readMask(msg proto.Message, paths []string) ([]string, error) {
	paths = protomask.Normalize(msg, paths)
	return paths, protomask.Check(msg, paths, "read_mask")
}

func (h *Handler) CreatePerson(ctx context.Context, req *populationv1.CreatePersonRequest) (*populationv1.Person, error) {
	p, err := h.svc.CreatePerson(ctx, personFromProto(req.GetPerson()), population.CreatePersonOptions{
		ValidateOnly: req.GetValidateOnly(), LegacyIDNumber: req.GetLegacyIdNumber(), EffectiveFrom: apiconv.Time(req.GetEffectiveTime()),
	})
	if err != nil {
		return nil, err
	}
	return personToProto(p), nil
}

func (h *Handler) GetPerson(ctx context.Context, req *populationv1.GetPersonRequest) (*populationv1.Person, error) {
	id, err := personID(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	paths, err := readMask(&populationv1.Person{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.GetPerson(ctx, id, at)
	if err != nil {
		return nil, err
	}
	out := personToProto(p)
	protomask.Apply(out, paths, "name")
	return out, nil
}

func (h *Handler) UpdatePerson(ctx context.Context, req *populationv1.UpdatePersonRequest) (*populationv1.Person, error) {
	in := req.GetPerson()
	id, err := personID(in.GetName(), "person.name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(in.GetEtag(), "person.etag")
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&populationv1.Person{}, req.GetUpdateMask().GetPaths())
	p, err := h.svc.UpdatePerson(ctx, id, personFromProto(in), paths, population.UpdateOptions{
		Revision: revision, ValidateOnly: req.GetValidateOnly(),
		EffectiveFrom: apiconv.Time(req.GetEffectiveTime()), Correction: req.GetCorrection(),
	})
	if err != nil {
		return nil, err
	}
	return personToProto(p), nil
}

func (h *Handler) ListPersons(ctx context.Context, req *populationv1.ListPersonsRequest) (*populationv1.ListPersonsResponse, error) {
	paths, err := readMask(&populationv1.Person{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.ListPersons(ctx, population.ListQuery{
		Filter: req.GetFilter(), OrderBy: req.GetOrderBy(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(),
	})
	if err != nil {
		return nil, err
	}
	resp := &populationv1.ListPersonsResponse{NextPageToken: p.NextPageToken}
	for _, x := range p.Persons {
		m := personToProto(x)
		protomask.Apply(m, paths, "name", "uid")
		resp.Persons = append(resp.Persons, m)
	}
	return resp, nil
}

func (h *Handler) SearchPersons(ctx context.Context, req *populationv1.SearchPersonsRequest) (*populationv1.SearchPersonsResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.SearchPersons(ctx, population.SearchQuery{
		Query: req.GetQuery(), BirthDate: req.GetBirthDate(), Address: req.GetAddress(), Household: req.GetHousehold(),
		Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(),
	})
	if err != nil {
		return nil, err
	}
	resp := &populationv1.SearchPersonsResponse{NextPageToken: p.NextPageToken}
	for _, hit := range p.Hits {
		resp.Results = append(resp.Results, &populationv1.PersonSearchResult{
			Person: personToProto(hit.Person), Score: hit.Score, MatchedName: hit.MatchedName,
		})
	}
	return resp, nil
}

func (h *Handler) DeletePerson(ctx context.Context, req *populationv1.DeletePersonRequest) (*populationv1.Person, error) {
	id, err := personID(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(req.GetEtag(), "etag")
	if err != nil {
		return nil, err
	}
	p, err := h.svc.DeletePerson(ctx, id, population.DeleteOptions{Revision: revision, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return personToProto(p), nil
}

func (h *Handler) RenamePerson(ctx context.Context, req *populationv1.RenamePersonRequest) (*populationv1.Person, error) {
	id, err := personID(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(req.GetEtag(), "etag")
	if err != nil {
		return nil, err
	}
	p, err := h.svc.RenamePerson(ctx, id, req.GetNewIdNumber(), population.RenameOptions{Revision: revision, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return personToProto(p), nil
}

func (h *Handler) ListPersonVersions(ctx context.Context, req *populationv1.ListPersonVersionsRequest) (*populationv1.ListPersonVersionsResponse, error) {
	id, err := personID(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	vs, next, err := h.svc.PersonVersions(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &populationv1.ListPersonVersionsResponse{NextPageToken: next}
	for _, v := range vs {
		resp.Versions = append(resp.Versions, personToProto(v))
	}
	return resp, nil
}

func (h *Handler) CreateHousehold(ctx context.Context, req *populationv1.CreateHouseholdRequest) (*populationv1.Household, error) {
	in := householdFromProto(req.GetHousehold())
	in.ID = req.GetHouseholdId()
	hh, err := h.svc.CreateHousehold(ctx, in, population.CreateHouseholdOptions{
		ValidateOnly: req.GetValidateOnly(), EffectiveFrom: apiconv.Time(req.GetEffectiveTime()),
	})
	if err != nil {
		return nil, err
	}
	return householdToProto(hh), nil
}

func (h *Handler) GetHousehold(ctx context.Context, req *populationv1.GetHouseholdRequest) (*populationv1.Household, error) {
	id, err := householdID(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	paths, err := readMask(&populationv1.Household{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	hh, err := h.svc.GetHousehold(ctx, id, at)
	if err != nil {
		return nil, err
	}
	out := householdToProto(hh)
	protomask.Apply(out, paths, "name")
	return out, nil
}

func (h *Handler) UpdateHousehold(ctx context.Context, req *populationv1.UpdateHouseholdRequest) (*populationv1.Household, error) {
	in := req.GetHousehold()
	id, err := householdID(in.GetName(), "household.name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(in.GetEtag(), "household.etag")
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&populationv1.Household{}, req.GetUpdateMask().GetPaths())
	hh, err := h.svc.UpdateHousehold(ctx, id, householdFromProto(in), paths, population.UpdateOptions{
		Revision: revision, ValidateOnly: req.GetValidateOnly(),
		EffectiveFrom: apiconv.Time(req.GetEffectiveTime()), Correction: req.GetCorrection(),
	})
	if err != nil {
		return nil, err
	}
	return householdToProto(hh), nil
}

func (h *Handler) ListHouseholds(ctx context.Context, req *populationv1.ListHouseholdsRequest) (*populationv1.ListHouseholdsResponse, error) {
	paths, err := readMask(&populationv1.Household{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.ListHouseholds(ctx, population.ListQuery{
		Filter: req.GetFilter(), OrderBy: req.GetOrderBy(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(),
	})
	if err != nil {
		return nil, err
	}
	resp := &populationv1.ListHouseholdsResponse{NextPageToken: p.NextPageToken}
	for _, x := range p.Households {
		m := householdToProto(x)
		protomask.Apply(m, paths, "name")
		resp.Households = append(resp.Households, m)
	}
	return resp, nil
}

func (h *Handler) DeleteHousehold(ctx context.Context, req *populationv1.DeleteHouseholdRequest) (*populationv1.Household, error) {
	id, err := householdID(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(req.GetEtag(), "etag")
	if err != nil {
		return nil, err
	}
	hh, err := h.svc.DeleteHousehold(ctx, id, population.DeleteOptions{Revision: revision, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return householdToProto(hh), nil
}

func (h *Handler) MergeHouseholds(ctx context.Context, req *populationv1.MergeHouseholdsRequest) (*populationv1.Household, error) {
	into, err := householdID(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	merged, err := householdID(req.GetMergedHousehold(), "merged_household")
	if err != nil {
		return nil, err
	}
	var relations map[string]population.Relation
	if len(req.GetRelations()) > 0 {
		relations = make(map[string]population.Relation, len(req.GetRelations()))
		for name, r := range req.GetRelations() {
			relations[name] = relationFromProto(r)
		}
	}
	hh, err := h.svc.MergeHouseholds(ctx, into, merged, population.MergeOptions{Relations: relations, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return householdToProto(hh), nil
}

func (h *Handler) ListHouseholdVersions(ctx context.Context, req *populationv1.ListHouseholdVersionsRequest) (*populationv1.ListHouseholdVersionsResponse, error) {
	id, err := householdID(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	vs, next, err := h.svc.HouseholdVersions(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &populationv1.ListHouseholdVersionsResponse{NextPageToken: next}
	for _, v := range vs {
		resp.Versions = append(resp.Versions, householdToProto(v))
	}
	return resp, nil
}

func (h *Handler) ListHouseholdMembers(ctx context.Context, req *populationv1.ListHouseholdMembersRequest) (*populationv1.ListHouseholdMembersResponse, error) {
	id, err := householdID(req.GetParent(), "parent")
	if err != nil {
		return nil, err
	}
	paths, err := readMask(&populationv1.Person{}, req.GetReadMask().GetPaths())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.ListHouseholdMembers(ctx, id, population.MembersOptions{
		IncludeFormer: req.GetIncludeFormer(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(), At: at,
	})
	if err != nil {
		return nil, err
	}
	resp := &populationv1.ListHouseholdMembersResponse{NextPageToken: p.NextPageToken}
	for _, x := range p.Persons {
		m := personToProto(x)
		protomask.Apply(m, paths, "name", "uid")
		resp.Members = append(resp.Members, m)
	}
	return resp, nil
}

func (h *Handler) ListPopulationChanges(ctx context.Context, req *populationv1.ListPopulationChangesRequest) (*populationv1.ListPopulationChangesResponse, error) {
	cs, head, err := h.svc.Changes(ctx, req.GetAfterSequence(), int(req.GetMax()))
	if err != nil {
		return nil, err
	}
	resp := &populationv1.ListPopulationChangesResponse{HeadSequence: head}
	for _, c := range cs {
		resp.Changes = append(resp.Changes, changeToProto(c))
	}
	return resp, nil
}

func (h *Handler) WatchPopulationChanges(req *populationv1.WatchPopulationChangesRequest, stream populationv1.PopulationService_WatchPopulationChangesServer) error {
	return h.svc.Watch(stream.Context(), req.GetAfterSequence(), func(cs []population.Change) error {
		for _, c := range cs {
			if err := stream.Send(changeToProto(c)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (h *Handler) ExportPopulation(req *populationv1.ExportPopulationRequest, stream populationv1.PopulationService_ExportPopulationServer) error {
	at := req.GetAtSequence()
	if at == 0 {
		var err error
		if _, at, err = h.svc.Changes(stream.Context(), 0, 1); err != nil {
			return err
		}
	}
	if err := stream.Send(&populationv1.ExportPopulationResponse{Sequence: at}); err != nil {
		return err
	}
	_, err := h.svc.Export(stream.Context(), at, func(r population.Record) error {
		m := &populationv1.ExportPopulationResponse{Sequence: at}
		if r.Household != nil {
			m.Resource = &populationv1.ExportPopulationResponse_Household{Household: householdToProto(r.Household)}
		} else {
			m.Resource = &populationv1.ExportPopulationResponse_Person{Person: personToProto(r.Person)}
		}
		return stream.Send(m)
	})
	return err
}

func (h *Handler) ExportPopulationDelta(req *populationv1.ExportPopulationDeltaRequest, stream populationv1.PopulationService_ExportPopulationDeltaServer) error {
	return h.svc.Delta(stream.Context(), req.GetAfterSequence(), req.GetUpToSequence(), func(c population.Change) error {
		return stream.Send(changeToProto(c))
	})
}

func changeToProto(c population.Change) *populationv1.PopulationChange {
	m := &populationv1.PopulationChange{
		Sequence: c.Sequence,
		Name:     c.Name,
		Action:   apiconv.Action(c.Action),
		Version:  apiconv.VersionInfo(c.Version),
	}
	switch {
	case c.Person != nil:
		m.Resource = &populationv1.PopulationChange_Person{Person: personToProto(c.Person)}
	case c.Household != nil:
		m.Resource = &populationv1.PopulationChange_Household{Household: householdToProto(c.Household)}
	}
	return m
}

// enumName turns a domain value into its API enum number: prefix + value,
// 0 (UNSPECIFIED) for an empty or unknown value.
func enumName[T ~int32](values map[string]int32, prefix, v string) T {
	if v == "" {
		return 0
	}
	return T(values[prefix+v])
}

// enumValue turns an API enum into its domain value, "" for UNSPECIFIED.
func enumValue(name, prefix string, n int32) string {
	if n == 0 {
		return ""
	}
	return strings.TrimPrefix(name, prefix)
}

func relationFromProto(r populationv1.Relation) population.Relation {
	return population.Relation(enumValue(r.String(), "RELATION_", int32(r)))
}

func personFromProto(m *populationv1.Person) *population.Person {
	return &population.Person{
		IDNumber:          m.GetIdNumber(),
		Name:              m.GetDisplayName(),
		FormerNames:       m.GetFormerNames(),
		Sex:               population.Sex(enumValue(m.GetSex().String(), "SEX_", int32(m.GetSex()))),
		BirthDate:         m.GetBirthDate(),
		Ethnicity:         m.GetEthnicity(),
		Household:         m.GetHousehold(),
		Relation:          relationFromProto(m.GetRelation()),
		RegisteredAddress: m.GetRegisteredAddress(),
		ResidenceAddress:  m.GetResidenceAddress(),
		Phone:             m.GetPhone(),
		Education:         population.Education(enumValue(m.GetEducation().String(), "EDUCATION_", int32(m.GetEducation()))),
		MaritalStatus:     population.MaritalStatus(enumValue(m.GetMaritalStatus().String(), "MARITAL_STATUS_", int32(m.GetMaritalStatus()))),
		Status:            population.Status(enumValue(m.GetStatus().String(), "PERSON_STATUS_", int32(m.GetStatus()))),
		StatusDate:        m.GetStatusDate(),
	}
}

func personToProto(p *population.Person) *populationv1.Person {
	return &populationv1.Person{
		Name:              population.PersonName(p.IDNumber),
		IdNumber:          p.IDNumber,
		DisplayName:       p.Name,
		FormerNames:       p.FormerNames,
		Sex:               enumName[populationv1.Sex](populationv1.Sex_value, "SEX_", string(p.Sex)),
		BirthDate:         p.BirthDate,
		Ethnicity:         p.Ethnicity,
		Household:         p.Household,
		Relation:          enumName[populationv1.Relation](populationv1.Relation_value, "RELATION_", string(p.Relation)),
		RegisteredAddress: p.RegisteredAddress,
		ResidenceAddress:  p.ResidenceAddress,
		Phone:             p.Phone,
		Education:         enumName[populationv1.Education](populationv1.Education_value, "EDUCATION_", string(p.Education)),
		MaritalStatus:     enumName[populationv1.MaritalStatus](populationv1.MaritalStatus_value, "MARITAL_STATUS_", string(p.MaritalStatus)),
		Status:            enumName[populationv1.PersonStatus](populationv1.PersonStatus_value, "PERSON_STATUS_", string(p.Status)),
		StatusDate:        p.StatusDate,
		Uid:               p.UID,
		CreateTime:        timestamppb.New(p.CreateTime),
		UpdateTime:        timestamppb.New(p.UpdateTime),
		Etag:              apiconv.Etag(p.Revision),
		Retired:           p.Retired,
		RedirectedFrom:    apiconv.Name(population.PersonCollection, p.RedirectedFrom),
		Version:           apiconv.VersionInfo(p.Version),
	}
}

func householdFromProto(m *populationv1.Household) *population.Household {
	return &population.Household{
		Number:            m.GetHouseholdNumber(),
		Type:              population.HouseholdType(enumValue(m.GetHouseholdType().String(), "HOUSEHOLD_TYPE_", int32(m.GetHouseholdType()))),
		RegisteredAddress: m.GetRegisteredAddress(),
	}
}

func householdToProto(h *population.Household) *populationv1.Household {
	return &populationv1.Household{
		Name:              population.HouseholdName(h.ID),
		HouseholdNumber:   h.Number,
		HouseholdType:     enumName[populationv1.HouseholdType](populationv1.HouseholdType_value, "HOUSEHOLD_TYPE_", string(h.Type)),
		RegisteredAddress: h.RegisteredAddress,
		Head:              apiconv.Name(population.PersonCollection, h.Head),
		MergedInto:        h.MergedInto,
		CreateTime:        timestamppb.New(h.CreateTime),
		UpdateTime:        timestamppb.New(h.UpdateTime),
		Etag:              apiconv.Etag(h.Revision),
		Retired:           h.Retired,
		RedirectedFrom:    apiconv.Name(population.HouseholdCollection, h.RedirectedFrom),
		Version:           apiconv.VersionInfo(h.Version),
	}
}
