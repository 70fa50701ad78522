package audit

import "time"

// WithClock returns o with the Log's clock replaced, so that tests can
// write records as old as retention needs.
func WithClock(o Options, now func() time.Time) Options {
	o.now = now
	return o
}
