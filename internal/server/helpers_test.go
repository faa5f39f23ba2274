package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/niwa-cloud/niwa/niwatest"
)

// countingTransport counts the HTTP requests a client sends, so a test
// can tell an SDK's retries apart from a single attempt.
type countingTransport struct {
	n atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// countingConfig is n's SDK configuration with a counting transport.
func countingConfig(n *niwatest.Niwa) (aws.Config, *countingTransport) {
	cfg := n.AWSConfig()
	ct := &countingTransport{}
	cfg.HTTPClient = &http.Client{Transport: ct, Timeout: 30 * time.Second}
	return cfg, ct
}

// apiErr asserts err is an AWS API error with code and HTTP status and
// returns its message.
func apiErr(t *testing.T, err error, code string, status int) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if ae.ErrorCode() != code || re.HTTPStatusCode() != status {
		t.Fatalf("error %s %d (%s), want %s %d", ae.ErrorCode(), re.HTTPStatusCode(), ae.ErrorMessage(), code, status)
	}
	return ae.ErrorMessage()
}

// creds is a key pair, with a session token for temporary credentials.
type creds struct{ key, secret, token string }

var rootCreds = creds{"test", "test", ""}

// rawResponse is a response read whole.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// signed sends a request signed with SigV4 at the given time, for what
// SDK clients cannot send: a time other than the wall clock's (the fake
// clock), an input the SDK would refuse, an unknown operation.
func signed(t *testing.T, n *niwatest.Niwa, at time.Time, c creds, service, method, path string, header map[string]string, body string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, n.Endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	if service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	err = v4.NewSigner().SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: c.key, SecretAccessKey: c.secret, SessionToken: c.token},
		req, hash, service, n.Region, at)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{resp.StatusCode, resp.Header, string(b)}
}

// query sends a signed query-protocol request (STS, IAM...).
func query(t *testing.T, n *niwatest.Niwa, at time.Time, c creds, service, params string) rawResponse {
	t.Helper()
	return signed(t, n, at, c, service, "POST", "/",
		map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, params)
}

// queryErr is the query protocol's error document.
type queryErr struct {
	Error struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

// wantQueryErr asserts a query-protocol error and returns its message.
func wantQueryErr(t *testing.T, r rawResponse, status int, code string) string {
	t.Helper()
	var e queryErr
	if err := xml.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	if r.status != status || e.Error.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", r.status, e.Error.Code, e.Error.Message, status, code)
	}
	if e.RequestID == "" || e.RequestID != r.header.Get("X-Amzn-Requestid") {
		t.Fatalf("request id: body %q, header %q", e.RequestID, r.header.Get("X-Amzn-Requestid"))
	}
	return e.Error.Message
}
