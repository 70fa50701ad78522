package api_test

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/exchange/api"
	"github.com/zhbase/zhbase/services/exchange/sqlstore"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	legalentityapi "github.com/zhbase/zhbase/services/legalentity/api"
	populationapi "github.com/zhbase/zhbase/services/population/api"
)

var ctx = context.Background()

// The callers of these tests. dsj administers the platform; gaj (公安分局)
// provides population data; mzj (民政局) applies for it; the gateway is a
// zhbase service.
var (
	admin   = auth.Identity{Department: "dsj", Application: "管理控制台", Admin: true}
	gaj     = auth.Identity{Department: "gaj", Application: "户政管理"}
	mzj     = auth.Identity{Department: "mzj", Application: "低保审核"}
	scjgj   = auth.Identity{Department: "scjgj", Application: "企业登记"}
	gateway = auth.Identity{Service: "gateway"}
)

// identityKey carries the caller's identity from the test client to the
// test interceptor, which stands in for the kit's authentication.
const identityKey = "x-test-identity-bin" // binary: the identity has Chinese text

func as(id auth.Identity) context.Context {
	b, _ := json.Marshal(id)
	return metadata.AppendToOutgoingContext(ctx, identityKey, string(b))
}

func identityFromMetadata(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(identityKey); len(v) > 0 {
		var id auth.Identity
		if err := json.Unmarshal([]byte(v[0]), &id); err != nil {
			return nil, status.Error(codes.Internal, "bad test identity")
		}
		ctx = auth.NewContext(ctx, id)
	}
	return handler(ctx, req)
}

// clock is the service's clock, moved by the tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// revisions records what OnPolicyChange was told.
type revisions struct {
	mu   sync.Mutex
	seen []int64
}

func (r *revisions) add(rev int64) {
	r.mu.Lock()
	r.seen = append(r.seen, rev)
	r.mu.Unlock()
}

func (r *revisions) last() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 {
		return 0
	}
	return r.seen[len(r.seen)-1]
}

type env struct {
	c         exchangev1.ExchangeServiceClient
	conn      *grpc.ClientConn
	svc       *exchange.Service
	clock     *clock
	revisions *revisions
}

// resources are real registries' descriptions: legal entities, whose
// representative is catalogued field by field, and persons and households.
func resources() []authz.Resource {
	return append(legalentityapi.Resources(), populationapi.Resources(nil)...)
}

// newEnv serves the exchange over bufconn with the production server
// (validation, error mapping) on a fresh SQLite file, with dsj bootstrapped
// as the admin department and gaj, mzj and scjgj admitted.
func newEnv(t testing.TB) *env {
	t.Helper()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "exchange.db"), Name: "exchange"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{clock: &clock{now: time.Now().UTC().Truncate(time.Second)}, revisions: &revisions{}}
	e.svc, err = exchange.New(ctx, st, exchange.Options{Resources: resources(), OnPolicyChange: e.revisions.add, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.EnsureAdmin(ctx, admin.Department, "镇海区大数据发展管理局"); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Unary: []grpc.UnaryServerInterceptor{identityFromMetadata}})
	if err != nil {
		t.Fatal(err)
	}
	api.Register(srv, e.svc)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	e.conn, err = grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.Close() })
	if resp, err := healthpb.NewHealthClient(e.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: api.ServiceName}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health of %s = %v, %v", api.ServiceName, resp.GetStatus(), err)
	}
	e.c = exchangev1.NewExchangeServiceClient(e.conn)
	for _, d := range []struct{ code, name string }{{"gaj", "宁波市公安局镇海分局"}, {"mzj", "镇海区民政局"}, {"scjgj", "镇海区市场监督管理局"}} {
		e.admit(t, d.code, d.name)
	}
	return e
}

func (e *env) admit(t testing.TB, code, name string) *exchangev1.Department {
	t.Helper()
	d, err := e.c.CreateDepartment(as(admin), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{Code: code, DisplayName: name}})
	if err != nil {
		t.Fatalf("admit %s: %v", code, err)
	}
	return d
}

func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func fieldViolations(err error) []string {
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

// wantRefusal fails unless err has the code and reason and names every
// field given.
func wantRefusal(t testing.TB, err error, code codes.Code, why string, fields ...string) {
	t.Helper()
	if status.Code(err) != code || reason(err) != why {
		t.Fatalf("error = %v (reason %q), want %v / %s", err, reason(err), code, why)
	}
	got := fieldViolations(err)
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Fatalf("field violations %v do not name %q (error: %v)", got, f, err)
		}
	}
}

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
