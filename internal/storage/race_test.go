//go:build race

package storage

// raceEnabled: the race detector adds allocations, so exact counts are
// checked only without it.
const raceEnabled = true
