//go:build cgo

package duckdb

// #include <stdlib.h>
// #ifdef __GLIBC__
// #include <malloc.h>
// static void niwa_malloc_trim(void) { malloc_trim(0); }
// #else
// static void niwa_malloc_trim(void) {}
// #endif
import "C"

// mallocTrim gives the C heap's free memory back to the system. A query's
// database is DuckDB's memory, allocated with malloc by DuckDB's threads;
// glibc keeps what they free in per-thread arenas for the next malloc, so
// without this the RSS of the largest query ever run stayed in niwa's
// (docs/performance.md, RSS under load). malloc_trim(0) returns every
// arena's free pages (madvise), not only the top of the main heap.
func mallocTrim() { C.niwa_malloc_trim() }
