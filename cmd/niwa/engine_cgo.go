//go:build cgo

package main

import (
	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"github.com/niwa-cloud/niwa/internal/sqlengine/duckdb"
)

// sqlEngine is Athena's SQL engine: DuckDB, linked through cgo.
func sqlEngine() sqlengine.Engine { return duckdb.New(duckdb.Options{}) }
