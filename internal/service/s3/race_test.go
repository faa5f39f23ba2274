//go:build race

package s3

// raceEnabled: under the race detector sync.Pool drops what is put back
// at random, so allocation counts of pooled paths say nothing.
const raceEnabled = true
