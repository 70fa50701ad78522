package bench

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLagTrackerPairsWritesWithDeliveries(t *testing.T) {
	tr := NewLagTracker()
	t0 := time.Unix(1700000000, 0)
	// Sequence i returns at t0+i ms and is delivered i µs later, except
	// for 3, which the watcher sees 2ms before its writer returns.
	for i := int64(1); i <= 100; i++ {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		lag := time.Duration(i) * time.Microsecond
		if i == 3 {
			lag = -2 * time.Millisecond
		}
		if i%2 == 0 { // either order of the two calls
			tr.Received(i, at.Add(lag))
			if !tr.Committed(i, at) {
				t.Fatalf("Committed(%d) reported a duplicate", i)
			}
		} else {
			tr.Committed(i, at)
			tr.Received(i, at.Add(lag))
		}
	}
	if got := tr.MaxReceived(); got != 100 {
		t.Errorf("MaxReceived = %d, want 100", got)
	}
	r := tr.Result()
	if err := r.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if r.Committed != 100 || r.Delivered != 100 || r.Missing+r.Unexpected+r.Duplicates+r.DuplicateCommits != 0 {
		t.Errorf("counts %+v", r)
	}
	if r.Early != 1 {
		t.Errorf("Early = %d, want 1", r.Early)
	}
	// Lags: -2ms and 1..100µs without 3µs: 100 values, the 50th is 50µs.
	if r.P50 != 50*time.Microsecond || r.P99 != 99*time.Microsecond || r.Max != 100*time.Microsecond {
		t.Errorf("P50, P99, Max = %v, %v, %v; want 50µs, 99µs, 100µs", r.P50, r.P99, r.Max)
	}
}

func TestLagTrackerFailsUnlessEveryWriteIsDeliveredOnce(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name string
		do   func(*LagTracker)
		want string
	}{
		{"nothing committed", func(*LagTracker) {}, "no write"},
		{"missing", func(tr *LagTracker) {
			tr.Committed(1, t0)
			tr.Committed(2, t0)
			tr.Received(1, t0)
		}, "missing [2]"},
		{"unexpected", func(tr *LagTracker) {
			tr.Committed(1, t0)
			tr.Received(1, t0)
			tr.Received(7, t0)
		}, "unexpected [7]"},
		{"duplicate delivery", func(tr *LagTracker) {
			tr.Committed(1, t0)
			tr.Received(1, t0)
			tr.Received(1, t0.Add(time.Second))
		}, "delivered twice [1]"},
		{"duplicate commit", func(tr *LagTracker) {
			tr.Committed(1, t0)
			if tr.Committed(1, t0) {
				t.Error("a second Committed of one sequence must report false")
			}
			tr.Received(1, t0)
		}, "returned by two writes"},
	} {
		tr := NewLagTracker()
		tc.do(tr)
		err := tr.Result().Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check() = %v, want an error mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestLagTrackerKeepsTheFirstDelivery(t *testing.T) {
	tr := NewLagTracker()
	t0 := time.Unix(1700000000, 0)
	tr.Committed(1, t0)
	tr.Received(1, t0.Add(time.Millisecond))
	tr.Received(1, t0.Add(time.Hour))
	if r := tr.Result(); r.Max != time.Millisecond || r.Duplicates != 1 || r.Delivered != 1 {
		t.Errorf("Max, Duplicates, Delivered = %v, %d, %d; want 1ms, 1, 1", r.Max, r.Duplicates, r.Delivered)
	}
}

func TestLagTrackerIsSafeForConcurrentWritersAndAWatcher(t *testing.T) {
	tr := NewLagTracker()
	const writers, each = 8, 500
	seqs := make(chan int64, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				seq := int64(w*each + i + 1)
				tr.Committed(seq, time.Now())
				seqs <- seq
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range writers * each {
			tr.Received(<-seqs, time.Now())
			_ = tr.MaxReceived()
		}
	}()
	wg.Wait()
	<-done
	r := tr.Result()
	if err := r.Check(); err != nil || r.Committed != writers*each || r.Early != 0 || r.P50 < 0 {
		t.Errorf("Result %+v, Check %v", r, err)
	}
}
