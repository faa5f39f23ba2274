//go:build !unix

package storage

import (
	"testing"
	"time"
)

// processCPU has no portable source here: the benchmarks' cpu-ns/op
// reads 0 and ns/op is what there is.
func processCPU(*testing.B) time.Duration { return 0 }
