package bench

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	seq := func(n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = time.Duration(i+1) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", seq(1), 99, time.Millisecond},
		{"p50 of 100", seq(100), 50, 50 * time.Millisecond},
		{"p99 of 100", seq(100), 99, 99 * time.Millisecond},
		{"p100 of 100", seq(100), 100, 100 * time.Millisecond},
		{"p50 of 3", seq(3), 50, 2 * time.Millisecond},
		{"p99 of 1000", seq(1000), 99, 990 * time.Millisecond},
		{"p99 of 10", seq(10), 99, 10 * time.Millisecond},
	} {
		if got := Percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("%s: Percentile(p%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(lat), func(i, j int) { lat[i], lat[j] = lat[j], lat[i] })
	r := summarize(lat, 5, "boom", 2*time.Second)
	if r.Ops != 105 || r.Errors != 5 {
		t.Errorf("Ops, Errors = %d, %d; want 105, 5", r.Ops, r.Errors)
	}
	if r.OpsPerSec != 50 {
		t.Errorf("OpsPerSec = %v, want 50 (successes only)", r.OpsPerSec)
	}
	if r.P50 != 50*time.Millisecond || r.P99 != 99*time.Millisecond {
		t.Errorf("P50, P99 = %v, %v; want 50ms, 99ms", r.P50, r.P99)
	}
	if r.FirstError != "boom" || r.Elapsed != 2*time.Second {
		t.Errorf("FirstError, Elapsed = %q, %v", r.FirstError, r.Elapsed)
	}
	if got := r.ErrorRate(); got != 5.0/105 {
		t.Errorf("ErrorRate = %v", got)
	}
}

func TestRunCountsOpsAndErrors(t *testing.T) {
	const workers = 4
	var calls, failures atomic.Int64
	var badWorker atomic.Bool
	errOdd := errors.New("synthetic failure")
	r := Run(context.Background(), workers, 150*time.Millisecond, func(ctx context.Context, w int, rng *rand.Rand) error {
		if w < 0 || w >= workers || rng == nil {
			badWorker.Store(true)
		}
		time.Sleep(200 * time.Microsecond)
		if calls.Add(1)%10 == 0 {
			failures.Add(1)
			return errOdd
		}
		return nil
	})
	if badWorker.Load() {
		t.Error("op got a worker index out of range or a nil rng")
	}
	if r.Ops != int(calls.Load()) || r.Errors != int(failures.Load()) {
		t.Errorf("Ops, Errors = %d, %d; the op saw %d calls, %d failures", r.Ops, r.Errors, calls.Load(), failures.Load())
	}
	if r.Ops < 20 {
		t.Errorf("only %d ops in 150ms with %d workers", r.Ops, workers)
	}
	if r.FirstError != errOdd.Error() {
		t.Errorf("FirstError = %q", r.FirstError)
	}
	if r.Elapsed < 150*time.Millisecond {
		t.Errorf("Elapsed = %v, shorter than the run", r.Elapsed)
	}
	if want := float64(r.Ops-r.Errors) / r.Elapsed.Seconds(); r.OpsPerSec != want {
		t.Errorf("OpsPerSec = %v, want %v", r.OpsPerSec, want)
	}
}

func TestRunLatency(t *testing.T) {
	const sleep = 2 * time.Millisecond
	r := Run(context.Background(), 2, 100*time.Millisecond, func(context.Context, int, *rand.Rand) error {
		time.Sleep(sleep)
		return nil
	})
	if r.Errors != 0 || r.Ops == 0 {
		t.Fatalf("Ops, Errors = %d, %d", r.Ops, r.Errors)
	}
	if r.P50 < sleep || r.P99 < r.P50 {
		t.Errorf("P50, P99 = %v, %v; want P50 >= %v <= P99", r.P50, r.P99, sleep)
	}
	// Two closed-loop workers cannot beat one op per sleep each.
	if max := 2 / sleep.Seconds(); r.OpsPerSec > max {
		t.Errorf("OpsPerSec = %v, over the possible %v", r.OpsPerSec, max)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := Run(ctx, 3, time.Hour, func(ctx context.Context, _ int, _ *rand.Rand) error {
		select {
		case <-time.After(time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Run took %v after its context ended", took)
	}
	if r.Errors != 0 {
		t.Errorf("Errors = %d; calls cut short by the caller's context must not count", r.Errors)
	}
}

func TestReportCheck(t *testing.T) {
	res := func(ops, errs int) Result { return Result{Ops: ops, Errors: errs, FirstError: "x"} }
	cmp := func(real Result) Report {
		return Report{Comparisons: []Comparison{{
			Protocol: "grpc",
			Baseline: Measurement{Name: "baseline", Result: res(1000, 0)},
			Real:     Measurement{Name: "real", Result: real},
		}}}
	}
	if err := cmp(res(1000, 10)).Check(); err != nil {
		t.Errorf("1%% errors must pass: %v", err)
	}
	if err := cmp(res(1000, 11)).Check(); err == nil {
		t.Error("1.1% errors must fail")
	}
	if err := cmp(res(0, 0)).Check(); err == nil {
		t.Error("no operation at all must fail")
	}
	if err := cmp(res(3, 3)).Check(); err == nil {
		t.Error("only failures must fail")
	}
}
