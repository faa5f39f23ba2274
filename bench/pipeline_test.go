package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/niwatest"
)

// BenchmarkWorkloads runs every bench workload in-process: each operation
// is a real signed SDK request through niwa's whole HTTP pipeline (SigV4
// verification, codec, validation, authorization, handler, storage,
// encoding, audit), so
//
//	go test ./bench -run - -bench Workloads/S3_Put -cpuprofile cpu.out
//	go tool pprof -top -focus 'gateway.*ServeHTTP' cpu.out
//
// shows where the server's time goes for that workload (the client runs in
// the same process; -focus keeps to the server). Workloads with an ops
// override (process starts) or a binaryOnly reason (Athena's queries need
// the SQL engine only the binary links) are left to `go run ./bench`; the
// load balancer's target is the floor's trivial handler on a test server.
func BenchmarkWorkloads(b *testing.B) {
	target := httptest.NewServer(floorHandler())
	defer target.Close()
	for _, w := range allWorkloads(benchEnv{target: target.Listener.Addr().String()}) {
		if w.ops > 0 || w.binaryOnly != "" {
			continue
		}
		b.Run(strings.ReplaceAll(w.name, " ", "_"), func(b *testing.B) {
			n := niwatest.Start(b)
			cfg := n.AWSConfig()
			cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			cfg.RequestMinCompressSizeBytes = 10240 // config.LoadDefaultConfig's default, as in config()
			ctx := context.Background()
			if w.setup != nil {
				if err := w.setup(ctx, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := w.op(ctx, cfg, i); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestWorkloadsInProcess runs each workload BenchmarkWorkloads runs —
// setup and a few operations — on an in-process niwa, so that a workload
// whose setup or check no longer holds fails `go test ./bench` rather
// than the next `go run ./bench`. The Lambda workloads (a runtime process
// each) are left to the benchmark.
func TestWorkloadsInProcess(t *testing.T) {
	target := httptest.NewServer(floorHandler())
	defer target.Close()
	for _, w := range allWorkloads(benchEnv{target: target.Listener.Addr().String()}) {
		if w.ops > 0 || w.binaryOnly != "" || w.niwaOnly == lambdaNiwaOnly {
			continue
		}
		t.Run(strings.ReplaceAll(w.name, " ", "_"), func(t *testing.T) {
			n := niwatest.Start(t)
			cfg := n.AWSConfig()
			ctx := context.Background()
			if w.setup != nil {
				if err := w.setup(ctx, cfg); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			for i := range 3 {
				if err := w.op(ctx, cfg, i); err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
			}
		})
	}
}
