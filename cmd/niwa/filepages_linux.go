//go:build linux

package main

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// releaseFilePages unmaps the pages of niwa's executable and shared
// libraries that an idle niwa has mapped but does not need: the code,
// read-only data and function tables its start-up and past requests
// touched (~35 MiB of its ~40 MiB idle RSS, docs/performance.md). It
// calls madvise(MADV_DONTNEED) on every mapping that is
//
//   - of the executable or of a shared object (path ending ".so" or
//     holding ".so."),
//   - private and not writable (r-xp, r--p),
//   - holds no anonymous page, resident or swapped out: no page of it
//     was ever written (a copy-on-write copy, as the dynamic linker's
//     relocations leave in the RELRO pages, or a debugger's breakpoint,
//     would be lost), and
//   - has pages resident.
//
// For such a mapping MADV_DONTNEED only removes the page table entries:
// the pages stay in the page cache, shared and reclaimable, and the next
// access maps the same bytes of the same file again (a minor fault; the
// kernel drops these clean pages itself under memory pressure, and they
// come back the same way). Nothing is done while a debugger or tracer is
// attached (TracerPid), which may write breakpoints into the text.
//
// It returns the resident bytes of the mappings it released.
func releaseFilePages() (int64, error) {
	if traced() {
		return 0, nil
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil {
		return 0, err
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	var released int64
	var firstErr error
	// Dev and Ino are narrower on some architectures.
	for _, m := range releasable(smaps, uint64(st.Dev), uint64(st.Ino)) { //nolint:unconvert
		_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, syscall.MADV_DONTNEED)
		if errno != 0 {
			if firstErr == nil {
				firstErr = errno
			}
			continue
		}
		released += m.rss
	}
	return released, firstErr
}

// fileResident is the process's resident file-backed (and shared
// memory) bytes: /proc/self/statm's third field, in pages. 0 if it
// cannot be read.
func fileResident() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0
	}
	n, err := strconv.ParseInt(string(f[2]), 10, 64)
	if err != nil {
		return 0
	}
	return n * int64(os.Getpagesize())
}

// fileMapping is a mapping releaseFilePages may release.
type fileMapping struct {
	start, end uintptr
	rss        int64 // resident bytes
}

// releasable reads /proc/self/smaps and returns the mappings that pass
// releaseFilePages' rules; exeDev and exeIno name the executable (a
// replaced binary shows as "path (deleted)", so it is matched by device
// and inode, not by path).
func releasable(smaps []byte, exeDev, exeIno uint64) []fileMapping {
	var out []fileMapping
	var cur fileMapping
	var ok, anon bool
	flush := func() {
		if ok && !anon && cur.rss > 0 {
			out = append(out, cur)
		}
		ok, anon = false, false
	}
	for len(smaps) > 0 {
		line, rest, _ := bytes.Cut(smaps, []byte{'\n'})
		smaps = rest
		if len(line) == 0 {
			continue
		}
		// A mapping's fields ("Rss:   12 kB") start with a capital
		// letter, its header with the range's hex digits: only the ~100
		// headers are split into fields, not the ~2,500 lines (an idle
		// release should not allocate much).
		if c := line[0]; c < 'A' || c > 'Z' {
			start, end, rest, isHeader := mappingHeader(line)
			flush()
			if isHeader {
				cur = fileMapping{start: start, end: end}
				ok = candidate(rest, exeDev, exeIno)
			}
			continue
		}
		if !ok {
			continue
		}
		if v, found := field(line, "Rss:"); found {
			cur.rss = v
		} else if v, found := field(line, "Anonymous:"); found && v != 0 {
			anon = true
		} else if v, found := field(line, "Swap:"); found && v != 0 {
			anon = true // written pages, swapped out
		} else if v, found := field(line, "Locked:"); found && v != 0 {
			ok = false // MADV_DONTNEED refuses locked mappings
		}
	}
	flush()
	return out
}

// mappingHeader splits a smaps header line "start-end perms offset dev
// inode path": the range and the fields after it.
func mappingHeader(line []byte) (start, end uintptr, rest [][]byte, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 5 {
		return 0, 0, nil, false
	}
	lo, hi, found := bytes.Cut(f[0], []byte{'-'})
	if !found {
		return 0, 0, nil, false
	}
	s, err1 := strconv.ParseUint(string(lo), 16, 64)
	e, err2 := strconv.ParseUint(string(hi), 16, 64)
	if err1 != nil || err2 != nil || e <= s {
		return 0, 0, nil, false
	}
	return uintptr(s), uintptr(e), f[1:], true
}

// candidate: perms, offset, dev, inode, path of a mapping that is the
// executable's or a shared object's, private and not writable.
func candidate(f [][]byte, exeDev, exeIno uint64) bool {
	if len(f) < 5 {
		return false // anonymous
	}
	perms := f[0]
	if len(perms) != 4 || perms[0] != 'r' || perms[1] != '-' || perms[3] != 'p' {
		return false
	}
	ino, err := strconv.ParseUint(string(f[3]), 10, 64)
	if err != nil || ino == 0 {
		return false
	}
	if ino == exeIno && sameDev(f[2], exeDev) {
		return true
	}
	path := f[4]
	if path[0] != '/' {
		return false
	}
	base := path[bytes.LastIndexByte(path, '/')+1:]
	return bytes.HasSuffix(base, []byte(".so")) || bytes.Contains(base, []byte(".so."))
}

// sameDev compares smaps' "major:minor" (hex) with a stat device number.
func sameDev(field []byte, dev uint64) bool {
	maj, min, found := bytes.Cut(field, []byte{':'})
	if !found {
		return false
	}
	a, err1 := strconv.ParseUint(string(maj), 16, 32)
	b, err2 := strconv.ParseUint(string(min), 16, 32)
	if err1 != nil || err2 != nil {
		return false
	}
	// Linux's encoding of dev_t (glibc's gnu_dev_major/minor).
	major := (dev>>32)&0xfffff000 | (dev>>8)&0xfff
	minor := (dev>>12)&0xffffff00 | dev&0xff
	return a == major && b == minor
}

// field reads "Name:   N kB" as bytes.
func field(line []byte, name string) (int64, bool) {
	rest, found := bytes.CutPrefix(line, []byte(name))
	if !found {
		return 0, false
	}
	rest = bytes.TrimLeft(rest, " \t")
	num, unit, _ := bytes.Cut(rest, []byte{' '})
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return 0, false
	}
	if string(bytes.TrimSpace(unit)) == "kB" {
		n <<= 10
	}
	return n, true
}

// traced: a debugger or tracer is attached (it may have written
// breakpoints into the text, which a release would drop).
func traced() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true // unknown: do nothing
	}
	_, rest, found := bytes.Cut(b, []byte("\nTracerPid:"))
	if !found {
		return true
	}
	line, _, _ := bytes.Cut(rest, []byte{'\n'})
	return string(bytes.TrimSpace(line)) != "0"
}
