// Package history holds the plain types of bitemporal history that domain
// packages speak in — a point in effect and record time, what a change did,
// where a version sits — so that they can offer time travel without knowing
// how it is stored (services/kit/temporal does that). It must stay free of
// SQL and transport.
package history

import (
	"fmt"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Point is a moment in both times; zero fields mean now.
type Point struct {
	// ValidAt is effect time: when something was true in the world.
	ValidAt time.Time
	// KnownAt is record time: what the registry knew at that moment.
	KnownAt time.Time
}

// IsNow reports whether p asks for the current state.
func (p Point) IsNow() bool { return p.ValidAt.IsZero() && p.KnownAt.IsZero() }

// NewPoint checks a read request's time-travel parameters: asking for the
// current state and for a moment at once is contradictory, and a moment in
// the future has no answer yet.
func NewPoint(validAt, knownAt time.Time, current bool, now time.Time) (Point, error) {
	var v errs.Violations
	if current && !(validAt.IsZero() && knownAt.IsZero()) {
		v.Add("current", "cannot be combined with valid_at or known_at; ask for one point in time")
	}
	if validAt.After(now) {
		v.Add("valid_at", "%s is in the future", validAt.Format(time.RFC3339))
	}
	if knownAt.After(now) {
		v.Add("known_at", "%s is in the future", knownAt.Format(time.RFC3339))
	}
	return Point{ValidAt: validAt, KnownAt: knownAt}, v.Err()
}

// String renders p for messages.
func (p Point) String() string {
	if p.IsNow() {
		return "now"
	}
	f := func(t time.Time) string {
		if t.IsZero() {
			return "now"
		}
		return t.Format(time.RFC3339)
	}
	return fmt.Sprintf("valid at %s, known at %s", f(p.ValidAt), f(p.KnownAt))
}

// Action says what a change did.
type Action string

const (
	Created   Action = "CREATED"
	Updated   Action = "UPDATED"
	Corrected Action = "CORRECTED"
	Retired   Action = "RETIRED"
	Renamed   Action = "RENAMED"
)

// Info is where one version of a record sits in both times.
type Info struct {
	// Version numbers the versions of one record from 1.
	Version int64
	// ValidTo and KnownTo are zero while the period is open.
	ValidFrom, ValidTo time.Time
	KnownFrom, KnownTo time.Time
	// Action is what the write that produced this version's content did;
	// a period restated by a later change (cut short where the change
	// begins) keeps its action.
	Action Action
	// Sequence is the change-feed number of the write that recorded this
	// row, restatements included.
	Sequence int64
}
