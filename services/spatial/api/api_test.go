package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/paulmach/orb/geojson"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"

	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	typev1 "github.com/zhbase/zhbase/proto/zhbase/type/v1"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/spatial"
	"github.com/zhbase/zhbase/services/spatial/api"
	"github.com/zhbase/zhbase/services/spatial/sqlstore"
)

var ctx = context.Background()

// knownSubjects are the names of other registries' records the test's
// refs.Registry reports as existing; the cross-registry lookup itself is
// exercised by the in-process cluster test.
var knownSubjects = map[string]bool{"legalEntities/91330200144070305Q": true}

// serve runs the registry over bufconn with the production server
// (interceptors, validation, error mapping) on a fresh SQLite file, with
// Zhenhai's divisions registered. It returns the gRPC client and a REST
// base URL served by grpc-gateway over the same connection, as the gateway
// does (with the HttpBody marshaler, which GeoJSON output needs).
func serve(t testing.TB) (spatialv1.SpatialServiceClient, string) {
	t.Helper()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "spatial.db"), Name: "spatial"})
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
	lookup := func(_ context.Context, name string) error {
		if knownSubjects[name] {
			return nil
		}
		return errs.NotFound(name)
	}
	api.Register(srv, spatial.NewService(st, refs.Registry{"legalEntities": lookup, "buildings": lookup}))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		db.Close()
	})
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
	c := spatialv1.NewSpatialServiceClient(conn)
	for _, d := range standard.Zhenhai {
		if _, err := c.CreateDivision(ctx, &spatialv1.CreateDivisionRequest{Division: &spatialv1.Division{Code: d.Code, DisplayName: d.Name}}); err != nil {
			t.Fatalf("create %s: %v", d.Code, err)
		}
	}
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: &runtime.JSONPb{
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}))
	if err := spatialv1.RegisterSpatialServiceHandler(ctx, mux, conn); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return c, hs.URL
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

func newAddress() *spatialv1.Address {
	return &spatialv1.Address{Division: "divisions/330211003000", Road: "某某路", HouseNumber: "88", Building: "3", Unit: "2", Room: "501",
		Location: &spatialv1.Location{Longitude: 121.55, Latitude: 29.98}}
}

func geometry(t testing.TB, js string) *structpb.Struct {
	t.Helper()
	s := &structpb.Struct{}
	if err := s.UnmarshalJSON([]byte(js)); err != nil {
		t.Fatal(err)
	}
	return s
}

const communityGeometry = `{"type":"Polygon","coordinates":[[[121.54,29.97],[121.56,29.97],[121.56,29.99],[121.54,29.99],[121.54,29.97]]]}`

func TestCreateThenGetReturnsTheRecordsInFull(t *testing.T) {
	c, _ := serve(t)
	a, err := c.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: newAddress()})
	if err != nil {
		t.Fatal(err)
	}
	if a.GetName() != "addresses/"+a.GetId() || a.GetFullText() != "浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室" || a.GetEtag() != "1" || a.GetVersion().GetVersion() != 1 {
		t.Fatalf("created %v", a)
	}
	got, err := c.GetAddress(ctx, &spatialv1.GetAddressRequest{Name: a.GetName()})
	if err != nil || !proto.Equal(got, a) {
		t.Fatalf("Get = %v, %v\nwant %v", got, err, a)
	}
	d, err := c.GetDivision(ctx, &spatialv1.GetDivisionRequest{Name: "divisions/330211003000"})
	if err != nil || d.GetLevel() != spatialv1.DivisionLevel_DIVISION_LEVEL_TOWNSHIP || d.GetParent() != "divisions/330211" {
		t.Fatalf("division = %v, %v", d, err)
	}
	if _, err := c.CreateDivision(ctx, &spatialv1.CreateDivisionRequest{Division: &spatialv1.Division{Code: "330211003001", DisplayName: "某某社区"}}); err != nil {
		t.Fatal(err)
	}
	f, err := c.CreateFeature(ctx, &spatialv1.CreateFeatureRequest{Feature: &spatialv1.Feature{
		Kind: spatialv1.FeatureKind_FEATURE_KIND_COMMUNITY, DisplayName: "某某社区界", Division: "divisions/330211003001",
		Geometry: geometry(t, communityGeometry), Properties: map[string]string{"source": "测绘院"}}})
	if err != nil {
		t.Fatal(err)
	}
	if f.GetBbox().GetMinLongitude() != 121.54 || f.GetBbox().GetMaxLatitude() != 29.99 || f.GetGeometry().GetFields()["type"].GetStringValue() != "Polygon" {
		t.Fatalf("feature %v", f)
	}
	gotF, err := c.GetFeature(ctx, &spatialv1.GetFeatureRequest{Name: f.GetName()})
	if err != nil || !proto.Equal(gotF, f) {
		t.Fatalf("Get feature = %v, %v", gotF, err)
	}
	masked, err := c.GetAddress(ctx, &spatialv1.GetAddressRequest{Name: a.GetName(), ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"fullText", "location"}}})
	if err != nil || !proto.Equal(masked, &spatialv1.Address{Name: a.GetName(), FullText: a.GetFullText(), Location: a.GetLocation()}) {
		t.Fatalf("masked Get = %v, %v", masked, err)
	}
}

func TestErrorsCarryTheRightCodeReasonAndField(t *testing.T) {
	c, _ := serve(t)
	a, err := c.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: newAddress()})
	if err != nil {
		t.Fatal(err)
	}
	bowTie := `{"type":"Polygon","coordinates":[[[121.60,29.95],[121.61,29.95],[121.60,29.96],[121.61,29.96],[121.60,29.95]]]}`
	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		fields []string
	}{
		{"the same address twice is ALREADY_EXISTS", func() error {
			_, err := c.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: newAddress()})
			return err
		}, codes.AlreadyExists, "ALREADY_EXISTS", nil},
		{"an address in a division that does not exist names address.division", func() error {
			x := newAddress()
			x.Division = "divisions/330211999000"
			_, err := c.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: x})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"address.division"}},
		{"a division that is not a resource name names address.division", func() error {
			x := newAddress()
			x.Division = "330211003000"
			_, err := c.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: x})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"address.division"}},
		{"a self-intersecting polygon names feature.geometry", func() error {
			_, err := c.CreateFeature(ctx, &spatialv1.CreateFeatureRequest{Feature: &spatialv1.Feature{Kind: spatialv1.FeatureKind_FEATURE_KIND_PARCEL,
				DisplayName: "坏地块", Division: "divisions/330211003000", Geometry: geometry(t, bowTie)}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"feature.geometry"}},
		{"an unknown subject names feature.subject", func() error {
			_, err := c.CreateFeature(ctx, &spatialv1.CreateFeatureRequest{Feature: &spatialv1.Feature{Kind: spatialv1.FeatureKind_FEATURE_KIND_POINT_OF_INTEREST,
				DisplayName: "某厂", Division: "divisions/330211003000", Subject: "legalEntities/91330211MA2AFQ1X2T",
				Geometry: geometry(t, `{"type":"Point","coordinates":[121.55,29.98]}`)}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"feature.subject"}},
		{"a box with min above max names bbox.min_longitude", func() error {
			_, err := c.FindAddressesWithin(ctx, &spatialv1.FindAddressesWithinRequest{Area: &spatialv1.FindAddressesWithinRequest_Bbox{
				Bbox: &spatialv1.BoundingBox{MinLongitude: 121.8, MinLatitude: 29.9, MaxLongitude: 121.5, MaxLatitude: 30}}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"bbox.min_longitude"}},
		{"a radius of 0 names circle.radius_meters", func() error {
			_, err := c.FindFeaturesWithin(ctx, &spatialv1.FindFeaturesWithinRequest{Area: &spatialv1.FindFeaturesWithinRequest_Circle{
				Circle: &spatialv1.Circle{Center: &spatialv1.Location{Longitude: 121.55, Latitude: 29.98}}}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"circle.radius_meters"}},
		{"a latitude out of range is refused by the interceptor", func() error {
			_, err := c.ReverseGeocode(ctx, &spatialv1.ReverseGeocodeRequest{Location: &spatialv1.Location{Longitude: 121.55, Latitude: 95}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"location.latitude"}},
		{"a missing location is refused by the interceptor", func() error {
			_, err := c.ReverseGeocode(ctx, &spatialv1.ReverseGeocodeRequest{})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"location"}},
		{"an unknown address is NOT_FOUND", func() error {
			_, err := c.GetAddress(ctx, &spatialv1.GetAddressRequest{Name: "addresses/6f1c2b1e-8f7a-4c7d-9a53-2f0e6e0b9a10"})
			return err
		}, codes.NotFound, "NOT_FOUND", nil},
		{"an address name that is no UUID is INVALID_ARGUMENT", func() error {
			_, err := c.GetAddress(ctx, &spatialv1.GetAddressRequest{Name: "addresses/88"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}},
		{"a stale etag is ABORTED", func() error {
			_, err := c.UpdateAddress(ctx, &spatialv1.UpdateAddressRequest{Address: &spatialv1.Address{Name: a.GetName(), Room: "502", Etag: "7"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"room"}}})
			return err
		}, codes.Aborted, "ETAG_MISMATCH", nil},
		{"a bad filter names filter", func() error {
			_, err := c.ListFeatures(ctx, &spatialv1.ListFeaturesRequest{Filter: "kind = RIVER"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"filter"}},
		{"retiring a division with addresses in it is FAILED_PRECONDITION", func() error {
			_, err := c.DeleteDivision(ctx, &spatialv1.DeleteDivisionRequest{Name: "divisions/330211003000"})
			return err
		}, codes.FailedPrecondition, "FAILED_PRECONDITION", nil},
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
					t.Fatalf("field violations %v do not name %q (%v)", got, f, err)
				}
			}
		})
	}
}

func TestUpdateChangesOnlyMaskedFields(t *testing.T) {
	c, _ := serve(t)
	a, err := c.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: newAddress()})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := c.UpdateAddress(ctx, &spatialv1.UpdateAddressRequest{
		Address:    &spatialv1.Address{Name: a.GetName(), Room: "502", Road: "ignored", Etag: a.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"room"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.GetRoom() != "502" || upd.GetRoad() != "某某路" || upd.GetEtag() != "2" || !strings.HasSuffix(upd.GetFullText(), "502室") {
		t.Fatalf("update = %v", upd)
	}
	vs, err := c.ListAddressVersions(ctx, &spatialv1.ListAddressVersionsRequest{Name: a.GetName()})
	if err != nil || len(vs.GetVersions()) != 3 {
		t.Fatalf("versions = %v, %v", vs, err)
	}
}

// rest calls the REST facade and decodes a JSON body.
func rest(t testing.TB, method, u, body string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func TestRESTRoutes(t *testing.T) {
	c, base := serve(t)
	if _, err := c.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: newAddress()}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDivision(ctx, &spatialv1.CreateDivisionRequest{Division: &spatialv1.Division{Code: "330211003001", DisplayName: "某某社区"}}); err != nil {
		t.Fatal(err)
	}
	community, err := c.CreateFeature(ctx, &spatialv1.CreateFeatureRequest{Feature: &spatialv1.Feature{
		Kind: spatialv1.FeatureKind_FEATURE_KIND_COMMUNITY, DisplayName: "某某社区界", Division: "divisions/330211003001", Geometry: geometry(t, communityGeometry)}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("POST /v1/addresses:standardize reads free text", func(t *testing.T) {
		code, _, body := rest(t, "POST", base+"/v1/addresses:standardize", `{"text":"宁波镇海骆驼某某路８８號3栋2单元501"}`)
		var r struct {
			Components struct{ Township, Road, HouseNumber string }
			Match      struct{ FullText string }
			Confidence float64
		}
		if code != 200 || json.Unmarshal(body, &r) != nil || r.Match.FullText != "浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室" || r.Confidence != 1 ||
			r.Components.Township != "骆驼街道" || r.Components.HouseNumber != "88" {
			t.Fatalf("%d %s", code, body)
		}
	})

	t.Run("GET /v1/features:geojson returns a FeatureCollection as application/geo+json", func(t *testing.T) {
		q := url.Values{"bbox.min_longitude": {"121.48"}, "bbox.min_latitude": {"29.90"}, "bbox.max_longitude": {"121.80"}, "bbox.max_latitude": {"30.08"}, "kinds": {"FEATURE_KIND_COMMUNITY"}}
		code, ctype, body := rest(t, "GET", base+"/v1/features:geojson?"+q.Encode(), "")
		if code != 200 || ctype != "application/geo+json" {
			t.Fatalf("%d %s: %s", code, ctype, body)
		}
		fc, err := geojson.UnmarshalFeatureCollection(body)
		if err != nil || len(fc.Features) != 1 || fc.Features[0].ID != community.GetName() || fc.Features[0].Properties["division"] != "divisions/330211003001" {
			t.Fatalf("collection %s (%v)", body, err)
		}
	})

	t.Run("GET /v1/addresses:within?circle… gives distances", func(t *testing.T) {
		q := url.Values{"circle.center.longitude": {"121.5501"}, "circle.center.latitude": {"29.98"}, "circle.radius_meters": {"50"}}
		code, _, body := rest(t, "GET", base+"/v1/addresses:within?"+q.Encode(), "")
		var r struct {
			Results []struct{ DistanceMeters float64 }
		}
		if code != 200 || json.Unmarshal(body, &r) != nil || len(r.Results) != 1 || r.Results[0].DistanceMeters < 9 || r.Results[0].DistanceMeters > 10 {
			t.Fatalf("%d %s", code, body)
		}
	})

	t.Run("GET /v1/features:containing answers which community a point is in", func(t *testing.T) {
		q := url.Values{"point.longitude": {"121.55"}, "point.latitude": {"29.98"}, "kinds": {"FEATURE_KIND_COMMUNITY"}}
		code, _, body := rest(t, "GET", base+"/v1/features:containing?"+q.Encode(), "")
		if code != 200 || !strings.Contains(string(body), community.GetName()) {
			t.Fatalf("%d %s", code, body)
		}
	})

	t.Run("GET /v1/addresses:reverseGeocode and :autocomplete", func(t *testing.T) {
		code, _, body := rest(t, "GET", base+"/v1/addresses:reverseGeocode?location.longitude=121.5501&location.latitude=29.98", "")
		if code != 200 || !strings.Contains(string(body), "某某路88号") {
			t.Fatalf("reverse geocode: %d %s", code, body)
		}
		code, _, body = rest(t, "GET", base+"/v1/addresses:autocomplete?prefix="+url.QueryEscape("镇海骆驼某某路8"), "")
		if code != 200 || !strings.Contains(string(body), "某某路88号") {
			t.Fatalf("autocomplete: %d %s", code, body)
		}
	})

	t.Run("a bad box is 400 with the field named", func(t *testing.T) {
		q := url.Values{"bbox.min_longitude": {"121.8"}, "bbox.min_latitude": {"29.9"}, "bbox.max_longitude": {"121.5"}, "bbox.max_latitude": {"30"}}
		code, _, body := rest(t, "GET", base+"/v1/features:geojson?"+q.Encode(), "")
		if code != 400 || !strings.Contains(string(body), "bbox.min_longitude") {
			t.Fatalf("%d %s", code, body)
		}
	})

	t.Run("GET /v1/spatial/changes lists every collection's changes", func(t *testing.T) {
		code, _, body := rest(t, "GET", base+"/v1/spatial/changes?max=1000", "")
		var r struct {
			Changes []struct {
				Name     string
				Division json.RawMessage
				Address  json.RawMessage
				Feature  json.RawMessage
			}
			HeadSequence string
		}
		if code != 200 || json.Unmarshal(body, &r) != nil || len(r.Changes) != len(standard.Zhenhai)+3 {
			t.Fatalf("%d %s", code, body)
		}
		last := r.Changes[len(r.Changes)-1]
		if last.Name != community.GetName() || last.Feature == nil {
			t.Fatalf("last change %+v", last)
		}
	})
}

func TestFeedOverGRPC(t *testing.T) {
	c, _ := serve(t)
	head := int64(len(standard.Zhenhai))
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := c.WatchSpatialChanges(wctx, &spatialv1.WatchSpatialChangesRequest{AfterSequence: head})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.CreateAddress(ctx, &spatialv1.CreateAddressRequest{Address: newAddress()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteAddress(ctx, &spatialv1.DeleteAddressRequest{Name: a.GetName()}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []typev1.ChangeAction{typev1.ChangeAction_CHANGE_ACTION_CREATED, typev1.ChangeAction_CHANGE_ACTION_RETIRED} {
		ch, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if ch.GetSequence() != head+int64(i)+1 || ch.GetAction() != want || ch.GetName() != a.GetName() || ch.GetAddress().GetFullText() != a.GetFullText() {
			t.Fatalf("change %d = %v", i, ch)
		}
	}
	exp, err := c.ExportSpatialRecords(ctx, &spatialv1.ExportSpatialRecordsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	var divisions, addresses int
	for {
		m, err := exp.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seq = m.GetSequence()
		if m.GetDivision() != nil {
			divisions++
		}
		if m.GetAddress() != nil {
			addresses++
			if !m.GetAddress().GetRetired() {
				t.Fatal("the export must carry the retired address as retired")
			}
		}
	}
	if seq != head+2 || divisions != len(standard.Zhenhai) || addresses != 1 {
		t.Fatalf("export at %d: %d divisions, %d addresses", seq, divisions, addresses)
	}
	delta, err := c.ExportSpatialDelta(ctx, &spatialv1.ExportSpatialDeltaRequest{AfterSequence: head})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := delta.Recv()
	if err != nil || ch.GetAction() != typev1.ChangeAction_CHANGE_ACTION_RETIRED {
		t.Fatalf("delta = %v, %v: one net change, the retirement", ch, err)
	}
	if _, err := delta.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("delta has more than one change: %v", err)
	}
}
