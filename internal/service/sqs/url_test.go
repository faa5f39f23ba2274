package sqs

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// oldParseQueueURL is parseQueueURL as it was before its fast path: every
// URL through url.Parse. The fast path must answer the same.
func oldParseQueueURL(raw, region string) (queueRef, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return queueRef{}, false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return queueRef{}, false
	}
	if r := hostRegion(u.Hostname()); r != "" {
		region = r
	}
	ref := queueRef{name: parts[1]}
	ref.scope.Account, ref.scope.Region = parts[0], region
	return ref, true
}

// TestParseQueueURLMatchesURLParse: the queue URL forms clients send, and
// malformed ones, read the same through the plain-URL fast path as
// through url.Parse.
func TestParseQueueURLMatchesURLParse(t *testing.T) {
	for _, raw := range []string{
		"http://localhost:4566/123456789012/q1",
		"http://127.0.0.1:4566/123456789012/q1",
		"http://localhost/123456789012/q1.fifo",
		"https://sqs.eu-west-1.amazonaws.com/123456789012/q_1-x",
		"https://SQS.EU-WEST-1.AMAZONAWS.COM/123456789012/Q",
		"https://eu-central-1.queue.amazonaws.com/123456789012/q",
		"https://queue.amazonaws.com/123456789012/q",
		"http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q",
		"http://localhost:4566/123456789012/q1/",
		"http://localhost:4566//123456789012/q1",
		"http://localhost:4566/123456789012//q1",
		"http://localhost:4566/123456789012/a/b",
		"http://localhost:4566/123456789012",
		"http://localhost:4566/",
		"http://localhost:4566",
		"http:///123456789012/q",
		"http://localhost:45a6/123456789012/q",
		"http://localhost:4566:1/123456789012/q",
		"http://localhost:/123456789012/q",
		"http://[::1]:4566/123456789012/q",
		"http://localhost:4566/123456789012/q%31",
		"http://localhost:4566/123456789012/q?x=1",
		"http://localhost:4566/123456789012/q#f",
		"http://user@localhost:4566/123456789012/q",
		"http://local host/123456789012/q",
		"HTTP://localhost:4566/123456789012/q",
		"ftp://localhost/123456789012/q",
		"/123456789012/q",
		"123456789012/q",
		"http://localhost:4566/123456789012/q\x7f",
		"http://%zz/1/q",
	} {
		got, gok := parseQueueURL(raw, "ap-northeast-1")
		want, wok := oldParseQueueURL(raw, "ap-northeast-1")
		if got != want || gok != wok {
			t.Errorf("parseQueueURL(%q) = %+v, %v; url.Parse reads %+v, %v", raw, got, gok, want, wok)
		}
	}
}

// TestReceiptHandleRoundTrip: a receipt handle names its queue, message
// and nonce, and anything that does not decode to three parts is refused.
func TestReceiptHandleRoundTrip(t *testing.T) {
	name, key, nonce := strings.Repeat("q", 80), seqKey(42), "0b0a1e3c-2f43-4d52-9d7e-6a1c2b3d4e5f"
	h := receiptHandle(name, key, nonce)
	if want := base64.RawURLEncoding.EncodeToString([]byte(name + "\x00" + key + "\x00" + nonce)); h != want {
		t.Errorf("handle %q, want %q", h, want)
	}
	n, k, c, ok := parseReceipt(h)
	if !ok || n != name || k != key || c != nonce {
		t.Errorf("parseReceipt = %q %q %q %v", n, k, c, ok)
	}
	long := strings.Repeat("x", 300)
	if n, _, c, ok := parseReceipt(receiptHandle(long, key, long)); !ok || n != long || c != long {
		t.Error("a long handle does not round-trip")
	}
	for _, bad := range []string{"", "!!!", base64.RawURLEncoding.EncodeToString([]byte("a\x00b")), base64.RawURLEncoding.EncodeToString([]byte("a\x00b\x00c\x00d")), base64.StdEncoding.EncodeToString([]byte("a\x00b\x00c"))} {
		if _, _, _, ok := parseReceipt(bad); ok {
			t.Errorf("parseReceipt(%q) accepted", bad)
		}
	}
}

// TestParseQueueARN: the ARN's six fields as strings.SplitN(arn, ":", 6)
// reads them; the name keeps any further colon.
func TestParseQueueARN(t *testing.T) {
	for _, c := range []struct {
		arn  string
		want queueRef
		ok   bool
	}{
		{"arn:aws:sqs:us-east-1:123456789012:q", queueRef{scope: storageScope("123456789012", "us-east-1"), name: "q"}, true},
		{"arn:aws:sqs:us-east-1:123456789012:q:x", queueRef{scope: storageScope("123456789012", "us-east-1"), name: "q:x"}, true},
		{"arn:aws-cn:sqs:cn-north-1:123456789012:q.fifo", queueRef{scope: storageScope("123456789012", "cn-north-1"), name: "q.fifo"}, true},
		{"arn:aws:sns:us-east-1:123456789012:q", queueRef{}, false},
		{"arn:aws:sqs:us-east-1:123456789012:", queueRef{}, false},
		{"arn:aws:sqs::123456789012:q", queueRef{}, false},
		{"arn:aws:sqs:us-east-1::q", queueRef{}, false},
		{"arn:aws:sqs:us-east-1:123456789012", queueRef{}, false},
		{"xarn:aws:sqs:us-east-1:123456789012:q", queueRef{}, false},
		{"", queueRef{}, false},
	} {
		got, ok := parseQueueARN(c.arn)
		if got != c.want || ok != c.ok {
			t.Errorf("parseQueueARN(%q) = %+v, %v; want %+v, %v", c.arn, got, ok, c.want, c.ok)
		}
	}
}

func storageScope(account, region string) (sc storage.Scope) {
	sc.Account, sc.Region = account, region
	return sc
}
