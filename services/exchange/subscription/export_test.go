package subscription

import "time"

// Backoff exposes the retry wait for the n-th failure.
func (s *Service) Backoff(n int) time.Duration { return s.backoff(n) }

// Followed exposes how a delivered change extends the records followed.
func Followed(records map[string]bool, names []string) []string { return followed(records, names) }

// SealAndOpen seals secret for one subscription id and opens it as another.
func SealAndOpen(key []byte, sealedFor, openedAs, secret string) (string, error) {
	s, err := newSealer(key)
	if err != nil {
		return "", err
	}
	out, err := s.open(openedAs, s.seal(sealedFor, []byte(secret)))
	return string(out), err
}
