//go:build !cgo

package main

import "github.com/niwa-cloud/niwa/internal/sqlengine"

// sqlEngine is nil without cgo: a static build (CGO_ENABLED=0, or a
// machine without a C compiler) serves Athena's API and answers queries
// FAILED saying that no SQL engine is linked.
func sqlEngine() sqlengine.Engine { return nil }
