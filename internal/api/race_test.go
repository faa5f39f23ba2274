//go:build race

package api_test

// raceEnabled: under the race detector sync.Pool drops a quarter of what
// is put back, by design, so pooled state is reallocated at random.
const raceEnabled = true
