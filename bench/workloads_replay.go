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
)

// withReplay is w and, after it, the same call at the floor's pace
// (replayed). w must make one request per operation.
func withReplay(w workload, check func(status int, body []byte) error) []workload {
	var ready perServer[bool]
	src := w
	if w.setup != nil {
		setup := w.setup
		src.setup = func(ctx context.Context, cfg aws.Config) error {
			if err := setup(ctx, cfg); err != nil {
				return err
			}
			ready.set(cfg, true)
			return nil
		}
	}
	return []workload{src, replayed(w, &ready, check)}
}

// replayed is w's call at the floor's pace: the SDK's request, signed for
// the server under test (the signature covers its Host), captured once
// from one of w's operations and then sent by the workloads' plain Go
// client, which spends a fraction of the SDK's CPU per request. Against
// w's row only the client differs (a server the SDK leaves idle between
// requests pays for being woken for each: docs/performance.md, "The
// SDK-request floor is the client's pace"); against the floor's replayed
// exchange only the server differs. The server still verifies every
// request's signature; the capture is renewed after replayFresh, well
// inside SigV4's 15 minutes of allowed clock skew. w's setup runs first
// unless w's row already set this server up (ready).
func replayed(w workload, ready *perServer[bool], check func(status int, body []byte) error) workload {
	var captured perServer[*atomic.Pointer[timedRequest]]
	capture := func(ctx context.Context, cfg aws.Config) (*timedRequest, error) {
		rec := &recordingClient{inner: cfg.HTTPClient}
		if rec.inner == nil {
			rec.inner = http.DefaultClient
		}
		c := cfg.Copy()
		c.HTTPClient = rec
		if err := w.op(ctx, c, 0); err != nil {
			return nil, err
		}
		if rec.req.header == nil {
			return nil, fmt.Errorf("the SDK sent no request")
		}
		return &timedRequest{capturedRequest: rec.req, at: time.Now()}, nil
	}
	r := w
	r.name = w.name + ", the SDK's request replayed"
	r.setup = func(ctx context.Context, cfg aws.Config) error {
		if w.setup != nil && !ready.get(cfg) {
			if err := w.setup(ctx, cfg); err != nil {
				return err
			}
			ready.set(cfg, true)
		}
		t, err := capture(ctx, cfg)
		if err != nil {
			return err
		}
		p := &atomic.Pointer[timedRequest]{}
		p.Store(t)
		captured.set(cfg, p)
		return nil
	}
	r.op = func(ctx context.Context, cfg aws.Config, _ int) error {
		p := captured.get(cfg)
		t := p.Load()
		if time.Since(t.at) > replayFresh {
			fresh, err := capture(ctx, cfg)
			if err != nil {
				return err
			}
			p.Store(fresh)
			t = fresh
		}
		status, body, err := t.send(ctx, plainClient, aws.ToString(cfg.BaseEndpoint))
		if err == nil {
			err = check(status, body)
		}
		return err
	}
	return r
}

// replayOK is a replay check: status 200 and a body containing want.
func replayOK(want string) func(int, []byte) error {
	return func(status int, body []byte) error {
		if status != http.StatusOK || !bytes.Contains(body, []byte(want)) {
			return fmt.Errorf("replayed request answered %d %.200q, want 200 with %q", status, body, want)
		}
		return nil
	}
}

// replayFresh is how long a captured signed request is replayed.
const replayFresh = 5 * time.Minute

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
