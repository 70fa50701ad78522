package building

import "time"

// SetClock replaces the service's clock, for tests in package building_test
// that need a moving "now".
func SetClock(s *Service, now func() time.Time) { s.now = now }

// SetIDs replaces the service's id source, for tests that need known ids.
func SetIDs(s *Service, next func() string) { s.newID = next }
