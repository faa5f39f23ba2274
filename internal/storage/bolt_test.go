package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDurableReopen(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, b, "sqs")
	put(t, s, "q/1", "m1", "q/2", "m2")
	w, _ := b.Blobs().Create()
	_, _ = w.Write([]byte("zip"))
	ref, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sqs.db")); err != nil {
		t.Fatalf("store file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", ref.ID[:2], ref.ID)); err != nil {
		t.Fatalf("blob file not at blobs/<2 hex>/<id>: %v", err)
	}

	b = openBackend(t, Options{DataDir: dir})
	s = openStore(t, b, "sqs")
	if got := scanAll(t, s, "q/", ScanOptions{}); !equalStrings(got, []string{"q/1=m1", "q/2=m2"}) {
		t.Fatalf("after reopen: %q", got)
	}
	r, err := b.Blobs().Open(ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

// TestResetRemovesUnopenedStores covers state from an earlier run whose
// store this run has not touched yet: Reset must drop it too.
func TestResetRemovesUnopenedStores(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	put(t, openStore(t, b, "old"), "k", "v")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openBackend(t, Options{DataDir: dir})
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, openStore(t, b, "old"), "", ScanOptions{}); got != nil {
		t.Fatalf("unopened store survived Reset: %q", got)
	}
}

func TestDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	first := openBackend(t, Options{DataDir: dir})
	openStore(t, first, "iam")
	start := time.Now()
	second, err := Open(Options{DataDir: dir})
	if err == nil {
		second.Close()
		t.Fatal("second Open of a locked data dir succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v; want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "in use by another niwa process") || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Errorf("error does not explain the conflict: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("lock conflict took %v to report", d)
	}
	// Once the first closes, the dir is free again.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openStore(t, openBackend(t, Options{DataDir: dir}), "iam")
}

// TestOpenIsFast guards niwa's millisecond startup: opening a store, new or
// existing, must stay well under 10 ms.
func TestOpenIsFast(t *testing.T) {
	dir := t.TempDir()
	const n = 20
	measure := func() time.Duration {
		b := openBackend(t, Options{DataDir: dir})
		start := time.Now()
		for i := range n {
			openStore(t, b, fmt.Sprintf("svc%d", i))
		}
		d := time.Since(start) / n
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		return d
	}
	created := measure()
	reopened := measure()
	t.Logf("per store: create %v, reopen %v", created, reopened)
	if reopened > 10*time.Millisecond || created > 10*time.Millisecond {
		t.Errorf("opening a store takes create %v / reopen %v; want well under 10ms", created, reopened)
	}
}

func TestFsyncOption(t *testing.T) {
	// Fsync mode must behave identically, only slower.
	b := openBackend(t, Options{DataDir: t.TempDir(), Fsync: true})
	s := openStore(t, b, "svc")
	put(t, s, "a", "1")
	if v, _ := get(t, s, "a"); v != "1" {
		t.Fatalf("a = %q", v)
	}
	w, _ := b.Blobs().Create()
	_, _ = w.Write([]byte("synced"))
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}
