//go:build unix

package storage

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashEnv tells the re-executed test binary that it is the child that must
// write and then die.
const crashEnv = "NIWA_STORAGE_CRASH_DIR"

// TestKill9Durability proves the promise of --data-dir: whatever an Update
// or a blob Commit acknowledged is there after the process is killed with
// SIGKILL — no deferred Close, no flush, no fsync (the default NoSync mode).
func TestKill9Durability(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return // not reached: the child kills itself
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Durability$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child did not die: err=%v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not SIGKILL\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}

	// Parse the acknowledgements the child printed after each commit.
	acked := map[string]string{}
	type blobAck struct {
		id   string
		size int64
		sum  string
	}
	var blobs []blobAck
	committed := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "ack":
			acked[f[1]] = f[2]
		case len(f) == 4 && f[0] == "blob":
			size, _ := strconv.ParseInt(f[2], 10, 64)
			blobs = append(blobs, blobAck{f[1], size, f[3]})
		case len(f) == 1 && f[0] == "committed":
			committed = true
		}
	}
	if !committed || len(acked) == 0 || len(blobs) == 0 {
		t.Fatalf("child did not finish writing\nstdout:\n%s\nstderr:\n%s", out, stderr.String())
	}

	// The dir lock died with the child, so reopening must succeed at once.
	b := openBackend(t, Options{DataDir: dir})
	s := openStore(t, b, "crash")
	if err := s.View(func(tx Tx) error {
		for k, want := range acked {
			v, ok := tx.Get(Key("000000000000", "us-east-1", "item", k))
			if !ok || string(v) != want {
				t.Errorf("acked key %s: got %q, %v; want %q", k, v, ok, want)
			}
		}
		n := 0
		err := tx.Scan(Prefix("000000000000", "us-east-1", "bulk"), ScanOptions{}, func(k, v []byte) bool { n++; return true })
		if n != 2000 {
			t.Errorf("bulk commit: %d of 2000 keys survived", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range blobs {
		r, err := b.Blobs().Open(a.id)
		if err != nil {
			t.Errorf("acked blob %s: %v", a.id, err)
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, r)
		r.Close()
		if err != nil || n != a.size || hex.EncodeToString(h.Sum(nil)) != a.sum {
			t.Errorf("blob %s: %d bytes, err %v, sum match %v", a.id, n, err, hex.EncodeToString(h.Sum(nil)) == a.sum)
		}
	}
	// The upload the child had in progress left no temp file behind.
	if entries, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(entries) != 0 {
		t.Errorf("interrupted upload left %d temp files", len(entries))
	}
}

// crashChild runs in the re-executed binary. It prints an ack line only
// after the corresponding commit returned, then dies without cleanup.
func crashChild(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	b, err := Open(Options{DataDir: dir})
	if err != nil {
		fail(err)
	}
	s, err := b.Store("crash")
	if err != nil {
		fail(err)
	}
	sc := Scope{Account: "000000000000", Region: "us-east-1"}
	for i := range 200 {
		k, v := strconv.Itoa(i), fmt.Sprintf("value-%d-%d", i, time.Now().UnixNano())
		if err := s.Update(func(tx Tx) error { return tx.Put(sc.Key("item", k), []byte(v)) }); err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stdout, "ack %s %s\n", k, v)
	}
	// One large commit spanning many pages.
	if err := s.Update(func(tx Tx) error {
		for i := range 2000 {
			if err := tx.Put(sc.Key("bulk", fmt.Sprintf("%05d", i)), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		fail(err)
	}
	for i := range 3 {
		w, err := b.Blobs().Create()
		if err != nil {
			fail(err)
		}
		h := sha256.New()
		buf := make([]byte, 64<<10)
		var size int64
		for j := range 16 * (i + 1) {
			fillPattern(buf, int64(j*len(buf)+i))
			h.Write(buf)
			if _, err := w.Write(buf); err != nil {
				fail(err)
			}
			size += int64(len(buf))
		}
		ref, err := w.Commit()
		if err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stdout, "blob %s %d %s\n", ref.ID, size, hex.EncodeToString(h.Sum(nil)))
	}
	// An upload still in progress when the process dies.
	if w, err := b.Blobs().Create(); err == nil {
		_, _ = w.Write([]byte("half an object"))
	}
	fmt.Fprintln(os.Stdout, "committed")
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // SIGKILL is asynchronous; never return into the test runner
}
