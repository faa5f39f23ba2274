package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/niwa-cloud/niwa/niwatest"
)

// TestABVerdict: the A/B mode calls a change beyond 5% only when the
// rounds' median ratio is past 5% and every one of five or more rounds
// went the same way; a median past 5% from rounds that disagree, or from
// fewer rounds, is not called.
func TestABVerdict(t *testing.T) {
	for _, c := range []struct {
		name   string
		ratios []float64
		want   string
	}{
		{"level", []float64{0.98, 1.02, 1.01, 0.99, 1.03}, "within 5%"},
		{"slower every round", []float64{1.10, 1.08, 1.12, 1.09, 1.07}, "B slower by 9%"},
		{"faster every round", []float64{0.80, 0.85, 0.82, 0.90, 0.79}, "B faster by 18%"},
		{"all but one round is not enough", []float64{1.10, 1.08, 0.97, 1.09, 1.07}, "not consistent"},
		{"median past 5% from disagreeing rounds", []float64{1.30, 0.90, 1.20, 0.80, 1.10}, "not consistent"},
		{"three rounds are too few", []float64{1.10, 1.10, 1.12}, "too few rounds"},
		{"three level rounds are level", []float64{1.01, 0.99, 1.02}, "within 5%"},
		{"none", nil, "–"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := abVerdict(c.ratios); !strings.Contains(got, c.want) {
				t.Fatalf("abVerdict(%v) = %q, want it to say %q", c.ratios, got, c.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want summary
	}{
		{[]float64{3, 1, 2}, summary{median: 2, min: 1, max: 3}},
		{[]float64{4, 1, 3, 2}, summary{median: 2.5, min: 1, max: 4}},
		{nil, summary{}},
	} {
		if got := summarize(c.xs); got != c.want {
			t.Errorf("summarize(%v) = %+v, want %+v", c.xs, got, c.want)
		}
	}
}

// TestFloorSDKWorkload: the trivial server answers the SDK's STS request
// with a GetCallerIdentity response the SDK parses, so the floor's SDK
// measurement counts no error path.
func TestFloorSDKWorkload(t *testing.T) {
	srv := httptest.NewServer(floorHandler())
	defer srv.Close()
	if err := floorSDKWorkload().op(context.Background(), config(srv.URL), 0); err != nil {
		t.Fatal(err)
	}
	if err := floorRequest(context.Background(), srv.URL, []byte("{}")); err != nil {
		t.Fatal(err)
	}
}

// TestFloorReplay: the replayed floor sends the trivial server the SDK's
// GetCallerIdentity request byte for byte (but the Host line, which names
// the listener) — signed headers, the SDK's User-Agent, its body — and the
// trivial server's answer to it is the fixed GetCallerIdentity response.
func TestFloorReplay(t *testing.T) {
	sdkRaw, err := captureRaw(func(endpoint string) error {
		return floorSDKWorkload().op(context.Background(), config(endpoint), 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := captureSDKRequest()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(req.header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=test/") ||
		req.header.Get("X-Amz-Date") == "" || !strings.HasPrefix(req.header.Get("User-Agent"), "aws-sdk-go-v2/") ||
		string(req.body) != "Action=GetCallerIdentity&Version=2011-06-15" {
		t.Fatalf("captured %s %s %v %q, want the SDK's signed GetCallerIdentity", req.method, req.uri, req.header, req.body)
	}
	replayRaw, err := captureRaw(func(endpoint string) error {
		return req.replay(context.Background(), floorClient, endpoint)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The two captures are two SDK calls: their invocation ids, dates and
	// signatures differ, so compare the replay with the request it was
	// made from, and its shape with the SDK's second call.
	host := regexp.MustCompile(`(?m)^Host: [^\r]*\r\n`)
	lines := func(raw []byte) []string {
		return strings.Split(host.ReplaceAllString(string(raw), "Host: -\r\n"), "\r\n")
	}
	got, sdk := lines(replayRaw), lines(sdkRaw)
	if len(got) != len(sdk) {
		t.Fatalf("replay sent\n%s\nthe SDK sent\n%s", replayRaw, sdkRaw)
	}
	for i := range got {
		name, _, _ := strings.Cut(got[i], ": ")
		sdkName, _, _ := strings.Cut(sdk[i], ": ")
		if name != sdkName {
			t.Fatalf("line %d: replay sent %q, the SDK %q", i, got[i], sdk[i])
		}
		if v := req.header.Get(name); v != "" && name != "Host" && got[i] != name+": "+v {
			t.Fatalf("line %d: replay sent %q, captured %s: %s", i, got[i], name, v)
		}
	}
	srv := httptest.NewServer(floorHandler())
	defer srv.Close()
	cfg := config(srv.URL)
	if err := floorReplayWorkload(req).op(context.Background(), cfg, 0); err != nil {
		t.Fatal(err)
	}
}

// TestProtoFloor: the prototype floor answers the floor's three exchanges
// as the trivial net/http server does (the same bodies, which the SDK
// parses), over kept-alive connections, and refuses what it does not
// implement (a chunked body) with 501 and a closed connection instead of
// hanging on it.
func TestProtoFloor(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	go func() { _ = serveProtoFloor(l) }()
	endpoint := "http://" + l.Addr().String()
	ctx := context.Background()
	req, err := captureSDKRequest()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := floorRequest(ctx, endpoint, []byte("{}")); err != nil {
			t.Fatalf("trivial request %d: %v", i, err)
		}
		if err := floorSDKWorkload().op(ctx, config(endpoint), 0); err != nil {
			t.Fatalf("SDK request %d: %v", i, err)
		}
		if err := floorReplayWorkload(req).op(ctx, config(endpoint), 0); err != nil {
			t.Fatalf("replayed request %d: %v", i, err)
		}
	}

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 501 ") || !strings.Contains(string(got), "Connection: close") {
		t.Fatalf("chunked request answered %q, want 501 and the connection closed", got)
	}
}

// TestSTSReplayVerified: the request the STS replay row sends is the SDK's
// signed request as the transport got it, and niwa verifies it on every
// replay: sent again it answers GetCallerIdentity, and the same request
// with its body changed is refused (SignatureDoesNotMatch), so the row
// measures a fully verified call.
func TestSTSReplayVerified(t *testing.T) {
	n := niwatest.Start(t)
	cfg := n.AWSConfig()
	rec := &recordingClient{inner: &http.Client{}}
	c := cfg.Copy()
	c.HTTPClient = rec
	ctx := context.Background()
	if _, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	endpoint := aws.ToString(cfg.BaseEndpoint)
	for i := range 2 {
		status, body, err := rec.req.send(ctx, plainClient, endpoint)
		if err != nil || status != http.StatusOK || !strings.Contains(string(body), "<GetCallerIdentityResult>") {
			t.Fatalf("replay %d: %d %q %v", i, status, body, err)
		}
	}
	tampered := rec.req
	tampered.body = []byte("Action=GetCallerIdentity&Version=2011-06-16")
	status, body, err := tampered.send(ctx, plainClient, endpoint)
	if err != nil || status != http.StatusForbidden || !strings.Contains(string(body), "SignatureDoesNotMatch") {
		t.Fatalf("tampered replay: %d %q %v, want 403 SignatureDoesNotMatch", status, body, err)
	}
}

// TestReplaySetup: a replayed row meets the server its source row set up
// (the bench runs them in order on one server: the setup, S3's
// CreateBucket, must not run twice), and alone on a fresh server (-workload
// picking the replayed row only) it runs the source's setup itself.
func TestReplaySetup(t *testing.T) {
	byName := map[string]workload{}
	for _, w := range s3Workloads() {
		byName[w.name] = w
	}
	src, rep := byName["S3 GetObject 1KiB"], byName["S3 GetObject 1KiB, the SDK's request replayed"]
	if src.op == nil || rep.op == nil {
		t.Fatalf("s3Workloads has no GetObject row and replayed row: %v", byName)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name string
		rows []workload
	}{
		{"after its source", []workload{src, rep}},
		{"alone", []workload{rep}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := niwatest.Start(t).AWSConfig()
			for _, w := range c.rows {
				if err := w.setup(ctx, cfg); err != nil {
					t.Fatalf("%s setup: %v", w.name, err)
				}
				if err := w.op(ctx, cfg, 0); err != nil {
					t.Fatalf("%s: %v", w.name, err)
				}
			}
		})
	}
}

// TestFloorServerBinary: bench/floorserver builds, starts and gives the
// trivial server's answer (start polls it with floorGet, which checks the
// body), so the start-up floor the bench reports is that server's.
func TestFloorServerBinary(t *testing.T) {
	bin := buildFloorServer(t.TempDir())
	s := start("floor", floorServerCmd(bin))
	defer stop(s)
	if s.startup <= 0 {
		t.Fatalf("start-up %v", s.startup)
	}
	if err := floorRequest(context.Background(), s.endpoint, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if line := floorStartLine(s.startup); !strings.Contains(line, "bench/floorserver") {
		t.Fatalf("floorStartLine = %q", line)
	}
}
