package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/store"
)

var zhenhai = orb.Bound{Min: orb.Point{121.48, 29.90}, Max: orb.Point{121.80, 30.08}}

func TestRandomBoxesStayInsideTheExtent(t *testing.T) {
	boxes := RandomBoxes(7, zhenhai, 2000, 150, 300)
	if len(boxes) != 2000 {
		t.Fatalf("%d boxes, want 2000", len(boxes))
	}
	var minW, maxW, minH, maxH float64 = 1e9, 0, 1e9, 0
	for i, b := range boxes {
		if !zhenhai.Contains(b.Min) || !zhenhai.Contains(b.Max) || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			t.Fatalf("box %d %v is not a box inside %v", i, b, zhenhai)
		}
		w, h := BoxSidesM(b)
		minW, maxW, minH, maxH = min(minW, w), max(maxW, w), min(minH, h), max(maxH, h)
	}
	// Sides are set at the extent's middle latitude: within half a percent
	// anywhere in a box 0.18° tall.
	for _, s := range []float64{minW, maxW, minH, maxH} {
		if s < 150*0.995 || s > 300*1.005 {
			t.Errorf("sides %.1f–%.1f m east–west, %.1f–%.1f m north–south; want 150–300", minW, maxW, minH, maxH)
			break
		}
	}
	if maxW-minW < 100 || maxH-minH < 100 {
		t.Errorf("sides %.1f–%.1f, %.1f–%.1f m: not spread over 150–300", minW, maxW, minH, maxH)
	}

	// Spread over the whole extent: every quarter gets boxes.
	mid := zhenhai.Center()
	quarters := map[[2]bool]int{}
	for _, b := range boxes {
		quarters[[2]bool{b.Min[0] < mid[0], b.Min[1] < mid[1]}]++
	}
	if len(quarters) != 4 {
		t.Errorf("boxes fall in %d quarters of the extent: %v", len(quarters), quarters)
	}

	if again := RandomBoxes(7, zhenhai, 2000, 150, 300); !slices.Equal(again, boxes) {
		t.Error("the same seed gave other boxes")
	}
	if other := RandomBoxes(8, zhenhai, 10, 150, 300); slices.Equal(other, boxes[:10]) {
		t.Error("another seed gave the same boxes")
	}
}

func TestRandomBoxesLargerThanTheExtentAreCutToIt(t *testing.T) {
	small := orb.Bound{Min: orb.Point{121.5, 30.0}, Max: orb.Point{121.5005, 30.0005}} // about 48 × 55 m
	for i, b := range RandomBoxes(1, small, 50, 150, 300) {
		if b != small {
			t.Fatalf("box %d = %v, want the whole extent %v", i, b, small)
		}
	}
}

func TestSameResults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got []string
		errHas    []string
	}{
		{"equal", []string{"a@1", "b@2"}, []string{"a@1", "b@2"}, nil},
		{"both empty", nil, []string{}, nil},
		{"missing", []string{"a@1", "b@2", "c@3"}, []string{"a@1", "c@3"}, []string{"2 results, want 3", "1 missing [b@2]"}},
		{"extra", []string{"a@1"}, []string{"a@1", "z@9"}, []string{"1 extra [z@9]"}},
		{"other version", []string{"a@1"}, []string{"a@4"}, []string{"1 missing [a@1]", "1 extra [a@4]"}},
		{"order", []string{"a@1", "b@2"}, []string{"b@2", "a@1"}, []string{"different order"}},
		{"duplicate", []string{"a@1", "b@2"}, []string{"a@1", "a@1", "b@2"}, []string{"1 extra [a@1]"}},
		{"none found", []string{"a@1"}, nil, []string{"0 results, want 1"}},
	} {
		err := SameResults(tc.want, tc.got)
		if (err == nil) != (tc.errHas == nil) {
			t.Errorf("%s: SameResults = %v", tc.name, err)
			continue
		}
		for _, s := range tc.errHas {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q lacks %q", tc.name, err, s)
			}
		}
	}
}

func TestKnownNames(t *testing.T) {
	look := KnownNames(map[string]bool{"addresses/syn0000001": true})
	if err := look(context.Background(), "addresses/syn0000001"); err != nil {
		t.Errorf("known name: %v", err)
	}
	if err := look(context.Background(), "addresses/nowhere"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown name: %v, want not found", err)
	}
}

func TestBuildingBenchIndexAndScanAgree(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "b.db"), Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var logs int
	// Few addresses, so that buildings crowd around them and boxes find
	// some; boxes large enough to need a second page now and then.
	q, err := BuildingBench{
		Store: st, Buildings: 3000, Batch: 700, Seed: 5, Boxes: 60, ScanBoxes: 6, BoxMinM: 150, BoxMaxM: 300,
		DBBytes: func() int64 { return 1 }, Logf: func(string, ...any) { logs++ },
	}.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Check(); err != nil {
		t.Fatal(err)
	}
	if q.Index.Ops != 60 || q.Scan.Ops != 6 || q.IndexOnScanBoxes.Ops != 6 || q.Compared != 12 || q.Mismatches != 0 {
		t.Errorf("ops %d/%d/%d, compared %d, mismatches %d", q.Index.Ops, q.Scan.Ops, q.IndexOnScanBoxes.Ops, q.Compared, q.Mismatches)
	}
	if q.Found == 0 || q.Load <= 0 || q.BuildingsPerSecond <= 0 || q.DBBytes != 1 || logs == 0 {
		t.Errorf("found %d, load %s at %.0f/s, %d bytes, %d log lines", q.Found, q.Load, q.BuildingsPerSecond, q.DBBytes, logs)
	}
	if q.SpeedupSameBoxes() <= 0 || q.SpeedupP50() <= 0 {
		t.Errorf("speed-ups %v %v", q.SpeedupSameBoxes(), q.SpeedupP50())
	}
	// The box of the whole extent holds every standing building: more
	// than one page, followed, and the same either way.
	all, err := withinAll(ctx, st, q.Extent.Pad(0.01), false)
	if err != nil {
		t.Fatal(err)
	}
	scan, err := withinAll(ctx, st, q.Extent.Pad(0.01), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 2500 || len(all) > 3000 {
		t.Errorf("the whole extent holds %d buildings, want most of 3000", len(all))
	}
	if err := SameResults(all, scan); err != nil {
		t.Errorf("whole extent: %v", err)
	}

	// A mismatch fails the run.
	q.Mismatches, q.FirstMismatch = 1, "box 3: 1 missing"
	if err := q.Check(); err == nil || !strings.Contains(err.Error(), "different buildings") {
		t.Errorf("Check with a mismatch = %v", err)
	}
}

func TestReportOutputsTheQueryMeasurements(t *testing.T) {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	r := Report{
		Lists: []ListThroughput{{Filter: `status = ACTIVE AND industry_code = "C*"`, PageSize: 100, Workers: 16, Expected: 815, Walked: 815,
			Pages: Result{Ops: 500, OpsPerSec: 250, P50: ms(50), P99: ms(120), Elapsed: 2 * time.Second}, Records: 40000}},
		Buildings: &BuildingQueries{
			Buildings: 1000000, Batch: 5000, Load: 8 * time.Minute, BuildingsPerSecond: 2083, DBBytes: 3e9,
			Extent: zhenhai, BoxMinM: 150, BoxMaxM: 300, Boxes: 500, ScanBoxes: 20, PageSize: 1000,
			Index:            Result{Ops: 500, OpsPerSec: 500, P50: ms(2), P99: ms(8), Elapsed: time.Second},
			Scan:             Result{Ops: 20, OpsPerSec: 0.5, P50: ms(2000), P99: ms(2400), Elapsed: 40 * time.Second},
			IndexOnScanBoxes: Result{Ops: 20, OpsPerSec: 500, P50: ms(2), P99: ms(3), Elapsed: ms(40)},
			Found:            60000, FoundMax: 400, Compared: 40,
		},
	}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		ListProtocol, "ListLegalEntities page_size 100", "(815), 16 callers", "20000 records/s, 250 pages/s", "p50 50.0ms",
		BuildingsProtocol, "load 1000000 buildings", "2083 buildings/s", "took 8m0s", "3000 MB on disk",
		"Within (R*Tree index), 500 boxes of 150–300 m", "p50 2.00ms", "WithinScan (full scan), the first 20",
		"ratio scan/index (speed-up)", "x1000 on the same 20 boxes", "p50 x1000", "p99 x300", "results identical on 40/40",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		List []struct {
			RecordsPerSec float64 `json:"records_per_sec"`
			PagesPerSec   float64 `json:"pages_per_sec"`
			Check         string  `json:"check"`
		} `json:"list"`
		Buildings struct {
			Buildings   int     `json:"buildings"`
			SpeedupP50  float64 `json:"speedup_scan_index_p50"`
			SpeedupSame float64 `json:"speedup_scan_index_same_boxes"`
			PerBox      float64 `json:"index_buildings_per_box"`
			Scan        struct {
				P99Ms float64 `json:"p99_ms"`
			} `json:"scan"`
			Check string `json:"check"`
		} `json:"building_queries"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.List) != 1 || doc.List[0].RecordsPerSec != 20000 || doc.List[0].PagesPerSec != 250 ||
		doc.List[0].Check != "ok" || doc.Buildings.Buildings != 1000000 || doc.Buildings.SpeedupP50 != 1000 || doc.Buildings.SpeedupSame != 1000 ||
		doc.Buildings.PerBox != 120 || doc.Buildings.Scan.P99Ms != 2400 || doc.Buildings.Check != "ok" {
		t.Errorf("JSON %s: %+v %v", b, doc, err)
	}

	r.Buildings.Mismatches = 2
	table.Reset()
	if err := r.WriteTable(&table); err != nil || !strings.Contains(table.String(), "RESULTS DIFFER on 2/40") {
		t.Errorf("table with mismatches:\n%s", table.String())
	}
	if err := r.Check(); err == nil {
		t.Error("mismatches must fail the report")
	}
}
