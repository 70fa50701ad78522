package sqlstore_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/zhbase/zhbase/services/kit/geo"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/services/spatial"
	"github.com/zhbase/zhbase/services/spatial/demo"
)

// TestSpatialIndexAgreesWithBruteForce loads a generated district (a few
// thousand addresses and features inside Zhenhai) and asks the indexed
// queries — box, circle, containing point, nearest — at random places and
// sizes, page by page, comparing each answer with a scan of every record
// computed here from the raw coordinates. The same queries at an explicit
// point in time (which read the history table, not the index) must agree
// too. It runs on SQLite and PostgreSQL: identical result sets.
func TestSpatialIndexAgreesWithBruteForce(t *testing.T) {
	if testing.Short() {
		t.Skip("loads thousands of records")
	}
	o := demo.Options{Seed: 42, Addresses: 2000, POIs: 600, Parcels: 600, Communities: 6}
	if raceDetector {
		o.Addresses, o.POIs, o.Parcels = 600, 150, 150
	}
	base := demo.New(o)
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		svc := spatial.NewService(s, refs.Registry{})
		start := time.Now()
		counts, err := base.Load(ctx, svc, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("loaded %+v in %v", counts, time.Since(start).Round(time.Millisecond))
		loadedAt := history.Point{KnownAt: time.Now()}

		// Every record, as the brute force sees it.
		var addresses []*spatial.Address
		var features []*spatial.Feature
		if _, err := s.Export(ctx, 0, func(r spatial.Record) error {
			if r.Address != nil {
				addresses = append(addresses, r.Address)
			}
			if r.Feature != nil {
				features = append(features, r.Feature)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(addresses) != o.Addresses || len(features) != counts.Features {
			t.Fatalf("exported %d addresses and %d features", len(addresses), len(features))
		}

		rng := rand.New(rand.NewPCG(7, 11))
		z := spatial.Zhenhai
		randomPoint := func() spatial.Location {
			// Half the time exactly on an address, to hit boundaries.
			if rng.IntN(2) == 0 {
				return addresses[rng.IntN(len(addresses))].Location
			}
			return spatial.Location{Lon: z.MinLon + rng.Float64()*(z.MaxLon-z.MinLon), Lat: z.MinLat + rng.Float64()*(z.MaxLat-z.MinLat)}
		}
		sizes := []float64{0.0005, 0.003, 0.01, 0.05, 0.4}

		t.Run("addresses in a box", func(t *testing.T) {
			for i := 0; i < 40; i++ {
				c, d := randomPoint(), sizes[i%len(sizes)]
				b := spatial.Bound{MinLon: c.Lon - d*rng.Float64(), MinLat: c.Lat - d*rng.Float64(), MaxLon: c.Lon + d*rng.Float64(), MaxLat: c.Lat + d*rng.Float64()}
				if i%7 == 0 { // edges exactly on an address
					b.MinLon, b.MaxLat = c.Lon, c.Lat
				}
				var want []string
				for _, a := range addresses {
					if b.MinLon <= a.Location.Lon && a.Location.Lon <= b.MaxLon && b.MinLat <= a.Location.Lat && a.Location.Lat <= b.MaxLat {
						want = append(want, a.ID)
					}
				}
				for _, at := range []history.Point{{}, loadedAt} {
					got := addressesWithin(t, svc, spatial.WithinQuery{Area: spatial.Area{Bound: &b}, At: at})
					assertSameIDs(t, fmt.Sprintf("box %v at %v", b, at), ids(got), want)
				}
			}
		})

		t.Run("addresses in a circle, with their distances", func(t *testing.T) {
			for i := 0; i < 40; i++ {
				c := randomPoint()
				r := []float64{30, 150, 600, 2500, 9000}[i%5]
				want := map[string]float64{}
				for _, a := range addresses {
					if d := haversine(c, a.Location); d <= r {
						want[a.ID] = d
					}
				}
				for _, at := range []history.Point{{}, loadedAt} {
					got := addressesWithin(t, svc, spatial.WithinQuery{Area: spatial.Area{Circle: &spatial.Circle{Center: c, Radius: r}}, At: at})
					assertSameIDs(t, fmt.Sprintf("circle %v r=%g", c, r), ids(got), keys(want))
					for _, l := range got {
						if math.Abs(l.Distance-want[l.Address.ID]) > 1e-6 {
							t.Fatalf("distance of %s = %g, want %g", l.Address.ID, l.Distance, want[l.Address.ID])
						}
					}
				}
			}
		})

		t.Run("features meeting a box or a circle", func(t *testing.T) {
			for i := 0; i < 40; i++ {
				c, d := randomPoint(), sizes[i%len(sizes)]
				b := spatial.Bound{MinLon: c.Lon - d, MinLat: c.Lat - d/2, MaxLon: c.Lon + d/3, MaxLat: c.Lat + d}
				circle := &spatial.Circle{Center: c, Radius: []float64{20, 200, 1000, 5000}[i%4]}
				var wantBox, wantCircle []string
				for _, f := range features {
					if bruteMeetsBox(f.Geometry, b) {
						wantBox = append(wantBox, f.ID)
					}
					if geo.DistanceTo(f.Geometry, c.Lon, c.Lat) <= circle.Radius {
						wantCircle = append(wantCircle, f.ID)
					}
				}
				for _, at := range []history.Point{{}, loadedAt} {
					got := featuresWithin(t, svc, spatial.WithinQuery{Area: spatial.Area{Bound: &b}, At: at})
					assertSameIDs(t, fmt.Sprintf("features in box %v", b), got, wantBox)
					got = featuresWithin(t, svc, spatial.WithinQuery{Area: spatial.Area{Circle: circle}, At: at})
					assertSameIDs(t, fmt.Sprintf("features in circle %v", *circle), got, wantCircle)
				}
			}
		})

		t.Run("communities and parcels containing a point", func(t *testing.T) {
			for i := 0; i < 60; i++ {
				p := randomPoint()
				kinds := [][]spatial.FeatureKind{nil, {spatial.KindCommunity}, {spatial.KindParcel}}[i%3]
				var want []string
				for _, f := range features {
					poly, isPoly := f.Geometry.(orb.Polygon)
					if !isPoly || (len(kinds) > 0 && !slices.Contains(kinds, f.Kind)) {
						continue
					}
					if planar.PolygonContains(poly, orb.Point{p.Lon, p.Lat}) {
						want = append(want, f.ID)
					}
				}
				for _, at := range []history.Point{{}, loadedAt} {
					fs, err := svc.FeaturesContaining(ctx, spatial.ContainingQuery{Point: p, Kinds: kinds, At: at})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for i, f := range fs {
						got = append(got, f.ID)
						if i > 0 && geo.Area(fs[i-1].Geometry) > geo.Area(f.Geometry) {
							t.Fatalf("containing %v: %s comes before the smaller %s", p, fs[i-1].ID, f.ID)
						}
					}
					slices.Sort(got)
					assertSameIDs(t, fmt.Sprintf("containing %v (%v)", p, kinds), got, want)
					if len(kinds) == 1 && kinds[0] == spatial.KindCommunity && spatial.Zhenhai.Contains(p.Lon, p.Lat) && len(got) == 0 {
						t.Fatalf("no community contains %v, yet they tile the district", p)
					}
				}
			}
		})

		t.Run("the nearest addresses, nearest first", func(t *testing.T) {
			for i := 0; i < 30; i++ {
				p := randomPoint()
				k := 1 + i%20
				maxDist := []float64{300, 2000, 50000}[i%3]
				type cand struct {
					id string
					d  float64
				}
				var all []cand
				for _, a := range addresses {
					if d := haversine(p, a.Location); d <= maxDist {
						all = append(all, cand{a.ID, d})
					}
				}
				sort.Slice(all, func(i, j int) bool {
					if all[i].d != all[j].d {
						return all[i].d < all[j].d
					}
					return all[i].id < all[j].id
				})
				all = all[:min(k, len(all))]
				for _, at := range []history.Point{{}, loadedAt} {
					got, err := svc.ReverseGeocode(ctx, spatial.ReverseQuery{Location: p, MaxResults: k, MaxDistance: maxDist, At: at})
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(all) {
						t.Fatalf("nearest %d to %v within %g: %d results, want %d", k, p, maxDist, len(got), len(all))
					}
					for j := range got {
						if got[j].Address.ID != all[j].id || math.Abs(got[j].Distance-all[j].d) > 1e-6 {
							t.Fatalf("nearest %d to %v: result %d is %s at %g m, want %s at %g m", k, p, j, got[j].Address.ID, got[j].Distance, all[j].id, all[j].d)
						}
					}
				}
			}
		})
	})
}

// addressesWithin pages through a query with an odd page size.
func addressesWithin(tb testing.TB, svc *spatial.Service, q spatial.WithinQuery) []spatial.Located {
	tb.Helper()
	q.PageSize = 37
	var out []spatial.Located
	for {
		got, next, err := svc.AddressesWithin(ctx, q)
		if err != nil {
			tb.Fatalf("AddressesWithin(%+v): %v", q, err)
		}
		out = append(out, got...)
		if next == "" {
			return out
		}
		q.PageToken = next
	}
}

func featuresWithin(tb testing.TB, svc *spatial.Service, q spatial.WithinQuery) []string {
	tb.Helper()
	q.PageSize = 23
	var out []string
	for {
		got, next, err := svc.FeaturesWithin(ctx, q)
		if err != nil {
			tb.Fatalf("FeaturesWithin(%+v): %v", q, err)
		}
		for _, f := range got {
			out = append(out, f.ID)
		}
		if next == "" {
			return out
		}
		q.PageToken = next
	}
}

func ids(ls []spatial.Located) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Address.ID
	}
	return out
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// assertSameIDs compares an answer given in id order with a set.
func assertSameIDs(tb testing.TB, what string, got, want []string) {
	tb.Helper()
	if !slices.IsSorted(got) {
		tb.Fatalf("%s: the answer is not in id order", what)
	}
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		tb.Fatalf("%s: %d results, want %d\n got %v\nwant %v", what, len(got), len(want), got, want)
	}
}

// haversine is written out again here so that the brute force does not
// lean on the code under test for its distances.
func haversine(a, b spatial.Location) float64 {
	const r, rad = 6371008.8, math.Pi / 180
	dLat, dLon := (b.Lat-a.Lat)*rad, (b.Lon-a.Lon)*rad
	h := math.Pow(math.Sin(dLat/2), 2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Pow(math.Sin(dLon/2), 2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// bruteMeetsBox decides whether a geometry shares a point with a box
// another way than the code under test: a vertex inside the box, an edge
// clipped by the box (Liang–Barsky), or the box inside a polygon.
func bruteMeetsBox(g orb.Geometry, b spatial.Bound) bool {
	clips := func(a, c orb.Point) bool {
		t0, t1 := 0.0, 1.0
		dx, dy := c[0]-a[0], c[1]-a[1]
		for _, pq := range [4][2]float64{{-dx, a[0] - b.MinLon}, {dx, b.MaxLon - a[0]}, {-dy, a[1] - b.MinLat}, {dy, b.MaxLat - a[1]}} {
			p, q := pq[0], pq[1]
			if p == 0 {
				if q < 0 {
					return false
				}
				continue
			}
			r := q / p
			if p < 0 {
				t0 = math.Max(t0, r)
			} else {
				t1 = math.Min(t1, r)
			}
			if t0 > t1 {
				return false
			}
		}
		return true
	}
	edges := func(ls []orb.Point) bool {
		for i := range ls {
			if b.Contains(ls[i][0], ls[i][1]) || (i+1 < len(ls) && clips(ls[i], ls[i+1])) {
				return true
			}
		}
		return false
	}
	switch g := g.(type) {
	case orb.Point:
		return b.Contains(g[0], g[1])
	case orb.LineString:
		return edges(g)
	case orb.Polygon:
		for _, r := range g {
			if edges(r) {
				return true
			}
		}
		return planar.PolygonContains(g, orb.Point{b.MinLon, b.MinLat})
	}
	panic(fmt.Sprintf("unexpected geometry %T", g))
}
