package demo_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/spatial"
	"github.com/zhbase/zhbase/services/spatial/demo"
	"github.com/zhbase/zhbase/services/spatial/sqlstore"
)

// noRefs refuses every cross-registry reference: the demo base makes none.
var noRefs = refs.Registry{}

func TestTheSameSeedGivesTheSameBase(t *testing.T) {
	o := demo.Options{Addresses: 500, POIs: 20, Parcels: 20}
	a, b := demo.New(o), demo.New(o)
	if !reflect.DeepEqual(a.Divisions, b.Divisions) || !reflect.DeepEqual(a.Roads(), b.Roads()) || !reflect.DeepEqual(a.Boundaries(), b.Boundaries()) {
		t.Fatal("two bases from the same options differ")
	}
	collect := func(b *demo.Base) []*spatial.Address {
		var out []*spatial.Address
		for a := range b.Addresses() {
			out = append(out, a)
		}
		return out
	}
	first, second := collect(a), collect(b)
	if len(first) != 500 || !reflect.DeepEqual(first, second) {
		t.Fatalf("addresses differ between runs, or there are %d of 500", len(first))
	}
	other := collect(demo.New(demo.Options{Seed: 7, Addresses: 500}))
	if reflect.DeepEqual(first, other) {
		t.Fatal("another seed gave the same addresses")
	}
}

func TestAddressesAreDistinctAndInsideTheirDivisionsAndTheDistrict(t *testing.T) {
	b := demo.New(demo.Options{Addresses: 5000})
	boundary := map[string]orb.Polygon{}
	for _, f := range b.Boundaries() {
		boundary[f.DivisionCode] = f.Geometry.(orb.Polygon)
	}
	ids, keys := map[string]bool{}, map[string]bool{}
	n := 0
	for a := range b.Addresses() {
		n++
		key := a.Road + "|" + a.HouseNumber + "|" + a.Building + "|" + a.Unit + "|" + a.Room
		if ids[a.ID] || keys[key] {
			t.Fatalf("address %d repeats an id or components: %+v", n, a)
		}
		ids[a.ID], keys[key] = true, true
		if !spatial.Zhenhai.Contains(a.Location.Lon, a.Location.Lat) {
			t.Fatalf("address %+v lies outside Zhenhai", a)
		}
		if p, ok := boundary[a.DivisionCode]; ok && !planar.PolygonContains(p, a.Location.Point()) {
			t.Fatalf("address %+v lies outside its community's boundary", a)
		}
	}
	if n != 5000 {
		t.Fatalf("got %d addresses, want 5000", n)
	}
}

func TestCommunityBoundariesTileEachTownship(t *testing.T) {
	b := demo.New(demo.Options{Communities: 6})
	for _, town := range b.Townships {
		if len(town.Communities) != 6 {
			t.Fatalf("%s has %d communities, want 6", town.Division.Name, len(town.Communities))
		}
		// Every point of the township lies in exactly one community
		// (points on shared edges aside, which a grid of this step misses).
		box := town.Bound
		for i := 1; i < 40; i++ {
			for j := 1; j < 40; j++ {
				p := orb.Point{box.MinLon + (box.MaxLon-box.MinLon)*(float64(i)+0.37)/40, box.MinLat + (box.MaxLat-box.MinLat)*(float64(j)+0.61)/40}
				in := 0
				for _, c := range town.Communities {
					if planar.PolygonContains(c.Boundary.Geometry.(orb.Polygon), p) {
						in++
					}
				}
				if in != 1 {
					t.Fatalf("point %v of %s lies in %d communities", p, town.Division.Name, in)
				}
			}
		}
		// …and their areas add up to the township's.
		sum := 0.0
		for _, c := range town.Communities {
			sum += planar.Area(c.Boundary.Geometry)
		}
		want := (box.MaxLon - box.MinLon) * (box.MaxLat - box.MinLat)
		if math.Abs(sum-want) > want*1e-9 {
			t.Fatalf("%s: community areas add up to %g, township is %g", town.Division.Name, sum, want)
		}
	}
}

// TestTheBaseLoadsThroughTheService is the proof that every generated
// record passes the registry's rules: divisions parents first, closed and
// simple polygons, unique addresses.
func TestTheBaseLoadsThroughTheService(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "spatial.db"), Name: "spatial"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc := spatial.NewService(st, noRefs)
	b := demo.New(demo.Options{Addresses: 300, POIs: 30, Parcels: 30})
	c, err := b.Load(ctx, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := demo.Counts{Divisions: len(b.Divisions), Features: len(b.Boundaries()) + len(b.Roads()) + 60, Addresses: 300}
	if c != want {
		t.Fatalf("loaded %+v, want %+v", c, want)
	}
	// "Which community is this address in" agrees with the generator.
	n := 0
	for a := range b.Addresses() {
		if n++; n > 50 {
			break
		}
		fs, err := svc.FeaturesContaining(ctx, spatial.ContainingQuery{Point: a.Location, Kinds: []spatial.FeatureKind{spatial.KindCommunity}})
		if err != nil {
			t.Fatal(err)
		}
		codes := make([]string, len(fs))
		for i, f := range fs {
			codes[i] = f.DivisionCode
		}
		if !slices.Contains(codes, a.DivisionCode) {
			t.Fatalf("address %s in %s: the communities containing it are %v", a.ID, a.DivisionCode, codes)
		}
	}
	if _, err := b.Load(ctx, svc, nil); !errorsIsAlreadyExists(err) {
		t.Fatalf("loading the same base again: %v, want already exists", err)
	}
}

func errorsIsAlreadyExists(err error) bool { return errors.Is(err, errs.ErrAlreadyExists) }

// BenchmarkAddresses measures generating addresses for a base of a
// million, the size of the district's building stock.
func BenchmarkAddresses(b *testing.B) {
	base := demo.New(demo.Options{Addresses: 1_000_000})
	b.ResetTimer()
	n := 0
	for a := range base.Addresses() {
		if n++; n >= b.N {
			break
		}
		_ = a
	}
}
