// Package api is the gRPC face of the industrial-economy registry: it
// translates between the proto messages and the domain, and nothing more.
// Rules and arithmetic live in package economy; errors are mapped by the
// kit's server.
package api

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	"github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/protomask"
	"github.com/zhbase/zhbase/services/kit/server"
)

// ServiceName is the full proto name of the service.
const ServiceName = "zhbase.economy.v1.EconomyService"

// Handler implements economyv1.EconomyServiceServer.
type Handler struct {
	economyv1.UnimplementedEconomyServiceServer
	svc *economy.Service
}

// Register adds the service to srv and marks it serving.
func Register(srv *server.Server, svc *economy.Service) {
	economyv1.RegisterEconomyServiceServer(srv.GRPC(), &Handler{svc: svc})
	srv.SetServing(ServiceName)
}

func (h *Handler) CreateReport(ctx context.Context, req *economyv1.CreateReportRequest) (*economyv1.Report, error) {
	uscc, err := parseParent(req.GetParent())
	if err != nil {
		return nil, err
	}
	if uscc == "" {
		return nil, errs.Field("parent", "must name one enterprise, enterprises/{uscc}; enterprises/- only reads across enterprises")
	}
	r, err := h.svc.Create(ctx, uscc, req.GetPeriod(), fromProto(req.GetReport()), economy.CreateOptions{ValidateOnly: req.GetValidateOnly()})
	if err != nil {
		return nil, err
	}
	return toProto(r), nil
}

func (h *Handler) GetReport(ctx context.Context, req *economyv1.GetReportRequest) (*economyv1.Report, error) {
	k, err := parseName(req.GetName(), "name")
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
	r, err := h.svc.Get(ctx, k, at)
	if err != nil {
		return nil, err
	}
	out := toProto(r)
	protomask.Apply(out, paths, "name")
	return out, nil
}

func (h *Handler) UpdateReport(ctx context.Context, req *economyv1.UpdateReportRequest) (*economyv1.Report, error) {
	in := req.GetReport()
	k, err := parseName(in.GetName(), "report.name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(in.GetEtag(), "report.etag")
	if err != nil {
		return nil, err
	}
	paths := protomask.Normalize(&economyv1.Report{}, req.GetUpdateMask().GetPaths())
	r, err := h.svc.Update(ctx, k, fromProto(in), paths, economy.UpdateOptions{
		Revision: revision, ValidateOnly: req.GetValidateOnly(),
		EffectiveFrom: apiconv.Time(req.GetEffectiveTime()), Correction: req.GetCorrection(),
	})
	if err != nil {
		return nil, err
	}
	return toProto(r), nil
}

func (h *Handler) ListReports(ctx context.Context, req *economyv1.ListReportsRequest) (*economyv1.ListReportsResponse, error) {
	uscc, err := parseParent(req.GetParent())
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
	p, err := h.svc.List(ctx, economy.ListQuery{
		USCC: uscc, Filter: req.GetFilter(), OrderBy: req.GetOrderBy(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		At: at, ShowRetired: req.GetShowRetired(),
	})
	if err != nil {
		return nil, err
	}
	resp := &economyv1.ListReportsResponse{NextPageToken: p.NextPageToken}
	for _, r := range p.Reports {
		m := toProto(r)
		protomask.Apply(m, paths, "name")
		resp.Reports = append(resp.Reports, m)
	}
	return resp, nil
}

func (h *Handler) DeleteReport(ctx context.Context, req *economyv1.DeleteReportRequest) (*economyv1.Report, error) {
	k, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	revision, err := apiconv.ParseEtag(req.GetEtag(), "etag")
	if err != nil {
		return nil, err
	}
	r, err := h.svc.Delete(ctx, k, economy.DeleteOptions{Revision: revision, EffectiveFrom: apiconv.Time(req.GetEffectiveTime())})
	if err != nil {
		return nil, err
	}
	return toProto(r), nil
}

func (h *Handler) ListReportVersions(ctx context.Context, req *economyv1.ListReportVersionsRequest) (*economyv1.ListReportVersionsResponse, error) {
	k, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	vs, next, err := h.svc.Versions(ctx, k, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &economyv1.ListReportVersionsResponse{NextPageToken: next}
	for _, v := range vs {
		resp.Versions = append(resp.Versions, toProto(v))
	}
	return resp, nil
}

func (h *Handler) AggregateReports(ctx context.Context, req *economyv1.AggregateReportsRequest) (*economyv1.AggregateReportsResponse, error) {
	uscc, err := parseParent(req.GetParent())
	if err != nil {
		return nil, err
	}
	at, err := apiconv.Point(req.GetValidAt(), req.GetKnownAt(), req.GetCurrent())
	if err != nil {
		return nil, err
	}
	q := economy.AggregateQuery{
		USCC: uscc, Filter: req.GetFilter(), Start: req.GetStartPeriod(), End: req.GetEndPeriod(), At: at,
	}
	if g := req.GetGroupBy(); g != economyv1.GroupBy_GROUP_BY_UNSPECIFIED {
		q.GroupBy = economy.GroupBy(strings.TrimPrefix(g.String(), "GROUP_BY_"))
	}
	if l := req.GetIndustryLevel(); l != economyv1.IndustryLevel_INDUSTRY_LEVEL_UNSPECIFIED {
		q.IndustryLevel = economy.IndustryLevel(strings.TrimPrefix(l.String(), "INDUSTRY_LEVEL_"))
	}
	a, err := h.svc.Aggregate(ctx, q)
	if err != nil {
		return nil, err
	}
	resp := &economyv1.AggregateReportsResponse{
		Total:       groupProto(a.Total),
		StartPeriod: a.Start, EndPeriod: a.End, BaseStartPeriod: a.BaseStart, BaseEndPeriod: a.BaseEnd,
	}
	for _, g := range a.Groups {
		resp.Groups = append(resp.Groups, groupProto(g))
	}
	return resp, nil
}

func (h *Handler) ListReportChanges(ctx context.Context, req *economyv1.ListReportChangesRequest) (*economyv1.ListReportChangesResponse, error) {
	cs, head, err := h.svc.Changes(ctx, req.GetAfterSequence(), int(req.GetMax()))
	if err != nil {
		return nil, err
	}
	resp := &economyv1.ListReportChangesResponse{HeadSequence: head}
	for _, c := range cs {
		resp.Changes = append(resp.Changes, changeProto(c))
	}
	return resp, nil
}

func (h *Handler) WatchReportChanges(req *economyv1.WatchReportChangesRequest, stream economyv1.EconomyService_WatchReportChangesServer) error {
	return h.svc.Watch(stream.Context(), req.GetAfterSequence(), func(cs []economy.Change) error {
		for _, c := range cs {
			if err := stream.Send(changeProto(c)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (h *Handler) ExportReports(req *economyv1.ExportReportsRequest, stream economyv1.EconomyService_ExportReportsServer) error {
	head := req.GetAtSequence()
	if head == 0 {
		var err error
		if _, head, err = h.svc.Changes(stream.Context(), 0, 1); err != nil {
			return err
		}
	}
	if err := stream.Send(&economyv1.ExportReportsResponse{Sequence: head}); err != nil {
		return err
	}
	_, err := h.svc.Export(stream.Context(), head, func(r *economy.Report) error {
		return stream.Send(&economyv1.ExportReportsResponse{Sequence: head, Report: toProto(r)})
	})
	return err
}

func (h *Handler) ExportReportDelta(req *economyv1.ExportReportDeltaRequest, stream economyv1.EconomyService_ExportReportDeltaServer) error {
	return h.svc.Delta(stream.Context(), req.GetAfterSequence(), req.GetUpToSequence(), func(c economy.Change) error {
		return stream.Send(changeProto(c))
	})
}

func readMask(paths []string) ([]string, error) {
	paths = protomask.Normalize(&economyv1.Report{}, paths)
	return paths, protomask.Check(&economyv1.Report{}, paths, "read_mask")
}

// parseName splits `enterprises/{uscc}/reports/{period}`; the domain
// judges the two parts.
func parseName(name, field string) (economy.Key, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "enterprises" || parts[2] != "reports" || parts[1] == "" || parts[3] == "" {
		return economy.Key{}, errs.Field(field, "must look like enterprises/{uscc}/reports/{period}, got %q", name)
	}
	return economy.Key{USCC: parts[1], Period: parts[3]}, nil
}

// parseParent reads `enterprises/{uscc}`, or `enterprises/-` (every
// enterprise, returned as "").
func parseParent(parent string) (string, error) {
	uscc, err := apiconv.ParseName(parent, "enterprises", "parent")
	if err != nil || uscc == "-" {
		return "", err
	}
	return uscc, nil
}

func changeProto(c economy.Change) *economyv1.ReportChange {
	return &economyv1.ReportChange{
		Sequence: c.Sequence,
		Name:     c.Key.Name(),
		Action:   apiconv.Action(c.Action),
		Version:  apiconv.VersionInfo(c.Version),
		Report:   toProto(c.Report),
	}
}

func fromProto(m *economyv1.Report) *economy.Report {
	return &economy.Report{
		IndustryCode:        m.GetIndustryCode(),
		DivisionCode:        m.GetDivisionCode(),
		OutputValue:         m.GetOutputValue(),
		Revenue:             m.GetRevenue(),
		Profit:              m.GetProfit(),
		TaxesPaid:           m.GetTaxesPaid(),
		Employees:           m.GetEmployees(),
		EnergyConsumption:   m.GetEnergyConsumption(),
		RDSpending:          m.GetRdSpending(),
		AboveDesignatedSize: m.GetAboveDesignatedSize(),
	}
}

func toProto(r *economy.Report) *economyv1.Report {
	return &economyv1.Report{
		Name:                r.Key().Name(),
		Uscc:                r.USCC,
		LegalEntity:         economy.LegalEntityName(r.USCC),
		Period:              r.Period,
		PeriodType:          economyv1.PeriodType(economyv1.PeriodType_value["PERIOD_TYPE_"+string(r.PeriodType())]),
		IndustryCode:        r.IndustryCode,
		DivisionCode:        r.DivisionCode,
		OutputValue:         r.OutputValue,
		Revenue:             r.Revenue,
		Profit:              r.Profit,
		TaxesPaid:           r.TaxesPaid,
		Employees:           r.Employees,
		EnergyConsumption:   r.EnergyConsumption,
		RdSpending:          r.RDSpending,
		AboveDesignatedSize: r.AboveDesignatedSize,
		CreateTime:          timestamppb.New(r.CreateTime),
		UpdateTime:          timestamppb.New(r.UpdateTime),
		Etag:                apiconv.Etag(r.Revision),
		Retired:             r.Retired,
		Version:             apiconv.VersionInfo(r.Version),
	}
}

func groupProto(g economy.Group) *economyv1.ReportGroup {
	m := &economyv1.ReportGroup{Key: g.Key, DisplayName: g.DisplayName, Totals: totalsProto(&g.Totals)}
	if g.PreviousYear != nil {
		m.PreviousYear = totalsProto(g.PreviousYear)
		c := g.Change
		m.YearOverYear = &economyv1.YearOverYear{
			OutputValue: deltaProto(c.OutputValue), Revenue: deltaProto(c.Revenue), Profit: deltaProto(c.Profit),
			TaxesPaid: deltaProto(c.TaxesPaid), Employees: deltaProto(c.Employees), EnergyConsumption: deltaProto(c.EnergyConsumption),
			RdSpending: deltaProto(c.RDSpending), EnterpriseCount: deltaProto(c.Enterprises),
		}
	}
	return m
}

func totalsProto(t *economy.Totals) *economyv1.ReportTotals {
	return &economyv1.ReportTotals{
		ReportCount: t.Reports, EnterpriseCount: t.Enterprises, OutputValue: t.OutputValue, Revenue: t.Revenue,
		Profit: t.Profit, TaxesPaid: t.TaxesPaid, Employees: t.Employees, EnergyConsumption: t.EnergyConsumption, RdSpending: t.RDSpending,
	}
}

// deltaProto maps "" (null) to an unset optional field.
func deltaProto(d economy.Delta) *economyv1.MetricChange {
	m := &economyv1.MetricChange{}
	if d.Absolute != "" {
		m.Absolute = &d.Absolute
	}
	if d.Percent != "" {
		m.Percent = &d.Percent
	}
	return m
}
