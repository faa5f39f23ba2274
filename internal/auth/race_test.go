//go:build race

package auth

// raceEnabled: allocation counts are checked without the race detector
// (internal/gateway/race_test.go says why).
const raceEnabled = true
