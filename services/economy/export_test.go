package economy

import "time"

// SetClock replaces the service's clock, for tests in package economy_test
// that need a fixed or moving "now".
func SetClock(s *Service, now func() time.Time) { s.now = now }
