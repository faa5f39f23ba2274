package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/server"
	"github.com/niwa-cloud/niwa/niwatest"
)

// shortTimeouts makes a stalled body fail fast, so a test waits on the
// connection rather than on the 20 s default.
func shortTimeouts(cfg *server.Config) {
	cfg.Timeouts = server.Timeouts{Header: 300 * time.Millisecond, Body: 300 * time.Millisecond, Idle: 300 * time.Millisecond}
}

// rawRequest is a signed request written by hand on a socket, for bodies
// no HTTP client sends: cut short, badly framed, stalled.
type rawRequest struct {
	service, method, path string
	header                map[string]string
	// body is what the signature covers and Content-Length declares;
	// sent is what actually goes on the wire (body when nil).
	body string
	sent *string
	// chunked frames sent with Transfer-Encoding: chunked as it is
	// (already framed, possibly badly) instead of a Content-Length.
	chunked bool
	// stall leaves the connection open after sending; otherwise the
	// write side is closed, so niwa sees the body end early.
	stall bool
}

// send writes rr on a fresh connection and returns niwa's response and
// whether niwa then closed the connection.
func (rr rawRequest) send(t *testing.T, n *niwatest.Niwa) (resp *http.Response, body string, closed bool) {
	t.Helper()
	req, err := http.NewRequest(rr.method, n.Endpoint+rr.path, strings.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rr.header {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256([]byte(rr.body))
	hash := hex.EncodeToString(sum[:])
	if rr.service == "s3" {
		hash = "UNSIGNED-PAYLOAD"
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"},
		req, hash, rr.service, n.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", rr.method, rr.path, req.Host)
	req.Header.Write(&b)
	sent := rr.body
	if rr.sent != nil {
		sent = *rr.sent
	}
	if rr.chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n")
	} else {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(rr.body))
	}
	b.WriteString("\r\n")
	b.WriteString(sent)
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.Endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	if !rr.stall {
		conn.(*net.TCPConn).CloseWrite()
	}
	// Generous for a loaded machine; the configured timeouts are 300 ms.
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	_, err = br.ReadByte()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return resp, string(rb), false
	}
	return resp, string(rb), true
}

// bucketConfig creates a bucket in niwatest's region.
const bucketConfig = "<CreateBucketConfiguration><LocationConstraint>" + niwatest.Region + "</LocationConstraint></CreateBucketConfiguration>"

// TestUnreadableBodies: a body short of its Content-Length, broken
// chunked framing, or a client that stops sending is the service's 4xx
// in its own protocol — never a 500 — and the connection is closed.
func TestUnreadableBodies(t *testing.T) { forEachHTTPServer(t, testUnreadableBodies) }

func testUnreadableBodies(t *testing.T, hs niwatest.Option) {
	n := niwatest.Start(t, shortTimeouts, hs)
	ddb := map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}
	sqs := map[string]string{"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	const iamBody = "Action=ListUsers&Version=2010-05-08"
	for _, c := range []struct {
		name   string
		req    rawRequest
		status int
		code   string
	}{
		{"dynamodb short", rawRequest{service: "dynamodb", method: "POST", path: "/", header: ddb, body: `{"Limit": 10}`, sent: ptr.To(`{"Li`)},
			400, "SerializationException"},
		{"dynamodb broken chunked", rawRequest{service: "dynamodb", method: "POST", path: "/", header: ddb, body: `{}`, sent: ptr.To("zz\r\n{}\r\n0\r\n\r\n"), chunked: true},
			400, "SerializationException"},
		{"dynamodb stalled", rawRequest{service: "dynamodb", method: "POST", path: "/", header: ddb, body: `{"Limit": 10}`, sent: ptr.To(`{`), stall: true},
			400, "RequestTimeoutException"},
		{"sqs short", rawRequest{service: "sqs", method: "POST", path: "/", header: sqs, body: `{"MaxResults": 10}`, sent: ptr.To(`{"Ma`)},
			400, "SerializationException"},
		{"sqs broken chunked", rawRequest{service: "sqs", method: "POST", path: "/", header: sqs, body: `{}`, sent: ptr.To("2\r\n{}XX0\r\n\r\n"), chunked: true},
			400, "SerializationException"},
		{"sqs over the query protocol short", rawRequest{service: "sqs", method: "POST", path: "/", header: form, body: "Action=ListQueues&Version=2012-11-05", sent: ptr.To("Action=Li")},
			400, "IncompleteSignature"},
		{"iam short", rawRequest{service: "iam", method: "POST", path: "/", header: form, body: iamBody, sent: ptr.To(iamBody[:10])},
			400, "IncompleteSignature"},
		{"iam broken chunked", rawRequest{service: "iam", method: "POST", path: "/", header: form, body: iamBody, sent: ptr.To("ffffffffffffffffffff\r\n"), chunked: true},
			400, "IncompleteSignature"},
		{"iam stalled", rawRequest{service: "iam", method: "POST", path: "/", header: form, body: iamBody, sent: ptr.To(""), stall: true},
			400, "RequestTimeout"},
		{"s3 stalled", rawRequest{service: "s3", method: "PUT", path: "/stalled-bucket", body: "<CreateBucketConfiguration/>", sent: ptr.To("<Create"), stall: true},
			400, "RequestTimeout"},
		{"s3 short", rawRequest{service: "s3", method: "PUT", path: "/short-bucket", body: "<CreateBucketConfiguration/>", sent: ptr.To("<Create")},
			400, "IncompleteBody"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body, closed := c.req.send(t, n)
			if resp.StatusCode != c.status || !strings.Contains(body, c.code) {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, c.status, c.code)
			}
			if !closed {
				t.Fatalf("connection still open after the response")
			}
		})
	}
}

// TestBodyCaps: a non-streaming body over its service's (or operation's)
// cap is refused with the service's error from its Content-Length alone —
// niwa answers before the body is sent — and a chunked one as soon as it
// passes the cap. Streaming uploads are not capped.
func TestBodyCaps(t *testing.T) { forEachHTTPServer(t, testBodyCaps) }

func testBodyCaps(t *testing.T, hs niwatest.Option) {
	n := niwatest.Start(t, shortTimeouts, hs)
	ddb := map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	big := func(n int) string { return strings.Repeat("a", n) }
	for _, c := range []struct {
		name   string
		req    rawRequest
		status int
		code   string
	}{
		// Only the headers go out (stall): the answer cannot have
		// waited for the body.
		{"dynamodb over 16 MiB", rawRequest{service: "dynamodb", method: "POST", path: "/", header: ddb, body: big(16<<20 + 1), sent: ptr.To(""), stall: true},
			413, "RequestEntityTooLargeException"},
		{"iam over 2 MiB", rawRequest{service: "iam", method: "POST", path: "/", header: form, body: big(2<<20 + 1), sent: ptr.To(""), stall: true},
			413, "RequestEntityTooLarge"},
		{"sqs over 4 MiB", rawRequest{service: "sqs", method: "POST", path: "/", header: map[string]string{"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"},
			body: big(4<<20 + 1), sent: ptr.To(""), stall: true},
			413, "RequestEntityTooLargeException"},
		// CloudWatch's own cap (PutMetricData: 1 MB), below the query
		// protocol's 2 MiB.
		{"cloudwatch over 1 MiB", rawRequest{service: "monitoring", method: "POST", path: "/", header: form, body: big(1<<20 + 1), sent: ptr.To(""), stall: true},
			413, "RequestEntityTooLarge"},
		{"lambda invoke over 6 MB", rawRequest{service: "lambda", method: "POST", path: "/2015-03-31/functions/f/invocations", body: big(6291457), sent: ptr.To(""), stall: true},
			413, "RequestTooLargeException"},
		{"s3 lifecycle over 8 MiB", rawRequest{service: "s3", method: "PUT", path: "/capped-bucket?lifecycle", body: big(8<<20 + 1), sent: ptr.To(""), stall: true},
			400, "EntityTooLarge"},
		{"dynamodb chunked over 16 MiB", rawRequest{service: "dynamodb", method: "POST", path: "/", header: ddb, body: "{}",
			sent: ptr.To(fmt.Sprintf("%x\r\n%s\r\n", 16<<20+1, big(16<<20+1))), chunked: true, stall: true},
			413, "RequestEntityTooLargeException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body, _ := c.req.send(t, n)
			if resp.StatusCode != c.status || !strings.Contains(body+resp.Header.Get("X-Amzn-Errortype"), c.code) {
				t.Fatalf("got %d %.300s, want %d %s", resp.StatusCode, body, c.status, c.code)
			}
		})
	}
	// A streaming upload larger than any of those caps goes through.
	signed(t, n, time.Now(), rootCreds, "s3", "PUT", "/big-object-bucket", nil, bucketConfig)
	if r := signed(t, n, time.Now(), rootCreds, "s3", "PUT", "/big-object-bucket/obj", nil, big(17<<20)); r.status != 200 {
		t.Fatalf("17 MiB PutObject: %d %s", r.status, r.body)
	}
}

// TestExpectContinue: an Expect: 100-continue request with an empty body
// gets 100 Continue before its final response, and the connection stays
// usable for the next request (botocore misreads the next response on a
// connection where the final status came first). A non-empty body niwa
// answers without reading gets no 100 Continue (the client need not send
// it) and the connection is closed.
func TestExpectContinue(t *testing.T) { forEachHTTPServer(t, testExpectContinue) }

func testExpectContinue(t *testing.T, hs niwatest.Option) {
	n := niwatest.Start(t, hs)
	signed(t, n, time.Now(), rootCreds, "s3", "PUT", "/expect-bucket", nil, bucketConfig)
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.Endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	put := func(path string, body string, sendBody bool) string {
		t.Helper()
		req, _ := http.NewRequest("PUT", n.Endpoint+path, nil)
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		req.Header.Set("Expect", "100-continue")
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"},
			req, "UNSIGNED-PAYLOAD", "s3", n.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: %s\r\n", path, req.Host)
		req.Header.Write(&b)
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
		conn.Write(b.Bytes())
		status, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(status, "HTTP/1.1 100") {
			if line, _ := br.ReadString('\n'); line != "\r\n" {
				t.Fatalf("100 Continue followed by %q", line)
			}
			if sendBody {
				io.WriteString(conn, body)
			}
			status, err = br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			status = "100 then " + status
		}
		resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(strings.TrimPrefix(status, "100 then ")), br)), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		status = strings.TrimSpace(status)
		if resp.Close {
			status += " (closed)"
		}
		return status
	}
	if got := put("/expect-bucket/empty", "", true); got != "100 then HTTP/1.1 200 OK" {
		t.Fatalf("empty PUT: %q", got)
	}
	if got := put("/expect-bucket/one", "hello", true); got != "100 then HTTP/1.1 200 OK" {
		t.Fatalf("PUT after the empty one: %q", got)
	}
	if got := put("/no-such-bucket-here/one", "hello", false); got != "HTTP/1.1 404 Not Found (closed)" {
		t.Fatalf("refused PUT: %q", got)
	}
}

// forEachHTTPServer runs test on each server the plain-HTTP listener can
// have (server.Config.HTTPServer): net/http's and niwa's own.
func forEachHTTPServer(t *testing.T, test func(t *testing.T, hs niwatest.Option)) {
	for _, name := range []string{server.HTTPServerStd, server.HTTPServerNiwa} {
		t.Run(name, func(t *testing.T) {
			test(t, func(cfg *server.Config) { cfg.HTTPServer = name })
		})
	}
}
