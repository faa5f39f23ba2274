package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// stsReplayWorkload is the STS row's exchange at the floor's pace: the
// SDK's GetCallerIdentity request, signed for the server under test (the
// signature covers its Host), captured once from the SDK and then sent by
// the workloads' plain Go client, which spends a fraction of the SDK's CPU
// per request. Against the STS row only the client differs (a server that
// the SDK leaves idle between requests pays for being woken for each:
// docs/performance.md, "The SDK-request floor is the client's pace");
// against the floor's replayed row only the server differs. The server
// still verifies every request's signature; the capture is renewed after
// stsReplayFresh, well inside SigV4's 15 minutes of allowed clock skew.
func stsReplayWorkload() workload {
	var captured perServer[*atomic.Pointer[timedRequest]]
	capture := func(ctx context.Context, cfg aws.Config) (*timedRequest, error) {
		rec := &recordingClient{inner: cfg.HTTPClient}
		if rec.inner == nil {
			rec.inner = http.DefaultClient
		}
		c := cfg.Copy()
		c.HTTPClient = rec
		if _, err := sts.NewFromConfig(c, func(o *sts.Options) { o.RetryMaxAttempts = 1 }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			return nil, err
		}
		if rec.req.header == nil {
			return nil, fmt.Errorf("the SDK sent no request")
		}
		return &timedRequest{capturedRequest: rec.req, at: time.Now()}, nil
	}
	return workload{name: "STS GetCallerIdentity, the SDK's request replayed", setup: func(ctx context.Context, cfg aws.Config) error {
		t, err := capture(ctx, cfg)
		if err != nil {
			return err
		}
		p := &atomic.Pointer[timedRequest]{}
		p.Store(t)
		captured.set(cfg, p)
		return nil
	}, op: func(ctx context.Context, cfg aws.Config, _ int) error {
		p := captured.get(cfg)
		t := p.Load()
		if time.Since(t.at) > stsReplayFresh {
			fresh, err := capture(ctx, cfg)
			if err != nil {
				return err
			}
			p.Store(fresh)
			t = fresh
		}
		status, body, err := t.send(ctx, plainClient, aws.ToString(cfg.BaseEndpoint))
		if err == nil && (status != http.StatusOK || !bytes.Contains(body, []byte("<GetCallerIdentityResult>"))) {
			err = fmt.Errorf("replayed GetCallerIdentity answered %d %q", status, body)
		}
		return err
	}}
}

// stsReplayFresh is how long a captured signed request is replayed.
const stsReplayFresh = 5 * time.Minute

type timedRequest struct {
	capturedRequest
	at time.Time
}

// recordingClient passes requests on to inner and keeps the last one's
// method, URI, headers and body, as the transport is handed them (Go's
// transport adds Accept-Encoding itself, and again on replay).
type recordingClient struct {
	inner aws.HTTPClient
	req   capturedRequest
}

func (r *recordingClient) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	r.req = capturedRequest{method: req.Method, uri: req.URL.RequestURI(), header: req.Header.Clone(), body: body}
	return r.inner.Do(req)
}
