// Package api is the gRPC face of the audit log: it translates between the
// proto messages and package audit, and nothing more. Who may call is
// decided by audit.Service; errors are mapped by the kit's server.
package api

import (
	"context"

	auditv1 "github.com/zhbase/zhbase/proto/zhbase/audit/v1"
	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/server"
)

// ServiceName is the full proto name of the service.
const ServiceName = "zhbase.audit.v1.AuditService"

// Collection is the API collection of audit records; a record's name is
// auditRecords/{id}.
const Collection = "auditRecords"

// Handler implements auditv1.AuditServiceServer.
type Handler struct {
	auditv1.UnimplementedAuditServiceServer
	svc *audit.Service
}

// Register adds the service to srv and marks it serving.
func Register(srv *server.Server, svc *audit.Service) {
	auditv1.RegisterAuditServiceServer(srv.GRPC(), &Handler{svc: svc})
	srv.SetServing(ServiceName)
}

func (h *Handler) ListAuditRecords(ctx context.Context, req *auditv1.ListAuditRecordsRequest) (*auditv1.ListAuditRecordsResponse, error) {
	recs, next, err := h.svc.Search(ctx, audit.Query{
		Department: req.GetDepartment(), Resource: req.GetResource(), Method: req.GetMethod(), Result: req.GetResult(),
		From: apiconv.Time(req.GetStartTime()), To: apiconv.Time(req.GetEndTime()),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	resp := &auditv1.ListAuditRecordsResponse{NextPageToken: next}
	for _, r := range recs {
		resp.AuditRecords = append(resp.AuditRecords, recordProto(r))
	}
	return resp, nil
}

func (h *Handler) VerifyAuditLog(ctx context.Context, _ *auditv1.VerifyAuditLogRequest) (*auditv1.VerifyAuditLogResponse, error) {
	rep, err := h.svc.Verify(ctx)
	if err != nil {
		return nil, err
	}
	resp := &auditv1.VerifyAuditLogResponse{
		ChainsChecked: int32(rep.Chains), RecordsChecked: rep.Records,
		AnchorsChecked: rep.AnchorsChecked, UnanchoredChains: rep.Unanchored,
	}
	for _, p := range rep.Problems {
		resp.Problems = append(resp.Problems, &auditv1.AuditProblem{
			Kind: problemKind(p.Kind), Chain: p.Chain, Seq: p.Seq, AuditRecord: recordName(p.RecordID), Detail: p.Detail,
		})
	}
	return resp, nil
}

func recordName(id string) string {
	if id == "" {
		return ""
	}
	return Collection + "/" + id
}

func recordProto(r audit.Record) *auditv1.AuditRecord {
	return &auditv1.AuditRecord{
		Name: recordName(r.ID), Chain: r.Chain, Seq: r.Seq, Time: apiconv.Timestamp(r.Time),
		Department: r.Department, Application: r.Application, Principal: r.Principal,
		Purpose: r.Purpose, CaseReference: r.CaseReference, Method: r.Method, Resources: r.Resources,
		Result: r.Result, Detail: r.Detail, RequestHash: r.RequestHash, PrevHash: r.PrevHash, Hash: r.Hash,
	}
}

func problemKind(k audit.Kind) auditv1.ProblemKind {
	return auditv1.ProblemKind(auditv1.ProblemKind_value["PROBLEM_KIND_"+string(k)])
}
