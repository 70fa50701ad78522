// Package api is the gRPC face of the exchange platform: it translates
// between the proto messages and the domain, and nothing more. Rules, and
// who may do what, live in package exchange; errors are mapped by the
// kit's server, except that a refused credential's reason is passed on.
package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/protomask"
	"github.com/zhbase/zhbase/services/kit/server"
)

// ServiceName is the full proto name of the service.
const ServiceName = "zhbase.exchange.v1.ExchangeService"

// Media types of the catalogue export.
const (
	CSVMediaType  = "text/csv; charset=utf-8"
	JSONMediaType = "application/json"
)

// Handler implements exchangev1.ExchangeServiceServer.
type Handler struct {
	exchangev1.UnimplementedExchangeServiceServer
	svc *exchange.Service
}

// Register adds the service to srv and marks it serving.
func Register(srv *server.Server, svc *exchange.Service) {
	exchangev1.RegisterExchangeServiceServer(srv.GRPC(), &Handler{svc: svc})
	srv.SetServing(ServiceName)
}

// ——— Departments ———

func (h *Handler) CreateDepartment(ctx context.Context, req *exchangev1.CreateDepartmentRequest) (*exchangev1.Department, error) {
	d, err := h.svc.CreateDepartment(ctx, departmentFromProto(req.GetDepartment()))
	if err != nil {
		return nil, err
	}
	return departmentToProto(d), nil
}

func (h *Handler) GetDepartment(ctx context.Context, req *exchangev1.GetDepartmentRequest) (*exchangev1.Department, error) {
	code, err := apiconv.ParseName(req.GetName(), "departments", "name")
	if err != nil {
		return nil, err
	}
	d, err := h.svc.GetDepartment(ctx, code)
	if err != nil {
		return nil, err
	}
	return departmentToProto(d), nil
}

func (h *Handler) ListDepartments(ctx context.Context, req *exchangev1.ListDepartmentsRequest) (*exchangev1.ListDepartmentsResponse, error) {
	p, err := h.svc.ListDepartments(ctx, exchange.ListQuery{Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	resp := &exchangev1.ListDepartmentsResponse{NextPageToken: p.NextPageToken}
	for _, d := range p.Departments {
		resp.Departments = append(resp.Departments, departmentToProto(d))
	}
	return resp, nil
}

func (h *Handler) UpdateDepartment(ctx context.Context, req *exchangev1.UpdateDepartmentRequest) (*exchangev1.Department, error) {
	code, err := apiconv.ParseName(req.GetDepartment().GetName(), "departments", "department.name")
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&exchangev1.Department{}, req.GetUpdateMask().GetPaths())
	d, err := h.svc.UpdateDepartment(ctx, code, departmentFromProto(req.GetDepartment()), paths)
	if err != nil {
		return nil, err
	}
	return departmentToProto(d), nil
}

func departmentFromProto(m *exchangev1.Department) *exchange.Department {
	d := &exchange.Department{
		Code:        m.GetCode(),
		DisplayName: m.GetDisplayName(),
		Contact:     exchange.Contact{Person: m.GetContact().GetPerson(), Phone: m.GetContact().GetPhone(), Email: m.GetContact().GetEmail()},
		Admin:       m.GetAdmin(),
		RateLimit:   exchange.RateLimit{RequestsPerSecond: m.GetRateLimit().GetRequestsPerSecond(), Burst: m.GetRateLimit().GetBurst()},
		Division:    m.GetDivision(),
	}
	if s := m.GetStatus(); s != exchangev1.DepartmentStatus_DEPARTMENT_STATUS_UNSPECIFIED {
		d.Status = exchange.DepartmentStatus(strings.TrimPrefix(s.String(), "DEPARTMENT_STATUS_"))
	}
	return d
}

func departmentStatus(s exchange.DepartmentStatus) exchangev1.DepartmentStatus {
	return exchangev1.DepartmentStatus(exchangev1.DepartmentStatus_value["DEPARTMENT_STATUS_"+string(s)])
}

func rateLimitToProto(r exchange.RateLimit) *exchangev1.RateLimit {
	if r == (exchange.RateLimit{}) {
		return nil
	}
	return &exchangev1.RateLimit{RequestsPerSecond: r.RequestsPerSecond, Burst: r.Burst}
}

func departmentToProto(d *exchange.Department) *exchangev1.Department {
	m := &exchangev1.Department{
		Name:        exchange.DepartmentName(d.Code),
		Code:        d.Code,
		DisplayName: d.DisplayName,
		Status:      departmentStatus(d.Status),
		Admin:       d.Admin,
		RateLimit:   rateLimitToProto(d.RateLimit),
		Division:    d.Division,
		CreateTime:  apiconv.Timestamp(d.CreateTime),
		UpdateTime:  apiconv.Timestamp(d.UpdateTime),
	}
	if d.Contact != (exchange.Contact{}) {
		m.Contact = &exchangev1.Contact{Person: d.Contact.Person, Phone: d.Contact.Phone, Email: d.Contact.Email}
	}
	return m
}

// ——— Credentials ———

// parseCredentialName splits departments/{code}/credentials/{id}.
func parseCredentialName(name, field string) (department, id string, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "departments" || parts[2] != "credentials" || parts[1] == "" || parts[3] == "" {
		return "", "", errs.Field(field, "must look like departments/{code}/credentials/{id}, got %q", name)
	}
	return parts[1], parts[3], nil
}

// timeOf reads an optional timestamp, refusing one out of range.
func timeOf(ts *timestamppb.Timestamp, field string) (time.Time, error) {
	if ts == nil {
		return time.Time{}, nil
	}
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, errs.Field(field, "%v", err)
	}
	return ts.AsTime(), nil
}

func (h *Handler) CreateCredential(ctx context.Context, req *exchangev1.CreateCredentialRequest) (*exchangev1.CreateCredentialResponse, error) {
	department, err := apiconv.ParseName(req.GetParent(), "departments", "parent")
	if err != nil {
		return nil, err
	}
	expire, err := timeOf(req.GetCredential().GetExpireTime(), "credential.expire_time")
	if err != nil {
		return nil, err
	}
	in := &exchange.Credential{Application: req.GetCredential().GetApplication(), ExpireTime: expire}
	if k := req.GetCredential().GetKind(); k != exchangev1.CredentialKind_CREDENTIAL_KIND_UNSPECIFIED {
		in.Kind = exchange.CredentialKind(strings.TrimPrefix(k.String(), "CREDENTIAL_KIND_"))
	}
	c, secret, err := h.svc.CreateCredential(ctx, department, in)
	if err != nil {
		return nil, err
	}
	return &exchangev1.CreateCredentialResponse{Credential: credentialToProto(c), Secret: secret}, nil
}

func (h *Handler) GetCredential(ctx context.Context, req *exchangev1.GetCredentialRequest) (*exchangev1.Credential, error) {
	department, id, err := parseCredentialName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	c, err := h.svc.GetCredential(ctx, department, id)
	if err != nil {
		return nil, err
	}
	return credentialToProto(c), nil
}

func (h *Handler) ListCredentials(ctx context.Context, req *exchangev1.ListCredentialsRequest) (*exchangev1.ListCredentialsResponse, error) {
	department, err := apiconv.ParseName(req.GetParent(), "departments", "parent")
	if err != nil {
		return nil, err
	}
	p, err := h.svc.ListCredentials(ctx, department, exchange.ListQuery{PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	resp := &exchangev1.ListCredentialsResponse{NextPageToken: p.NextPageToken}
	for _, c := range p.Credentials {
		resp.Credentials = append(resp.Credentials, credentialToProto(c))
	}
	return resp, nil
}

func (h *Handler) RevokeCredential(ctx context.Context, req *exchangev1.RevokeCredentialRequest) (*exchangev1.Credential, error) {
	department, id, err := parseCredentialName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	c, err := h.svc.RevokeCredential(ctx, department, id)
	if err != nil {
		return nil, err
	}
	return credentialToProto(c), nil
}

func (h *Handler) RotateCredential(ctx context.Context, req *exchangev1.RotateCredentialRequest) (*exchangev1.RotateCredentialResponse, error) {
	department, id, err := parseCredentialName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	var o exchange.RotateOptions
	if g := req.GetGracePeriod(); g != nil {
		if err := g.CheckValid(); err != nil {
			return nil, errs.Field("grace_period", "%v", err)
		}
		d := g.AsDuration()
		o.GracePeriod = &d
	}
	if o.ExpireTime, err = timeOf(req.GetExpireTime(), "expire_time"); err != nil {
		return nil, err
	}
	c, secret, err := h.svc.RotateCredential(ctx, department, id, o)
	if err != nil {
		return nil, err
	}
	return &exchangev1.RotateCredentialResponse{Credential: credentialToProto(c), Secret: secret}, nil
}

// credentialToProto never carries a secret or its digest.
func credentialToProto(c *exchange.Credential) *exchangev1.Credential {
	return &exchangev1.Credential{
		Name:                     c.Name(),
		Application:              c.Application,
		Kind:                     exchangev1.CredentialKind(exchangev1.CredentialKind_value["CREDENTIAL_KIND_"+string(c.Kind)]),
		ExpireTime:               apiconv.Timestamp(c.ExpireTime),
		State:                    exchangev1.CredentialState(exchangev1.CredentialState_value["CREDENTIAL_STATE_"+string(c.State)]),
		CreateTime:               apiconv.Timestamp(c.CreateTime),
		IssueTime:                apiconv.Timestamp(c.IssueTime),
		PreviousSecretExpireTime: apiconv.Timestamp(c.PreviousExpireTime),
		RevokeTime:               apiconv.Timestamp(c.RevokeTime),
		Creator:                  c.Creator,
	}
}

func (h *Handler) Authenticate(ctx context.Context, req *exchangev1.AuthenticateRequest) (*exchangev1.AuthenticateResponse, error) {
	a, err := h.svc.Authenticate(ctx, req.GetCredential())
	var refused *exchange.AuthenticationError
	if errors.As(err, &refused) {
		// The reason is what the caller (the gateway) reports to the
		// application, so it travels as the ErrorInfo reason rather than
		// the kit's generic UNAUTHENTICATED.
		st := status.New(codes.Unauthenticated, refused.Error())
		if withInfo, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: string(refused.Reason), Domain: server.ErrorDomain}); derr == nil {
			st = withInfo
		}
		return nil, st.Err()
	}
	if err != nil {
		return nil, err
	}
	return &exchangev1.AuthenticateResponse{
		Department:  a.Identity.Department,
		Application: a.Identity.Application,
		Credential:  a.Identity.Credential,
		Admin:       a.Identity.Admin,
		ExpireTime:  apiconv.Timestamp(a.ExpireTime),
	}, nil
}

// ——— Signing keys ———

func signingKeyToProto(k *exchange.SigningKey, current bool) *exchangev1.SigningKey {
	return &exchangev1.SigningKey{Name: exchange.SigningKeyName(k.ID), PublicKey: k.PublicText(), Current: current, CreateTime: apiconv.Timestamp(k.CreateTime)}
}

func (h *Handler) ListSigningKeys(ctx context.Context, _ *exchangev1.ListSigningKeysRequest) (*exchangev1.ListSigningKeysResponse, error) {
	keys, err := h.svc.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	resp := &exchangev1.ListSigningKeysResponse{}
	for i, k := range keys {
		resp.SigningKeys = append(resp.SigningKeys, signingKeyToProto(k, i == 0))
	}
	return resp, nil
}

func (h *Handler) RotateSigningKey(ctx context.Context, _ *exchangev1.RotateSigningKeyRequest) (*exchangev1.SigningKey, error) {
	k, err := h.svc.RotateSigningKey(ctx)
	if err != nil {
		return nil, err
	}
	return signingKeyToProto(k, true), nil
}

func (h *Handler) DeleteSigningKey(ctx context.Context, req *exchangev1.DeleteSigningKeyRequest) (*exchangev1.DeleteSigningKeyResponse, error) {
	id, err := apiconv.ParseName(req.GetName(), "signingKeys", "name")
	if err != nil {
		return nil, err
	}
	if err := h.svc.DeleteSigningKey(ctx, id); err != nil {
		return nil, err
	}
	return &exchangev1.DeleteSigningKeyResponse{}, nil
}

// ——— Catalogue ———

func (h *Handler) GetCatalogueResource(ctx context.Context, req *exchangev1.GetCatalogueResourceRequest) (*exchangev1.CatalogueResource, error) {
	code, err := apiconv.ParseName(req.GetName(), "catalogueResources", "name")
	if err != nil {
		return nil, err
	}
	r, err := h.svc.GetCatalogueResource(ctx, code)
	if err != nil {
		return nil, err
	}
	return catalogueToProto(r), nil
}

func (h *Handler) ListCatalogueResources(ctx context.Context, req *exchangev1.ListCatalogueResourcesRequest) (*exchangev1.ListCatalogueResourcesResponse, error) {
	p, err := h.svc.ListCatalogueResources(ctx, exchange.ListQuery{Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	resp := &exchangev1.ListCatalogueResourcesResponse{NextPageToken: p.NextPageToken}
	for _, r := range p.Resources {
		resp.CatalogueResources = append(resp.CatalogueResources, catalogueToProto(r))
	}
	return resp, nil
}

func (h *Handler) UpdateCatalogueResource(ctx context.Context, req *exchangev1.UpdateCatalogueResourceRequest) (*exchangev1.CatalogueResource, error) {
	m := req.GetCatalogueResource()
	code, err := apiconv.ParseName(m.GetName(), "catalogueResources", "catalogue_resource.name")
	if err != nil {
		return nil, err
	}
	in := &exchange.CatalogueResource{
		Title: m.GetTitle(), Summary: m.GetSummary(), Format: m.GetFormat(),
		UpdateCycle:   exchange.UpdateCycle(enumName(m.GetUpdateCycle().String(), "UPDATE_CYCLE_")),
		SharingMethod: exchange.SharingMethod(enumName(m.GetSharingMethod().String(), "SHARING_METHOD_")),
	}
	if p := m.GetProviderDepartment(); p != "" {
		if in.Provider, err = apiconv.ParseName(p, "departments", "catalogue_resource.provider_department"); err != nil {
			return nil, err
		}
	}
	for _, it := range m.GetItems() {
		in.Items = append(in.Items, exchange.CatalogueItem{
			Path: it.GetPath(), Title: it.GetTitle(), Class: sharingClassFromProto(it.GetSharingClass()),
			Condition: it.GetCondition(), LegalBasis: it.GetLegalBasis(),
		})
	}
	paths := protomask.Normalize(&exchangev1.CatalogueResource{}, req.GetUpdateMask().GetPaths())
	r, err := h.svc.UpdateCatalogueResource(ctx, code, in, paths)
	if err != nil {
		return nil, err
	}
	return catalogueToProto(r), nil
}

func (h *Handler) ExportCatalogue(ctx context.Context, req *exchangev1.ExportCatalogueRequest) (*httpbody.HttpBody, error) {
	all, err := h.svc.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetFormat() == "json" {
		// The JSON export is the API's own representation of each entry,
		// so that a client reads it with the same code as a List.
		var b strings.Builder
		b.WriteString("[")
		for i, r := range all {
			if i > 0 {
				b.WriteString(",")
			}
			one, err := protojson.Marshal(catalogueToProto(r))
			if err != nil {
				return nil, err
			}
			b.Write(one)
		}
		b.WriteString("]")
		return &httpbody.HttpBody{ContentType: JSONMediaType, Data: []byte(b.String())}, nil
	}
	return &httpbody.HttpBody{ContentType: CSVMediaType, Data: exchange.CatalogueCSV(all)}, nil
}

// enumName strips an enum value's prefix; UNSPECIFIED becomes "".
func enumName(s, prefix string) string {
	s = strings.TrimPrefix(s, prefix)
	if s == "UNSPECIFIED" {
		return ""
	}
	return s
}

func sharingClassFromProto(c exchangev1.SharingClass) authz.SharingClass {
	switch c {
	case exchangev1.SharingClass_SHARING_CLASS_UNCONDITIONAL:
		return authz.Unconditional
	case exchangev1.SharingClass_SHARING_CLASS_CONDITIONAL:
		return authz.Conditional
	}
	// UNSPECIFIED is refused by the request's validation rules.
	return authz.NotShared
}

func sharingClassToProto(c authz.SharingClass) exchangev1.SharingClass {
	return exchangev1.SharingClass(exchangev1.SharingClass_value["SHARING_CLASS_"+c.String()])
}

// departmentRef is the resource name of a department, "" for none.
func departmentRef(code string) string { return apiconv.Name("departments", code) }

func catalogueToProto(r *exchange.CatalogueResource) *exchangev1.CatalogueResource {
	m := &exchangev1.CatalogueResource{
		Name:               exchange.CatalogueName(r.Code),
		Registry:           r.Registry,
		ResourceType:       r.ResourceType,
		Title:              r.Title,
		ProviderDepartment: departmentRef(r.Provider),
		Summary:            r.Summary,
		Format:             r.Format,
		UpdateCycle:        exchangev1.UpdateCycle(exchangev1.UpdateCycle_value["UPDATE_CYCLE_"+string(r.UpdateCycle)]),
		SharingMethod:      exchangev1.SharingMethod(exchangev1.SharingMethod_value["SHARING_METHOD_"+string(r.SharingMethod)]),
		PublishTime:        apiconv.Timestamp(r.PublishTime),
		UpdateTime:         apiconv.Timestamp(r.UpdateTime),
	}
	for _, it := range r.Items {
		m.Items = append(m.Items, &exchangev1.CatalogueItem{
			Path: it.Path, Title: it.Title, SharingClass: sharingClassToProto(it.Class),
			Condition: it.Condition, LegalBasis: it.LegalBasis, Personal: it.Personal, Obsolete: it.Obsolete,
		})
	}
	return m
}

// ——— Grants ———

func (h *Handler) CreateGrant(ctx context.Context, req *exchangev1.CreateGrantRequest) (*exchangev1.Grant, error) {
	m := req.GetGrant()
	in := &exchange.Grant{Items: m.GetItems(), Purpose: m.GetPurpose(), LegalBasis: m.GetLegalBasis(), Divisions: m.GetDivisions()}
	var err error
	if r := m.GetCatalogueResource(); r != "" {
		if in.Resource, err = apiconv.ParseName(r, "catalogueResources", "grant.catalogue_resource"); err != nil {
			return nil, err
		}
	}
	if in.StartTime, err = timeOf(m.GetStartTime(), "grant.start_time"); err != nil {
		return nil, err
	}
	if in.ExpireTime, err = timeOf(m.GetExpireTime(), "grant.expire_time"); err != nil {
		return nil, err
	}
	g, err := h.svc.CreateGrant(ctx, in)
	if err != nil {
		return nil, err
	}
	return grantToProto(g), nil
}

func (h *Handler) GetGrant(ctx context.Context, req *exchangev1.GetGrantRequest) (*exchangev1.Grant, error) {
	id, err := apiconv.ParseName(req.GetName(), "grants", "name")
	if err != nil {
		return nil, err
	}
	g, err := h.svc.GetGrant(ctx, id)
	if err != nil {
		return nil, err
	}
	return grantToProto(g), nil
}

func (h *Handler) ListGrants(ctx context.Context, req *exchangev1.ListGrantsRequest) (*exchangev1.ListGrantsResponse, error) {
	p, err := h.svc.ListGrants(ctx, exchange.ListQuery{Filter: req.GetFilter(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	resp := &exchangev1.ListGrantsResponse{NextPageToken: p.NextPageToken}
	for _, g := range p.Grants {
		resp.Grants = append(resp.Grants, grantToProto(g))
	}
	return resp, nil
}

func (h *Handler) ApproveGrant(ctx context.Context, req *exchangev1.ApproveGrantRequest) (*exchangev1.Grant, error) {
	return h.decide(ctx, req.GetName(), req.GetReason(), h.svc.ApproveGrant)
}

func (h *Handler) RejectGrant(ctx context.Context, req *exchangev1.RejectGrantRequest) (*exchangev1.Grant, error) {
	return h.decide(ctx, req.GetName(), req.GetReason(), h.svc.RejectGrant)
}

func (h *Handler) RevokeGrant(ctx context.Context, req *exchangev1.RevokeGrantRequest) (*exchangev1.Grant, error) {
	return h.decide(ctx, req.GetName(), req.GetReason(), h.svc.RevokeGrant)
}

func (h *Handler) decide(ctx context.Context, name, reason string, decide func(ctx context.Context, id, reason string) (*exchange.Grant, error)) (*exchangev1.Grant, error) {
	id, err := apiconv.ParseName(name, "grants", "name")
	if err != nil {
		return nil, err
	}
	g, err := decide(ctx, id, reason)
	if err != nil {
		return nil, err
	}
	return grantToProto(g), nil
}

func decisionToProto(d exchange.Decision) *exchangev1.GrantDecision {
	if d.Time.IsZero() {
		return nil
	}
	return &exchangev1.GrantDecision{Department: departmentRef(d.Department), Principal: d.Principal, Time: apiconv.Timestamp(d.Time), Reason: d.Reason}
}

func grantToProto(g *exchange.Grant) *exchangev1.Grant {
	return &exchangev1.Grant{
		Name:                 exchange.GrantName(g.ID),
		Applicant:            exchange.DepartmentName(g.Applicant),
		ApplicantApplication: g.ApplicantApplication,
		CatalogueResource:    exchange.CatalogueName(g.Resource),
		Items:                g.Items,
		Purpose:              g.Purpose,
		LegalBasis:           g.LegalBasis,
		Divisions:            g.Divisions,
		StartTime:            apiconv.Timestamp(g.StartTime),
		ExpireTime:           apiconv.Timestamp(g.ExpireTime),
		State:                exchangev1.GrantState(exchangev1.GrantState_value["GRANT_STATE_"+string(g.State)]),
		Decision:             decisionToProto(g.Decision),
		Revocation:           decisionToProto(g.Revocation),
		CreateTime:           apiconv.Timestamp(g.CreateTime),
		ProviderDepartment:   departmentRef(g.Provider),
	}
}

// ——— The access policy ———

func (h *Handler) GetAccessPolicy(ctx context.Context, _ *exchangev1.GetAccessPolicyRequest) (*exchangev1.AccessPolicy, error) {
	p, err := h.svc.AccessPolicy(ctx)
	if err != nil {
		return nil, err
	}
	return PolicyToProto(p), nil
}

// PolicyFromProto is the inverse of PolicyToProto, for the registries that
// load the policy over gRPC.
func PolicyFromProto(m *exchangev1.AccessPolicy) *exchange.AccessPolicy {
	p := &exchange.AccessPolicy{Revision: m.GetRevision()}
	for _, d := range m.GetDepartments() {
		p.Departments = append(p.Departments, &exchange.Department{
			Code: d.GetCode(), Admin: d.GetAdmin(), Division: d.GetDivision(),
			Status:    exchange.DepartmentStatus(strings.TrimPrefix(d.GetStatus().String(), "DEPARTMENT_STATUS_")),
			RateLimit: exchange.RateLimit{RequestsPerSecond: d.GetRateLimit().GetRequestsPerSecond(), Burst: d.GetRateLimit().GetBurst()},
		})
	}
	for _, r := range m.GetResources() {
		pr := exchange.PolicyResource{Registry: r.GetRegistry(), ResourceType: r.GetResourceType(), Provider: r.GetProviderDepartment()}
		for _, it := range r.GetItems() {
			pr.Items = append(pr.Items, exchange.PolicyItem{Path: it.GetPath(), Class: sharingClassFromProto(it.GetSharingClass()), Personal: it.GetPersonal()})
		}
		p.Resources = append(p.Resources, pr)
	}
	for _, g := range m.GetGrants() {
		p.Grants = append(p.Grants, exchange.PolicyGrant{
			ID: strings.TrimPrefix(g.GetName(), "grants/"), Department: g.GetDepartment(), Registry: g.GetRegistry(), ResourceType: g.GetResourceType(),
			Items: g.GetItems(), Divisions: g.GetDivisions(), StartTime: g.GetStartTime().AsTime(), ExpireTime: g.GetExpireTime().AsTime(),
		})
	}
	return p
}

// PolicyToProto renders the access policy for GetAccessPolicy.
func PolicyToProto(p *exchange.AccessPolicy) *exchangev1.AccessPolicy {
	m := &exchangev1.AccessPolicy{Revision: p.Revision}
	for _, d := range p.Departments {
		m.Departments = append(m.Departments, &exchangev1.PolicyDepartment{
			Code: d.Code, Status: departmentStatus(d.Status), Admin: d.Admin, Division: d.Division, RateLimit: rateLimitToProto(d.RateLimit),
		})
	}
	for _, r := range p.Resources {
		pr := &exchangev1.PolicyResource{Registry: r.Registry, ResourceType: r.ResourceType, ProviderDepartment: r.Provider}
		for _, it := range r.Items {
			pr.Items = append(pr.Items, &exchangev1.PolicyItem{Path: it.Path, SharingClass: sharingClassToProto(it.Class), Personal: it.Personal})
		}
		m.Resources = append(m.Resources, pr)
	}
	for _, g := range p.Grants {
		m.Grants = append(m.Grants, &exchangev1.PolicyGrant{
			Name: exchange.GrantName(g.ID), Department: g.Department, Registry: g.Registry, ResourceType: g.ResourceType,
			Items: g.Items, Divisions: g.Divisions, StartTime: apiconv.Timestamp(g.StartTime), ExpireTime: apiconv.Timestamp(g.ExpireTime),
		})
	}
	return m
}
