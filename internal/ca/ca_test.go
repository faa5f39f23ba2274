package ca

import (
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/storage"
)

var epoch = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestIssueVerifies(t *testing.T) {
	c, err := New(epoch)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{RSA2048, ECP256, ECP384} {
		t.Run(alg, func(t *testing.T) {
			key, err := NewKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := c.Issue([]string{"www.example.com", "example.com", "127.0.0.1"}, key, epoch, 395*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if got := KeyAlgorithm(leaf.Cert.PublicKey); got != alg {
				t.Errorf("KeyAlgorithm = %q, want %q", got, alg)
			}
			for _, name := range []string{"www.example.com", "example.com", "127.0.0.1"} {
				_, err := leaf.Cert.Verify(x509.VerifyOptions{DNSName: name, Roots: c.Pool(), Intermediates: c.Intermediates(),
					CurrentTime: epoch.Add(time.Hour)})
				if err != nil {
					t.Errorf("verify %s: %v", name, err)
				}
			}
			if _, err := leaf.Cert.Verify(x509.VerifyOptions{DNSName: "other.example.com", Roots: c.Pool(),
				Intermediates: c.Intermediates(), CurrentTime: epoch.Add(time.Hour)}); err == nil {
				t.Error("a name not in the certificate verified")
			}
			if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: c.Pool(), Intermediates: c.Intermediates(),
				CurrentTime: epoch.Add(400 * 24 * time.Hour)}); err == nil {
				t.Error("an expired certificate verified")
			}
			if !c.IsOurs(leaf.Cert) {
				t.Error("IsOurs = false for an issued certificate")
			}
			openssl(t, c, leaf.CertPEM)
		})
	}
}

// openssl checks the chain with the openssl command line, as a user would
// (openssl verify -CAfile root -untrusted chain leaf).
func openssl(t *testing.T, c *CA, leaf []byte) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is required under CI")
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := write("root.pem", c.RootPEM())
	chain := write("chain.pem", c.ChainPEM())
	l := write("leaf.pem", leaf)
	// -attime: the leaf is valid on the test's clock, not necessarily now.
	out, err := exec.Command(bin, "verify", "-attime", "1778000000", "-CAfile", root, "-untrusted", chain, l).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
	other, _ := New(epoch)
	bad := write("other.pem", other.RootPEM())
	if out, err := exec.Command(bin, "verify", "-attime", "1778000000", "-CAfile", bad, "-untrusted", chain, l).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified against another root:\n%s", out)
	}
}

func TestLoadKeepsTheAuthority(t *testing.T) {
	dir := t.TempDir()
	b, err := storage.Open(storage.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := b.Store("ca")
	first, err := Load(st, epoch)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	b, err = storage.Open(storage.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, _ = b.Store("ca")
	second, err := Load(st, epoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if string(first.RootPEM()) != string(second.RootPEM()) {
		t.Fatal("the root changed across a restart with a data dir")
	}
	key, _ := NewKey(ECP256)
	leaf, err := second.Issue([]string{"a.example"}, key, epoch, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: first.Pool(), Intermediates: first.Intermediates(), CurrentTime: epoch}); err != nil {
		t.Fatalf("a leaf of the reloaded authority does not verify against the first root: %v", err)
	}
}

// TestLazy: an in-memory niwa makes its authority on first use (start-up
// does not), concurrent first uses share one authority, the one made is
// kept in the store as Load keeps it, and Keep before any use keeps
// nothing (the first use after a reset makes one).
func TestLazy(t *testing.T) {
	b, err := storage.Open(storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, _ := b.Store("ca")
	stored := func() bool {
		var found bool
		_ = st.View(func(tx storage.Tx) error {
			_, found, err = table.Get(tx, scope, "current")
			return err
		})
		return found
	}
	calls := 0
	now := func() time.Time { calls++; return epoch }
	c := Lazy(st, now)
	if calls != 0 || stored() {
		t.Fatal("Lazy made the authority before its first use")
	}
	if err := c.Keep(st); err != nil || stored() || calls != 0 {
		t.Fatalf("Keep before first use: err %v, stored %v, clock read %d times", err, stored(), calls)
	}
	roots := make([]string, 8)
	var wg sync.WaitGroup
	for i := range roots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key, _ := NewKey(ECP256)
			leaf, err := c.Issue([]string{"a.example"}, key, epoch, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: c.Pool(), Intermediates: c.Intermediates(), CurrentTime: epoch}); err != nil {
				t.Error(err)
			}
			roots[i] = string(c.RootPEM())
		}()
	}
	wg.Wait()
	for _, r := range roots {
		if r == "" || r != roots[0] {
			t.Fatal("concurrent first uses saw different authorities")
		}
	}
	if calls != 1 || !stored() {
		t.Fatalf("after first use: clock read %d times (want 1), stored %v", calls, stored())
	}
	if got := c.Root().NotBefore; !got.Equal(epoch.Add(-time.Hour)) {
		t.Errorf("NotBefore = %v, want an hour before the clock's time at first use", got)
	}
	// Load over the same store finds the one the lazy authority made.
	loaded, err := Load(st, epoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if string(loaded.RootPEM()) != roots[0] {
		t.Fatal("Load made another authority than the lazy one stored")
	}
	// After a reset (stores dropped) Keep stores it again.
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	st, _ = b.Store("ca")
	if err := c.Keep(st); err != nil || !stored() {
		t.Fatalf("Keep after use: err %v, stored %v", err, stored())
	}
}
