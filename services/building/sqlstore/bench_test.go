package sqlstore_test

import (
	"flag"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/building/buildinggen"
	"github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/kit/store"
)

// go test ./services/building/sqlstore -run XXX -bench . -args -building.n=100000
var (
	benchN     = flag.Int("building.n", 20000, "buildings to load for the benchmarks")
	benchBatch = flag.Int("building.batch", 5000, "buildings per CreateMany transaction")
)

// load fills a fresh SQLite store with n generated buildings through
// CreateMany and returns it with the time the load took.
func load(b *testing.B, n, batch int) (*sqlstore.Store, time.Duration) {
	b.Helper()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(b.TempDir(), "b.db"), Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s, err := sqlstore.Open(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	g := buildinggen.New(1, buildinggen.SyntheticAddresses(1, max(n/50, 10)), buildinggen.SyntheticOwners(1, max(n/20, 10)))
	start := time.Now()
	now := time.Now().UTC()
	for done := 0; done < n; {
		news := make([]building.NewBuilding, min(batch, n-done))
		for i := range news {
			bd := g.Next()
			bd.ID = building.NewID()
			bd.Centroid = building.Centroid(bd.Footprint)
			bd.CreateTime, bd.UpdateTime, bd.Revision = now, now, 1
			news[i] = building.NewBuilding{Building: bd}
		}
		if err := s.CreateMany(ctx, news); err != nil {
			b.Fatal(err)
		}
		done += len(news)
	}
	return s, time.Since(start)
}

// BenchmarkLoad measures the bulk-load path on SQLite: the generator, the
// JSON documents, versions, changes, search terms, owner and spatial
// indexes, in CreateMany transactions of -building.batch.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		_, took := load(b, *benchN, *benchBatch)
		b.ReportMetric(float64(*benchN)/took.Seconds(), "buildings/s")
		b.Logf("loaded %d buildings in %s (%d a transaction)", *benchN, took.Round(time.Millisecond), *benchBatch)
	}
}

// BenchmarkWithin compares the spatial index with the full scan on the
// same boxes of about 150 m around random buildings.
func BenchmarkWithin(b *testing.B) {
	s, took := load(b, *benchN, *benchBatch)
	b.Logf("loaded %d buildings in %s", *benchN, took.Round(time.Millisecond))
	var centres []orb.Point
	all, err := s.WithinScan(ctx, building.WithinQuery{Area: building.BoxArea(orb.Bound{Min: orb.Point{121, 29}, Max: orb.Point{122, 31}}), PageSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	for _, bd := range all.Buildings {
		centres = append(centres, bd.Centroid)
	}
	for _, path := range []struct {
		name string
		find func(building.WithinQuery) (building.Page, error)
	}{{"index", func(q building.WithinQuery) (building.Page, error) { return s.Within(ctx, q) }},
		{"scan", func(q building.WithinQuery) (building.Page, error) { return s.WithinScan(ctx, q) }}} {
		b.Run(path.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			found := 0
			for b.Loop() {
				c := centres[r.IntN(len(centres))]
				q := building.WithinQuery{Area: building.BoxArea(orb.Bound{Min: orb.Point{c[0] - 0.00075, c[1] - 0.00065}, Max: orb.Point{c[0] + 0.00075, c[1] + 0.00065}}), PageSize: 1000}
				p, err := path.find(q)
				if err != nil {
					b.Fatal(err)
				}
				found += len(p.Buildings)
			}
			b.ReportMetric(float64(found)/float64(b.N), "buildings/query")
		})
	}
}
