// Package bench measures zhbase against bare baselines on loopback: a
// closed-loop load generator (Run), bare gRPC and HTTP servers that answer
// with a canned entity (the baselines), and the report that compares them.
// The command tools/cmd/zhbase-bench (make bench) puts them together.
package bench

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Op is one operation of a worker. rng is the worker's own generator, so an
// op may use it without locking. A returned error counts as a failed
// operation; it does not stop the run.
type Op func(ctx context.Context, worker int, rng *rand.Rand) error

// Result is what Run measured.
type Result struct {
	// Ops counts every completed operation, failed ones included.
	Ops int `json:"ops"`
	// Errors counts the operations that returned an error.
	Errors int `json:"errors"`
	// OpsPerSec is the rate of successful operations over Elapsed.
	OpsPerSec float64 `json:"ops_per_sec"`
	// P50 and P99 are latency percentiles (nearest rank) of the successful
	// operations; zero when none succeeded.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	// Elapsed runs from the start of the first operation to the end of the
	// last one (operations in flight at the deadline are let finish).
	Elapsed time.Duration `json:"elapsed_ns"`
	// FirstError is the text of the first error seen, for the report.
	FirstError string `json:"first_error,omitempty"`
}

// ErrorRate is Errors/Ops, 0 when nothing ran.
func (r Result) ErrorRate() float64 {
	if r.Ops == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.Ops)
}

// Run drives op from workers concurrent goroutines, each calling it in a
// closed loop (the next call starts when the previous returns) until d has
// passed or ctx ends. Operations are passed ctx itself, so a call in flight
// at the deadline is let finish rather than cut short. When ctx ends early,
// errors of calls cut short by it are not counted.
//
// Every successful latency is kept (8 bytes each) to compute exact
// percentiles, so memory grows with the number of operations: d bounds it.
func Run(ctx context.Context, workers int, d time.Duration, op Op) Result {
	if workers < 1 {
		workers = 1
	}
	type tally struct {
		lat    []time.Duration
		errors int
		first  error
		firstT time.Time
	}
	tallies := make([]tally, workers)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[w]
			t.lat = make([]time.Duration, 0, 1024)
			rng := rand.New(rand.NewPCG(uint64(w)+1, 0x5eed))
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				err := op(ctx, w, rng)
				t1 := time.Now()
				switch {
				case err == nil:
					t.lat = append(t.lat, t1.Sub(t0))
				case ctx.Err() != nil:
					return // cut short by the caller, not a failure
				default:
					t.errors++
					if t.first == nil {
						t.first, t.firstT = err, t1
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var lat []time.Duration
	var errors int
	var first error
	var firstT time.Time
	for _, t := range tallies {
		lat = append(lat, t.lat...)
		errors += t.errors
		if t.first != nil && (first == nil || t.firstT.Before(firstT)) {
			first, firstT = t.first, t.firstT
		}
	}
	firstError := ""
	if first != nil {
		firstError = first.Error()
	}
	return summarize(lat, errors, firstError, elapsed)
}

// summarize computes a Result from the latencies of successful operations.
// It sorts lat.
func summarize(lat []time.Duration, errors int, firstError string, elapsed time.Duration) Result {
	slices.Sort(lat)
	r := Result{
		Ops:        len(lat) + errors,
		Errors:     errors,
		Elapsed:    elapsed,
		FirstError: firstError,
		P50:        Percentile(lat, 50),
		P99:        Percentile(lat, 99),
	}
	if elapsed > 0 {
		r.OpsPerSec = float64(len(lat)) / elapsed.Seconds()
	}
	return r
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted:
// the smallest value that at least p% of the values do not exceed. It is 0
// for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
