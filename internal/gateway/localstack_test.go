package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLocalStackHealth: /_localstack/health answers in LocalStack's shape
// (each service's state a string), which health checks written for
// LocalStack read.
func TestLocalStackHealth(t *testing.T) {
	tg := newTestGateway(t)
	tg.clock.Advance(2 * time.Second)
	for _, path := range []string{"/_localstack/health", "/_localstack/health/", "/_localstack/health?reload"} {
		w := tg.do(newRequest("GET", path, ""))
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s %s", path, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		var h struct {
			Services                         map[string]string
			Edition, Version, Status, Uptime string
		}
		if err := json.Unmarshal(w.Body.Bytes(), &h); err != nil {
			t.Fatalf("GET %s body %s: %v", path, w.Body, err)
		}
		if h.Services["sts"] != "running" || h.Services["dynamodb"] != "available" {
			t.Errorf("GET %s: services %v; want sts running (implemented), dynamodb available (model only)", path, h.Services)
		}
		if len(h.Services) != len(tg.Services()) {
			t.Errorf("GET %s lists %d services, gateway serves %d", path, len(h.Services), len(tg.Services()))
		}
		if h.Edition != "community" || h.Version != "v-test" || h.Status != "running" || h.Uptime != "2s" {
			t.Errorf("GET %s: edition %q version %q status %q uptime %q", path, h.Edition, h.Version, h.Status, h.Uptime)
		}
		// A shell check written for LocalStack's Python-formatted JSON.
		if !strings.Contains(w.Body.String(), `"sts": "running"`) {
			t.Errorf("GET %s: body lacks `\"sts\": \"running\"`: %s", path, w.Body)
		}
	}
	if w := tg.do(newRequest("HEAD", "/_localstack/health", "")); w.Code != 200 {
		t.Errorf("HEAD /_localstack/health: %d", w.Code)
	}
}

func TestLocalStackInit(t *testing.T) {
	tg := newTestGateway(t)
	for _, c := range []struct {
		path string
		code int
		want string // a substring of the body, as docker-compose healthchecks grep
	}{
		{"/_localstack/init/ready", 200, `"completed": true,`},
		{"/_localstack/init/READY", 200, `"completed": true,`},
		{"/_localstack/init/boot", 200, `"completed": true,`},
		{"/_localstack/init/shutdown", 200, `"completed": false,`},
		{"/_localstack/init", 200, `"READY": true`},
		{"/_localstack/init/nope", 404, "no such stage nope"},
	} {
		w := tg.do(newRequest("GET", c.path, ""))
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.want) {
			t.Errorf("GET %s: %d %s; want %d containing %q", c.path, w.Code, w.Body, c.code, c.want)
		}
		if c.code == 200 {
			var body struct {
				Completed any
				Scripts   []any
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Scripts == nil {
				t.Errorf("GET %s: body %s (%v); want completed and an empty scripts list", c.path, w.Body, err)
			}
		}
	}
}

// TestLocalStackUnimplemented: LocalStack's other endpoints answer 501
// naming what niwa lacks, instead of reaching S3 as a bucket named
// "_localstack" (InvalidBucketName would say nothing useful).
func TestLocalStackUnimplemented(t *testing.T) {
	tg := newTestGateway(t)
	for _, r := range []*http.Request{
		newRequest("GET", "/_localstack/info", ""),
		newRequest("GET", "/_localstack/diagnose", ""),
		newRequest("POST", "/_localstack/health", `{"action": "restart"}`, "Content-Type", "application/json"),
		newRequest("PUT", "/_localstack/health", `{"features:initScripts": "initialized"}`),
		newRequest("POST", "/_localstack/init/ready", ""),
		newRequest("GET", "/_aws/sqs/messages?QueueUrl=x", ""),
	} {
		w := tg.do(r)
		if w.Code != http.StatusNotImplemented || !strings.Contains(w.Body.String(), "niwa does not implement LocalStack's "+r.Method+" "+strings.TrimSuffix(r.URL.Path, "/")) {
			t.Errorf("%s %s: %d %s", r.Method, r.URL, w.Code, w.Body)
		}
	}
	// On a bucket's virtual host the same path is an object key.
	r := newRequest("GET", "/_localstack/health", "")
	r.Host = "bucket.s3.localhost.localstack.cloud:4566"
	if w := tg.do(r); !strings.Contains(w.Body.String(), "S3.GetObject") {
		t.Fatalf("GET /_localstack/health on a bucket host: %d %s", w.Code, w.Body)
	}
}
