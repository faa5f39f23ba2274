package server_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/niwa-cloud/niwa/internal/server"
	"github.com/niwa-cloud/niwa/niwatest"
)

// TestOnRequest: Config.OnRequest (cmd/niwa's GOMAXPROCS controller notes
// arrivals with it) is called once per request, on either HTTP server,
// for AWS calls and niwa's own endpoints alike.
func TestOnRequest(t *testing.T) {
	for _, hs := range []string{server.HTTPServerNiwa, server.HTTPServerStd} {
		t.Run(hs, func(t *testing.T) {
			var n atomic.Int64
			nw := niwatest.Start(t, func(c *server.Config) {
				c.HTTPServer = hs
				c.OnRequest = func() { n.Add(1) }
			})
			client := sts.NewFromConfig(nw.AWSConfig())
			for range 3 {
				if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := http.Get(nw.Endpoint + "/_niwa/health")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := n.Load(); got != 4 {
				t.Fatalf("OnRequest called %d times for 4 requests", got)
			}
		})
	}
}
