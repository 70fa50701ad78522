package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// MaxErrorRate is the share of failed operations above which a run fails.
const MaxErrorRate = 0.01

// Comparison is one real path measured against its baseline under the same
// load.
type Comparison struct {
	Protocol string // "grpc" or "rest"
	Baseline Measurement
	Real     Measurement
}

// Measurement is one measured target.
type Measurement struct {
	Name   string // e.g. "baseline", "legalentity.Get"
	Result Result
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

// LatencyRatio is the real path's p50 over the baseline's (0 without a
// baseline figure).
func (c Comparison) LatencyRatio() float64 {
	if c.Baseline.Result.P50 == 0 {
		return 0
	}
	return float64(c.Real.Result.P50) / float64(c.Baseline.Result.P50)
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
}

// Check fails when a measurement has more than MaxErrorRate of its
// operations failing, or no successful operation at all.
func (r Report) Check() error {
	var errs []error
	for _, c := range r.Comparisons {
		for _, m := range []Measurement{c.Baseline, c.Real} {
			res := m.Result
			switch {
			case res.Ops-res.Errors == 0:
				errs = append(errs, fmt.Errorf("%s %s: no successful operation (%d errors; first: %s)", c.Protocol, m.Name, res.Errors, res.FirstError))
			case res.ErrorRate() > MaxErrorRate:
				errs = append(errs, fmt.Errorf("%s %s: %d of %d operations failed (%.2f%%, over %.0f%%); first: %s",
					c.Protocol, m.Name, res.Errors, res.Ops, 100*res.ErrorRate(), 100*MaxErrorRate, res.FirstError))
			}
		}
	}
	return errors.Join(errs...)
}

// WriteTable writes the report as an aligned table.
func (r Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "zhbase bench: %d workers, %s per target after a %s warm-up, loopback, %s, GOMAXPROCS=%d of %d CPUs (client and servers share them)\n\n",
		r.Workers, r.Duration, r.Warmup, r.GoVersion, r.GOMAXPROCS, r.NumCPU)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "protocol\ttarget\tthroughput\tp50\tp99\terrors/ops")
	for _, c := range r.Comparisons {
		for _, m := range []Measurement{c.Baseline, c.Real} {
			res := m.Result
			fmt.Fprintf(tw, "%s\t%s\t%.0f ops/s\tp50 %s\tp99 %s\t%d/%d\n",
				c.Protocol, m.Name, res.OpsPerSec, ms(res.P50), ms(res.P99), res.Errors, res.Ops)
		}
		fmt.Fprintf(tw, "%s\tratio real/baseline\t%.2f\tp50 x%.1f\n", c.Protocol, c.Ratio(), c.LatencyRatio())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nnotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ms formats d in milliseconds with enough digits for loopback latencies.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
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
	FirstError string  `json:"first_error,omitempty"`
}

type jsonComparison struct {
	Protocol    string     `json:"protocol"`
	Baseline    jsonResult `json:"baseline"`
	Real        jsonResult `json:"real"`
	RatioOps    float64    `json:"ratio_real_baseline_ops_per_sec"`
	RatioP50    float64    `json:"ratio_real_baseline_p50"`
	MaxErrRate  float64    `json:"max_error_rate"`
	ErrorsCheck string     `json:"error_check"`
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
}

// MarshalJSON writes the same figures as WriteTable, latencies in
// milliseconds.
func (r Report) MarshalJSON() ([]byte, error) {
	conv := func(m Measurement) jsonResult {
		res := m.Result
		return jsonResult{
			Name: m.Name, Ops: res.Ops, Errors: res.Errors, ErrorRate: res.ErrorRate(), OpsPerSec: res.OpsPerSec,
			P50Ms: toMs(res.P50), P99Ms: toMs(res.P99), ElapsedSec: res.Elapsed.Seconds(), FirstError: res.FirstError,
		}
	}
	out := jsonReport{
		Workers: r.Workers, DurationSec: r.Duration.Seconds(), WarmupSec: r.Warmup.Seconds(), Entities: r.Entities,
		GOMAXPROCS: r.GOMAXPROCS, NumCPU: r.NumCPU, GoVersion: r.GoVersion, Notes: r.Notes,
		Results: []jsonComparison{},
	}
	for _, c := range r.Comparisons {
		check := "ok"
		if err := (Report{Comparisons: []Comparison{c}}).Check(); err != nil {
			check = "failed"
		}
		out.Results = append(out.Results, jsonComparison{
			Protocol: c.Protocol, Baseline: conv(c.Baseline), Real: conv(c.Real),
			RatioOps: c.Ratio(), RatioP50: c.LatencyRatio(), MaxErrRate: MaxErrorRate, ErrorsCheck: check,
		})
	}
	return json.Marshal(out)
}

func toMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
