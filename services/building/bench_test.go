package building_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	. "github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/building/buildinggen"
	"github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/store"
)

// go test ./services/building -run XXX -bench Import -args -building.n=100000
var (
	importN     = flag.Int("building.n", 20000, "buildings to import")
	importBatch = flag.Int("building.batch", 5000, "buildings per CreateMany call")
)

// BenchmarkImport measures the validated import path on SQLite: every rule,
// reference checks (answered at once here, each distinct name once per
// batch), id assignment and the store's bulk write.
func BenchmarkImport(b *testing.B) {
	ok := func(context.Context, string) error { return nil }
	for b.Loop() {
		db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(b.TempDir(), "b.db"), Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		st, err := sqlstore.Open(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		svc := NewService(st, refs.Registry{"addresses": ok, "persons": ok, "legalEntities": ok})
		g := buildinggen.New(1, buildinggen.SyntheticAddresses(1, max(*importN/50, 10)), buildinggen.SyntheticOwners(1, max(*importN/20, 10)))
		start := time.Now()
		for done := 0; done < *importN; {
			batch := make([]*Building, min(*importBatch, *importN-done))
			for i := range batch {
				batch[i] = g.Next()
			}
			if _, err := svc.CreateMany(ctx, batch, CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			done += len(batch)
		}
		took := time.Since(start)
		b.ReportMetric(float64(*importN)/took.Seconds(), "buildings/s")
		b.Logf("imported %d buildings in %s (%d a call)", *importN, took.Round(time.Millisecond), *importBatch)
		db.Close()
	}
}
