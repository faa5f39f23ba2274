package cloudfront

import (
	"compress/gzip"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// logBucket records the objects CloudFront delivers.
type logBucket struct {
	objects.Store
	mu  sync.Mutex
	put map[string][]byte
	who []objects.Principal
}

func (l *logBucket) PutServiceObject(_ context.Context, bucket, key string, body []byte, p objects.Principal) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.put[bucket+"/"+key] = body
	l.who = append(l.who, p)
	return nil
}

// TestStandardAccessLogs: with Logging enabled, each viewer request is a
// line of CloudFront's standard log format, delivered gzipped to the log
// bucket once niwa's clock has moved the delivery interval, in an object
// named <prefix><distribution id>.YYYY-MM-DD-HH.<id>.gz, written for the
// distribution's owner; nothing is delivered before.
func TestStandardAccessLogs(t *testing.T) {
	bucket := &logBucket{put: map[string][]byte{}}
	clk := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	edge, host := customEdge(t, Options{Objects: bucket, Clock: clk}, "hello", "text/plain", func(c *cfapi.DistributionConfig) {
		c.Logging = &cfapi.LoggingConfig{Enabled: ptr.To(true), IncludeCookies: ptr.To(false), Bucket: ptr.To("logs.s3.amazonaws.com"), Prefix: ptr.To("cf/")}
	})
	call(edge, host, "GET", "/a.txt?x=1", "192.0.2.9:4000", map[string]string{"User-Agent": "curl/8 test", "Cookie": "s=1"})
	call(edge, host, "POST", "/a.txt", "192.0.2.9:4001", nil)
	if len(bucket.put) != 0 {
		t.Fatalf("delivered before the interval: %v", bucket.put)
	}
	clk.Advance(logFlushInterval - time.Second)
	if len(bucket.put) != 0 {
		t.Fatalf("delivered before the interval: %v", bucket.put)
	}
	clk.Advance(time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		bucket.mu.Lock()
		n := len(bucket.put)
		bucket.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // the timer fires in its own goroutine
	}
	bucket.mu.Lock()
	defer bucket.mu.Unlock()
	if len(bucket.put) != 1 {
		t.Fatalf("objects %v", bucket.put)
	}
	for key, body := range bucket.put {
		if !regexp.MustCompile(`^logs/cf/E[A-Z0-9]{13}\.2026-05-01-12\.[0-9a-f]{8}\.gz$`).MatchString(key) {
			t.Fatalf("key %s", key)
		}
		zr, err := gzip.NewReader(strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(zr)
		lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
		if len(lines) != 4 || lines[0] != "#Version: 1.0" || !strings.HasPrefix(lines[1], "#Fields: date time x-edge-location sc-bytes c-ip") {
			t.Fatalf("log %q", text)
		}
		get := strings.Split(lines[2], "\t")
		if len(get) != 33 || get[4] != "192.0.2.9" || get[5] != "GET" || get[7] != "/a.txt" || get[8] != "200" ||
			get[10] != "curl/8%20test" || get[11] != "x=1" || get[12] != "-" || get[13] != "Miss" || get[16] != "http" || get[26] != "4000" {
			t.Fatalf("GET line %q", get)
		}
		post := strings.Split(lines[3], "\t")
		if post[5] != "POST" || post[8] != "403" || post[13] != "Error" {
			t.Fatalf("POST line %q", post)
		}
	}
	if p := bucket.who[0]; p.CallerAccount == "" || p.Service != "" {
		t.Fatalf("written as %+v", p)
	}
}
