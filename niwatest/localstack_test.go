package niwatest_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/internal/hostname"
	"github.com/niwa-cloud/niwa/niwatest"
)

// TestLocalStackVirtualHost: an S3 client configured as LocalStack's docs
// say (endpoint http://s3.localhost.localstack.cloud:4566, virtual-host
// addressing) works against niwa unchanged. LocalStack's public DNS
// resolves every *.localhost.localstack.cloud name to 127.0.0.1; the
// test's dialer does the same, so no DNS is needed.
func TestLocalStackVirtualHost(t *testing.T) {
	n := niwatest.Start(t)
	u, err := url.Parse(n.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	niwaAddr, port := u.Host, u.Port()
	var mu sync.Mutex
	var hosts []string
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host != hostname.LocalStack && !strings.HasSuffix(host, "."+hostname.LocalStack) {
				t.Errorf("dialled %s, not a localhost.localstack.cloud name", addr)
			}
			return dialer.DialContext(ctx, network, niwaAddr)
		},
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: recordHost{transport, func(h string) {
		mu.Lock()
		defer mu.Unlock()
		hosts = append(hosts, h)
	}}}
	cfg := n.AWSConfig()
	cfg.HTTPClient = client
	cfg.BaseEndpoint = aws.String("http://s3.localhost.localstack.cloud:" + port)
	c := s3.NewFromConfig(cfg) // virtual-host addressing: UsePathStyle is false
	ctx := context.Background()

	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("moved-from-localstack"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(n.Region)}}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("moved-from-localstack"), Key: aws.String("dir/key.txt"),
		Body: strings.NewReader("same URLs")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("moved-from-localstack"), Key: aws.String("dir/key.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "same URLs" {
		t.Fatalf("GetObject body %q", body)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("moved-from-localstack")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "dir/key.txt" {
		t.Fatalf("ListObjectsV2: %+v %v", list, err)
	}

	// The requests really went to the bucket's virtual host.
	mu.Lock()
	seen := append([]string(nil), hosts...)
	mu.Unlock()
	want := "moved-from-localstack.s3.localhost.localstack.cloud:" + port
	for _, h := range seen {
		if h != want {
			t.Errorf("request Host %q, want %q", h, want)
		}
	}
	if len(seen) < 4 {
		t.Errorf("%d requests recorded", len(seen))
	}

	// And LocalStack's health check finds S3 running.
	resp, err := client.Get("http://localhost.localstack.cloud:" + port + "/_localstack/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"s3": "running"`) {
		t.Fatalf("/_localstack/health: %d %s", resp.StatusCode, b)
	}
}

// recordHost is a RoundTripper that reports each request's Host.
type recordHost struct {
	rt     http.RoundTripper
	record func(string)
}

func (r recordHost) RoundTrip(req *http.Request) (*http.Response, error) {
	h := req.Host
	if h == "" {
		h = req.URL.Host
	}
	r.record(h)
	return r.rt.RoundTrip(req)
}
