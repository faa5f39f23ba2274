package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/niwa-cloud/niwa/niwatest"
)

// BenchmarkGetCallerIdentity measures one signed request through the whole
// in-process pipeline (client included); run with -cpuprofile to see where
// the server's time goes.
func BenchmarkGetCallerIdentity(b *testing.B) {
	n := niwatest.Start(b)
	client := sts.NewFromConfig(n.AWSConfig())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			b.Fatal(err)
		}
	}
}
