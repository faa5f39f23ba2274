//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestReleasable: only private, non-writable mappings of the executable
// (matched by device and inode, also once replaced on disk) or of a shared
// object, with no anonymous (written) page and none locked, are released.
func TestReleasable(t *testing.T) {
	// st_dev 0xfe00 is "fe:00" in smaps (major 254, minor 0).
	const dev, ino = 0xfe00, 1234
	mapping := func(header string, rss, anon, locked int) string {
		return header + "\nSize: 100 kB\nRss: " + strconv.Itoa(rss) + " kB\nPss: 1 kB\nAnonymous: " +
			strconv.Itoa(anon) + " kB\nAnonHugePages: 0 kB\nSwap: 0 kB\nLocked: " + strconv.Itoa(locked) + " kB\nVmFlags: rd ex mr mw me\n"
	}
	swapped := strings.Replace(mapping("00420000-03f51000 r-xp 00020000 fe:00 1234 /usr/bin/niwa", 16000, 0, 0), "Swap: 0 kB", "Swap: 8 kB", 1)
	for _, c := range []struct {
		name    string
		smaps   string
		release bool
	}{
		{"the executable's text", mapping("00420000-03f51000 r-xp 00020000 fe:00 1234 /usr/bin/niwa", 16000, 0, 0), true},
		{"the executable's read-only data", mapping("03f51000-06a1a000 r--p 03b51000 fe:00 1234 /usr/bin/niwa", 13000, 0, 0), true},
		{"the executable replaced on disk", mapping("00420000-03f51000 r-xp 00020000 fe:00 1234 /usr/bin/niwa (deleted)", 16000, 0, 0), true},
		{"RELRO: read-only now, written by the dynamic linker", mapping("06a1a000-06a99000 r--p 06619000 fe:00 1234 /usr/bin/niwa", 376, 304, 0), false},
		{"the executable's data", mapping("06a99000-07165000 rw-p 06698000 fe:00 1234 /usr/bin/niwa", 1144, 0, 0), false},
		{"another file of the same inode number on another device", mapping("00420000-03f51000 r-xp 00020000 fd:01 1234 /data/other", 100, 0, 0), false},
		{"a data file niwa mapped", mapping("7f0000000000-7f0000100000 r--p 00000000 fe:00 99 /tmp/table.db", 100, 0, 0), false},
		{"a shared mapping", mapping("7f0000000000-7f0000100000 r--s 00000000 fe:00 98 /usr/lib/libx.so.1", 100, 0, 0), false},
		{"libc's text", mapping("7f1000000000-7f1000100000 r-xp 00028000 fe:00 77 /usr/lib/x86_64-linux-gnu/libc.so.6", 944, 0, 0), true},
		{"a plugin .so", mapping("7f1000000000-7f1000100000 r--p 00000000 fe:00 76 /opt/x/libduck.so", 10, 0, 0), true},
		{"libc's RELRO", mapping("7f1000200000-7f1000204000 r--p 001d5000 fe:00 77 /usr/lib/x86_64-linux-gnu/libc.so.6", 16, 16, 0), false},
		{"written pages swapped out", swapped, false},
		{"nothing resident", mapping("00420000-03f51000 r-xp 00020000 fe:00 1234 /usr/bin/niwa", 0, 0, 0), false},
		{"a locked mapping", mapping("00420000-03f51000 r-xp 00020000 fe:00 1234 /usr/bin/niwa", 16000, 0, 16000), false},
		{"anonymous memory", mapping("c000000000-c004000000 rw-p 00000000 00:00 0", 4000, 4000, 0), false},
		{"anonymous read-only memory", mapping("7f2000000000-7f2000001000 r--p 00000000 00:00 0 ", 4, 0, 0), false},
		{"the vdso", mapping("7ffd0000000-7ffd0002000 r-xp 00000000 00:00 0 [vdso]", 8, 0, 0), false},
	} {
		got := releasable([]byte(c.smaps), dev, ino)
		if (len(got) == 1) != c.release || len(got) > 1 {
			t.Errorf("%s: released %+v, want released %v", c.name, got, c.release)
		}
	}
	// Several mappings in a row: each judged on its own fields.
	all := mapping("00420000-03f51000 r-xp 00020000 fe:00 1234 /usr/bin/niwa", 16000, 0, 0) +
		mapping("06a1a000-06a99000 r--p 06619000 fe:00 1234 /usr/bin/niwa", 376, 304, 0) +
		mapping("06a99000-07165000 rw-p 06698000 fe:00 1234 /usr/bin/niwa", 1144, 0, 0) +
		mapping("7f1000000000-7f1000100000 r-xp 00028000 fe:00 77 /usr/lib/x86_64-linux-gnu/libc.so.6", 944, 0, 0)
	got := releasable([]byte(all), dev, ino)
	want := []fileMapping{{0x420000, 0x3f51000, 16000 << 10}, {0x7f1000000000, 0x7f1000100000, 944 << 10}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("released %+v, want %+v", got, want)
	}
}

// written is in the executable's writable data: a release must leave
// what niwa wrote there alone.
var written = [8192]byte{1}

// TestReleaseFilePagesKeepsServing: niwa (this test binary, with the
// server in it) answers correctly while its executable's pages are
// released again and again under it, its data keeps what was written,
// and a release unmaps what it says it released.
func TestReleaseFilePagesKeepsServing(t *testing.T) {
	clearEnv(t)
	s := startServe(t, "--port", "0", "--dns-port", "0")
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String("http://" + s.addr)}
	stsc, iamc := sts.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("kept"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	for i := range written {
		written[i] = byte(i)
	}

	before := fileRSS(t)
	released, err := releaseFilePages()
	if err != nil {
		t.Fatal(err)
	}
	after := fileRSS(t)
	if released <= 0 || after >= before {
		t.Fatalf("release: %d bytes released, RssFile %d → %d kB; want fewer resident file pages", released, before, after)
	}
	t.Logf("released %d kB; RssFile %d → %d kB", released>>10, before, after)

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				out, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				if err != nil || aws.ToString(out.Account) != "000000000000" {
					errs <- err
					return
				}
				role, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("kept")})
				if err != nil || aws.ToString(role.Role.Arn) != "arn:aws:iam::000000000000:role/kept" {
					errs <- err
					return
				}
				if w == 0 {
					if _, err := releaseFilePages(); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("after a release: %v", err)
	}
	for i := range written {
		if written[i] != byte(i) {
			t.Fatalf("written[%d] = %d after a release, want %d", i, written[i], byte(i))
		}
	}
}

// fileRSS is RssFile of this process, in kB.
func fileRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := bytes.Cut(b, []byte("\nRssFile:"))
	line, _, _ := bytes.Cut(rest, []byte{'\n'})
	n, err := strconv.ParseInt(string(bytes.Fields(line)[0]), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSameDev: smaps' hex major:minor against stat's device number.
func TestSameDev(t *testing.T) {
	for _, c := range []struct {
		field string
		dev   uint64
		want  bool
	}{
		{"fe:00", 0xfe00, true},
		{"08:01", 0x0801, true},
		{"103:02", 0x10302, true}, // major 259 (nvme), minor 2
		{"08:01", 0x0802, false},
		{"00:2a", 0x2a, true},
		{"zz", 0, false},
	} {
		if got := sameDev([]byte(c.field), c.dev); got != c.want {
			t.Errorf("sameDev(%q, %#x) = %v, want %v", c.field, c.dev, got, c.want)
		}
	}
}
