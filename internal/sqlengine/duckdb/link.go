//go:build cgo

package duckdb

// DuckDB's Go bindings link with -rdynamic so that extensions loaded at
// run time can find DuckDB's symbols. niwa loads none (the engine turns
// extension loading off, engine.go), and exporting the ~59,000 symbols
// cost every start: the dynamic linker's lookups touched all of
// .dynsym, .dynstr and .gnu.hash (6.5 MB of the binary mapped in RSS).
// This flag comes after the bindings' -rdynamic on the link line and
// turns the export off again.

// #cgo LDFLAGS: -Wl,--no-export-dynamic
import "C"
