package api_test

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/legalentity"
	"github.com/zhbase/zhbase/services/legalentity/api"
	"github.com/zhbase/zhbase/services/legalentity/sqlstore"
	"github.com/zhbase/zhbase/tools/demo"
)

// newClient serves the registry over bufconn with the production server
// (interceptors, validation, error mapping) on a fresh SQLite file.
func newClient(t testing.TB) legalentityv1.LegalEntityServiceClient {
	t.Helper()
	c, _ := serve(t, filepath.Join(t.TempDir(), "le.db"))
	return c
}

// serve runs the registry on the SQLite file at path until stop is called
// (or the test ends).
func serve(t testing.TB, path string) (c legalentityv1.LegalEntityServiceClient, stop func()) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: path, Name: "legalentity"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api.Register(srv, legalentity.NewService(st))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			srv.Shutdown(context.Background())
			db.Close()
		})
	}
	t.Cleanup(stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: api.ServiceName}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health of %s = %v, %v", api.ServiceName, resp.GetStatus(), err)
	}
	return legalentityv1.NewLegalEntityServiceClient(conn), stop
}

func sample(i int) *legalentityv1.LegalEntity { return demo.LegalEntities(demo.DefaultSeed, i+1)[i] }

// fieldViolations returns the BadRequest field names of a status error.
func fieldViolations(t testing.TB, err error) []string {
	t.Helper()
	st := status.Convert(err)
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func TestCreateThenGetReturnsTheEntityInFull(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	in := sample(0)
	created, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: in})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetName() != "legalEntities/"+in.GetUscc() || created.GetEtag() != "1" || created.GetCreateTime() == nil {
		t.Fatalf("created = %v", created)
	}
	got, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, created) {
		t.Fatalf("Get = %v\nwant %v", got, created)
	}
	if got.GetLegalRepresentative().GetIdNumber() != in.GetLegalRepresentative().GetIdNumber() {
		t.Fatalf("Get must return the full ID number")
	}
}

func TestErrorsCarryTheRightCodeReasonAndField(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	good := sample(0)
	if _, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: good}); err != nil {
		t.Fatal(err)
	}
	wrongCheck := proto.Clone(good).(*legalentityv1.LegalEntity)
	last := wrongCheck.Uscc[17]
	if last == '0' {
		last = '1'
	} else {
		last = '0'
	}
	wrongCheck.Uscc = wrongCheck.Uscc[:17] + string(last)
	tooLong := proto.Clone(good).(*legalentityv1.LegalEntity)
	tooLong.DisplayName = string(make([]rune, 201))

	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		fields []string
	}{
		{"a wrong check character is INVALID_ARGUMENT naming uscc", func() error {
			_, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: wrongCheck})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"legal_entity.uscc"}},
		{"proto validation rules are enforced by the interceptor", func() error {
			_, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: tooLong})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"legal_entity.display_name"}},
		{"a missing entity is refused by the interceptor", func() error {
			_, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"legal_entity"}},
		{"creating the same USCC twice is ALREADY_EXISTS", func() error {
			_, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: good})
			return err
		}, codes.AlreadyExists, "ALREADY_EXISTS", nil},
		{"getting an unknown valid code is NOT_FOUND", func() error {
			_, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/" + sample(1).GetUscc()})
			return err
		}, codes.NotFound, "NOT_FOUND", nil},
		{"getting a code with a wrong check character is INVALID_ARGUMENT naming name", func() error {
			_, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/" + wrongCheck.GetUscc()})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}},
		{"a malformed resource name is INVALID_ARGUMENT", func() error {
			_, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: "persons/1"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}},
		{"an unknown read_mask path is INVALID_ARGUMENT", func() error {
			_, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/" + good.GetUscc(), ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"age"}}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"read_mask"}},
		{"a stale etag is ABORTED", func() error {
			_, err := c.UpdateLegalEntity(ctx, &legalentityv1.UpdateLegalEntityRequest{
				LegalEntity: &legalentityv1.LegalEntity{Name: "legalEntities/" + good.GetUscc(), BusinessScope: "x", Etag: "7"},
				UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"business_scope"}},
			})
			return err
		}, codes.Aborted, "ETAG_MISMATCH", nil},
		{"a bad filter is INVALID_ARGUMENT naming filter", func() error {
			_, err := c.ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{Filter: "status = NOPE"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"filter"}},
		{"a page size above the maximum is INVALID_ARGUMENT", func() error {
			_, err := c.ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{PageSize: 5000})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != tt.code || reason(err) != tt.reason {
				t.Fatalf("error = %v (reason %q), want %v / %s", err, reason(err), tt.code, tt.reason)
			}
			got := fieldViolations(t, err)
			for _, f := range tt.fields {
				found := false
				for _, g := range got {
					found = found || g == f
				}
				if !found {
					t.Fatalf("field violations %v do not name %q", got, f)
				}
			}
		})
	}
}

func TestUpdateChangesOnlyMaskedFields(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	in := sample(0)
	created, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: in})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := c.UpdateLegalEntity(ctx, &legalentityv1.UpdateLegalEntityRequest{
		LegalEntity: &legalentityv1.LegalEntity{Name: created.GetName(), BusinessScope: "软件开发", DisplayName: "ignored", Etag: created.GetEtag()},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"businessScope"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.GetBusinessScope() != "软件开发" || upd.GetDisplayName() != in.GetDisplayName() || upd.GetEtag() != "2" {
		t.Fatalf("update = %v", upd)
	}
}

func TestListAndSearchMaskTheRepresentativeIDNumber(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	in := sample(0)
	if _, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: in}); err != nil {
		t.Fatal(err)
	}
	full := in.GetLegalRepresentative().GetIdNumber()
	want := full[:6] + "********" + full[14:]
	list, err := c.ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := list.GetLegalEntities()[0].GetLegalRepresentative().GetIdNumber(); got != want {
		t.Fatalf("List id_number = %q, want %q", got, want)
	}
	res, err := c.SearchLegalEntities(ctx, &legalentityv1.SearchLegalEntitiesRequest{Query: in.GetDisplayName()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetResults()) == 0 || res.GetResults()[0].GetScore() != 1 {
		t.Fatalf("exact-name search = %v", res.GetResults())
	}
	if got := res.GetResults()[0].GetLegalEntity().GetLegalRepresentative().GetIdNumber(); got != want {
		t.Fatalf("Search id_number = %q, want %q", got, want)
	}
}

func TestReadMaskReturnsOnlyTheNamedFields(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	created, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: sample(0)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: created.GetName(), ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "status"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := &legalentityv1.LegalEntity{Name: created.GetName(), DisplayName: created.GetDisplayName(), Status: created.GetStatus()}
	if !proto.Equal(got, want) {
		t.Fatalf("masked Get = %v, want %v", got, want)
	}
}

func TestValidateOnlyStoresNothing(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	in := sample(0)
	if _, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: in, ValidateOnly: true}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/" + in.GetUscc()})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("after validate_only, Get = %v, want NotFound", err)
	}
}

func TestFeedSequencesContinueAfterARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "le.db")
	c, stop := serve(t, path)
	for i := 0; i < 3; i++ {
		if _, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: sample(i)}); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	c, _ = serve(t, path)
	if _, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: sample(3)}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.ListLegalEntityChanges(ctx, &legalentityv1.ListLegalEntityChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetHeadSequence() != 4 || len(resp.GetChanges()) != 4 {
		t.Fatalf("after a restart: head %d with %d changes, want 4 and 4", resp.GetHeadSequence(), len(resp.GetChanges()))
	}
	for i, ch := range resp.GetChanges() {
		if ch.GetSequence() != int64(i+1) {
			t.Fatalf("change %d has sequence %d: a gap or a reuse", i, ch.GetSequence())
		}
	}
}
