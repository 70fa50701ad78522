package building_test

import (
	"testing"

	. "github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/building/buildinggen"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// These tests run the Service over the real SQL store on both backends.

func TestGeneratedBuildingsPassEveryRuleAndLoad(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		addrs := buildinggen.SyntheticAddresses(9, 30)
		owners := buildinggen.SyntheticOwners(9, 40)
		for _, a := range addrs {
			f.refs.add(a.Name)
		}
		for _, o := range owners {
			f.refs.add(o.Name)
		}
		g := buildinggen.New(9, addrs, owners)
		total := 0
		for batch := 0; batch < 3; batch++ {
			bs := make([]*Building, 700)
			for i := range bs {
				bs[i] = g.Next()
			}
			out, err := f.svc.CreateMany(ctx, bs, CreateOptions{})
			if err != nil {
				t.Fatalf("batch %d: %v", batch, err)
			}
			total += len(out)
		}
		if n := f.count(t); n != total {
			t.Fatalf("the registry holds %d buildings, want %d", n, total)
		}
		_, all, err := f.svc.Aggregate(ctx, AggregateQuery{})
		if err != nil || all.Count != int64(total) {
			t.Fatalf("Aggregate counts %d, %v; want %d", all.Count, err, total)
		}
	})
}

func TestServiceOverBothBackends(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		a := f.create(t, validBuilding(t))
		b := f.create(t, validBuilding(t, func(b *Building) { b.Footprint, b.Name = rect(200, 0, 20, 20), "" }))
		f.now = testNow.Add(24 * 60 * 60 * 1e9)
		moved, err := f.svc.Update(ctx, b.ID, &Building{Footprint: rect(0, 50, 20, 20)}, []string{"footprint"}, UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		near := BoxArea(rect(-5, -5, 40, 80).Bound())
		p, err := f.svc.Within(ctx, WithinQuery{Area: near, Relation: Within})
		if err != nil || len(p.Buildings) != 2 {
			t.Fatalf("Within after the move = %d buildings, %v; want both", len(p.Buildings), err)
		}
		p, err = f.svc.Within(ctx, WithinQuery{Area: near, At: history.Point{KnownAt: testNow.Add(1e9)}})
		if err != nil || len(p.Buildings) != 1 || p.Buildings[0].ID != a.ID {
			t.Fatalf("Within before the move = %v, %v; want only %s", p.Buildings, err, a.ID)
		}
		if moved.Version.Version != 3 || !moved.Bound().Contains(moved.Centroid) {
			t.Fatalf("moved building: version %+v centroid %v", moved.Version, moved.Centroid)
		}
	})
}
