package main

import (
	"context"
	"net/http"
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
// override (process starts) are left to `go run ./bench`.
func BenchmarkWorkloads(b *testing.B) {
	for _, w := range allWorkloads() {
		if w.ops > 0 {
			continue
		}
		b.Run(strings.ReplaceAll(w.name, " ", "_"), func(b *testing.B) {
			n := niwatest.Start(b)
			cfg := n.AWSConfig()
			cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
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
