package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/spatial"
	spatialdemo "github.com/zhbase/zhbase/services/spatial/demo"
	spatialsql "github.com/zhbase/zhbase/services/spatial/sqlstore"
	"github.com/zhbase/zhbase/tools/bench"
	"github.com/zhbase/zhbase/tools/demo"
)

// Sizes of the query measurements.
const (
	listPageSize = 100
	// listFilter selects the active manufacturers (GB/T 4754 section C).
	listFilter    = `status = ACTIVE AND industry_code = "C*"`
	buildingBatch = 5000 // buildings per CreateMany: a few thousand loads fastest
	boxMinM       = 150
	boxMaxM       = 300
	geocodeK      = 5
	// addressLoaders create addresses side by side; SQLite queues their
	// commits, the rest (validation, rendering) overlaps.
	addressLoaders = 4
)

// measureList pages through the seeded legal entities with the registry's
// List over the real cluster's gRPC client, all of them and those of
// listFilter, adding the results to rep.
func measureList(ctx context.Context, o options, registry legalentityv1.LegalEntityServiceClient, rep *bench.Report, logf logFunc) error {
	entities := demo.LegalEntities(demo.DefaultSeed, o.entities)
	for _, l := range []struct {
		filter   string
		expected int
	}{
		{"", len(entities)},
		{listFilter, bench.CountSelected(entities, legalentityv1.EntityStatus_ENTITY_STATUS_ACTIVE, "C")},
	} {
		maxPages := l.expected/listPageSize + 2
		walked, pages, err := bench.WalkList(ctx, registry, l.filter, listPageSize, maxPages)
		if err != nil {
			return fmt.Errorf("list %q: %w", l.filter, err)
		}
		logf("list %q: a full walk returned %d entities in %d pages (want %d)", l.filter, walked, pages, l.expected)
		if o.warmup > 0 {
			w := bench.Run(ctx, o.workers, o.warmup, bench.NewListPager(registry, l.filter, listPageSize, l.expected).Op)
			if w.Errors > 0 {
				logf("list %q: %d of %d warm-up pages failed (first: %s)", l.filter, w.Errors, w.Ops, w.FirstError)
			}
		}
		logf("list %q: measuring for %s with %d workers", l.filter, o.duration, o.workers)
		pager := bench.NewListPager(registry, l.filter, listPageSize, l.expected)
		res := bench.Run(ctx, o.workers, o.duration, pager.Op)
		rep.Lists = append(rep.Lists, bench.ListThroughput{
			Filter: l.filter, PageSize: listPageSize, Workers: o.workers, Expected: l.expected, Walked: walked,
			Pages: res, Records: pager.Records(),
		})
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("%s: ListLegalEntities through the same discovery-dialled client (reading as %s) and cluster as legalentity.Get; each of %d workers walks the entities the filter selects page by page (page_size %d, following next_page_token, from the first page again after the last), one op per page; records/s counts the entities received; a walk returning another count than the generator's fails its last page, and a full walk before each measurement must return exactly the entities seeded (%d; %d for %s)",
		bench.ListProtocol, readerDepartment, o.workers, listPageSize, rep.Lists[0].Expected, rep.Lists[1].Expected, listFilter))
	return nil
}

// measureBuildings loads o.buildings generated buildings into a fresh
// SQLite file in dir and compares the spatial index with the full scan on
// the same boxes.
func measureBuildings(ctx context.Context, o options, dir string, rep *bench.Report, logf logFunc) (err error) {
	path := filepath.Join(dir, "buildings.db")
	db, err := store.Open(ctx, store.Options{SQLitePath: path, Name: "zhbase-bench-buildings"})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close(), os.RemoveAll(dir)) }()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		return err
	}
	logf("buildings: loading %d generated buildings into %s, %d a transaction", o.buildings, path, buildingBatch)
	q, err := bench.BuildingBench{
		Store: st, Buildings: o.buildings, Batch: buildingBatch, Seed: demo.DefaultSeed,
		Boxes: o.boxes, ScanBoxes: o.scanBoxes, BoxMinM: boxMinM, BoxMaxM: boxMaxM,
		DBBytes: func() int64 { return fileSizes(path, path+"-wal") }, Logf: logf,
	}.Run(ctx)
	if err != nil {
		return fmt.Errorf("building queries: %w", err)
	}
	rep.Buildings = &q
	perBox := 0.0
	if n := q.Index.Ops - q.Index.Errors; n > 0 {
		perBox = float64(q.Found) / float64(n)
	}
	rep.Notes = append(rep.Notes,
		fmt.Sprintf("%s load: %d buildings from services/building/buildinggen (seed %d) around %d synthetic addresses with %d synthetic owners, through building.Service.CreateMany (validation, reference checks answered from the generated names, ids) into sqlstore.CreateMany (version 1, change feed sequence and event, search terms, owner index, R*Tree), %d buildings per transaction, into a fresh SQLite file (store.Open: WAL, synchronous FULL)",
			bench.BuildingsProtocol, q.Buildings, demo.DefaultSeed, max(q.Buildings/50, 10), max(q.Buildings/20, 10), q.Batch),
		fmt.Sprintf("%s queries: %d random boxes (seed %d), sides %d–%d m drawn apart, inside the addresses' extent %.4f–%.4f E, %.4f–%.4f N; each box a current-state intersects query with page_size %d (further pages followed), one query at a time on one connection, latencies per box; the index found %.1f buildings per box on average, %d at most",
			bench.BuildingsProtocol, q.Boxes, demo.DefaultSeed, boxMinM, boxMaxM, q.Extent.Min[0], q.Extent.Max[0], q.Extent.Min[1], q.Extent.Max[1], q.PageSize, perBox, q.FoundMax),
		fmt.Sprintf("%s: Within is sqlstore's indexed query (R*Tree candidates, then the current rows by id, then the exact footprint test); WithinScan is the same query without the index (the current rows in id order, bounding-box columns compared, same exact test), on the first %d boxes after the index ran all %d; the index ran those %d boxes again after the scan (%.1f ms in all against the scan's %.1f s: the like-for-like ratio); every scanned box's results, and the index's second answer, must equal the index's first, id and feed sequence of every building in order, or the run fails",
			bench.BuildingsProtocol, q.ScanBoxes, q.Boxes, q.ScanBoxes, float64(q.IndexOnScanBoxes.Elapsed)/float64(time.Millisecond), q.Scan.Elapsed.Seconds()),
	)
	return nil
}

// measureGeocode loads o.addresses demo addresses into a fresh spatial
// store in dir and measures ReverseGeocode through the Service.
func measureGeocode(ctx context.Context, o options, dir string, rep *bench.Report, logf logFunc) (err error) {
	path := filepath.Join(dir, "spatial.db")
	db, err := store.Open(ctx, store.Options{SQLitePath: path, Name: "zhbase-bench-spatial"})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close(), os.RemoveAll(dir)) }()
	st, err := spatialsql.Open(ctx, db)
	if err != nil {
		return err
	}
	svc := spatial.NewService(st, refs.Registry{})
	base := spatialdemo.New(spatialdemo.Options{Seed: spatialdemo.DefaultSeed, Addresses: o.addresses})
	logf("geocode: loading %d demo addresses through spatial.Service into %s, %d goroutines", o.addresses, path, addressLoaders)
	t0 := time.Now()
	divisions, addresses, extent, err := bench.LoadSpatialDemo(ctx, svc, base, addressLoaders, logf)
	if err != nil {
		return fmt.Errorf("geocode load: %w", err)
	}
	g := bench.GeocodeLatency{
		Addresses: addresses, Divisions: divisions, LoadWorkers: addressLoaders, Load: time.Since(t0), Extent: extent,
		K: geocodeK, MaxDistanceM: spatial.DefaultReverseDistance, Workers: o.workers,
	}
	logf("geocode: loaded %d divisions and %d addresses in %s", divisions, addresses, g.Load.Round(time.Second))
	var counter bench.GeocodeCounter
	for _, m := range []struct {
		workers int
		res     *bench.Result
	}{{1, &g.Single}, {o.workers, &g.Concurrent}} {
		if o.warmup > 0 {
			logf("geocode: warming up for %s with %d caller(s)", o.warmup, m.workers)
			if w := bench.Run(ctx, m.workers, o.warmup, bench.ReverseGeocodeOp(svc, extent, geocodeK, nil)); w.Errors > 0 {
				logf("geocode: %d of %d warm-up queries failed (first: %s)", w.Errors, w.Ops, w.FirstError)
			}
		}
		logf("geocode: measuring for %s with %d caller(s)", o.duration, m.workers)
		*m.res = bench.Run(ctx, m.workers, o.duration, bench.ReverseGeocodeOp(svc, extent, geocodeK, &counter))
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	g.Answers, g.Full, g.Empty = counter.Counts()
	rep.Geocode = &g
	rep.Notes = append(rep.Notes,
		fmt.Sprintf("%s: in-process, no gRPC: spatial.Service.ReverseGeocode called directly over the spatial sqlstore (R*Tree) on a fresh SQLite file holding the %d divisions and %d addresses of services/spatial/demo (seed %d), loaded through spatial.Service.CreateDivision and CreateAddress (one transaction each, the API's write path; no bulk path exists) from %d goroutines in %s (%.0f addresses/s)",
			bench.GeocodeProtocol, divisions, addresses, spatialdemo.DefaultSeed, addressLoaders, g.Load.Round(time.Second), float64(addresses)/g.Load.Seconds()),
		fmt.Sprintf("%s: each query asks for the %d addresses nearest a uniformly random point of the addresses' extent %.4f–%.4f E, %.4f–%.4f N within the default %.0f m (the service widens a circle from 100 m); first 1 caller, then %d, each %s after a %s warm-up; of %d measured answers %d held %d addresses and %d none (points far from any road)",
			bench.GeocodeProtocol, geocodeK, extent.Min[0], extent.Max[0], extent.Min[1], extent.Max[1], float64(spatial.DefaultReverseDistance), o.workers, o.duration, o.warmup, g.Answers, g.Full, geocodeK, g.Empty),
	)
	return nil
}

// fileSizes adds up the sizes of the files that exist.
func fileSizes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}
