//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package storage

// lockDir is a no-op where flock is unavailable; bbolt's own per-file lock
// (with its short timeout, reported as ErrLocked) still keeps two processes
// from opening the same store.
func lockDir(dir string) (release func() error, err error) {
	return func() error { return nil }, nil
}
