package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// benchEnv is what workloads use beside the server under test: the
// address (host:port) of a trivial HTTP server, the load balancer
// workloads' target (the floor's server in `go run ./bench`).
type benchEnv struct {
	target string
}

// allWorkloads lists every workload; each service adds its own in
// bench/workloads_<service>.go.
func allWorkloads(env benchEnv) []workload {
	var all []workload
	for _, ws := range [][]workload{
		identityWorkloads(),
		s3Workloads(),
		sqsWorkloads(),
		dynamodbWorkloads(),
		lambdaWorkloads(),
		kmsWorkloads(),
		cloudwatchWorkloads(),
		apigatewayWorkloads(),
		elbv2Workloads(env),
		athenaWorkloads(),
		principalWorkloads(),
	} {
		all = append(all, ws...)
	}
	return all
}

// perServer keeps what a workload's setup made on each server (an API
// id, a key id, a listener's address), keyed by the server's endpoint:
// both servers are up at once and their ids differ.
type perServer[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

func (p *perServer[T]) set(cfg aws.Config, v T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]T{}
	}
	p.m[aws.ToString(cfg.BaseEndpoint)] = v
}

func (p *perServer[T]) get(cfg aws.Config) T {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[aws.ToString(cfg.BaseEndpoint)]
}

// plainClient sends the workloads' unsigned HTTP requests (an API's
// invoke URL, a load balancer's listener), keeping connections alive as
// the SDK's client does.
var plainClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

// plainGet is one GET of url (with Host host when not empty) that must
// answer 200 with want as its body.
func plainGet(ctx context.Context, url, host string, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if host != "" {
		req.Host = host
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || string(got) != want {
		return fmt.Errorf("GET %s: %d %q, want 200 %q", url, resp.StatusCode, got, want)
	}
	return nil
}
