//go:build unix

package bench

import (
	"testing"
	"time"
)

func TestProcessCPUGrowsWithWork(t *testing.T) {
	before := ProcessCPU()
	if before <= 0 {
		t.Fatalf("ProcessCPU() = %s, want the process's CPU time so far", before)
	}
	// Spin until the clock the kernel accounts in has surely ticked.
	x := 0
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		x++
	}
	if after := ProcessCPU(); after <= before {
		t.Errorf("ProcessCPU() went from %s to %s over 50ms of spinning (%d turns)", before, after, x)
	}
}
