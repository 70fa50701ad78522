// Package api is the gRPC face of the legal-entity registry: it translates
// between the proto messages and the domain, and nothing more. Rules live in
// package legalentity; errors are mapped by the kit's server.
package api

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/protomask"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/legalentity"
)

// ServiceName is the full proto name of the service.
const ServiceName = "zhbase.legalentity.v1.LegalEntityService"

// Handler implements legalentityv1.LegalEntityServiceServer.
type Handler struct {
	legalentityv1.UnimplementedLegalEntityServiceServer
	svc *legalentity.Service
}

// Register adds the service to srv and marks it serving.
func Register(srv *server.Server, svc *legalentity.Service) {
	legalentityv1.RegisterLegalEntityServiceServer(srv.GRPC(), &Handler{svc: svc})
	srv.SetServing(ServiceName)
}

func (h *Handler) CreateLegalEntity(ctx context.Context, req *legalentityv1.CreateLegalEntityRequest) (*legalentityv1.LegalEntity, error) {
	e, err := h.svc.Create(ctx, fromProto(req.GetLegalEntity()), legalentity.CreateOptions{
		LenientCheckCharacter: req.GetLenientCheckCharacter(),
		ValidateOnly:          req.GetValidateOnly(),
	})
	if err != nil {
		return nil, err
	}
	return toProto(e), nil
}

func (h *Handler) GetLegalEntity(ctx context.Context, req *legalentityv1.GetLegalEntityRequest) (*legalentityv1.LegalEntity, error) {
	uscc, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&legalentityv1.LegalEntity{}, req.GetReadMask().GetPaths())
	if err := protomask.Check(&legalentityv1.LegalEntity{}, paths, "read_mask"); err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	e, err := h.svc.Get(ctx, uscc, at)
	if err != nil {
		return nil, err
	}
	out := toProto(e)
	protomask.Apply(out, paths, "name")
	return out, nil
}

func (h *Handler) UpdateLegalEntity(ctx context.Context, req *legalentityv1.UpdateLegalEntityRequest) (*legalentityv1.LegalEntity, error) {
	in := req.GetLegalEntity()
	uscc, err := parseName(in.GetName(), "legal_entity.name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(in.GetEtag(), "legal_entity.etag")
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&legalentityv1.LegalEntity{}, req.GetUpdateMask().GetPaths())
	e, err := h.svc.Update(ctx, uscc, fromProto(in), paths, legalentity.UpdateOptions{
		Revision: revision, ValidateOnly: req.GetValidateOnly(),
		EffectiveFrom: apiconv.Time(req.GetEffectiveTime()), Correction: req.GetCorrection(),
	})
	if err != nil {
		return nil, err
	}
	return toProto(e), nil
}

func (h *Handler) ListLegalEntities(ctx context.Context, req *legalentityv1.ListLegalEntitiesRequest) (*legalentityv1.ListLegalEntitiesResponse, error) {
	paths := protomask.Normalize(&legalentityv1.LegalEntity{}, req.GetReadMask().GetPaths())
	if err := protomask.Check(&legalentityv1.LegalEntity{}, paths, "read_mask"); err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.List(ctx, legalentity.ListQuery{
		Filter: req.GetFilter(), OrderBy: req.GetOrderBy(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(),
	})
	if err != nil {
		return nil, err
	}
	resp := &legalentityv1.ListLegalEntitiesResponse{NextPageToken: p.NextPageToken}
	for _, e := range p.Entities {
		m := toProto(e)
		protomask.Apply(m, paths, "name")
		resp.LegalEntities = append(resp.LegalEntities, m)
	}
	return resp, nil
}

func (h *Handler) SearchLegalEntities(ctx context.Context, req *legalentityv1.SearchLegalEntitiesRequest) (*legalentityv1.SearchLegalEntitiesResponse, error) {
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	p, err := h.svc.Search(ctx, legalentity.SearchQuery{
		Query: req.GetQuery(), Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(),
	})
	if err != nil {
		return nil, err
	}
	resp := &legalentityv1.SearchLegalEntitiesResponse{NextPageToken: p.NextPageToken}
	for _, hit := range p.Hits {
		resp.Results = append(resp.Results, &legalentityv1.SearchResult{
			LegalEntity: toProto(hit.Entity), Score: hit.Score, MatchedName: hit.MatchedName,
		})
	}
	return resp, nil
}

func (h *Handler) DeleteLegalEntity(ctx context.Context, req *legalentityv1.DeleteLegalEntityRequest) (*legalentityv1.LegalEntity, error) {
	uscc, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(req.GetEtag(), "etag")
	if err != nil {
		return nil, err
	}
	e, err := h.svc.Delete(ctx, uscc, legalentity.DeleteOptions{Revision: revision, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return toProto(e), nil
}

func (h *Handler) RenameLegalEntity(ctx context.Context, req *legalentityv1.RenameLegalEntityRequest) (*legalentityv1.LegalEntity, error) {
	uscc, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(req.GetEtag(), "etag")
	if err != nil {
		return nil, err
	}
	e, err := h.svc.Rename(ctx, uscc, req.GetNewUscc(), legalentity.RenameOptions{Revision: revision, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return toProto(e), nil
}

func (h *Handler) ListLegalEntityVersions(ctx context.Context, req *legalentityv1.ListLegalEntityVersionsRequest) (*legalentityv1.ListLegalEntityVersionsResponse, error) {
	uscc, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	vs, next, err := h.svc.Versions(ctx, uscc, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &legalentityv1.ListLegalEntityVersionsResponse{NextPageToken: next}
	for _, v := range vs {
		resp.Versions = append(resp.Versions, toProto(v))
	}
	return resp, nil
}

func (h *Handler) ListLegalEntityChanges(ctx context.Context, req *legalentityv1.ListLegalEntityChangesRequest) (*legalentityv1.ListLegalEntityChangesResponse, error) {
	cs, head, err := h.svc.Changes(ctx, req.GetAfterSequence(), int(req.GetMax()))
	if err != nil {
		return nil, err
	}
	resp := &legalentityv1.ListLegalEntityChangesResponse{HeadSequence: head}
	for _, c := range cs {
		resp.Changes = append(resp.Changes, changeProto(c))
	}
	return resp, nil
}

func (h *Handler) WatchLegalEntityChanges(req *legalentityv1.WatchLegalEntityChangesRequest, stream legalentityv1.LegalEntityService_WatchLegalEntityChangesServer) error {
	return h.svc.Watch(stream.Context(), req.GetAfterSequence(), func(cs []legalentity.Change) error {
		for _, c := range cs {
			if err := stream.Send(changeProto(c)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (h *Handler) ExportLegalEntities(req *legalentityv1.ExportLegalEntitiesRequest, stream legalentityv1.LegalEntityService_ExportLegalEntitiesServer) error {
	head := req.GetAtSequence()
	if head == 0 {
		var err error
		if _, head, err = h.svc.Changes(stream.Context(), 0, 1); err != nil {
			return err
		}
	}
	if err := stream.Send(&legalentityv1.ExportLegalEntitiesResponse{Sequence: head}); err != nil {
		return err
	}
	_, err := h.svc.Export(stream.Context(), head, func(e *legalentity.LegalEntity) error {
		return stream.Send(&legalentityv1.ExportLegalEntitiesResponse{Sequence: head, LegalEntity: toProto(e)})
	})
	return err
}

func (h *Handler) ExportLegalEntityDelta(req *legalentityv1.ExportLegalEntityDeltaRequest, stream legalentityv1.LegalEntityService_ExportLegalEntityDeltaServer) error {
	return h.svc.Delta(stream.Context(), req.GetAfterSequence(), req.GetUpToSequence(), func(c legalentity.Change) error {
		return stream.Send(changeProto(c))
	})
}

func redirectName(uscc string) string { return apiconv.Name("legalEntities", uscc) }

func changeProto(c legalentity.Change) *legalentityv1.LegalEntityChange {
	return &legalentityv1.LegalEntityChange{
		Sequence:    c.Sequence,
		Name:        legalentity.ResourceName(c.USCC),
		Action:      apiconv.Action(c.Action),
		Version:     apiconv.VersionInfo(c.Version),
		LegalEntity: toProto(c.Entity),
	}
}

// parseName extracts the USCC from `legalEntities/{uscc}`.
func parseName(name, field string) (string, error) {
	return apiconv.ParseName(name, "legalEntities", field)
}

func fromProto(m *legalentityv1.LegalEntity) *legalentity.LegalEntity {
	e := &legalentity.LegalEntity{
		USCC:                  m.GetUscc(),
		Name:                  m.GetDisplayName(),
		FormerNames:           m.GetFormerNames(),
		Representative:        legalentity.Representative{Name: m.GetLegalRepresentative().GetName(), IDNumber: m.GetLegalRepresentative().GetIdNumber()},
		Capital:               legalentity.Money{Amount: m.GetRegisteredCapital().GetAmount(), Currency: m.GetRegisteredCapital().GetCurrency()},
		EstablishedOn:         m.GetEstablishmentDate(),
		RegistrationAuthority: m.GetRegistrationAuthority(),
		BusinessScope:         m.GetBusinessScope(),
		IndustryCode:          m.GetIndustryCode(),
		Address:               legalentity.Address{Text: m.GetRegisteredAddress().GetText(), DivisionCode: m.GetRegisteredAddress().GetDivisionCode()},
		StatusDate:            m.GetStatusDate(),
	}
	if t := m.GetEntityType(); t != legalentityv1.EntityType_ENTITY_TYPE_UNSPECIFIED {
		e.Type = legalentity.Type(strings.TrimPrefix(t.String(), "ENTITY_TYPE_"))
	}
	if s := m.GetStatus(); s != legalentityv1.EntityStatus_ENTITY_STATUS_UNSPECIFIED {
		e.Status = legalentity.Status(strings.TrimPrefix(s.String(), "ENTITY_STATUS_"))
	}
	return e
}

func toProto(e *legalentity.LegalEntity) *legalentityv1.LegalEntity {
	m := &legalentityv1.LegalEntity{
		Name:                  legalentity.ResourceName(e.USCC),
		Uscc:                  e.USCC,
		DisplayName:           e.Name,
		FormerNames:           e.FormerNames,
		EntityType:            legalentityv1.EntityType(legalentityv1.EntityType_value["ENTITY_TYPE_"+string(e.Type)]),
		EstablishmentDate:     e.EstablishedOn,
		RegistrationAuthority: e.RegistrationAuthority,
		BusinessScope:         e.BusinessScope,
		IndustryCode:          e.IndustryCode,
		Status:                legalentityv1.EntityStatus(legalentityv1.EntityStatus_value["ENTITY_STATUS_"+string(e.Status)]),
		StatusDate:            e.StatusDate,
		CheckCharacterInvalid: e.CheckCharInvalid,
		CreateTime:            timestamppb.New(e.CreateTime),
		UpdateTime:            timestamppb.New(e.UpdateTime),
		Etag:                  apiconv.Etag(e.Revision),
		Retired:               e.Retired,
		RedirectedFrom:        redirectName(e.RedirectedFrom),
		Version:               apiconv.VersionInfo(e.Version),
	}
	if e.Representative != (legalentity.Representative{}) {
		m.LegalRepresentative = &legalentityv1.LegalRepresentative{Name: e.Representative.Name, IdNumber: e.Representative.IDNumber}
	}
	if e.Capital != (legalentity.Money{}) {
		m.RegisteredCapital = &legalentityv1.Money{Amount: e.Capital.Amount, Currency: e.Capital.Currency}
	}
	if e.Address != (legalentity.Address{}) {
		m.RegisteredAddress = &legalentityv1.Address{Text: e.Address.Text, DivisionCode: e.Address.DivisionCode}
	}
	return m
}
