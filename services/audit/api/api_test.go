package api_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	auditv1 "github.com/zhbase/zhbase/proto/zhbase/audit/v1"
	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/audit/api"
	"github.com/zhbase/zhbase/services/audit/sqlstore"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

var ctx = context.Background()

// callerKey is test metadata naming who calls; it stands in for the
// platform's authentication interceptor, which puts the verified
// auth.Identity into the context the same way.
const callerKey = "test-caller"

func identify(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	switch v := md.Get(callerKey); {
	case len(v) == 0:
	case v[0] == "admin":
		ctx = auth.NewContext(ctx, auth.Identity{Department: "dsjj", Application: "console", Admin: true})
	default:
		ctx = auth.NewContext(ctx, auth.Identity{Department: v[0], Application: "app"})
	}
	return handler(ctx, req)
}

func as(caller string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, callerKey, caller)
}

// serve runs the audit service with the production server (interceptors,
// validation, error mapping) over bufconn.
func serve(t *testing.T, db *store.DB) (auditv1.AuditServiceClient, *audit.Log, *store.DB) {
	t.Helper()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(ctx, st, audit.Options{Chain: "legalentity@127.0.0.1:9090"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	srv, err := server.New(server.Options{Unary: []grpc.UnaryServerInterceptor{identify}})
	if err != nil {
		t.Fatal(err)
	}
	api.Register(srv, audit.NewService(st, nil))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return auditv1.NewAuditServiceClient(conn), l, db
}

func TestOnlyAdministratorsReadTheAuditLog(t *testing.T) {
	c, _, _ := serve(t, storetest.OpenSQLite(t))
	calls := map[string]func(context.Context) error{
		"ListAuditRecords": func(ctx context.Context) error {
			_, err := c.ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{})
			return err
		},
		"VerifyAuditLog": func(ctx context.Context) error {
			_, err := c.VerifyAuditLog(ctx, &auditv1.VerifyAuditLogRequest{})
			return err
		},
	}
	for method, call := range calls {
		t.Run(method+" without an identity is Unauthenticated", func(t *testing.T) {
			if code := status.Code(call(ctx)); code != codes.Unauthenticated {
				t.Fatalf("code = %s", code)
			}
		})
		t.Run(method+" by a department that is not the administrator is PermissionDenied", func(t *testing.T) {
			if code := status.Code(call(as("scjgj"))); code != codes.PermissionDenied {
				t.Fatalf("code = %s", code)
			}
		})
		t.Run(method+" by the administrator is answered", func(t *testing.T) {
			if err := call(as("admin")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestListAndVerifyOverGRPC(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c, l, db := serve(t, db)
		for i, r := range []audit.Record{
			{Department: "scjgj", Principal: "scjgj/app", Method: "/zhbase.population.v1.PopulationService/GetPerson",
				Resources: []string{"persons/330211199001011234"}, Result: "OK", Purpose: "低保核查", CaseReference: "MZ-2026-7"},
			{Department: "gaj", Principal: "gaj/app", Method: "/zhbase.population.v1.PopulationService/GetPerson",
				Resources: []string{"persons/330211199001011234"}, Result: "PERMISSION_DENIED", Detail: "no grant"},
			{Department: "gaj", Principal: "gaj/app", Method: "/zhbase.building.v1.BuildingService/GetBuilding",
				Resources: []string{"buildings/x"}, Result: "OK"},
		} {
			if err := l.Append(ctx, r); err != nil {
				t.Fatalf("append %d: %v", i, err)
			}
		}

		t.Run("the refused reads of a person are listed with every field", func(t *testing.T) {
			resp, err := c.ListAuditRecords(as("admin"), &auditv1.ListAuditRecordsRequest{
				Resource: "persons/330211199001011234", Result: "PERMISSION_DENIED",
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetAuditRecords()) != 1 || resp.GetNextPageToken() != "" {
				t.Fatalf("got %d records, next %q", len(resp.GetAuditRecords()), resp.GetNextPageToken())
			}
			r := resp.GetAuditRecords()[0]
			if r.GetName() == "" || r.GetName()[:len("auditRecords/")] != "auditRecords/" || r.GetChain() != l.Chain() || r.GetSeq() != 2 ||
				r.GetDepartment() != "gaj" || r.GetDetail() != "no grant" || r.GetTime() == nil || len(r.GetHash()) != 64 || len(r.GetPrevHash()) != 64 {
				t.Fatalf("record = %v", r)
			}
		})
		t.Run("pages follow one another", func(t *testing.T) {
			first, err := c.ListAuditRecords(as("admin"), &auditv1.ListAuditRecordsRequest{PageSize: 2})
			if err != nil || len(first.GetAuditRecords()) != 2 || first.GetNextPageToken() == "" {
				t.Fatalf("first page: %v, %v", first, err)
			}
			second, err := c.ListAuditRecords(as("admin"), &auditv1.ListAuditRecordsRequest{PageSize: 2, PageToken: first.GetNextPageToken()})
			if err != nil || len(second.GetAuditRecords()) != 1 || second.GetAuditRecords()[0].GetSeq() != 1 {
				t.Fatalf("second page: %v, %v", second, err)
			}
		})
		t.Run("a page size above 500 is refused by the proto rules", func(t *testing.T) {
			_, err := c.ListAuditRecords(as("admin"), &auditv1.ListAuditRecordsRequest{PageSize: 501})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("an intact log verifies clean", func(t *testing.T) {
			resp, err := c.VerifyAuditLog(as("admin"), &auditv1.VerifyAuditLogRequest{})
			if err != nil || len(resp.GetProblems()) != 0 || resp.GetChainsChecked() != 1 || resp.GetRecordsChecked() != 3 || resp.GetAnchorsChecked() {
				t.Fatalf("verify = %v, %v", resp, err)
			}
		})
		t.Run("a changed record is reported by kind, seq and name", func(t *testing.T) {
			if _, err := db.ExecContext(ctx, `UPDATE audit_records SET result = 'OK' WHERE seq = 2`); err != nil {
				t.Fatal(err)
			}
			resp, err := c.VerifyAuditLog(as("admin"), &auditv1.VerifyAuditLogRequest{})
			if err != nil || len(resp.GetProblems()) != 1 {
				t.Fatalf("verify = %v, %v", resp, err)
			}
			p := resp.GetProblems()[0]
			if p.GetKind() != auditv1.ProblemKind_PROBLEM_KIND_CHANGED || p.GetSeq() != 2 || p.GetChain() != l.Chain() ||
				len(p.GetAuditRecord()) <= len("auditRecords/") || p.GetDetail() == "" {
				t.Fatalf("problem = %v", p)
			}
		})
	})
}

func TestAuditorRecordsWhatTheEnforcerSaw(t *testing.T) {
	db := storetest.OpenSQLite(t)
	_, l, _ := serve(t, db)
	a := api.Auditor{Log: l}
	entries := []struct {
		code   codes.Code
		result string
	}{{codes.OK, "OK"}, {codes.PermissionDenied, "PERMISSION_DENIED"}, {codes.Canceled, "CANCELLED"}, {codes.ResourceExhausted, "RESOURCE_EXHAUSTED"}}
	for _, e := range entries {
		err := a.Append(ctx, authz.AuditEntry{
			Identity: auth.Identity{Department: "mzj", Application: "dibao", Purpose: "低保核查", CaseReference: "MZ-2026-7"},
			Method:   "/zhbase.population.v1.PopulationService/GetPerson", Resources: []string{"persons/330211199001011234"},
			Code: e.code, Detail: "x", RequestHash: strings.Repeat("0a", 32),
		})
		if err != nil {
			t.Fatalf("append %s: %v", e.code, err)
		}
	}
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.Scan(ctx, l.Chain(), 0, 10)
	if err != nil || len(recs) != len(entries) {
		t.Fatalf("stored %d, %v", len(recs), err)
	}
	for i, r := range recs {
		if r.Result != entries[i].result || r.Principal != "mzj/dibao" || r.Department != "mzj" || r.Application != "dibao" ||
			r.Purpose != "低保核查" || r.CaseReference != "MZ-2026-7" || r.Resources[0] != "persons/330211199001011234" || r.RequestHash != strings.Repeat("0a", 32) {
			t.Errorf("record %d = %+v", i, r)
		}
	}
}
