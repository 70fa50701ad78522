package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb"
)

// MaxErrorRate is the share of failed operations above which a run fails.
const MaxErrorRate = 0.01

// Comparison is one real path measured against its baseline under the same
// load.
type Comparison struct {
	Protocol string // "grpc", "rest", "grpc authz+audit"
	Baseline Measurement
	Real     Measurement
	// RatioName says what the ratio row compares, "with/without authz+audit";
	// "real/baseline" when empty.
	RatioName string
}

// Measurement is one measured target.
type Measurement struct {
	Name   string // e.g. "baseline", "legalentity.Get"
	Result Result
	// CPU is the process's CPU time during the measured phase, clients
	// and servers together (0 when not taken): unlike throughput, its
	// share per operation does not depend on what else the machine runs.
	CPU time.Duration
}

// CPUPerOp is the process's CPU time per successful operation (0 when
// not taken or nothing succeeded).
func (m Measurement) CPUPerOp() time.Duration {
	ok := m.Result.Ops - m.Result.Errors
	if m.CPU <= 0 || ok <= 0 {
		return 0
	}
	return m.CPU / time.Duration(ok)
}

// Ratio is the real path's throughput over the baseline's (0 without a
// baseline figure): 0.31 means the real path serves 31% of the baseline's
// operations per second.
func (c Comparison) Ratio() float64 {
	if c.Baseline.Result.OpsPerSec == 0 {
		return 0
	}
	return c.Real.Result.OpsPerSec / c.Baseline.Result.OpsPerSec
}

// RatioLabel is what the ratio row compares.
func (c Comparison) RatioLabel() string {
	if c.RatioName == "" {
		return "real/baseline"
	}
	return c.RatioName
}

// LatencyRatio is the real path's p50 over the baseline's (0 without a
// baseline figure).
func (c Comparison) LatencyRatio() float64 {
	if c.Baseline.Result.P50 == 0 {
		return 0
	}
	return float64(c.Real.Result.P50) / float64(c.Baseline.Result.P50)
}

// CPURatio is the real path's CPU time per operation over the baseline's
// (0 unless both were taken).
func (c Comparison) CPURatio() float64 {
	b, r := c.Baseline.CPUPerOp(), c.Real.CPUPerOp()
	if b == 0 || r == 0 {
		return 0
	}
	return float64(r) / float64(b)
}

// Report is the outcome of one bench run.
type Report struct {
	Workers     int
	Duration    time.Duration
	Warmup      time.Duration
	Entities    int
	GOMAXPROCS  int
	NumCPU      int
	GoVersion   string
	Notes       []string
	Comparisons []Comparison
	// Writes and FeedLags are the write measurements, one per backend.
	Writes   []WriteComparison
	FeedLags []FeedLag
	// Lists are the List throughput measurements, one per filter.
	Lists []ListThroughput
	// Buildings is the bounding-box query measurement, Geocode the
	// reverse-geocoding one; nil when not run.
	Buildings *BuildingQueries
	Geocode   *GeocodeLatency
	// Audit is the verification of the read cluster's audit log after the
	// measurements; nil when not run.
	Audit *AuditVerification
}

// Check fails when a measurement has more than MaxErrorRate of its
// operations failing, or no successful operation at all, or when a feed
// did not deliver every committed write exactly once.
func (r Report) Check() error {
	var errs []error
	for _, c := range r.Comparisons {
		for _, m := range []Measurement{c.Baseline, c.Real} {
			errs = append(errs, checkResult(c.Protocol, m))
		}
	}
	for _, w := range r.Writes {
		for _, m := range []Measurement{w.Without, w.With, w.Production} {
			errs = append(errs, checkResult(writeProtocol(w.Backend), m))
		}
	}
	for _, l := range r.FeedLags {
		errs = append(errs, checkResult(feedProtocol(l.Backend), Measurement{Name: "writers", Result: l.Writes}))
		if err := l.Lag.Check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", feedProtocol(l.Backend), err))
		}
	}
	for _, l := range r.Lists {
		errs = append(errs, l.Check())
	}
	if r.Buildings != nil {
		errs = append(errs, r.Buildings.Check())
	}
	if r.Geocode != nil {
		errs = append(errs, r.Geocode.Check())
	}
	if r.Audit != nil {
		errs = append(errs, r.Audit.Check())
	}
	return errors.Join(errs...)
}

func checkResult(protocol string, m Measurement) error {
	res := m.Result
	switch {
	case res.Ops-res.Errors == 0:
		return fmt.Errorf("%s %s: no successful operation (%d errors; first: %s)", protocol, m.Name, res.Errors, res.FirstError)
	case res.ErrorRate() > MaxErrorRate:
		return fmt.Errorf("%s %s: %d of %d operations failed (%.2f%%, over %.0f%%); first: %s",
			protocol, m.Name, res.Errors, res.Ops, 100*res.ErrorRate(), 100*MaxErrorRate, res.FirstError)
	}
	return nil
}

func writeProtocol(backend string) string { return "write/" + backend }
func feedProtocol(backend string) string  { return "feed/" + backend }

// WriteTable writes the report as an aligned table.
func (r Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "zhbase bench: %d workers, %s per target after a %s warm-up, loopback, %s, GOMAXPROCS=%d of %d CPUs (client and servers share them)\n",
		r.Workers, r.Duration, r.Warmup, r.GoVersion, r.GOMAXPROCS, r.NumCPU)
	if len(r.Writes) > 0 {
		fmt.Fprintf(&b, "writes and feed: %d workers, %d entities per database, the same duration and warm-up\n", r.Writes[0].Workers, r.Writes[0].Entities)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "protocol\ttarget\tthroughput\tp50\tp99\terrors/ops")
	for _, c := range r.Comparisons {
		for _, m := range []Measurement{c.Baseline, c.Real} {
			res := m.Result
			fmt.Fprintf(tw, "%s\t%s\t%.0f ops/s\tp50 %s\tp99 %s\t%d/%d\n",
				c.Protocol, m.Name, res.OpsPerSec, ms(res.P50), ms(res.P99), res.Errors, res.Ops)
		}
		cpu := ""
		if c.CPURatio() > 0 {
			cpu = fmt.Sprintf("CPU/op x%.1f (%s vs %s)", c.CPURatio(), us(c.Real.CPUPerOp()), us(c.Baseline.CPUPerOp()))
		}
		fmt.Fprintf(tw, "%s\tratio %s\t%.2f\tp50 x%.1f\t%s\t\n", c.Protocol, c.RatioLabel(), c.Ratio(), c.LatencyRatio(), cpu)
	}
	row := func(protocol string, m Measurement) {
		res := m.Result
		fmt.Fprintf(tw, "%s\t%s\t%.0f ops/s\tp50 %s\tp99 %s\t%d/%d\n",
			protocol, m.Name, res.OpsPerSec, ms(res.P50), ms(res.P99), res.Errors, res.Ops)
	}
	for _, l := range r.Lists {
		res := l.Pages
		fmt.Fprintf(tw, "%s\t%s\t%.0f records/s, %.0f pages/s\tp50 %s\tp99 %s\t%d/%d\n",
			ListProtocol, l.Name(), l.RecordsPerSec(), res.OpsPerSec, ms(res.P50), ms(res.P99), res.Errors, res.Ops)
	}
	for _, w := range r.Writes {
		p := writeProtocol(w.Backend)
		row(p, w.Without)
		row(p, w.With)
		fmt.Fprintf(tw, "%s\tratio with/without history+feed\t%.2f\tp50 x%.1f\t\t\n", p, w.Ratio(), w.LatencyRatio())
		row(p, w.Production)
		fmt.Fprintf(tw, "%s\tratio sqlstore/plain\t%.2f\tp50 x%.1f\t\t\n", p, w.ProductionRatio(), w.ProductionLatencyRatio())
	}
	for _, l := range r.FeedLags {
		p := feedProtocol(l.Backend)
		lag := l.Lag
		once := "delivered once"
		if lag.Check() != nil {
			once = "NOT delivered exactly once"
		}
		fmt.Fprintf(tw, "%s\tFeed.Watch lag behind Update's return, %d writers at %.0f writes/s\t%d/%d %s\tp50 %s\tp99 %s\tmax %s\n",
			p, l.Workers, l.Writes.OpsPerSec, lag.Delivered, lag.Committed, once, ms(lag.P50), ms(lag.P99), ms(lag.Max))
	}
	if q := r.Buildings; q != nil {
		fmt.Fprintf(tw, "%s\tload %d buildings: building.Service.CreateMany, %d a transaction\t%.0f buildings/s\ttook %s\t%s\t\n",
			BuildingsProtocol, q.Buildings, q.Batch, q.BuildingsPerSecond, q.Load.Round(100*time.Millisecond), sizeMB(q.DBBytes))
		fmt.Fprintf(tw, "%s\tWithin (R*Tree index), %d boxes of %.0f–%.0f m, one at a time\t%.1f queries/s\tp50 %s\tp99 %s\t%d/%d\n",
			BuildingsProtocol, q.Boxes, q.BoxMinM, q.BoxMaxM, q.Index.OpsPerSec, ms(q.Index.P50), ms(q.Index.P99), q.Index.Errors, q.Index.Ops)
		fmt.Fprintf(tw, "%s\tWithinScan (full scan), the first %d of the boxes\t%.2f queries/s\tp50 %s\tp99 %s\t%d/%d\n",
			BuildingsProtocol, q.ScanBoxes, q.Scan.OpsPerSec, ms(q.Scan.P50), ms(q.Scan.P99), q.Scan.Errors, q.Scan.Ops)
		same := fmt.Sprintf("results identical on %d/%d compared", q.Compared-q.Mismatches, q.Compared)
		if q.Mismatches > 0 {
			same = fmt.Sprintf("RESULTS DIFFER on %d/%d compared", q.Mismatches, q.Compared)
		}
		fmt.Fprintf(tw, "%s\tratio scan/index (speed-up)\tx%.0f on the same %d boxes\tp50 x%.0f\tp99 x%.0f\t%s\n",
			BuildingsProtocol, q.SpeedupSameBoxes(), q.ScanBoxes, q.SpeedupP50(), q.SpeedupP99(), same)
	}
	if g := r.Geocode; g != nil {
		for _, m := range []struct {
			workers int
			res     Result
		}{{1, g.Single}, {g.Workers, g.Concurrent}} {
			fmt.Fprintf(tw, "%s\tspatial.Service.ReverseGeocode k=%d, %d addresses, %s\t%.0f ops/s\tp50 %s\tp99 %s\t%d/%d\n",
				GeocodeProtocol, g.K, g.Addresses, callers(m.workers), m.res.OpsPerSec, ms(m.res.P50), ms(m.res.P99), m.res.Errors, m.res.Ops)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Rows with empty trailing cells (the ratios) keep the columns aligned
	// but end in padding.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	b.Reset()
	b.WriteString(strings.Join(lines, "\n"))
	if len(r.Notes) > 0 {
		b.WriteString("\nnotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// callers says how many callers ran side by side.
func callers(n int) string {
	if n == 1 {
		return "1 caller"
	}
	return fmt.Sprintf("%d callers", n)
}

// sizeMB formats a byte count in MB, "" when unknown.
func sizeMB(n int64) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f MB on disk", float64(n)/1e6)
}

// us formats d in microseconds, for CPU time per operation.
func us(d time.Duration) string {
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
}

// ms formats d in milliseconds with enough digits for loopback latencies.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 0:
		return fmt.Sprintf("%.3fms", v)
	case v < 1:
		return fmt.Sprintf("%.3fms", v)
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.1fms", v)
}

type jsonResult struct {
	Name       string  `json:"name"`
	Ops        int     `json:"ops"`
	Errors     int     `json:"errors"`
	ErrorRate  float64 `json:"error_rate"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	ElapsedSec float64 `json:"elapsed_s"`
	CPUPerOpUs float64 `json:"cpu_us_per_op,omitempty"`
	FirstError string  `json:"first_error,omitempty"`
}

type jsonComparison struct {
	Protocol    string     `json:"protocol"`
	Baseline    jsonResult `json:"baseline"`
	Real        jsonResult `json:"real"`
	RatioName   string     `json:"ratio_name"`
	RatioOps    float64    `json:"ratio_real_baseline_ops_per_sec"`
	RatioP50    float64    `json:"ratio_real_baseline_p50"`
	RatioCPU    float64    `json:"ratio_real_baseline_cpu_per_op,omitempty"`
	MaxErrRate  float64    `json:"max_error_rate"`
	ErrorsCheck string     `json:"error_check"`
}

type jsonWrites struct {
	Backend         string     `json:"backend"`
	Workers         int        `json:"workers"`
	Entities        int        `json:"entities"`
	Without         jsonResult `json:"without_history_feed"`
	With            jsonResult `json:"with_history_feed"`
	Production      jsonResult `json:"legalentity_sqlstore"`
	Ratio           float64    `json:"ratio_with_without_ops_per_sec"`
	RatioP50        float64    `json:"ratio_with_without_p50"`
	ProductionRatio float64    `json:"ratio_sqlstore_without_ops_per_sec"`
	ProductionP50   float64    `json:"ratio_sqlstore_without_p50"`
	ErrorsCheck     string     `json:"error_check"`
}

type jsonFeedLag struct {
	Backend          string     `json:"backend"`
	Workers          int        `json:"workers"`
	Writes           jsonResult `json:"writes"`
	Committed        int        `json:"committed"`
	Delivered        int        `json:"delivered"`
	Duplicates       int        `json:"duplicates"`
	DuplicateCommits int        `json:"duplicate_commits"`
	Missing          int        `json:"missing"`
	Unexpected       int        `json:"unexpected"`
	Early            int        `json:"delivered_before_write_returned"`
	P50Ms            float64    `json:"lag_p50_ms"`
	P99Ms            float64    `json:"lag_p99_ms"`
	MaxMs            float64    `json:"lag_max_ms"`
	PollIntervalMs   float64    `json:"poll_interval_ms"`
	Check            string     `json:"exactly_once_check"`
	Problem          string     `json:"problem,omitempty"`
}

type jsonList struct {
	Filter        string     `json:"filter"`
	PageSize      int        `json:"page_size"`
	Workers       int        `json:"workers"`
	Expected      int        `json:"expected_entities"`
	Walked        int        `json:"walked_entities"`
	Pages         jsonResult `json:"pages"`
	Records       int64      `json:"records"`
	RecordsPerSec float64    `json:"records_per_sec"`
	PagesPerSec   float64    `json:"pages_per_sec"`
	Check         string     `json:"check"`
}

type jsonBuildings struct {
	Buildings        int        `json:"buildings"`
	Batch            int        `json:"batch"`
	LoadSec          float64    `json:"load_s"`
	BuildingsPerSec  float64    `json:"load_buildings_per_sec"`
	DBBytes          int64      `json:"db_bytes"`
	Extent           [4]float64 `json:"extent_min_lon_min_lat_max_lon_max_lat"`
	BoxMinM          float64    `json:"box_min_side_m"`
	BoxMaxM          float64    `json:"box_max_side_m"`
	Boxes            int        `json:"boxes"`
	ScanBoxes        int        `json:"scan_boxes"`
	PageSize         int        `json:"page_size"`
	Index            jsonResult `json:"index"`
	Scan             jsonResult `json:"scan"`
	IndexOnScanBoxes jsonResult `json:"index_on_scan_boxes"`
	SpeedupP50       float64    `json:"speedup_scan_index_p50"`
	SpeedupP99       float64    `json:"speedup_scan_index_p99"`
	SpeedupSameBoxes float64    `json:"speedup_scan_index_same_boxes"`
	FoundPerBox      float64    `json:"index_buildings_per_box"`
	FoundMax         int        `json:"index_buildings_max_box"`
	Compared         int        `json:"result_sets_compared"`
	Mismatches       int        `json:"result_sets_differing"`
	FirstMismatch    string     `json:"first_mismatch,omitempty"`
	Check            string     `json:"check"`
}

type jsonGeocode struct {
	InProcess    bool       `json:"in_process_no_grpc"`
	Addresses    int        `json:"addresses"`
	Divisions    int        `json:"divisions"`
	LoadWorkers  int        `json:"load_workers"`
	LoadSec      float64    `json:"load_s"`
	Extent       [4]float64 `json:"extent_min_lon_min_lat_max_lon_max_lat"`
	K            int        `json:"k"`
	MaxDistanceM float64    `json:"max_distance_m"`
	Single       jsonResult `json:"one_caller"`
	Concurrent   jsonResult `json:"concurrent"`
	Workers      int        `json:"concurrent_callers"`
	Answers      int64      `json:"answers"`
	Full         int64      `json:"answers_with_k"`
	Empty        int64      `json:"answers_empty"`
	Check        string     `json:"check"`
}

type jsonReport struct {
	Workers     int              `json:"workers"`
	DurationSec float64          `json:"duration_s"`
	WarmupSec   float64          `json:"warmup_s"`
	Entities    int              `json:"entities"`
	GOMAXPROCS  int              `json:"gomaxprocs"`
	NumCPU      int              `json:"num_cpu"`
	GoVersion   string           `json:"go_version"`
	Notes       []string         `json:"notes"`
	Results     []jsonComparison `json:"results"`
	Writes      []jsonWrites     `json:"writes"`
	FeedLags    []jsonFeedLag    `json:"feed_lag"`
	Lists       []jsonList       `json:"list"`
	Buildings   *jsonBuildings   `json:"building_queries,omitempty"`
	Geocode     *jsonGeocode     `json:"reverse_geocode,omitempty"`
	Audit       *jsonAudit       `json:"audit_verification,omitempty"`
}

// MarshalJSON writes the same figures as WriteTable, latencies in
// milliseconds.
func (r Report) MarshalJSON() ([]byte, error) {
	conv := func(m Measurement) jsonResult {
		res := m.Result
		return jsonResult{
			Name: m.Name, Ops: res.Ops, Errors: res.Errors, ErrorRate: res.ErrorRate(), OpsPerSec: res.OpsPerSec,
			P50Ms: toMs(res.P50), P99Ms: toMs(res.P99), ElapsedSec: res.Elapsed.Seconds(), FirstError: res.FirstError,
			CPUPerOpUs: float64(m.CPUPerOp()) / float64(time.Microsecond),
		}
	}
	out := jsonReport{
		Workers: r.Workers, DurationSec: r.Duration.Seconds(), WarmupSec: r.Warmup.Seconds(), Entities: r.Entities,
		GOMAXPROCS: r.GOMAXPROCS, NumCPU: r.NumCPU, GoVersion: r.GoVersion, Notes: r.Notes,
		Results: []jsonComparison{}, Writes: []jsonWrites{}, FeedLags: []jsonFeedLag{}, Lists: []jsonList{},
	}
	check := func(err error) string {
		if err != nil {
			return "failed"
		}
		return "ok"
	}
	extent := func(b orb.Bound) [4]float64 { return [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} }
	for _, l := range r.Lists {
		out.Lists = append(out.Lists, jsonList{
			Filter: l.Filter, PageSize: l.PageSize, Workers: l.Workers, Expected: l.Expected, Walked: l.Walked,
			Pages: conv(Measurement{Name: l.Name(), Result: l.Pages}), Records: l.Records,
			RecordsPerSec: l.RecordsPerSec(), PagesPerSec: l.Pages.OpsPerSec, Check: check(l.Check()),
		})
	}
	if q := r.Buildings; q != nil {
		perBox := 0.0
		if q.Index.Ops > 0 {
			perBox = float64(q.Found) / float64(q.Index.Ops-q.Index.Errors)
		}
		out.Buildings = &jsonBuildings{
			Buildings: q.Buildings, Batch: q.Batch, LoadSec: q.Load.Seconds(), BuildingsPerSec: q.BuildingsPerSecond, DBBytes: q.DBBytes,
			Extent: extent(q.Extent), BoxMinM: q.BoxMinM, BoxMaxM: q.BoxMaxM, Boxes: q.Boxes, ScanBoxes: q.ScanBoxes, PageSize: q.PageSize,
			Index:            conv(Measurement{Name: "Within (R*Tree index)", Result: q.Index}),
			Scan:             conv(Measurement{Name: "WithinScan (full scan)", Result: q.Scan}),
			IndexOnScanBoxes: conv(Measurement{Name: "Within (R*Tree index) on the scan's boxes", Result: q.IndexOnScanBoxes}),
			SpeedupP50:       q.SpeedupP50(), SpeedupP99: q.SpeedupP99(), SpeedupSameBoxes: q.SpeedupSameBoxes(),
			FoundPerBox: perBox, FoundMax: q.FoundMax, Compared: q.Compared, Mismatches: q.Mismatches, FirstMismatch: q.FirstMismatch,
			Check: check(q.Check()),
		}
	}
	if g := r.Geocode; g != nil {
		out.Geocode = &jsonGeocode{
			InProcess: true, Addresses: g.Addresses, Divisions: g.Divisions, LoadWorkers: g.LoadWorkers, LoadSec: g.Load.Seconds(),
			Extent: extent(g.Extent), K: g.K, MaxDistanceM: g.MaxDistanceM,
			Single:     conv(Measurement{Name: "spatial.Service.ReverseGeocode, 1 caller", Result: g.Single}),
			Concurrent: conv(Measurement{Name: "spatial.Service.ReverseGeocode, " + callers(g.Workers), Result: g.Concurrent}),
			Workers:    g.Workers, Answers: g.Answers, Full: g.Full, Empty: g.Empty, Check: check(g.Check()),
		}
	}
	if a := r.Audit; a != nil {
		out.Audit = &jsonAudit{
			Chains: a.Chains, Records: a.Records, Audited: a.Audited, AnchorsChecked: a.AnchorsChecked,
			Unanchored: a.Unanchored, Problems: a.Problems, TookSec: a.Took.Seconds(), Check: check(a.Check()),
		}
	}
	for _, c := range r.Comparisons {
		check := "ok"
		if err := (Report{Comparisons: []Comparison{c}}).Check(); err != nil {
			check = "failed"
		}
		out.Results = append(out.Results, jsonComparison{
			Protocol: c.Protocol, Baseline: conv(c.Baseline), Real: conv(c.Real), RatioName: c.RatioLabel(),
			RatioOps: c.Ratio(), RatioP50: c.LatencyRatio(), RatioCPU: c.CPURatio(), MaxErrRate: MaxErrorRate, ErrorsCheck: check,
		})
	}
	for _, w := range r.Writes {
		check := "ok"
		if err := (Report{Writes: []WriteComparison{w}}).Check(); err != nil {
			check = "failed"
		}
		out.Writes = append(out.Writes, jsonWrites{
			Backend: w.Backend, Workers: w.Workers, Entities: w.Entities,
			Without: conv(w.Without), With: conv(w.With), Production: conv(w.Production),
			Ratio: w.Ratio(), RatioP50: w.LatencyRatio(), ProductionRatio: w.ProductionRatio(), ProductionP50: w.ProductionLatencyRatio(),
			ErrorsCheck: check,
		})
	}
	for _, l := range r.FeedLags {
		check := "ok"
		if err := l.Lag.Check(); err != nil {
			check = "failed"
		}
		lag := l.Lag
		out.FeedLags = append(out.FeedLags, jsonFeedLag{
			Backend: l.Backend, Workers: l.Workers, Writes: conv(Measurement{Name: TemporalTargetName, Result: l.Writes}),
			Committed: lag.Committed, Delivered: lag.Delivered, Duplicates: lag.Duplicates, DuplicateCommits: lag.DuplicateCommits,
			Missing: lag.Missing, Unexpected: lag.Unexpected, Early: lag.Early,
			P50Ms: toMs(lag.P50), P99Ms: toMs(lag.P99), MaxMs: toMs(lag.Max), PollIntervalMs: toMs(l.PollInterval),
			Check: check, Problem: lag.Problem,
		})
	}
	return json.Marshal(out)
}

func toMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
