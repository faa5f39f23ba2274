//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockRetry covers a restart in which the old niwa is still exiting when
// the new one starts; anything longer is a genuine second process and is
// reported at once instead of hanging.
const (
	lockRetry     = 100 * time.Millisecond
	lockRetryStep = 10 * time.Millisecond
)

// lockDir takes an exclusive advisory lock on <dir>/LOCK for the life of
// the backend. Stores are opened lazily, so without a dir-wide lock a second
// niwa would only find out about the first one on its first conflicting
// request; with it, startup fails with a clear message. The kernel drops the
// lock when the process dies, so kill -9 never leaves a stale lock behind.
func lockDir(dir string) (release func() error, err error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("storage: open lock file: %w", err)
	}
	fd := int(f.Fd())
	deadline := time.Now().Add(lockRetry)
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			holder := ""
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid := strings.TrimSpace(string(b)); pid != "" {
					holder = " (pid " + pid + ")"
				}
			}
			_ = f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("storage: data dir %s is in use by another niwa process%s: %w", dir, holder, ErrLocked)
			}
			return nil, fmt.Errorf("storage: lock data dir %s: %w", dir, err)
		}
		time.Sleep(lockRetryStep)
	}
	// The pid is only for the error message above; failing to write it is
	// harmless.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() error {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		return f.Close()
	}, nil
}
