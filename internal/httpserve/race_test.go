//go:build race

package httpserve

// raceEnabled: under the race detector sync.Pool drops a quarter of what
// is put back, by design, so pooled state is reallocated at random and
// allocation counts say nothing.
const raceEnabled = true
