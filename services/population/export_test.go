package population

import "time"

// SetClock replaces the service's clock, for tests in package
// population_test that need a moving "now".
func SetClock(s *Service, now func() time.Time) { s.now = now }
