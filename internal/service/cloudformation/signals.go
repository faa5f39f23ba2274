package cloudformation

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Signals: resources with a CreationPolicy (ResourceSignal) wait for
// SignalResource calls (cfn-signal), and AWS::CloudFormation::WaitCondition
// waits for signals PUT to its WaitConditionHandle's presigned URL, both
// with their timeouts on niwa's clock.

// waitBucket is the path segment of the URLs WaitConditionHandle hands
// out (AWS's are presigned S3 URLs); niwa answers PUTs to it itself.
const waitBucket = "cloudformation-waitcondition-niwa"

// maxSignals bounds the signals one handle or resource keeps.
const maxSignals = 1000

// signal is one received signal.
type signal struct {
	Status, Reason, UniqueID, Data string
}

// signalBox collects the signals sent to one handle or resource.
type signalBox struct {
	signals []signal
	notify  chan struct{}
}

// signalBoxes are the boxes by key (stack id + logical id, or handle).
type signalBoxes struct {
	mu    sync.Mutex
	boxes map[string]*signalBox
	// key signs the handles' URLs.
	key []byte
}

func (b *signalBoxes) box(key string) *signalBox {
	if b.boxes == nil {
		b.boxes = map[string]*signalBox{}
	}
	x, ok := b.boxes[key]
	if !ok {
		x = &signalBox{notify: make(chan struct{})}
		b.boxes[key] = x
	}
	return x
}

// add records a signal (a repeated UniqueId replaces the earlier one, as
// AWS counts one signal per id) and wakes the waiters.
func (b *signalBoxes) add(key string, s signal) {
	b.mu.Lock()
	defer b.mu.Unlock()
	x := b.box(key)
	for i := range x.signals {
		if x.signals[i].UniqueID == s.UniqueID {
			x.signals[i] = s
			close(x.notify)
			x.notify = make(chan struct{})
			return
		}
	}
	if len(x.signals) >= maxSignals {
		return
	}
	x.signals = append(x.signals, s)
	close(x.notify)
	x.notify = make(chan struct{})
}

// snapshot returns the signals so far and a channel closed at the next.
func (b *signalBoxes) snapshot(key string) ([]signal, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	x := b.box(key)
	return append([]signal(nil), x.signals...), x.notify
}

func (b *signalBoxes) drop(prefix string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.boxes {
		if strings.HasPrefix(k, prefix) {
			delete(b.boxes, k)
		}
	}
}

// waiting are the resources waiting for signals, by key, so
// SignalResource can refuse the others.
func (b *signalBoxes) sign(s string) string {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))[:40]
}

func resourceKey(stackID, logical string) string { return stackID + "#" + logical }

// handleURL is the presigned-style URL of a WaitConditionHandle.
func (c *CloudFormation) handleURL(s *stackRec, logical string) string {
	path := url.PathEscape(s.ID) + "/" + logical
	q := url.Values{}
	q.Set("AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE")
	q.Set("Expires", strconv.FormatInt(c.clock.Now().Add(24*time.Hour).Unix(), 10))
	q.Set("Signature", c.signals.sign(s.ID+"/"+logical))
	base := ""
	if c.endpoint != nil {
		base = strings.TrimSuffix(c.endpoint(), "/")
	}
	return base + "/" + waitBucket + "/" + path + "?" + q.Encode()
}

// waitRoute matches signals PUT to handles.
func (c *CloudFormation) waitRoute() kit.Route {
	return kit.Route{
		Name: "cloudformation-waitcondition-signal",
		Match: func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/"+waitBucket+"/")
		},
		Handler: http.HandlerFunc(c.serveSignal),
	}
}

// waitSignal is the body cfn-signal and curl send to a handle.
type waitSignal struct {
	Status, Reason, UniqueId, Data string
}

func (c *CloudFormation) serveSignal(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/"+waitBucket+"/")
	i := strings.LastIndex(rest, "/")
	if i < 0 {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	stackID, err := url.PathUnescape(rest[:i])
	logical := rest[i+1:]
	if err != nil || !hmac.Equal([]byte(r.URL.Query().Get("Signature")), []byte(c.signals.sign(stackID+"/"+logical))) {
		// As S3 answers a presigned URL whose signature does not match.
		http.Error(w, "SignatureDoesNotMatch", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
	if err != nil || len(body) > maxResponse {
		http.Error(w, "response too large or unreadable", http.StatusBadRequest)
		return
	}
	var sg waitSignal
	if err := json.Unmarshal(body, &sg); err != nil || (sg.Status != "SUCCESS" && sg.Status != "FAILURE") {
		// CloudFormation ignores a signal it cannot read; S3 stored it.
		w.WriteHeader(http.StatusOK)
		return
	}
	c.signals.add(stackID+"/"+logical, signal{Status: sg.Status, Reason: sg.Reason, UniqueID: sg.UniqueId, Data: sg.Data})
	w.WriteHeader(http.StatusOK)
}

// handleKey is the box of the handle a WaitCondition's Handle URL names.
func handleKey(u string) (string, bool) {
	p, err := url.Parse(u)
	if err != nil {
		return "", false
	}
	rest := strings.TrimPrefix(p.EscapedPath(), "/"+waitBucket+"/")
	if rest == p.EscapedPath() {
		return "", false
	}
	i := strings.LastIndex(rest, "/")
	if i < 0 {
		return "", false
	}
	stackID, err := url.PathUnescape(rest[:i])
	if err != nil {
		return "", false
	}
	return stackID + "/" + rest[i+1:], true
}

// maxWait is AWS's longest wait (12 hours).
const maxWait = 12 * time.Hour

// waitCondition creates an AWS::CloudFormation::WaitCondition: with a
// Handle, it waits for Count signals at the handle's URL, Timeout seconds
// at most; without one (a CreationPolicy instead), the policy's wait
// applies.
func (c *CloudFormation) waitCondition(ctx *request.Context, rs *runState, req kit.ResourceRequest) (kit.ResourceResult, error) {
	id := "arn:aws:cloudformation:" + rs.s.Region + ":" + rs.s.Account + ":stack/" + rs.s.Name + "/" + stackUUID(rs.s.ID) + "/" + req.LogicalID
	handle := req.Str("Handle")
	if handle == "" {
		return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Data": "{}"}}, nil
	}
	key, ok := handleKey(handle)
	if !ok {
		return kit.ResourceResult{}, validation("Invalid WaitConditionHandle URL: %s", handle)
	}
	count := 1
	if n := req.Str("Count"); n != "" {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 {
			return kit.ResourceResult{}, validation("Count must be a positive integer")
		}
		count = v
	}
	secs, err := strconv.Atoi(req.Str("Timeout"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxWait {
		return kit.ResourceResult{}, validation("Timeout must be a number of seconds between 1 and 43200")
	}
	got, err := c.awaitSignals(ctx, rs.s, key, count, time.Duration(secs)*time.Second, func(sg signal) error {
		return failuref("WaitCondition received failed message: '%s' for uniqueId: %s", sg.Reason, sg.UniqueID)
	}, func(n int) error {
		return failuref("WaitCondition timed out. Received %d conditions when expecting %d", n, count)
	})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	data := map[string]string{}
	for _, sg := range got {
		data[sg.UniqueID] = sg.Data
	}
	b, _ := json.Marshal(data)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Data": string(b)}}, nil
}

func stackUUID(id string) string {
	parts := strings.Split(id, "/")
	return parts[len(parts)-1]
}

// awaitSignals waits until count SUCCESS signals are in the box, a
// FAILURE signal arrives, the timeout passes on the clock, or the
// operation is cancelled.
func (c *CloudFormation) awaitSignals(ctx *request.Context, s *stackRec, key string, count int, timeout time.Duration,
	failed func(signal) error, timedOut func(n int) error) ([]signal, error) {
	timer := c.clock.After(timeout)
	cancel := c.cancelled(s.ID)
	for {
		got, next := c.signals.snapshot(key)
		var ok []signal
		for _, sg := range got {
			if sg.Status == "FAILURE" {
				return nil, failed(sg)
			}
			ok = append(ok, sg)
		}
		if len(ok) >= count {
			return ok, nil
		}
		select {
		case <-next:
		case <-timer:
			return nil, timedOut(len(ok))
		case <-cancel:
			return nil, failuref("Resource creation cancelled")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// creationPolicy is a resource's CreationPolicy.ResourceSignal.
func creationPolicy(def *resourceDef) (count int, timeout time.Duration, ok bool, err error) {
	cp, _ := def.raw["CreationPolicy"].(map[string]any)
	rsig, _ := cp["ResourceSignal"].(map[string]any)
	if rsig == nil {
		return 0, 0, false, nil
	}
	count, timeout = 1, 5*time.Minute
	if n, ok := scalarString(rsig["Count"]); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 {
			return 0, 0, false, validation("CreationPolicy ResourceSignal Count must be a positive integer")
		}
		count = v
	}
	if t, ok := rsig["Timeout"].(string); ok {
		d, err := isoDuration(t)
		if err != nil || d > maxWait {
			return 0, 0, false, validation("CreationPolicy ResourceSignal Timeout must be an ISO 8601 duration of at most PT12H (got %s)", t)
		}
		timeout = d
	}
	return count, timeout, true, nil
}

var isoPattern = lazyre.New(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

// isoDuration parses the ISO 8601 durations CreationPolicy takes
// (PT#H#M#S).
func isoDuration(s string) (time.Duration, error) {
	m := isoPattern.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, fmt.Errorf("not an ISO 8601 duration")
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.Atoi(m[i+1])
		if err != nil || n > 1000000 {
			return 0, fmt.Errorf("not an ISO 8601 duration")
		}
		d += time.Duration(n) * unit
	}
	return d, nil
}

// awaitCreationPolicy waits for a created resource's signals, when its
// CreationPolicy asks for them.
func (c *CloudFormation) awaitCreationPolicy(ctx *request.Context, rs *runState, logical string) error {
	def := rs.t.Resources[logical]
	count, timeout, ok, err := creationPolicy(def)
	if err != nil || !ok {
		return err
	}
	key := resourceKey(rs.s.ID, logical)
	_, err = c.awaitSignals(ctx, rs.s, key, count, timeout, func(sg signal) error {
		return failuref("Received FAILURE signal with UniqueId %s", sg.UniqueID)
	}, func(n int) error {
		return failuref("Failed to receive %d resource signal(s) within the specified duration", count)
	})
	return err
}

// SignalResource sends a signal to a resource waiting for signals.
func (c *CloudFormation) SignalResource(ctx *request.Context, in *cfnapi.SignalResourceInput) (*cfnapi.SignalResourceOutput, error) {
	status := ptrStr(in.Status)
	if status != "SUCCESS" && status != "FAILURE" {
		return nil, validation("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [SUCCESS, FAILURE]", status)
	}
	uid := ptrStr(in.UniqueId)
	if uid == "" || len(uid) > 64 {
		return nil, validation("1 validation error detected: Value '%s' at 'uniqueId' failed to satisfy constraint: Member must have length between 1 and 64", uid)
	}
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	l := ptrStr(in.LogicalResourceId)
	r, ok := s.Resources[l]
	if !inProgress(s.Status) {
		return nil, validation("Stack %s is in %s state and cannot be signaled", s.ID, s.Status)
	}
	if !ok {
		return nil, validation("Resource %s does not exist for stack %s", l, s.Name)
	}
	if r.Status != "CREATE_IN_PROGRESS" && r.Status != "UPDATE_IN_PROGRESS" {
		return nil, validation("Resource %s is in %s state and cannot be signaled", l, r.Status)
	}
	c.signals.add(resourceKey(s.ID, l), signal{Status: status, UniqueID: uid})
	return &cfnapi.SignalResourceOutput{}, nil
}
