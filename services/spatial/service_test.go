package spatial_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/geo"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/spatial"
	"github.com/zhbase/zhbase/services/spatial/sqlstore"
)

var ctx = context.Background()

// others stands in for the registries a feature's subject lives in. The
// Service gets a refs.Registry whose lookups read the names this test
// controls; the cross-registry lookup itself (a gRPC Get through etcd) is
// exercised by the in-process cluster test.
type others struct {
	mu      sync.Mutex
	known   map[string]bool
	offline bool
}

func (o *others) lookup(_ context.Context, name string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.offline {
		return errors.New("connection refused")
	}
	if !o.known[name] {
		return errs.NotFound(name)
	}
	return nil
}

func (o *others) registry() refs.Registry {
	return refs.Registry{"legalEntities": o.lookup, "buildings": o.lookup}
}

// newService opens the registry on a fresh SQLite file with Zhenhai's
// divisions registered (from 2000). The store contract runs on both
// backends in sqlstore; the rules tested here do not depend on one.
func newService(t testing.TB) (*spatial.Service, *others) {
	t.Helper()
	svc, o := freshService(t)
	for _, d := range standard.Zhenhai {
		if _, err := svc.CreateDivision(ctx, &spatial.Division{Code: d.Code, Name: d.Name}, spatial.CreateOptions{EffectiveFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatalf("create %s: %v", d.Code, err)
		}
	}
	return svc, o
}

// freshService opens an empty registry on a fresh SQLite file.
func freshService(t testing.TB) (*spatial.Service, *others) {
	t.Helper()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "spatial.db"), Name: "spatial"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	o := &others{known: map[string]bool{}}
	return spatial.NewService(st, o.registry()), o
}

// fieldsOf returns the fields an error's violations name.
func fieldsOf(err error) []string {
	var inv *errs.InvalidError
	if !errors.As(err, &inv) {
		return nil
	}
	var out []string
	for _, v := range inv.Violations {
		out = append(out, v.Field)
	}
	return out
}

func reasonFor(err error, field string) string {
	var inv *errs.InvalidError
	if errors.As(err, &inv) {
		for _, v := range inv.Violations {
			if v.Field == field {
				return v.Reason
			}
		}
	}
	return ""
}

func address(road, number string) *spatial.Address {
	return &spatial.Address{DivisionCode: "330211003000", Road: road, HouseNumber: number, Location: spatial.Location{Lon: 121.55, Lat: 29.98}}
}

func mustCreateAddress(t testing.TB, svc *spatial.Service, a *spatial.Address) *spatial.Address {
	t.Helper()
	got, err := svc.CreateAddress(ctx, a, spatial.CreateOptions{})
	if err != nil {
		t.Fatalf("create address %+v: %v", a, err)
	}
	return got
}

func TestDivisions(t *testing.T) {
	svc, _ := newService(t)

	t.Run("a division's parent must exist", func(t *testing.T) {
		_, err := svc.CreateDivision(ctx, &spatial.Division{Code: "330212001000", Name: "某街道"}, spatial.CreateOptions{})
		if r := reasonFor(err, "division.code"); !strings.Contains(r, "its parent divisions/330212 does not exist") {
			t.Fatalf("Create = %v", err)
		}
	})

	t.Run("a province needs no parent", func(t *testing.T) {
		d, err := svc.CreateDivision(ctx, &spatial.Division{Code: "310000", Name: "上海市"}, spatial.CreateOptions{})
		if err != nil || d.Level() != spatial.LevelProvince || d.Revision != 1 {
			t.Fatalf("Create = %+v, %v", d, err)
		}
	})

	t.Run("a code taken is ALREADY_EXISTS", func(t *testing.T) {
		_, err := svc.CreateDivision(ctx, &spatial.Division{Code: "330211", Name: "镇海区"}, spatial.CreateOptions{})
		if !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("Create = %v", err)
		}
	})

	t.Run("a name that cannot be a code is refused naming name", func(t *testing.T) {
		_, err := svc.GetDivision(ctx, "3302", history.Point{})
		if !slices.Equal(fieldsOf(err), []string{"name"}) {
			t.Fatalf("Get = %v", err)
		}
	})

	t.Run("a division others lie in cannot be retired until they are gone", func(t *testing.T) {
		c, err := svc.CreateDivision(ctx, &spatial.Division{Code: "330211004001", Name: "兴庄社区"}, spatial.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DeleteDivision(ctx, "330211004000", spatial.DeleteOptions{}); !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "330211004001") {
			t.Fatalf("retiring a township with a community = %v", err)
		}
		a := mustCreateAddress(t, svc, &spatial.Address{DivisionCode: c.Code, Road: "兴庄路", HouseNumber: "1", Location: spatial.Location{Lon: 121.55, Lat: 29.93}})
		if _, err := svc.DeleteDivision(ctx, c.Code, spatial.DeleteOptions{}); !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), a.ID) {
			t.Fatalf("retiring a community holding an address = %v", err)
		}
		if _, err := svc.DeleteAddress(ctx, a.ID, spatial.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		d, err := svc.DeleteDivision(ctx, c.Code, spatial.DeleteOptions{})
		if err != nil || !d.Retired {
			t.Fatalf("retiring the emptied community = %+v, %v", d, err)
		}
		_, err = svc.CreateAddress(ctx, &spatial.Address{DivisionCode: c.Code, Road: "兴庄路", HouseNumber: "2", Location: spatial.Location{Lon: 121.55, Lat: 29.93}}, spatial.CreateOptions{})
		if r := reasonFor(err, "address.division"); !strings.Contains(r, "is retired") {
			t.Fatalf("an address in a retired division = %v", err)
		}
	})

	t.Run("a new code must be of the same level, with an existing parent", func(t *testing.T) {
		for _, tt := range []struct{ code, want string }{
			{"330211", "a county code, but 330211005000 is a township"},
			{"330299005000", "its parent divisions/330299 does not exist"},
		} {
			_, err := svc.RenameDivision(ctx, "330211005000", tt.code, spatial.RenameOptions{})
			if r := reasonFor(err, "new_code"); !strings.Contains(r, tt.want) {
				t.Fatalf("rename to %s = %v, want %q", tt.code, err, tt.want)
			}
		}
	})

	t.Run("a renumbered township redirects, and its addresses keep their text", func(t *testing.T) {
		a := mustCreateAddress(t, svc, &spatial.Address{DivisionCode: "330211005000", Road: "贵驷路", HouseNumber: "9", Location: spatial.Location{Lon: 121.65, Lat: 29.98}})
		d, err := svc.RenameDivision(ctx, "330211005000", "330211006000", spatial.RenameOptions{})
		if err != nil || d.Code != "330211006000" {
			t.Fatalf("Rename = %+v, %v", d, err)
		}
		old, err := svc.GetDivision(ctx, "330211005000", history.Point{})
		if err != nil || old.Code != "330211006000" || old.RedirectedFrom != "330211005000" {
			t.Fatalf("Get of the old code = %+v, %v", old, err)
		}
		got, err := svc.GetAddress(ctx, a.ID, history.Point{})
		if err != nil || got.FullText != "浙江省宁波市镇海区贵驷街道贵驷路9号" {
			t.Fatalf("address after the renumbering = %q, %v", got.FullText, err)
		}
		_, err = svc.CreateAddress(ctx, &spatial.Address{DivisionCode: "330211005000", Road: "贵驷路", HouseNumber: "10", Location: spatial.Location{Lon: 121.65, Lat: 29.98}}, spatial.CreateOptions{})
		if r := reasonFor(err, "address.division"); !strings.Contains(r, "was renamed to divisions/330211006000") {
			t.Fatalf("an address under the old code = %v", err)
		}
	})
}

func TestAddresses(t *testing.T) {
	svc, _ := newService(t)

	t.Run("the registry assigns a UUID and computes the full text", func(t *testing.T) {
		a := mustCreateAddress(t, svc, &spatial.Address{DivisionCode: "330211003000", Road: "某某路", HouseNumber: "８８号", Building: "3栋", Unit: "2", Room: "501",
			Location: spatial.Location{Lon: 121.55, Lat: 29.98}})
		if len(a.ID) != 36 || a.FullText != "浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室" || a.Revision != 1 {
			t.Fatalf("created %+v", a)
		}
	})

	t.Run("a chosen id must be a UUID", func(t *testing.T) {
		_, err := svc.CreateAddress(ctx, address("某某路", "1"), spatial.CreateOptions{ID: "my-id"})
		if !slices.Equal(fieldsOf(err), []string{"address_id"}) {
			t.Fatalf("Create = %v", err)
		}
		a, err := svc.CreateAddress(ctx, address("某某路", "1"), spatial.CreateOptions{ID: "6F1C2B1E-8F7A-4C7D-9A53-2F0E6E0B9A10"})
		if err != nil || a.ID != "6f1c2b1e-8f7a-4c7d-9a53-2f0e6e0b9a10" {
			t.Fatalf("Create with a chosen id = %+v, %v", a, err)
		}
	})

	t.Run("the division must exist, reported with the other broken rules", func(t *testing.T) {
		_, err := svc.CreateAddress(ctx, &spatial.Address{DivisionCode: "330211999000", Road: "", HouseNumber: "1", Location: spatial.Location{Lon: 121.55, Lat: 29.98}}, spatial.CreateOptions{})
		got := fieldsOf(err)
		slices.Sort(got)
		if !slices.Equal(got, []string{"address.division", "address.road"}) || !strings.Contains(reasonFor(err, "address.division"), "does not exist") {
			t.Fatalf("Create = %v", err)
		}
	})

	t.Run("the same address twice is ALREADY_EXISTS naming the first", func(t *testing.T) {
		first := mustCreateAddress(t, svc, address("重复路", "5"))
		_, err := svc.CreateAddress(ctx, address("重复路", "五号"), spatial.CreateOptions{})
		if !errors.Is(err, errs.ErrAlreadyExists) || !strings.Contains(err.Error(), first.ID) {
			t.Fatalf("Create = %v", err)
		}
	})

	t.Run("an update changes only the masked fields and recomputes the text", func(t *testing.T) {
		a := mustCreateAddress(t, svc, address("更新路", "7"))
		in := &spatial.Address{Road: "新名路", HouseNumber: "999", Location: spatial.Location{Lon: 1, Lat: 1}}
		got, err := svc.UpdateAddress(ctx, a.ID, in, []string{"road"}, spatial.UpdateOptions{Revision: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got.Road != "新名路" || got.HouseNumber != "7" || got.Location != a.Location || got.FullText != "浙江省宁波市镇海区骆驼街道新名路7号" || got.Revision != 2 {
			t.Fatalf("updated %+v", got)
		}
		if _, err := svc.UpdateAddress(ctx, a.ID, in, []string{"road"}, spatial.UpdateOptions{Revision: 1}); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("a stale etag = %v", err)
		}
		for _, tt := range []struct{ path, want string }{{"full_text", "cannot be changed"}, {"colour", "unknown field"}} {
			_, err := svc.UpdateAddress(ctx, a.ID, in, []string{tt.path}, spatial.UpdateOptions{})
			if !strings.Contains(reasonFor(err, "update_mask"), tt.want) {
				t.Fatalf("update_mask %s = %v", tt.path, err)
			}
		}
	})

	t.Run("validate_only runs every rule and stores nothing", func(t *testing.T) {
		a := mustCreateAddress(t, svc, address("验证路", "1"))
		got, err := svc.UpdateAddress(ctx, a.ID, &spatial.Address{HouseNumber: "2"}, []string{"house_number"}, spatial.UpdateOptions{ValidateOnly: true})
		if err != nil || got.HouseNumber != "2" {
			t.Fatalf("validate-only update = %+v, %v", got, err)
		}
		if now, _ := svc.GetAddress(ctx, a.ID, history.Point{}); now.HouseNumber != "1" {
			t.Fatalf("validate_only stored %q", now.HouseNumber)
		}
		if _, err := svc.UpdateAddress(ctx, a.ID, &spatial.Address{HouseNumber: "x"}, []string{"house_number"}, spatial.UpdateOptions{ValidateOnly: true}); !slices.Equal(fieldsOf(err), []string{"address.house_number"}) {
			t.Fatalf("validate-only of a bad number = %v", err)
		}
	})

	t.Run("a renamed township shows in the text now, and the old name before", func(t *testing.T) {
		a := mustCreateAddress(t, svc, &spatial.Address{DivisionCode: "330211002000", Road: "蛟川路", HouseNumber: "3", Location: spatial.Location{Lon: 121.7, Lat: 29.93}})
		before := time.Now().UTC()
		time.Sleep(2 * time.Millisecond)
		if _, err := svc.UpdateDivision(ctx, "330211002000", &spatial.Division{Name: "蛟川新街道"}, []string{"display_name"}, spatial.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		now, err := svc.GetAddress(ctx, a.ID, history.Point{})
		if err != nil || now.FullText != "浙江省宁波市镇海区蛟川新街道蛟川路3号" {
			t.Fatalf("now: %q, %v", now.FullText, err)
		}
		then, err := svc.GetAddress(ctx, a.ID, history.Point{ValidAt: before, KnownAt: before})
		if err != nil || then.FullText != "浙江省宁波市镇海区蛟川街道蛟川路3号" {
			t.Fatalf("before the rename: %q, %v", then.FullText, err)
		}
	})
}

func TestFeatures(t *testing.T) {
	svc, o := newService(t)
	poi := func() *spatial.Feature {
		return &spatial.Feature{Kind: spatial.KindPOI, Name: "镇海炼化", DivisionCode: "330211100000",
			RawGeometry: json.RawMessage(`{"type":"Point","coordinates":[121.65,30.03]}`), Subject: "legalEntities/91330200144070305Q"}
	}

	t.Run("a subject the other registry does not hold is refused naming feature.subject", func(t *testing.T) {
		_, err := svc.CreateFeature(ctx, poi(), spatial.CreateOptions{})
		if !strings.Contains(reasonFor(err, "feature.subject"), "does not exist") {
			t.Fatalf("Create = %v", err)
		}
	})

	t.Run("a subject the other registry holds is accepted, with the bounding box computed", func(t *testing.T) {
		o.known["legalEntities/91330200144070305Q"] = true
		f, err := svc.CreateFeature(ctx, poi(), spatial.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if f.Bound != (spatial.Bound{MinLon: 121.65, MinLat: 30.03, MaxLon: 121.65, MaxLat: 30.03}) || f.Geometry != (orb.Point{121.65, 30.03}) {
			t.Fatalf("created %+v", f)
		}
	})

	t.Run("when the other registry cannot answer, nothing is stored", func(t *testing.T) {
		o.offline = true
		defer func() { o.offline = false }()
		p := poi()
		p.Name = "离线时的点"
		_, err := svc.CreateFeature(ctx, p, spatial.CreateOptions{})
		if !errors.Is(err, errs.ErrUnavailable) {
			t.Fatalf("Create = %v, want unavailable", err)
		}
		hits, _, _ := svc.SearchFeatures(ctx, spatial.SearchQuery{Query: "离线时的点"})
		if len(hits) != 0 {
			t.Fatal("a feature was stored without its subject checked")
		}
	})

	t.Run("a self-intersecting polygon is refused with the ring and points", func(t *testing.T) {
		_, err := svc.CreateFeature(ctx, &spatial.Feature{Kind: spatial.KindParcel, Name: "坏地块", DivisionCode: "330211003000",
			RawGeometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[121.60,29.95],[121.61,29.95],[121.60,29.96],[121.61,29.96],[121.60,29.95]]]}`)}, spatial.CreateOptions{})
		if r := reasonFor(err, "feature.geometry"); r != "ring 0 intersects itself between points 1 and 3" {
			t.Fatalf("Create = %v", err)
		}
	})

	t.Run("updating the geometry moves the feature in the spatial index", func(t *testing.T) {
		f, err := svc.CreateFeature(ctx, &spatial.Feature{Kind: spatial.KindParcel, Name: "移动地块", DivisionCode: "330211003000",
			Geometry: orb.Polygon{{{121.50, 29.97}, {121.51, 29.97}, {121.51, 29.98}, {121.50, 29.97}}}}, spatial.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		in := &spatial.Feature{RawGeometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[121.55,29.97],[121.56,29.97],[121.56,29.98],[121.55,29.97]]]}`)}
		if _, err := svc.UpdateFeature(ctx, f.ID, in, []string{"geometry"}, spatial.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		find := func(lon float64) []*spatial.Feature {
			fs, _, err := svc.FeaturesWithin(ctx, spatial.WithinQuery{Area: spatial.Area{Bound: &spatial.Bound{MinLon: lon, MinLat: 29.97, MaxLon: lon + 0.01, MaxLat: 29.98}}})
			if err != nil {
				t.Fatal(err)
			}
			return fs
		}
		if len(find(121.50)) != 0 || len(find(121.55)) != 1 {
			t.Fatal("the moved parcel is not where it now is, or still where it was")
		}
	})
}

func TestSpatialQueries(t *testing.T) {
	svc, _ := newService(t)
	for i := 0; i < 30; i++ {
		mustCreateAddress(t, svc, &spatial.Address{DivisionCode: "330211003000", Road: "查询路", HouseNumber: fmt.Sprint(i + 1),
			Location: spatial.Location{Lon: 121.55 + float64(i)*0.0001, Lat: 29.98}})
	}
	road, err := svc.CreateFeature(ctx, &spatial.Feature{Kind: spatial.KindRoad, Name: "查询路", DivisionCode: "330211003000",
		Geometry: orb.LineString{{121.549, 29.9799}, {121.554, 29.9799}}}, spatial.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateDivision(ctx, &spatial.Division{Code: "330211003001", Name: "查询社区"}, spatial.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	community, err := svc.CreateFeature(ctx, &spatial.Feature{Kind: spatial.KindCommunity, Name: "查询社区界", DivisionCode: "330211003001",
		Geometry: orb.Polygon{{{121.54, 29.97}, {121.56, 29.97}, {121.56, 29.99}, {121.54, 29.99}, {121.54, 29.97}}}}, spatial.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a page token belongs to its query", func(t *testing.T) {
		b := &spatial.Bound{MinLon: 121.54, MinLat: 29.97, MaxLon: 121.56, MaxLat: 29.99}
		page, next, err := svc.AddressesWithin(ctx, spatial.WithinQuery{Area: spatial.Area{Bound: b}, PageSize: 10})
		if err != nil || len(page) != 10 || next == "" {
			t.Fatalf("first page: %d, %q, %v", len(page), next, err)
		}
		other := *b
		other.MaxLat += 0.001
		_, _, err = svc.AddressesWithin(ctx, spatial.WithinQuery{Area: spatial.Area{Bound: &other}, PageSize: 10, PageToken: next})
		if !slices.Equal(fieldsOf(err), []string{"page_token"}) {
			t.Fatalf("a token of another box = %v", err)
		}
	})

	t.Run("a circle gives distances from its centre", func(t *testing.T) {
		got, _, err := svc.AddressesWithin(ctx, spatial.WithinQuery{Area: spatial.Area{Circle: &spatial.Circle{Center: spatial.Location{Lon: 121.55, Lat: 29.98}, Radius: 25}}})
		if err != nil {
			t.Fatal(err)
		}
		// 0.0001° of longitude at 29.98°N is 9.64 m: the first three fit in 25 m.
		if len(got) != 3 {
			t.Fatalf("%d addresses within 25 m, want 3", len(got))
		}
		for _, l := range got {
			if l.Distance > 25 || l.Distance != geo.Haversine(121.55, 29.98, l.Address.Location.Lon, l.Address.Location.Lat) {
				t.Fatalf("distance %g of %s", l.Distance, l.Address.FullText)
			}
		}
	})

	t.Run("reverse geocoding returns the nearest first, within the distance asked", func(t *testing.T) {
		got, err := svc.ReverseGeocode(ctx, spatial.ReverseQuery{Location: spatial.Location{Lon: 121.5520, Lat: 29.9801}, MaxResults: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Address.HouseNumber != "21" || got[0].Distance > got[1].Distance || got[1].Distance > got[2].Distance {
			t.Fatalf("nearest = %v", got)
		}
		far, err := svc.ReverseGeocode(ctx, spatial.ReverseQuery{Location: spatial.Location{Lon: 121.70, Lat: 30.05}, MaxDistance: 500})
		if err != nil || len(far) != 0 {
			t.Fatalf("nothing lies within 500 m, got %v, %v", far, err)
		}
		for _, tt := range []struct {
			q     spatial.ReverseQuery
			field string
		}{
			{spatial.ReverseQuery{Location: spatial.Location{Lon: 121.55, Lat: 29.98}, MaxDistance: 50001}, "max_distance_meters"},
			{spatial.ReverseQuery{Location: spatial.Location{Lon: 121.55, Lat: 29.98}, MaxDistance: -1}, "max_distance_meters"},
			{spatial.ReverseQuery{Location: spatial.Location{Lon: 121.55, Lat: 95}}, "location.latitude"},
		} {
			if _, err := svc.ReverseGeocode(ctx, tt.q); !slices.Equal(fieldsOf(err), []string{tt.field}) {
				t.Fatalf("ReverseGeocode(%+v) = %v, want a violation on %s", tt.q, err, tt.field)
			}
		}
	})

	t.Run("which community is this point in", func(t *testing.T) {
		fs, err := svc.FeaturesContaining(ctx, spatial.ContainingQuery{Point: spatial.Location{Lon: 121.545, Lat: 29.985}, Kinds: []spatial.FeatureKind{spatial.KindCommunity}})
		if err != nil || len(fs) != 1 || fs[0].ID != community.ID {
			t.Fatalf("containing = %v, %v", fs, err)
		}
		fs, err = svc.FeaturesContaining(ctx, spatial.ContainingQuery{Point: spatial.Location{Lon: 121.60, Lat: 29.985}})
		if err != nil || len(fs) != 0 {
			t.Fatalf("outside every polygon: %v, %v", fs, err)
		}
		_, err = svc.FeaturesContaining(ctx, spatial.ContainingQuery{Point: spatial.Location{Lon: 121.545, Lat: 29.985}, Kinds: []spatial.FeatureKind{spatial.KindRoad}})
		if !slices.Equal(fieldsOf(err), []string{"kinds[0]"}) {
			t.Fatalf("asking which road contains a point = %v", err)
		}
	})

	t.Run("a road meets a box it crosses without a vertex inside", func(t *testing.T) {
		fs, _, err := svc.FeaturesWithin(ctx, spatial.WithinQuery{Area: spatial.Area{Bound: &spatial.Bound{MinLon: 121.551, MinLat: 29.9798, MaxLon: 121.552, MaxLat: 29.9800}},
			Kinds: []spatial.FeatureKind{spatial.KindRoad}})
		if err != nil || len(fs) != 1 || fs[0].ID != road.ID {
			t.Fatalf("features = %v, %v", fs, err)
		}
	})

	t.Run("GeoJSON output is a FeatureCollection with the next page token as a foreign member", func(t *testing.T) {
		body, err := svc.FeaturesGeoJSON(ctx, spatial.GeoJSONQuery{Bound: spatial.Zhenhai, PageSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(body)
		if err != nil {
			t.Fatalf("not GeoJSON: %v\n%s", err, body)
		}
		next, _ := fc.ExtraMembers["next_page_token"].(string)
		if len(fc.Features) != 1 || next == "" || fc.Features[0].Properties["kind"] == nil || len(fc.BBox) != 4 {
			t.Fatalf("page 1: %s", body)
		}
		body, err = svc.FeaturesGeoJSON(ctx, spatial.GeoJSONQuery{Bound: spatial.Zhenhai, PageSize: 1, PageToken: next})
		if err != nil {
			t.Fatal(err)
		}
		fc2, _ := geojson.UnmarshalFeatureCollection(body)
		if len(fc2.Features) != 1 || fc2.Features[0].ID == fc.Features[0].ID || fc2.ExtraMembers["next_page_token"] != nil {
			t.Fatalf("page 2: %s", body)
		}
	})
}

func TestAutocomplete(t *testing.T) {
	svc, _ := newService(t)
	mustCreateAddress(t, svc, &spatial.Address{DivisionCode: "330211003000", Road: "某某路", HouseNumber: "8", Location: spatial.Location{Lon: 121.55, Lat: 29.98}})
	mustCreateAddress(t, svc, &spatial.Address{DivisionCode: "330211003000", Road: "某某路", HouseNumber: "88", Building: "3", Location: spatial.Location{Lon: 121.55, Lat: 29.981}})
	mustCreateAddress(t, svc, &spatial.Address{DivisionCode: "330211003000", Road: "其他路", HouseNumber: "8", Location: spatial.Location{Lon: 121.55, Lat: 29.982}})
	mustCreateAddress(t, svc, &spatial.Address{DivisionCode: "330211001000", Road: "某某路", HouseNumber: "80", Location: spatial.Location{Lon: 121.72, Lat: 29.98}})
	texts := func(prefix string) []string {
		t.Helper()
		as, err := svc.AutocompleteAddresses(ctx, spatial.AutocompleteQuery{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range as {
			out = append(out, a.FullText)
		}
		return out
	}
	for _, tt := range []struct {
		name, prefix string
		want         []string
	}{
		{"a prefix of the canonical text", "浙江省宁波市镇海区骆驼街道某某路8", []string{"浙江省宁波市镇海区骆驼街道某某路88号3幢", "浙江省宁波市镇海区骆驼街道某某路8号"}},
		{"abbreviated divisions", "镇海骆驼某某", []string{"浙江省宁波市镇海区骆驼街道某某路88号3幢", "浙江省宁波市镇海区骆驼街道某某路8号"}},
		{"a road name alone, across townships", "某某路8", []string{"浙江省宁波市镇海区招宝山街道某某路80号", "浙江省宁波市镇海区骆驼街道某某路88号3幢", "浙江省宁波市镇海区骆驼街道某某路8号"}},
		{"a township name still being typed", "镇海区骆", []string{"浙江省宁波市镇海区骆驼街道其他路8号", "浙江省宁波市镇海区骆驼街道某某路88号3幢", "浙江省宁波市镇海区骆驼街道某某路8号"}},
		{"full-width digits", "某某路８８", []string{"浙江省宁波市镇海区骆驼街道某某路88号3幢"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := texts(tt.prefix)
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("Autocomplete(%q) = %q, want %q", tt.prefix, got, want)
			}
		})
	}
}

func TestFeedCarriesEveryCollection(t *testing.T) {
	svc, _ := newService(t)
	a := mustCreateAddress(t, svc, address("订阅路", "1"))
	f, err := svc.CreateFeature(ctx, &spatial.Feature{Kind: spatial.KindPOI, Name: "订阅点", DivisionCode: "330211003000", Geometry: orb.Point{121.55, 29.98}}, spatial.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteAddress(ctx, a.ID, spatial.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	cs, head, err := svc.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := len(standard.Zhenhai)
	if head != int64(n+3) || len(cs) != n+3 {
		t.Fatalf("head %d with %d changes, want %d", head, len(cs), n+3)
	}
	last := cs[len(cs)-3:]
	if last[0].Address == nil || last[0].Address.FullText != "浙江省宁波市镇海区骆驼街道订阅路1号" || last[1].Feature == nil || last[1].Feature.ID != f.ID ||
		last[2].Action != history.Retired || !last[2].Address.Retired || cs[0].Division == nil {
		t.Fatalf("changes: %+v", last)
	}
	var kinds []string
	at, err := svc.Export(ctx, 0, func(r spatial.Record) error {
		switch {
		case r.Division != nil:
			kinds = append(kinds, "d")
		case r.Address != nil:
			kinds = append(kinds, "a")
		case r.Feature != nil:
			kinds = append(kinds, "f")
		}
		return nil
	})
	if err != nil || at != head || strings.Join(kinds, "") != strings.Repeat("d", n)+"af" {
		t.Fatalf("export at %d: %v, %v", at, kinds, err)
	}
}
