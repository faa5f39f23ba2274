//go:build cgo && linux && !niwa_shared_libstdcxx

package main

import (
	"debug/elf"
	"os"
	"strings"
	"testing"
)

// TestCxxRuntimeLinkedStatically: niwa (this test binary links the same
// DuckDB engine) needs no libstdc++.so at run time, and the dynamic loader
// has (almost) no symbolic relocations left to apply at start: linked
// against the shared libstdc++, DuckDB's vtables and type descriptors
// carried ~4,000 of them (internal/sqlengine/duckdb/link_static.go).
func TestCxxRuntimeLinkedStatically(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		if strings.HasPrefix(l, "libstdc++") {
			t.Errorf("the binary needs %s at run time; want the C++ runtime linked in (libs: %v)", l, libs)
		}
	}
	rela := f.Section(".rela.dyn")
	if rela == nil {
		t.Fatal("no .rela.dyn section")
	}
	// An Elf64_Rela is 24 bytes. Against libstdc++.so there were 4,032;
	// linked in, 18 are left (libc's symbols referenced from data).
	if n := rela.Size / 24; n > 200 {
		t.Errorf(".rela.dyn holds %d relocations the loader applies at every start; want few", n)
	}
}
