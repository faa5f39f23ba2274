package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/niwa-cloud/niwa/bench/internal/floor"
)

// floorBody and floorSTSBody are the trivial server's answers
// (bench/internal/floor).
var floorBody, floorSTSBody = floor.Body, floor.STSBody

// serveFloor runs the trivial HTTP server the floor is measured on: Go's
// net/http answering every request with floorBody, nothing else. What
// niwa spends per request beyond it is what niwa itself adds.
func serveFloor(port int) {
	check(http.ListenAndServe("127.0.0.1:"+strconv.Itoa(port), floorHandler()))
}

// floorHandler is the trivial server's handler (bench/internal/floor).
func floorHandler() http.Handler { return floor.Handler() }

var floorClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// floorGet is one request to the trivial server.
func floorGet(endpoint string) error {
	return floorRequest(context.Background(), endpoint, nil)
}

func floorRequest(ctx context.Context, endpoint string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := floorClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	if err == nil && !bytes.Equal(got, floorBody) {
		err = fmt.Errorf("floor server answered %q", got)
	}
	return err
}

// floorWorkload posts a small request body (about a DynamoDB GetItem's
// size) to the trivial server, from the same number of clients.
func floorWorkload() workload {
	body := bytes.Repeat([]byte("x"), 120)
	return workload{name: "trivial HTTP server (floor)", op: func(ctx context.Context, cfg aws.Config, _ int) error {
		return floorRequest(ctx, aws.ToString(cfg.BaseEndpoint), body)
	}}
}

// floorSDKWorkload sends the trivial server the STS row's request as the
// SDK sends it (signed, with the SDK's dozen headers: about 680 bytes
// against floorWorkload's 300) and gets a fixed GetCallerIdentity answer
// (floorSTSBody): what net/http alone spends on the STS row's exchange.
func floorSDKWorkload() workload {
	return workload{name: "trivial HTTP server, the SDK's STS request", op: func(ctx context.Context, cfg aws.Config, _ int) error {
		out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.RetryMaxAttempts = 1 }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil && aws.ToString(out.Account) != "000000000000" {
			err = fmt.Errorf("floor server answered account %q", aws.ToString(out.Account))
		}
		return err
	}}
}

// floorReplayWorkload sends the trivial server the STS row's request as
// the SDK sends it, byte for byte (captured once from the SDK: its signed
// headers and body, see captureSDKRequest), but from floorWorkload's own
// client, which spends a fraction of the SDK's CPU per request. Against
// floorSDKWorkload only the client differs (how often a request comes);
// against floorWorkload only the bytes differ. The signature goes stale,
// which the trivial server does not read.
func floorReplayWorkload(sdkReq capturedRequest) workload {
	return workload{name: "trivial HTTP server, the SDK's STS request replayed", op: func(ctx context.Context, cfg aws.Config, _ int) error {
		return sdkReq.replay(ctx, floorClient, aws.ToString(cfg.BaseEndpoint))
	}}
}

// capturedRequest is one request as a client sent it: its headers (Host
// apart) and body.
type capturedRequest struct {
	method, uri string
	header      http.Header
	body        []byte
}

// captureSDKRequest is the STS row's GetCallerIdentity request as the SDK
// sends it, read off the wire from a listener of its own.
func captureSDKRequest() (capturedRequest, error) {
	raw, err := captureRaw(func(endpoint string) error {
		out, err := sts.NewFromConfig(config(endpoint), func(o *sts.Options) { o.RetryMaxAttempts = 1 }).
			GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err == nil && aws.ToString(out.Account) != "000000000000" {
			err = fmt.Errorf("capture answered account %q", aws.ToString(out.Account))
		}
		return err
	})
	if err != nil {
		return capturedRequest{}, err
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return capturedRequest{}, err
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return capturedRequest{}, err
	}
	if req.Header.Get("Accept-Encoding") == "gzip" {
		// Go's transport added it (after the request's own headers);
		// the replay's transport adds it in the same place.
		req.Header.Del("Accept-Encoding")
	}
	return capturedRequest{method: req.Method, uri: req.RequestURI, header: req.Header, body: body}, nil
}

// replay sends the captured request to endpoint with client and checks
// the trivial server's GetCallerIdentity answer.
func (c capturedRequest) replay(ctx context.Context, client *http.Client, endpoint string) error {
	status, got, err := c.send(ctx, client, endpoint)
	if err == nil && (status != http.StatusOK || !bytes.Equal(got, floorSTSBody)) {
		err = fmt.Errorf("floor server answered %d %q", status, got)
	}
	return err
}

// send sends the captured request to endpoint with client and returns the
// answer's status and body. The header map is shared by every send: a
// client does not modify a request's headers.
func (c capturedRequest) send(ctx context.Context, client *http.Client, endpoint string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, c.method, endpoint+c.uri, bytes.NewReader(c.body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = c.header
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	return resp.StatusCode, got, err
}

// captureRaw runs do against a listener of its own and returns the bytes
// of the first request do sent (headers and a Content-Length body), which
// it answers as the trivial server does.
func captureRaw(do func(endpoint string) error) ([]byte, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer func() { _ = l.Close() }()
	type captured struct {
		raw []byte
		err error
	}
	got := make(chan captured, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- captured{err: err}
			return
		}
		defer func() { _ = c.Close() }()
		var raw bytes.Buffer
		req, err := http.ReadRequest(bufio.NewReader(io.TeeReader(c, &raw)))
		if err == nil {
			_, err = io.Copy(io.Discard, req.Body)
		}
		if err != nil {
			got <- captured{err: err}
			return
		}
		rec := httptest.NewRecorder()
		floorHandler().ServeHTTP(rec, req)
		resp := rec.Result()
		resp.ContentLength = int64(rec.Body.Len())
		err = resp.Write(c)
		got <- captured{raw: raw.Bytes(), err: err}
	}()
	if err := do("http://" + l.Addr().String()); err != nil {
		return nil, err
	}
	r := <-got
	return r.raw, r.err
}

// floorSDKLine says what the trivial server spent on the STS row's
// exchange: sent by the SDK (its pacing) and the same bytes replayed from
// the floor's client (the bytes alone).
func floorSDKLine(sdk, replay result) string {
	return fmt.Sprintf("Sent the SDK's signed STS GetCallerIdentity request by the SDK (%d requests, %d errors), the same server spent %.1f µs a request; "+
		"the same bytes replayed from the floor's own client (%d requests, %d errors), %.1f µs: the second is what the request's bytes cost, "+
		"the first less the second what the SDK client's slower pace costs the server (idle between requests, woken for each).",
		sdk.ops, sdk.errors, us(sdk.cpuPerOp), replay.ops, replay.errors, us(replay.cpuPerOp))
}

// floorStartLine says what the start-up floor measured.
func floorStartLine(d time.Duration) string {
	return fmt.Sprintf("the trivial server in a binary of its own (bench/floorserver) took **%.1f ms** from its start to its first answer in this run (the same polling), what a trivial Go net/http server takes to start on this machine.", ms(d))
}

// medianStartup starts a server n times, each time to its first answer
// and stopped again, and returns the median time.
func medianStartup(name string, mk func(int) *exec.Cmd, n int) time.Duration {
	if n < 1 {
		n = 1
	}
	var times []time.Duration
	for range n {
		fmt.Fprintf(os.Stderr, "bench: start-up of %s\n", name)
		s := start(name, mk)
		times = append(times, s.startup)
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		_ = s.cmd.Wait()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2]
}

// printMemory writes the floor and the memory table: RSS idle and after
// every workload, what the workloads stored, and RSS growth per MiB
// stored.
func printMemory(out io.Writer, names []string, idle, final, settled map[string]procMemory, stored int64, floor, floorSDK, floorReplay result, protoLine string, starts int, floorStart time.Duration) {
	fmt.Fprintf(out, "\nFloor: a trivial Go HTTP server answering a fixed 30-byte JSON spent **%.1f µs** of CPU per request in this run (%d requests, %d errors); the `×floor` column above divides niwa's CPU per operation by it. %s\n\n",
		us(floor.cpuPerOp), floor.ops, floor.errors, floorSDKLine(floorSDK, floorReplay))
	if protoLine != "" {
		fmt.Fprintf(out, "%s\n\n", protoLine)
	}
	fmt.Fprintf(out, "Start-up is the median of %d starts; %s RSS is VmRSS of the server process.\n\n", starts, floorStartLine(floorStart))
	fmt.Fprintln(out, "| memory | "+strings.Join(names, " | ")+" |")
	fmt.Fprintln(out, "|---|"+strings.Repeat("---:|", len(names)))
	row := func(label string, f func(name string) string) {
		fmt.Fprintf(out, "| %s |", label)
		for _, name := range names {
			fmt.Fprintf(out, " %s |", f(name))
		}
		fmt.Fprintln(out)
	}
	mib := func(kb int64) float64 { return float64(kb) / 1024 }
	row("idle RSS (3 s after start)", func(n string) string { return fmt.Sprintf("%.1f MiB", mib(idle[n].rss)) })
	row("of which anonymous", func(n string) string { return fmt.Sprintf("%.1f MiB", mib(idle[n].anon)) })
	row("of which file-backed", func(n string) string { return fmt.Sprintf("%.1f MiB", mib(idle[n].file)) })
	row("RSS after every workload", func(n string) string { return fmt.Sprintf("%.1f MiB", mib(final[n].rss)) })
	row("of which anonymous (heaps, stacks)", func(n string) string { return fmt.Sprintf("%.1f MiB", mib(final[n].anon)) })
	row("of which file-backed (binary, libraries)", func(n string) string { return fmt.Sprintf("%.1f MiB", mib(final[n].file)) })
	row("RSS 3 s later, idle", func(n string) string { return fmt.Sprintf("%.1f MiB", mib(settled[n].rss)) })
	row("of which anonymous", func(n string) string { return fmt.Sprintf("%.1f MiB", mib(settled[n].anon)) })
	storedMiB := float64(stored) / (1 << 20)
	row("user data the workloads stored", func(string) string { return fmt.Sprintf("%.1f MiB", storedMiB) })
	row("RSS growth per stored MiB", func(n string) string {
		if storedMiB == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f MiB", (mib(final[n].rss)-mib(idle[n].rss))/storedMiB)
	})
}
