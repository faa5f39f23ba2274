//go:build race

package dynamodb

// raceEnabled: under the race detector sync.Pool drops at random, so
// allocation counts say nothing.
const raceEnabled = true
