//go:build race

package sqlstore_test

// raceDetector is on: the brute-force comparison loads a smaller district,
// since the detector slows every write about tenfold.
const raceDetector = true
