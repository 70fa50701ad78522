package bench

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LagTracker pairs each write of a run with its delivery by a change-feed
// watcher. Writers call Committed with the sequence their write took and
// the time it returned; the watcher calls Received for every change it is
// sent. Both may be called concurrently, in either order for a sequence:
// a watcher woken by one write may read a change before that change's own
// writer has returned.
type LagTracker struct {
	committed        sync.Map // int64 sequence → time.Time its write returned
	duplicateCommits atomic.Int64

	mu         sync.Mutex
	received   map[int64]time.Time // first delivery of each sequence
	duplicates []int64             // sequences delivered again
	maxSeen    int64
}

// NewLagTracker returns an empty tracker.
func NewLagTracker() *LagTracker {
	return &LagTracker{received: make(map[int64]time.Time)}
}

// Committed records that the write which took sequence seq returned at at.
// It reports false, keeping the first time, when seq was recorded already:
// two writes returned the same sequence.
func (t *LagTracker) Committed(seq int64, at time.Time) bool {
	if _, loaded := t.committed.LoadOrStore(seq, at); loaded {
		t.duplicateCommits.Add(1)
		return false
	}
	return true
}

// Received records that the watcher was sent sequence seq at at. A second
// delivery of a sequence is counted as a duplicate; the first time is kept.
func (t *LagTracker) Received(seq int64, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.received[seq]; ok {
		t.duplicates = append(t.duplicates, seq)
		return
	}
	t.received[seq] = at
	t.maxSeen = max(t.maxSeen, seq)
}

// MaxReceived is the highest sequence received so far, 0 before any.
func (t *LagTracker) MaxReceived() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.maxSeen
}

// LagResult is what a LagTracker found.
type LagResult struct {
	// Committed counts the distinct sequences writers recorded.
	Committed int `json:"committed"`
	// Delivered counts the distinct sequences the watcher received.
	Delivered int `json:"delivered"`
	// Duplicates counts deliveries of a sequence received before;
	// DuplicateCommits writes that returned a sequence another write had
	// returned already.
	Duplicates       int `json:"duplicates"`
	DuplicateCommits int `json:"duplicate_commits"`
	// Missing counts committed sequences never delivered; Unexpected
	// delivered sequences no writer recorded.
	Missing    int `json:"missing"`
	Unexpected int `json:"unexpected"`
	// Early counts the changes delivered before their own write returned
	// (a negative lag: the watcher, woken by another write, read the
	// change before its writer's Update had returned).
	Early int `json:"early"`
	// P50, P99 and Max are nearest-rank percentiles of the lags, delivery
	// time minus the time the write returned, over the sequences both
	// committed and delivered. They may be negative (see Early).
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
	// Problem names a few of the faulty sequences, for the report.
	Problem string `json:"problem,omitempty"`
}

// Result pairs what the writers and the watcher recorded. Call it once
// both have stopped.
func (t *LagTracker) Result() LagResult {
	t.mu.Lock()
	received := make(map[int64]time.Time, len(t.received))
	for s, at := range t.received {
		received[s] = at
	}
	dups := slices.Clone(t.duplicates)
	t.mu.Unlock()

	r := LagResult{Delivered: len(received), Duplicates: len(dups), DuplicateCommits: int(t.duplicateCommits.Load())}
	var lags []time.Duration
	var missing []int64
	t.committed.Range(func(k, v any) bool {
		seq, at := k.(int64), v.(time.Time)
		r.Committed++
		got, ok := received[seq]
		if !ok {
			missing = append(missing, seq)
			return true
		}
		delete(received, seq)
		lag := got.Sub(at)
		if lag < 0 {
			r.Early++
		}
		lags = append(lags, lag)
		return true
	})
	unexpected := make([]int64, 0, len(received))
	for seq := range received {
		unexpected = append(unexpected, seq)
	}
	r.Missing, r.Unexpected = len(missing), len(unexpected)
	slices.Sort(lags)
	r.P50, r.P99 = Percentile(lags, 50), Percentile(lags, 99)
	if len(lags) > 0 {
		r.Max = lags[len(lags)-1]
	}

	var problems []string
	for _, p := range []struct {
		what string
		seqs []int64
	}{{"missing", missing}, {"unexpected", unexpected}, {"delivered twice", dups}} {
		if len(p.seqs) == 0 {
			continue
		}
		slices.Sort(p.seqs)
		p.seqs = slices.Compact(p.seqs)
		problems = append(problems, fmt.Sprintf("%s %v", p.what, p.seqs[:min(len(p.seqs), 5)]))
	}
	if r.DuplicateCommits > 0 {
		problems = append(problems, fmt.Sprintf("%d sequences returned by two writes", r.DuplicateCommits))
	}
	for i, p := range problems {
		if i == 0 {
			r.Problem = p
		} else {
			r.Problem += "; " + p
		}
	}
	return r
}

// Check fails unless every committed sequence was delivered exactly once,
// nothing else was delivered, and at least one write was committed.
func (r LagResult) Check() error {
	switch {
	case r.Committed == 0:
		return errors.New("no write was committed, so no delivery was measured")
	case r.Missing > 0 || r.Unexpected > 0 || r.Duplicates > 0 || r.DuplicateCommits > 0:
		return fmt.Errorf("the feed did not deliver every committed write exactly once: %d committed, %d delivered, %d missing, %d unexpected, %d duplicates, %d duplicate commits (%s)",
			r.Committed, r.Delivered, r.Missing, r.Unexpected, r.Duplicates, r.DuplicateCommits, r.Problem)
	}
	return nil
}
