//go:build !unix

package bench

import "time"

// ProcessCPU is 0 where getrusage is missing: CPU per operation is then
// not reported.
func ProcessCPU() time.Duration { return 0 }
