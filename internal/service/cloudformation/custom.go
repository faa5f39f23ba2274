package cloudformation

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Invoker delivers a custom resource's request to its ServiceToken: a
// Lambda function (invoked asynchronously, as CloudFormation does) or an
// SNS topic. The platform provides it.
type Invoker func(ctx *request.Context, serviceToken string, payload []byte) error

// responseBucket is the path segment of the ResponseURLs niwa hands
// custom resources: AWS's presigned S3 URLs point at a bucket of this
// name. niwa answers PUTs to it itself (Declaration.Routes), so the
// cfn-response module works unmodified.
const responseBucket = "cloudformation-custom-resource-response-niwa"

// maxResponse caps a custom resource's response body (AWS: 4 KB of Data;
// the whole body a little more).
const maxResponse = 64 << 10

// defaultCustomTimeout is how long CloudFormation waits for a response
// when ServiceTimeout does not say (one hour).
const defaultCustomTimeout = time.Hour

// customResponse is what a custom resource answers at its ResponseURL.
type customResponse struct {
	Status             string
	Reason             string
	PhysicalResourceId string
	StackId            string
	RequestId          string
	LogicalResourceId  string
	NoEcho             bool
	Data               map[string]any
}

// pending are the custom resource requests waiting for their response,
// by request id.
type pending struct {
	mu      sync.Mutex
	waiting map[string]*waiter
}

type waiter struct {
	token string
	done  chan customResponse
}

func (p *pending) add(id, token string) *waiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiting == nil {
		p.waiting = map[string]*waiter{}
	}
	w := &waiter{token: token, done: make(chan customResponse, 1)}
	p.waiting[id] = w
	return w
}

func (p *pending) remove(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.waiting, id)
}

func (p *pending) deliver(id, token string, r customResponse) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.waiting[id]
	if !ok || w.token != token {
		return false
	}
	select {
	case w.done <- r:
	default:
	}
	return true
}

// isCustom reports custom resource types.
func isCustom(ty string) bool {
	return strings.HasPrefix(ty, "Custom::") || ty == "AWS::CloudFormation::CustomResource"
}

// responseRoute matches PUTs to niwa's response "bucket".
func (c *CloudFormation) responseRoute() kit.Route {
	return kit.Route{
		Name: "cloudformation-custom-resource-response",
		Match: func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/"+responseBucket+"/")
		},
		Handler: http.HandlerFunc(c.serveResponse),
	}
}

func (c *CloudFormation) serveResponse(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/"+responseBucket+"/")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
	if err != nil || len(body) > maxResponse {
		http.Error(w, "response too large or unreadable", http.StatusBadRequest)
		return
	}
	var resp customResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		resp = customResponse{Status: "FAILED", Reason: "Invalid response object: " + err.Error()}
	}
	if !c.pending.deliver(id, r.URL.Query().Get("X-Amz-Signature"), resp) {
		// As S3 answers a presigned URL whose signature does not match.
		http.Error(w, "SignatureDoesNotMatch", http.StatusForbidden)
		return
	}
	w.Header().Set("ETag", `"`+awsid.Hex(16)+`"`)
	w.WriteHeader(http.StatusOK)
}

// custom runs one request of a custom resource and waits for its
// response on the clock.
func (c *CloudFormation) custom(ctx *request.Context, s *stackRec, reqType, logical, typ, physical string, props, oldProps map[string]any) (kit.ResourceResult, error) {
	token, _ := props["ServiceToken"].(string)
	if token == "" {
		return kit.ResourceResult{}, validation("ServiceToken is required for custom resources")
	}
	if c.invoke == nil || c.endpoint == nil || c.endpoint() == "" {
		return kit.ResourceResult{}, fmt.Errorf("niwa cannot deliver custom resource requests (no invoker)")
	}
	timeout := defaultCustomTimeout
	if st, ok := scalarString(props["ServiceTimeout"]); ok {
		var secs int
		if _, err := fmt.Sscanf(st, "%d", &secs); err == nil && secs >= 1 && secs <= 3600 {
			timeout = time.Duration(secs) * time.Second
		}
	}
	reqID := awsid.UUID()
	sig := awsid.Hex(32)
	key := reqID
	expires := c.clock.Now().Add(2 * time.Hour).UTC()
	q := url.Values{}
	q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
	q.Set("X-Amz-Date", c.clock.Now().UTC().Format("20060102T150405Z"))
	q.Set("X-Amz-Expires", "7200")
	q.Set("X-Amz-SignedHeaders", "host")
	q.Set("X-Amz-Signature", sig)
	respURL := strings.TrimSuffix(c.endpoint(), "/") + "/" + responseBucket + "/" + key + "?" + q.Encode()
	_ = expires
	resProps := map[string]any{}
	for k, v := range props {
		resProps[k] = stringify(v)
	}
	event := map[string]any{
		"RequestType": reqType, "ServiceToken": token, "ResponseURL": respURL, "StackId": s.ID, "RequestId": reqID,
		"LogicalResourceId": logical, "ResourceType": typ, "ResourceProperties": resProps,
	}
	if physical != "" {
		event["PhysicalResourceId"] = physical
	}
	if oldProps != nil {
		old := map[string]any{}
		for k, v := range oldProps {
			old[k] = stringify(v)
		}
		event["OldResourceProperties"] = old
	}
	payload, err := json.Marshal(event)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	w := c.pending.add(key, sig)
	defer c.pending.remove(key)
	if err := c.invoke(ctx, token, payload); err != nil {
		return kit.ResourceResult{}, err
	}
	timer := c.clock.After(timeout)
	select {
	case r := <-w.done:
		if r.Status != "SUCCESS" {
			reason := r.Reason
			if reason == "" {
				reason = "Failed to create resource. See the details in CloudWatch Log Stream"
			}
			return kit.ResourceResult{}, failuref("Received response status [FAILED] from custom resource. Message returned: %s (RequestId: %s)", reason, reqID)
		}
		phys := r.PhysicalResourceId
		if phys == "" {
			phys = physical
		}
		if phys == "" {
			return kit.ResourceResult{}, failuref("Invalid PhysicalResourceId")
		}
		attrs := map[string]any{}
		for k, v := range r.Data {
			attrs[k] = v
		}
		return kit.ResourceResult{PhysicalID: phys, Attributes: attrs}, nil
	case <-timer:
		return kit.ResourceResult{}, failuref("CloudFormation did not receive a response from your Custom Resource. Please check your logs for requestId [%s]. If you are using the Python cfn-response module, you may need to update your Lambda function code so that CloudFormation can attach the updated version.", reqID)
	case <-c.cancelled(s.ID):
		if s.Status == "UPDATE_IN_PROGRESS" {
			return kit.ResourceResult{}, errCancelled()
		}
		return kit.ResourceResult{}, failuref("CloudFormation did not receive a response from your Custom Resource. Please check your logs for requestId [%s].", reqID)
	case <-ctx.Done():
		return kit.ResourceResult{}, ctx.Err()
	}
}

// stringify turns scalars into strings, as CloudFormation passes custom
// resource properties.
func stringify(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = stringify(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stringify(e)
		}
		return out
	case nil:
		return nil
	}
	if s, ok := scalarString(v); ok {
		return s
	}
	return v
}

// failure is a resource failure worded as CloudFormation words it (a
// sentence, capitalized and punctuated, unlike Go error strings).
type failure string

func (f failure) Error() string { return string(f) }

func failuref(format string, args ...any) error { return failure(fmt.Sprintf(format, args...)) }
