//go:build cgo && linux && !niwa_shared_libstdcxx

package duckdb

// The C++ runtime is linked statically on Linux. DuckDB's bindings link
// with -lstdc++, which the linker resolves against libstdc++.so.6, and
// every start of niwa then paid for it before main: the dynamic loader
// mapped libstdc++.so.6 and applied ~4,000 symbolic relocations to
// DuckDB's vtables and type descriptors in niwa (every C++ class's
// type-info points at a __cxxabiv1 vtable in libstdc++, every abstract
// class's vtable at __cxa_pure_virtual) and ~3,300 symbolic and ~900
// relative ones in libstdc++ itself, each page written copied first —
// about 1 ms of CPU, 8% of start-up to the first answer
// (docs/performance.md, "Start-up and idle memory", fifth pass). Linked
// statically, those references are resolved when niwa is linked: one
// symbolic relocation is left, and no libstdc++.so.6 is needed at run time.
//
// The bindings' flags come after this package's on the link line, so a
// -Bstatic here could not reach their -lstdc++; instead staticcxx/ comes
// first on the library path and holds a linker script named libstdc++.so
// that stands for the static archive (INPUT(-l:libstdc++.a)). The archive
// comes with the compiler's C++ development files (Debian's
// libstdc++-<n>-dev, which -lstdc++ needed anyway; Fedora's
// libstdc++-static). To link the shared library instead, build with
// -tags niwa_shared_libstdcxx.

// #cgo LDFLAGS: -L${SRCDIR}/staticcxx
import "C"
