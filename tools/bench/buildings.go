package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/building/buildinggen"
	"github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/refs"
)

// Metres per degree of latitude, and of longitude at the equator (as
// buildinggen places footprints).
const (
	mPerDegLat = 110540.0
	mPerDegLon = 111320.0
)

// RandomBoxes returns n boxes drawn with a generator seeded by seed, each
// lying wholly inside extent, with sides (east–west and north–south drawn
// apart) between minSideM and maxSideM metres. A side longer than the
// extent is cut to it. The same arguments give the same boxes.
func RandomBoxes(seed uint64, extent orb.Bound, n int, minSideM, maxSideM float64) []orb.Bound {
	r := rand.New(rand.NewPCG(seed, 0xb0c5))
	if maxSideM < minSideM {
		minSideM, maxSideM = maxSideM, minSideM
	}
	w, h := extent.Max[0]-extent.Min[0], extent.Max[1]-extent.Min[1]
	out := make([]orb.Bound, n)
	for i := range out {
		side := func() float64 { return minSideM + r.Float64()*(maxSideM-minSideM) }
		// Degrees of longitude shrink with the cosine of the latitude; the
		// box's own latitude is not known yet, the extent's middle is
		// close enough for boxes a few hundred metres across.
		lat := (extent.Min[1] + extent.Max[1]) / 2
		dx := math.Min(side()/(mPerDegLon*math.Cos(lat*math.Pi/180)), w)
		dy := math.Min(side()/mPerDegLat, h)
		x := extent.Min[0] + r.Float64()*(w-dx)
		y := extent.Min[1] + r.Float64()*(h-dy)
		out[i] = orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{math.Min(x+dx, extent.Max[0]), math.Min(y+dy, extent.Max[1])}}
	}
	return out
}

// BoxSidesM returns a box's east–west and north–south sides in metres, at
// its middle latitude.
func BoxSidesM(b orb.Bound) (float64, float64) {
	lat := (b.Min[1] + b.Max[1]) / 2
	return (b.Max[0] - b.Min[0]) * mPerDegLon * math.Cos(lat*math.Pi/180), (b.Max[1] - b.Min[1]) * mPerDegLat
}

// SameResults fails unless got holds exactly the entries of want, in the
// same order; its error names the first few entries only one of them
// holds. Entries are compared as strings (e.g. "id@sequence").
func SameResults(want, got []string) error {
	if slices.Equal(want, got) {
		return nil
	}
	count := func(xs []string) map[string]int {
		m := make(map[string]int, len(xs))
		for _, x := range xs {
			m[x]++
		}
		return m
	}
	wm, gm := count(want), count(got)
	var missing, extra []string
	for _, x := range want {
		if gm[x] > 0 {
			gm[x]--
		} else {
			missing = append(missing, x)
		}
	}
	for _, x := range got {
		if wm[x] > 0 {
			wm[x]--
		} else {
			extra = append(extra, x)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return fmt.Errorf("the same %d results in a different order", len(want))
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d missing %v", len(missing), missing[:min(len(missing), 3)]))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("%d extra %v", len(extra), extra[:min(len(extra), 3)]))
	}
	return fmt.Errorf("%d results, want %d: %s", len(got), len(want), strings.Join(parts, ", "))
}

// BuildingsProtocol labels the bounding-box query rows: sqlstore calls in
// this process on a SQLite file.
const BuildingsProtocol = "buildings/sqlite"

// BuildingQueries is the bounding-box query measurement: the load of the
// generated buildings, then the same boxes through the spatial index
// (sqlstore's Within) and through the full scan (WithinScan).
type BuildingQueries struct {
	// Buildings were loaded, Batch to a CreateMany.
	Buildings, Batch int
	// Load is how long the load took, BuildingsPerSecond its rate; DBBytes
	// the size of the database file and its WAL afterwards (0 when
	// unknown).
	Load               time.Duration
	BuildingsPerSecond float64
	DBBytes            int64
	// Extent is what the boxes were drawn in: the extent of the addresses
	// the buildings stand around. Box sides are BoxMinM to BoxMaxM metres.
	Extent           orb.Bound
	BoxMinM, BoxMaxM float64
	// Boxes ran through the index, the first ScanBoxes of them through the
	// full scan too, one at a time, pages of IndexPageSize followed.
	Boxes, ScanBoxes int
	PageSize         int
	// Index and Scan time one query per box; IndexOnScanBoxes is the index
	// again on the boxes the scan ran, after it.
	Index, Scan, IndexOnScanBoxes Result
	// Found counts the buildings the index found over all boxes, FoundMax
	// the most in one box.
	Found, FoundMax int
	// Compared counts the result sets compared with the index's first
	// answer (the scan's and the index's second, per scanned box);
	// Mismatches those that differed.
	Compared, Mismatches int
	FirstMismatch        string
}

// SpeedupP50 is the scan's p50 over the index's (0 without figures).
func (q BuildingQueries) SpeedupP50() float64 { return durRatio(q.Scan.P50, q.Index.P50) }

// SpeedupP99 is the scan's p99 over the index's.
func (q BuildingQueries) SpeedupP99() float64 { return durRatio(q.Scan.P99, q.Index.P99) }

// SpeedupSameBoxes is the scan's total time over the index's on the same
// boxes: the like-for-like speed-up.
func (q BuildingQueries) SpeedupSameBoxes() float64 {
	return durRatio(q.Scan.Elapsed, q.IndexOnScanBoxes.Elapsed)
}

func durRatio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Check fails when a query failed or when the index and the scan did not
// return the same buildings for every box compared.
func (q BuildingQueries) Check() error {
	var errs []error
	for _, m := range []Measurement{{Name: "Within (index)", Result: q.Index}, {Name: "WithinScan (full scan)", Result: q.Scan}} {
		if m.Result.Errors > 0 {
			errs = append(errs, fmt.Errorf("within %s: %d of %d queries failed; first: %s", m.Name, m.Result.Errors, m.Result.Ops, m.Result.FirstError))
		} else if m.Result.Ops == 0 {
			errs = append(errs, fmt.Errorf("within %s: no query ran", m.Name))
		}
	}
	if q.Mismatches > 0 {
		errs = append(errs, fmt.Errorf("within: the index and the full scan returned different buildings for %d of %d boxes; first: %s", q.Mismatches, q.Compared, q.FirstMismatch))
	}
	return errors.Join(errs...)
}

// BuildingBench loads generated buildings into a building store and runs
// random boxes through its index and its full scan.
type BuildingBench struct {
	Store *sqlstore.Store
	// Buildings to generate and load, Batch of them per CreateMany.
	Buildings, Batch int
	Seed             uint64
	// Boxes run through the index, the first ScanBoxes of them through
	// the full scan too; sides between BoxMinM and BoxMaxM metres.
	Boxes, ScanBoxes int
	BoxMinM, BoxMaxM float64
	// DBBytes, when set, reports the database's size after the load.
	DBBytes func() int64
	Logf    func(format string, args ...any)
}

// withinPageSize is the page size of the box queries (the API's maximum);
// further pages are followed.
const withinPageSize = 1000

// SyntheticBuildingInputs returns the addresses and owners n generated
// buildings are placed around and owned by: one address per 50 buildings
// and one owner per 20, as sqlstore's own benchmark does.
func SyntheticBuildingInputs(seed uint64, n int) ([]buildinggen.Address, []buildinggen.Owner) {
	return buildinggen.SyntheticAddresses(seed, max(n/50, 10)), buildinggen.SyntheticOwners(seed, max(n/20, 10))
}

// AddressExtent is the bounding box of the addresses.
func AddressExtent(addrs []buildinggen.Address) orb.Bound {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, a := range addrs {
		b = b.Extend(orb.Point{a.Lon, a.Lat})
	}
	return b
}

// KnownNames answers reference checks from a fixed set of names: nil for
// a name in it, errs.ErrNotFound for any other.
func KnownNames(names map[string]bool) refs.Lookup {
	return func(_ context.Context, name string) error {
		if names[name] {
			return nil
		}
		return fmt.Errorf("%s: %w", name, errs.ErrNotFound)
	}
}

// Run loads the buildings through the registry's import path —
// building.Service.CreateMany (validation, reference checks answered from
// the generated names, id assignment) into sqlstore's CreateMany (versions,
// change feed, search terms, owner and spatial indexes, one transaction per
// batch) — then runs the boxes, one at a time, through Within and the first
// ScanBoxes of them through WithinScan as well, comparing the buildings
// each returns.
func (b BuildingBench) Run(ctx context.Context) (BuildingQueries, error) {
	logf := b.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	q := BuildingQueries{Buildings: b.Buildings, Batch: b.Batch, Boxes: b.Boxes, ScanBoxes: min(b.ScanBoxes, b.Boxes),
		BoxMinM: b.BoxMinM, BoxMaxM: b.BoxMaxM, PageSize: withinPageSize}
	addrs, owners := SyntheticBuildingInputs(b.Seed, b.Buildings)
	q.Extent = AddressExtent(addrs)
	known := make(map[string]bool, len(addrs)+len(owners))
	for _, a := range addrs {
		known[a.Name] = true
	}
	for _, o := range owners {
		known[o.Name] = true
	}
	svc := building.NewService(b.Store, refs.Registry{"addresses": KnownNames(known), "persons": KnownNames(known), "legalEntities": KnownNames(known)})
	gen := buildinggen.New(b.Seed, addrs, owners)

	start := time.Now()
	step := max(b.Buildings/10, 1)
	for done := 0; done < b.Buildings; {
		if err := ctx.Err(); err != nil {
			return q, err
		}
		batch := make([]*building.Building, min(b.Batch, b.Buildings-done))
		for i := range batch {
			batch[i] = gen.Next()
		}
		if _, err := svc.CreateMany(ctx, batch, building.CreateOptions{}); err != nil {
			return q, fmt.Errorf("load buildings %d–%d: %w", done+1, done+len(batch), err)
		}
		before := done
		done += len(batch)
		if done/step != before/step || done == b.Buildings {
			took := time.Since(start)
			logf("buildings: loaded %d of %d in %s (%.0f/s)", done, b.Buildings, took.Round(time.Second), float64(done)/took.Seconds())
		}
	}
	q.Load = time.Since(start)
	if q.Load > 0 {
		q.BuildingsPerSecond = float64(b.Buildings) / q.Load.Seconds()
	}
	if b.DBBytes != nil {
		q.DBBytes = b.DBBytes()
	}

	boxes := RandomBoxes(b.Seed, q.Extent, b.Boxes, b.BoxMinM, b.BoxMaxM)
	find := func(scan bool) func(context.Context, orb.Bound) ([]string, error) {
		return func(ctx context.Context, box orb.Bound) ([]string, error) {
			return withinAll(ctx, b.Store, box, scan)
		}
	}
	// Warm up both paths on boxes outside the measured set.
	for _, box := range RandomBoxes(b.Seed+1, q.Extent, 20, b.BoxMinM, b.BoxMaxM) {
		if _, err := withinAll(ctx, b.Store, box, false); err != nil {
			return q, fmt.Errorf("within (warm-up): %w", err)
		}
	}
	if q.ScanBoxes > 0 {
		if _, err := withinAll(ctx, b.Store, RandomBoxes(b.Seed+2, q.Extent, 1, b.BoxMinM, b.BoxMaxM)[0], true); err != nil {
			return q, fmt.Errorf("within scan (warm-up): %w", err)
		}
	}

	logf("within: %d boxes through the spatial index, one at a time", len(boxes))
	var indexed [][]string
	q.Index, indexed = timeEach(ctx, boxes, find(false))
	for _, r := range indexed {
		q.Found += len(r)
		q.FoundMax = max(q.FoundMax, len(r))
	}
	if err := ctx.Err(); err != nil {
		return q, err
	}
	logf("within: the first %d of them through the full scan", q.ScanBoxes)
	scanned := boxes[:q.ScanBoxes]
	var scans [][]string
	q.Scan, scans = timeEach(ctx, scanned, find(true))
	if err := ctx.Err(); err != nil {
		return q, err
	}
	// The index once more on exactly the boxes the scan ran, right after
	// it, for the like-for-like ratio.
	var again [][]string
	q.IndexOnScanBoxes, again = timeEach(ctx, scanned, find(false))
	for i := range scanned {
		for _, other := range [][]string{scans[i], again[i]} {
			if indexed[i] == nil || other == nil {
				continue // failed, counted as an error
			}
			q.Compared++
			if err := SameResults(indexed[i], other); err != nil {
				q.Mismatches++
				if q.FirstMismatch == "" {
					q.FirstMismatch = fmt.Sprintf("box %d %v: %v", i, boxes[i], err)
				}
			}
		}
	}
	return q, ctx.Err()
}

// timeEach runs find on each box in turn and returns the latencies as a
// Result (Elapsed is their sum, so OpsPerSec is queries per second of one
// client) and each box's results, nil where the query failed.
func timeEach(ctx context.Context, boxes []orb.Bound, find func(context.Context, orb.Bound) ([]string, error)) (Result, [][]string) {
	lat := make([]time.Duration, 0, len(boxes))
	out := make([][]string, len(boxes))
	var errors int
	var first string
	var total time.Duration
	for i, box := range boxes {
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		r, err := find(ctx, box)
		d := time.Since(t0)
		total += d
		if err != nil {
			errors++
			if first == "" {
				first = err.Error()
			}
			continue
		}
		if r == nil {
			r = []string{}
		}
		out[i] = r
		lat = append(lat, d)
	}
	return summarize(lat, errors, first, total), out
}

// withinAll returns every building whose footprint meets the box, as
// "id@sequence" in the order returned, following page tokens.
func withinAll(ctx context.Context, s *sqlstore.Store, box orb.Bound, scan bool) ([]string, error) {
	q := building.WithinQuery{Area: building.BoxArea(box), Relation: building.Intersects, PageSize: withinPageSize}
	var out []string
	for {
		var p building.Page
		var err error
		if scan {
			p, err = s.WithinScan(ctx, q)
		} else {
			p, err = s.Within(ctx, q)
		}
		if err != nil {
			return nil, err
		}
		for _, b := range p.Buildings {
			out = append(out, fmt.Sprintf("%s@%d", b.ID, b.Version.Sequence))
		}
		if p.NextPageToken == "" {
			return out, nil
		}
		q.PageToken = p.NextPageToken
	}
}
