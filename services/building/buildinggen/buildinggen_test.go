package buildinggen_test

import (
	"reflect"
	"testing"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/building/buildinggen"
	"github.com/zhbase/zhbase/services/kit/geo"
)

func TestGeneratorIsDeterministic(t *testing.T) {
	addrs := buildinggen.SyntheticAddresses(7, 50)
	owners := buildinggen.SyntheticOwners(7, 30)
	a := buildinggen.Generate(42, addrs, owners, 500)
	b := buildinggen.Generate(42, addrs, owners, 500)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed made different buildings")
	}
	if c := buildinggen.Generate(43, addrs, owners, 500); reflect.DeepEqual(a, c) {
		t.Fatal("another seed made the same buildings")
	}
}

func TestGeneratedBuildingsArePlausible(t *testing.T) {
	addrs := buildinggen.SyntheticAddresses(1, 20)
	owners := buildinggen.SyntheticOwners(1, 40)
	bs := buildinggen.Generate(1, addrs, owners, 4000)
	byAddress := map[string][]*building.Building{}
	uses, statuses, ratings, named := map[building.Use]int{}, map[building.Status]int{}, map[building.Rating]int{}, 0
	for _, b := range bs {
		if problems := building.CheckPolygon(b.Footprint); len(problems) > 0 {
			t.Fatalf("footprint %v: %v", b.Footprint, problems)
		}
		if span := geo.SpanMeters(b.Footprint.Bound()); span > buildinggen.SlotM || span < 5 {
			t.Fatalf("a footprint spans %.1f m", span)
		}
		if b.HeightM < 2*float64(b.FloorsAbove) || b.FloorAreaM2 <= 0 || b.YearBuilt > buildinggen.LastYear {
			t.Fatalf("implausible building %+v", b)
		}
		byAddress[b.Address] = append(byAddress[b.Address], b)
		uses[b.Use]++
		statuses[b.Status]++
		ratings[b.SafetyRating]++
		if b.Name != "" {
			named++
		}
	}
	for _, m := range []int{len(uses), len(statuses), len(ratings)} {
		if m < 5 {
			t.Fatalf("too little variety: uses %v statuses %v ratings %v", uses, statuses, ratings)
		}
	}
	if named < len(bs)/4 || named > len(bs)*3/4 {
		t.Fatalf("%d of %d buildings named", named, len(bs))
	}
	// Buildings at one address never overlap: each has a slot of its own.
	for addr, group := range byAddress {
		for i := range group {
			area := building.PolygonArea(group[i].Footprint)
			for j := i + 1; j < len(group); j++ {
				if area.Matches(group[j].Footprint, building.Intersects) {
					t.Fatalf("two buildings at %s overlap: %v and %v", addr, group[i].Footprint, group[j].Footprint)
				}
			}
		}
	}
}

func BenchmarkNext(b *testing.B) {
	g := buildinggen.New(1, buildinggen.SyntheticAddresses(1, 1000), buildinggen.SyntheticOwners(1, 1000))
	for b.Loop() {
		g.Next()
	}
}
