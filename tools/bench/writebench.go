package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/legalentity"
)

// WriteOp is one write of a worker: it returns the feed sequence it took.
type WriteOp func(ctx context.Context, worker int, rng *rand.Rand) (seq int64, err error)

// UpdateRandom returns the op that updates a random entity of keys through
// t, changing one field (Mutate).
func UpdateRandom(t WriteTarget, keys []string) WriteOp {
	return func(ctx context.Context, _ int, rng *rand.Rand) (int64, error) {
		key := keys[rng.IntN(len(keys))]
		return t.Update(ctx, key, func(e *legalentity.LegalEntity) { Mutate(e, rng, time.Now()) })
	}
}

// MeasureFeedLag runs write from workers closed-loop goroutines for d
// while one watcher follows feed from its head with Watch (batches of up to
// 500). Each writer records, in a LagTracker, the sequence its write took
// and the time the write returned; the watcher records when it was sent
// each change. Once the writers stop it waits for the watcher to reach the
// feed's head (at most drain, plus one PollInterval) and pairs the two.
func MeasureFeedLag(ctx context.Context, feed *temporal.Feed, workers int, d, drain time.Duration, write WriteOp) (Result, LagResult, error) {
	head, err := feed.Head(ctx)
	if err != nil {
		return Result{}, LagResult{}, err
	}
	tracker := NewLagTracker()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watchErr := make(chan error, 1)
	go func() {
		watchErr <- feed.Watch(wctx, head, 500, func(cs []temporal.Change) error {
			at := time.Now()
			for _, c := range cs {
				tracker.Received(c.Sequence, at)
			}
			return nil
		})
	}()

	writes := Run(ctx, workers, d, func(ctx context.Context, w int, rng *rand.Rand) error {
		seq, err := write(ctx, w, rng)
		at := time.Now()
		if err != nil {
			return err
		}
		if !tracker.Committed(seq, at) {
			return fmt.Errorf("sequence %d was returned by two writes", seq)
		}
		return nil
	})

	last, err := feed.Head(ctx)
	if err != nil {
		return writes, LagResult{}, err
	}
	deadline := time.NewTimer(drain + feed.PollInterval)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
wait:
	for tracker.MaxReceived() < last {
		select {
		case err := <-watchErr:
			return writes, tracker.Result(), fmt.Errorf("the watcher stopped: %w", err)
		case <-deadline.C:
			break wait // Result reports what is missing
		case <-ctx.Done():
			return writes, tracker.Result(), ctx.Err()
		case <-tick.C:
		}
	}
	stopWatch()
	if err := <-watchErr; err != nil && !errors.Is(err, context.Canceled) {
		return writes, tracker.Result(), fmt.Errorf("the watcher failed: %w", err)
	}
	return writes, tracker.Result(), nil
}

// WriteComparison is one backend's write throughput with and without
// history and the feed, under the same load.
type WriteComparison struct {
	Backend  string // "sqlite" or "postgresql"
	Workers  int
	Entities int
	// Without is the plain table updated in place (PlainTable); With the
	// same writes through temporal.Store (TemporalTable); Production the
	// registry's own store (ProductionStore), which also keeps search
	// terms.
	Without, With, Production Measurement
}

// Ratio is With's throughput over Without's (0 without a baseline figure).
func (c WriteComparison) Ratio() float64 {
	return ratio(c.With.Result.OpsPerSec, c.Without.Result.OpsPerSec)
}

// ProductionRatio is Production's throughput over Without's.
func (c WriteComparison) ProductionRatio() float64 {
	return ratio(c.Production.Result.OpsPerSec, c.Without.Result.OpsPerSec)
}

// LatencyRatio is With's p50 over Without's.
func (c WriteComparison) LatencyRatio() float64 {
	return ratio(float64(c.With.Result.P50), float64(c.Without.Result.P50))
}

// ProductionLatencyRatio is Production's p50 over Without's.
func (c WriteComparison) ProductionLatencyRatio() float64 {
	return ratio(float64(c.Production.Result.P50), float64(c.Without.Result.P50))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// FeedLag is the change feed's delivery lag under write load.
type FeedLag struct {
	Backend string
	Workers int
	// Writes are the writers' own figures during the measurement.
	Writes Result
	Lag    LagResult
	// PollInterval is the feed's, which bounds how late writes of other
	// processes are seen.
	PollInterval time.Duration
}

// WriteBench measures one backend's writes: the three targets one after
// the other, each in a fresh database seeded with the same entities, then
// the feed's lag on the temporal table.
type WriteBench struct {
	Databases        *Databases
	Entities         int
	Seed             uint64
	Workers          int
	Duration, Warmup time.Duration
	// Drain bounds the wait for the watcher after the writers of the lag
	// measurement stop.
	Drain time.Duration
	Logf  func(format string, args ...any)
}

// Target names of the write measurements, as reported.
const (
	PlainTargetName      = "plain UPDATE in place (no history, no feed)"
	TemporalTargetName   = "temporal.Store.Update (history + feed)"
	ProductionTargetName = "legalentity sqlstore.Update (+ search terms)"
)

// Run measures. The databases stay open until b.Databases is closed.
func (b WriteBench) Run(ctx context.Context) (WriteComparison, FeedLag, error) {
	logf := b.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	backend := b.Databases.Backend
	cmp := WriteComparison{Backend: backend, Workers: b.Workers, Entities: b.Entities}
	lag := FeedLag{Backend: backend, Workers: b.Workers}
	entities := LegalEntities(b.Seed, b.Entities, time.Now())
	keys := make([]string, len(entities))
	for i, e := range entities {
		keys[i] = e.USCC
	}

	var tt *TemporalTable
	targets := []struct {
		name, label string
		dst         *Measurement
		open        func(context.Context) (WriteTarget, error)
	}{
		{"plain", PlainTargetName, &cmp.Without, func(ctx context.Context) (WriteTarget, error) {
			db, err := b.Databases.Open(ctx, "plain")
			if err != nil {
				return nil, err
			}
			return OpenPlainTable(ctx, db)
		}},
		{"temporal", TemporalTargetName, &cmp.With, func(ctx context.Context) (WriteTarget, error) {
			db, err := b.Databases.Open(ctx, "temporal")
			if err != nil {
				return nil, err
			}
			t, err := OpenTemporalTable(ctx, db)
			tt = t
			return t, err
		}},
		{"production", ProductionTargetName, &cmp.Production, func(ctx context.Context) (WriteTarget, error) {
			db, err := b.Databases.Open(ctx, "production")
			if err != nil {
				return nil, err
			}
			return OpenProductionStore(ctx, db)
		}},
	}
	for _, tg := range targets {
		t, err := tg.open(ctx)
		if err != nil {
			return cmp, lag, err
		}
		t0 := time.Now()
		if err := t.Seed(ctx, entities); err != nil {
			return cmp, lag, fmt.Errorf("seed %s %s: %w", backend, tg.name, err)
		}
		logf("write/%s %s: seeded %d legal entities in %s", backend, tg.name, len(entities), time.Since(t0).Round(time.Millisecond))
		op := UpdateRandom(t, keys)
		run := func(ctx context.Context, w int, rng *rand.Rand) error {
			_, err := op(ctx, w, rng)
			return err
		}
		if b.Warmup > 0 {
			logf("write/%s %s: warming up for %s", backend, tg.name, b.Warmup)
			if w := Run(ctx, b.Workers, b.Warmup, run); w.Errors > 0 {
				logf("write/%s %s: %d of %d warm-up writes failed (first: %s)", backend, tg.name, w.Errors, w.Ops, w.FirstError)
			}
		}
		logf("write/%s %s: measuring for %s with %d workers", backend, tg.name, b.Duration, b.Workers)
		*tg.dst = Measurement{Name: tg.label, Result: Run(ctx, b.Workers, b.Duration, run)}
		if err := ctx.Err(); err != nil {
			return cmp, lag, err
		}
	}

	logf("feed/%s: measuring delivery lag for %s with %d writers and one watcher", backend, b.Duration, b.Workers)
	lag.PollInterval = tt.Feed().PollInterval
	drain := b.Drain
	if drain <= 0 {
		drain = 10 * time.Second
	}
	var err error
	lag.Writes, lag.Lag, err = MeasureFeedLag(ctx, tt.Feed(), b.Workers, b.Duration, drain, UpdateRandom(tt, keys))
	return cmp, lag, err
}
