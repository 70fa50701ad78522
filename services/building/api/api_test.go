package api_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	"google.golang.org/protobuf/types/known/structpb"

	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/building/api"
	"github.com/zhbase/zhbase/services/building/buildinggen"
	"github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
)

var (
	addresses = buildinggen.SyntheticAddresses(3, 30)
	owners    = buildinggen.SyntheticOwners(3, 30)
)

// known answers reference checks from the synthetic addresses and owners.
// The lookup of the real registries through etcd is exercised by the
// in-process cluster test; here the references only need to resolve.
func known() refs.Checker {
	names := map[string]bool{}
	for _, a := range addresses {
		names[a.Name] = true
	}
	for _, o := range owners {
		names[o.Name] = true
	}
	lookup := func(_ context.Context, name string) error {
		if !names[name] {
			return errs.NotFound(name)
		}
		return nil
	}
	return refs.Registry{"addresses": lookup, "persons": lookup, "legalEntities": lookup}
}

// newClient serves the registry over bufconn with the production server
// (interceptors, validation, error mapping) on a fresh SQLite file.
func newClient(t testing.TB) buildingv1.BuildingServiceClient {
	t.Helper()
	c, _ := serve(t, filepath.Join(t.TempDir(), "building.db"))
	return c
}

func serve(t testing.TB, path string) (buildingv1.BuildingServiceClient, func()) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: path, Name: "building"})
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
	api.Register(srv, building.NewService(st, known()))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	var once sync.Once
	stop := func() {
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
	return buildingv1.NewBuildingServiceClient(conn), stop
}

// samples returns n generated buildings as API messages to create.
func samples(n int) []*buildingv1.Building {
	out := make([]*buildingv1.Building, n)
	for i, b := range buildinggen.Generate(1, addresses, owners, n) {
		out[i] = api.ToProto(b)
	}
	return out
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

func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func geoJSON(t testing.TB, s string) *structpb.Struct {
	t.Helper()
	var st structpb.Struct
	if err := st.UnmarshalJSON([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return &st
}

func TestCreateThenGetReturnsTheBuildingInFull(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	in := samples(1)[0]
	created, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{Building: in})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(created.GetName(), "buildings/")
	if building.CheckID(id) != nil || created.GetEtag() != "1" || created.GetVersion().GetVersion() != 1 {
		t.Fatalf("created = %v", created)
	}
	if !proto.Equal(created.GetFootprint(), in.GetFootprint()) || created.GetCentroid() == nil || created.GetBoundingBox() == nil {
		t.Fatalf("footprint %v, centroid %v, box %v", created.GetFootprint(), created.GetCentroid(), created.GetBoundingBox())
	}
	got, err := c.GetBuilding(ctx, &buildingv1.GetBuildingRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, created) {
		t.Fatalf("Get = %v\nwant %v", got, created)
	}
	if !slices.Equal(got.GetOwners(), in.GetOwners()) {
		t.Fatalf("Get owners %v, want them in full %v", got.GetOwners(), in.GetOwners())
	}
	masked, err := c.GetBuilding(ctx, &buildingv1.GetBuildingRequest{Name: created.GetName(), ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"use", "floorsAboveGround"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := &buildingv1.Building{Name: created.GetName(), Use: created.GetUse(), FloorsAboveGround: created.GetFloorsAboveGround()}
	if !proto.Equal(masked, want) {
		t.Fatalf("masked Get = %v, want %v", masked, want)
	}
}

func TestErrorsCarryTheRightCodeReasonAndField(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	good := samples(1)[0]
	created, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{Building: good})
	if err != nil {
		t.Fatal(err)
	}
	crossed := proto.Clone(good).(*buildingv1.Building)
	crossed.Footprint = geoJSON(t, `{"type":"Polygon","coordinates":[[[121.70,29.960],[121.704,29.959],[121.707,29.961],[121.702,29.967],[121.706,29.967],[121.708,29.964],[121.699,29.964],[121.70,29.960]]]}`)
	twice := proto.Clone(good).(*buildingv1.Building)
	twice.HeightM, twice.Owners = 5000, []string{"persons/12345"}
	box := func(minLon, minLat, maxLon, maxLat float64) *buildingv1.FindBuildingsWithinRequest {
		return &buildingv1.FindBuildingsWithinRequest{Area: &buildingv1.FindBuildingsWithinRequest_BoundingBox{
			BoundingBox: &buildingv1.BoundingBox{MinLongitude: minLon, MinLatitude: minLat, MaxLongitude: maxLon, MaxLatitude: maxLat}}}
	}
	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		fields []string
		msg    string
	}{
		{"a crossing footprint says where it crosses", func() error {
			_, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{Building: crossed})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"building.footprint"}, "footprint: ring 0 intersects itself between points 2 and 5"},
		{"proto rules are enforced by the interceptor, naming the field", func() error {
			_, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{Building: twice})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"building.height_m"}, ""},
		{"a missing building is refused by the interceptor", func() error {
			_, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"building"}, ""},
		{"an unknown owner is INVALID_ARGUMENT naming it", func() error {
			b := proto.Clone(good).(*buildingv1.Building)
			b.Owners = []string{"legalEntities/91330211MA2AGH7K3X"}
			_, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{Building: b})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"building.owners[0]"}, ""},
		{"getting an unknown id is NOT_FOUND", func() error {
			_, err := c.GetBuilding(ctx, &buildingv1.GetBuildingRequest{Name: "buildings/0000000000000000"})
			return err
		}, codes.NotFound, "NOT_FOUND", nil, ""},
		{"a name that cannot be an id is INVALID_ARGUMENT", func() error {
			_, err := c.GetBuilding(ctx, &buildingv1.GetBuildingRequest{Name: "buildings/Zhaobaoshan"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}, ""},
		{"another collection's name is INVALID_ARGUMENT", func() error {
			_, err := c.GetBuilding(ctx, &buildingv1.GetBuildingRequest{Name: "addresses/1"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}, ""},
		{"a stale etag is ABORTED", func() error {
			_, err := c.UpdateBuilding(ctx, &buildingv1.UpdateBuildingRequest{
				Building:   &buildingv1.Building{Name: created.GetName(), DisplayName: "x", Etag: "7"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
			})
			return err
		}, codes.Aborted, "ETAG_MISMATCH", nil, ""},
		{"an illegal status change is INVALID_ARGUMENT naming status", func() error {
			_, err := c.UpdateBuilding(ctx, &buildingv1.UpdateBuildingRequest{
				Building:   &buildingv1.Building{Name: created.GetName(), Status: buildingv1.BuildingStatus_BUILDING_STATUS_PLANNED},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
			})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"building.status"}, ""},
		{"a bounding box with min above max is refused naming the field", func() error {
			_, err := c.FindBuildingsWithin(ctx, box(121.8, 29.9, 121.7, 30.0))
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"bounding_box.min_longitude"}, "121.8 is greater than max_longitude 121.7"},
		{"a latitude out of range is refused naming the field", func() error {
			_, err := c.FindBuildingsWithin(ctx, box(121.7, 29.9, 121.8, 91))
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"bounding_box.max_latitude"}, ""},
		{"a query polygon is checked like a footprint", func() error {
			_, err := c.FindBuildingsWithin(ctx, &buildingv1.FindBuildingsWithinRequest{Area: &buildingv1.FindBuildingsWithinRequest_Polygon{
				Polygon: geoJSON(t, `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`)}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"polygon"}, "intersects itself"},
		{"a query without an area is refused", func() error {
			_, err := c.FindBuildingsWithin(ctx, &buildingv1.FindBuildingsWithinRequest{})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"bounding_box"}, ""},
		{"a bad filter is INVALID_ARGUMENT naming filter", func() error {
			_, err := c.ListBuildings(ctx, &buildingv1.ListBuildingsRequest{Filter: "use = FARM"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"filter"}, ""},
		{"a malformed owner query is INVALID_ARGUMENT naming owner", func() error {
			_, err := c.ListBuildings(ctx, &buildingv1.ListBuildingsRequest{Owner: "persons/1"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"owner"}, ""},
		{"a rollup level above 5 is refused by the interceptor", func() error {
			_, err := c.AggregateBuildings(ctx, &buildingv1.AggregateBuildingsRequest{RollupLevel: 6})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"rollup_level"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != tt.code || reason(err) != tt.reason {
				t.Fatalf("error = %v (reason %q), want %v / %s", err, reason(err), tt.code, tt.reason)
			}
			got := fieldViolations(err)
			for _, f := range tt.fields {
				if !slices.Contains(got, f) {
					t.Fatalf("field violations %v do not name %q", got, f)
				}
			}
			if !strings.Contains(status.Convert(err).Message(), tt.msg) {
				t.Fatalf("message %q does not say %q", status.Convert(err).Message(), tt.msg)
			}
		})
	}
}

func TestUpdateChangesOnlyMaskedFields(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	in := samples(1)[0]
	created, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{Building: in})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := c.UpdateBuilding(ctx, &buildingv1.UpdateBuildingRequest{
		Building:   &buildingv1.Building{Name: created.GetName(), DisplayName: "甬江大厦", HeightM: 1, Etag: created.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"displayName"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.GetDisplayName() != "甬江大厦" || upd.GetHeightM() != created.GetHeightM() || upd.GetEtag() != "2" {
		t.Fatalf("update = %v", upd)
	}
	vs, err := c.ListBuildingVersions(ctx, &buildingv1.ListBuildingVersionsRequest{Name: created.GetName()})
	if err != nil || len(vs.GetVersions()) < 2 {
		t.Fatalf("versions = %v, %v", vs, err)
	}
}

func TestBulkReadsMaskOwnersIDNumbers(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	in := samples(1)[0]
	in.Owners = []string{owners[0].Name, owners[2].Name} // a person and a legal entity
	created, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{Building: in})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(owners[0].Name, "persons/")
	want := []string{"persons/" + id[:6] + "********" + id[14:], owners[2].Name}
	list, err := c.ListBuildings(ctx, &buildingv1.ListBuildingsRequest{Owner: owners[0].Name})
	if err != nil || len(list.GetBuildings()) != 1 || !slices.Equal(list.GetBuildings()[0].GetOwners(), want) {
		t.Fatalf("List by owner = %v, %v; want owners %v", list, err, want)
	}
	bb := created.GetBoundingBox()
	within, err := c.FindBuildingsWithin(ctx, &buildingv1.FindBuildingsWithinRequest{Area: &buildingv1.FindBuildingsWithinRequest_BoundingBox{BoundingBox: bb}})
	if err != nil || len(within.GetBuildings()) != 1 || !slices.Equal(within.GetBuildings()[0].GetOwners(), want) {
		t.Fatalf("Within = %v, %v", within, err)
	}
	changes, err := c.ListBuildingChanges(ctx, &buildingv1.ListBuildingChangesRequest{})
	if err != nil || !slices.Equal(changes.GetChanges()[0].GetBuilding().GetOwners(), want) {
		t.Fatalf("changes = %v, %v", changes, err)
	}
}

func TestFindWithinAggregateAndSearch(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	reqs := make([]*buildingv1.CreateBuildingRequest, 0, 200)
	for _, b := range samples(200) {
		reqs = append(reqs, &buildingv1.CreateBuildingRequest{Building: b})
	}
	resp, err := c.BatchCreateBuildings(ctx, &buildingv1.BatchCreateBuildingsRequest{Requests: reqs})
	if err != nil || len(resp.GetBuildings()) != 200 {
		t.Fatalf("BatchCreate = %d, %v", len(resp.GetBuildings()), err)
	}
	first := resp.GetBuildings()[0]
	t.Run("a polygon query over REST's POST shape finds the building it surrounds", func(t *testing.T) {
		bb := first.GetBoundingBox()
		poly := geoJSON(t, `{"type":"Polygon","coordinates":[[[`+ftoa(bb.GetMinLongitude()-1e-5)+`,`+ftoa(bb.GetMinLatitude()-1e-5)+`],[`+
			ftoa(bb.GetMaxLongitude()+1e-5)+`,`+ftoa(bb.GetMinLatitude()-1e-5)+`],[`+ftoa(bb.GetMaxLongitude()+1e-5)+`,`+
			ftoa(bb.GetMaxLatitude()+1e-5)+`],[`+ftoa(bb.GetMinLongitude()-1e-5)+`,`+ftoa(bb.GetMinLatitude()-1e-5)+`]]]}`)
		got, err := c.FindBuildingsWithin(ctx, &buildingv1.FindBuildingsWithinRequest{
			Area: &buildingv1.FindBuildingsWithinRequest_Polygon{Polygon: poly}, Relation: buildingv1.SpatialRelation_SPATIAL_RELATION_INTERSECTS})
		if err != nil || !slices.ContainsFunc(got.GetBuildings(), func(b *buildingv1.Building) bool { return b.GetName() == first.GetName() }) {
			t.Fatalf("FindBuildingsWithin = %v, %v", got, err)
		}
	})
	t.Run("aggregates add up to the batch", func(t *testing.T) {
		agg, err := c.AggregateBuildings(ctx, &buildingv1.AggregateBuildingsRequest{RollupLevel: 3})
		if err != nil || agg.GetBuildingCount() != 200 || len(agg.GetDivisions()) != 1 || agg.GetDivisions()[0].GetDivisionCode() != "330211" {
			t.Fatalf("Aggregate = %v, %v", agg, err)
		}
		var sum float64
		for _, b := range resp.GetBuildings() {
			sum += b.GetFloorAreaM2()
		}
		if d := agg.GetFloorAreaM2() - sum; d > 0.01 || d < -0.01 {
			t.Fatalf("floor area %v, want %v", agg.GetFloorAreaM2(), sum)
		}
	})
	t.Run("a name finds its building", func(t *testing.T) {
		var named *buildingv1.Building
		for _, b := range resp.GetBuildings() {
			if b.GetDisplayName() != "" {
				named = b
				break
			}
		}
		got, err := c.SearchBuildings(ctx, &buildingv1.SearchBuildingsRequest{Query: named.GetDisplayName()})
		// An exact name scores 1 (up to the kit's floating-point sum).
		if err != nil || len(got.GetResults()) == 0 || math.Abs(got.GetResults()[0].GetScore()-1) > 1e-9 {
			t.Fatalf("Search %q = %v, %v", named.GetDisplayName(), got, err)
		}
	})
	t.Run("one invalid building refuses the batch, naming it", func(t *testing.T) {
		bad := samples(2)
		bad[1].Use = buildingv1.BuildingUse_BUILDING_USE_UNSPECIFIED
		_, err := c.BatchCreateBuildings(ctx, &buildingv1.BatchCreateBuildingsRequest{Requests: []*buildingv1.CreateBuildingRequest{{Building: bad[0]}, {Building: bad[1]}}})
		if status.Code(err) != codes.InvalidArgument || !slices.Contains(fieldViolations(err), "requests[1].building.use") {
			t.Fatalf("BatchCreate = %v (%v)", err, fieldViolations(err))
		}
	})
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// TestConsumerFollowsTheFeedOverGRPC: export at a sequence, then watch
// from there while a writer writes; the replica ends equal to the registry.
func TestConsumerFollowsTheFeedOverGRPC(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	var names []string
	for _, b := range samples(10) {
		created, err := c.CreateBuilding(ctx, &buildingv1.CreateBuildingRequest{Building: b})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, created.GetName())
	}
	stream, err := c.ExportBuildings(ctx, &buildingv1.ExportBuildingsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	replica := map[string]*buildingv1.Building{}
	var seq int64
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seq = m.GetSequence()
		if b := m.GetBuilding(); b != nil {
			replica[b.GetName()] = b
		}
	}
	if seq != 10 || len(replica) != 10 {
		t.Fatalf("export: sequence %d with %d buildings", seq, len(replica))
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch, err := c.WatchBuildingChanges(wctx, &buildingv1.WatchBuildingChangesRequest{AfterSequence: seq})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBuilding(ctx, &buildingv1.DeleteBuildingRequest{Name: names[3]}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateBuilding(ctx, &buildingv1.UpdateBuildingRequest{
		Building:   &buildingv1.Building{Name: names[4], Status: buildingv1.BuildingStatus_BUILDING_STATUS_DEMOLISHED, StatusDate: "2025-01-01"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status", "status_date"}},
	}); err != nil {
		t.Fatal(err)
	}
	for want := seq + 1; want <= seq+2; want++ {
		ch, err := watch.Recv()
		if err != nil || ch.GetSequence() != want {
			t.Fatalf("watch = %v, %v; want sequence %d", ch, err, want)
		}
		replica[ch.GetName()] = ch.GetBuilding()
	}
	if !replica[names[3]].GetRetired() || replica[names[4]].GetStatus() != buildingv1.BuildingStatus_BUILDING_STATUS_DEMOLISHED {
		t.Fatalf("the replica missed a change")
	}
	delta, err := c.ExportBuildingDelta(ctx, &buildingv1.ExportBuildingDeltaRequest{AfterSequence: seq})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := delta.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("delta has %d changes, want 2", n)
	}
}
