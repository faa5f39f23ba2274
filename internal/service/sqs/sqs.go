// Package sqs is Amazon Simple Queue Service: standard and FIFO queues,
// messages with visibility timeouts, delays, long polling, dead-letter
// queues and message move tasks, answered the way SQS answers (queue URLs,
// ids, MD5 digests, error codes and messages).
//
// The same typed methods serve both wire protocols SQS speaks (JSON 1.0
// and the older query protocol): the gateway decodes either into the
// generated input types (see internal/gateway AltProtocol and the
// querymodel package).
//
// # Storage layout
//
// Everything lives in the service's store under the queue's account and
// region: queue records by name, messages by (queue, sequence number) so a
// scan returns them in send order (which FIFO ordering needs and standard
// queues do not mind), deduplication records by (queue, scope key), and
// tombstones of deleted queues for the 60-second name reuse rule. Times
// are absolute instants from the injected clock, so a restart with
// --data-dir serves the same messages and in-flight ones become visible
// again once their timeout has passed.
package sqs

import (
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SQS implements the SQS API. Bind it with sqsapi.Bind.
type SQS struct {
	store storage.Store
	clock clock.Clock
	// wake broadcasts "a message may have become receivable" per queue to
	// long-polling receivers. It holds no state that a restart would need:
	// a receiver that misses a wake-up re-reads the store when its wait
	// ends.
	wake *notifier
	// cache decodes each version of a queue record once, for the reads
	// of every request: ResourcePolicy (authorization), and the message
	// operations, which change only the record's own fields (Seq) of what
	// they read. Paths that change the record's maps read with queues.Get.
	cache *storage.DecodeCache[queue]
	// views keeps queue records between changes for the reads outside a
	// transaction (views.go).
	views queueViews
	// redrives keeps RedrivePolicy values parsed (views.go).
	redrives redrives
	opts     Options
	// keys holds SSE-KMS data keys (sse.go).
	keys *dataKeys
}

// New returns the SQS service storing its state in store.
func New(store storage.Store, clk clock.Clock, opts ...Options) *SQS {
	if clk == nil {
		clk = clock.Real{}
	}
	s := &SQS{store: store, clock: clk, wake: newNotifier(), cache: storage.NewDecodeCache(queues, 4096), keys: newDataKeys()}
	for _, o := range opts {
		s.opts = o
	}
	return s
}

// Options are the collaborators SQS may be given.
type Options struct {
	// DataKeys checks SSE-KMS queues' keys as the caller (kms.go); nil
	// checks nothing.
	DataKeys kmsseam.Keys
}

// Reset drops the long-polling wake-ups: waiters re-read the (now empty)
// store (kit.Declaration.Reset).
func (s *SQS) Reset() error {
	s.views.Reset()
	s.wake.broadcastAll()
	return nil
}

// Errors with SQS's legacy query codes: the JSON protocol sends the shape
// name in __type and the code in x-amzn-query-error, which is what boto3
// and the Go SDK report; the query protocol sends the code.
var (
	errNonExistentQueue = awserr.Code{Code: "AWS.SimpleQueueService.NonExistentQueue", Shape: "QueueDoesNotExist", Status: 400, Sender: true}
	errQueueExists      = awserr.Code{Code: "QueueAlreadyExists", Shape: "QueueNameExists", Status: 400, Sender: true}
	errDeletedRecently  = awserr.Code{Code: "AWS.SimpleQueueService.QueueDeletedRecently", Shape: "QueueDeletedRecently", Status: 400, Sender: true}
	errPurgeInProgress  = awserr.Code{Code: "AWS.SimpleQueueService.PurgeQueueInProgress", Shape: "PurgeQueueInProgress", Status: 403, Sender: true}
	errInvalidAttrName  = awserr.Code{Code: "InvalidAttributeName", Status: 400, Sender: true}
	errInvalidAttrValue = awserr.Code{Code: "InvalidAttributeValue", Status: 400, Sender: true}
	errReceiptInvalid   = awserr.Code{Code: "ReceiptHandleIsInvalid", Status: 400, Sender: true}
	errNotInflight      = awserr.Code{Code: "AWS.SimpleQueueService.MessageNotInflight", Shape: "MessageNotInflight", Status: 400, Sender: true}
	errEmptyBatch       = awserr.Code{Code: "AWS.SimpleQueueService.EmptyBatchRequest", Shape: "EmptyBatchRequest", Status: 400, Sender: true}
	errTooManyEntries   = awserr.Code{Code: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", Shape: "TooManyEntriesInBatchRequest", Status: 400, Sender: true}
	errIdsNotDistinct   = awserr.Code{Code: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", Shape: "BatchEntryIdsNotDistinct", Status: 400, Sender: true}
	errInvalidBatchID   = awserr.Code{Code: "AWS.SimpleQueueService.InvalidBatchEntryId", Shape: "InvalidBatchEntryId", Status: 400, Sender: true}
	errBatchTooLong     = awserr.Code{Code: "AWS.SimpleQueueService.BatchRequestTooLong", Shape: "BatchRequestTooLong", Status: 400, Sender: true}
	errInvalidContents  = awserr.Code{Code: "InvalidMessageContents", Status: 400, Sender: true}
	errResourceNotFound = awserr.Code{Code: "ResourceNotFoundException", Status: 404, Sender: true}
	// The generic query codes have no shape in SQS's model; over JSON
	// SQS names them InvalidParameterValueException and
	// MissingRequiredParameterException in __type.
	errInvalidParamValue = awserr.Code{Code: "InvalidParameterValue", Shape: "InvalidParameterValueException", Status: 400, Sender: true}
	errMissingParam      = awserr.Code{Code: "MissingParameter", Shape: "MissingRequiredParameterException", Status: 400, Sender: true}
)

// QueryWording returns e as SQS's query front end words it, where that
// differs from the JSON one: a queue that does not exist is "The
// specified queue does not exist for this wsdl version." over query, and
// every error carries an empty <Detail/>. The query codec of the
// gateway's SQS twin applies it to every error.
func QueryWording(e *awserr.Error) *awserr.Error {
	c := *e
	c.Fields = map[string]any{"Detail": ""}
	for k, v := range e.Fields {
		c.Fields[k] = v
	}
	if e.Code.Code == errNonExistentQueue.Code {
		c.Message = "The specified queue does not exist for this wsdl version."
	}
	return &c
}

func queueMissing() error {
	return errNonExistentQueue.New("The specified queue does not exist.")
}

// queueRef names a queue: the owning account and region and its name.
type queueRef struct {
	scope storage.Scope
	name  string
}

func (r queueRef) arn() string {
	return "arn:aws:sqs:" + r.scope.Region + ":" + r.scope.Account + ":" + r.name
}

// parseQueueURL accepts the queue URL forms clients send: niwa's own
// (http://host/<account>/<name>), AWS's (https://sqs.<region>.amazonaws.com/
// <account>/<name>), the legacy ones (https://<region>.queue.amazonaws.com/...,
// https://queue.amazonaws.com/...), and a bare path. The account comes from
// the path; the region from an AWS host when it names one, else the
// request's.
func parseQueueURL(raw, region string) (queueRef, bool) {
	host, path, ok := plainURL(raw)
	if !ok {
		u, err := url.Parse(raw)
		if err != nil {
			return queueRef{}, false
		}
		host, path = u.Hostname(), u.Path
	}
	account, name, ok := strings.Cut(strings.Trim(path, "/"), "/")
	if !ok || account == "" || name == "" || strings.Contains(name, "/") {
		return queueRef{}, false
	}
	if r := hostRegion(host); r != "" {
		region = r
	}
	return queueRef{scope: storage.Scope{Account: account, Region: region}, name: name}, true
}

// plainURL splits an http(s) URL made only of characters url.Parse takes
// as they are (no escapes, query, fragment, user info or IPv6 literal)
// into its host name and path, as url.Parse would; ok is false for
// anything else, which url.Parse reads. Queue URLs (every call names
// one) are nearly always plain.
func plainURL(raw string) (host, path string, ok bool) {
	rest, ok := strings.CutPrefix(raw, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "https://"); !ok {
			return "", "", false
		}
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '/' || c == ':') {
			return "", "", false
		}
	}
	hostport, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		hostport, path = rest[:i], rest[i:]
	}
	host, port, hasPort := strings.Cut(hostport, ":")
	if hasPort && strings.IndexByte(port, ':') >= 0 {
		return "", "", false
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return "", "", false
		}
	}
	return host, path, true
}

// hostRegion reads the region of sqs.<region>.<domain> and
// <region>.queue.amazonaws.com hosts.
func hostRegion(host string) string {
	if !containsFold(host, "sqs") && !containsFold(host, "queue") {
		return "" // localhost, an IP address: no label to read
	}
	labels := strings.Split(strings.ToLower(host), ".")
	for i, l := range labels {
		if l == "sqs" && i+2 < len(labels) && looksLikeRegion(labels[i+1]) {
			return labels[i+1]
		}
		if l == "queue" && i > 0 && looksLikeRegion(labels[i-1]) {
			return labels[i-1]
		}
	}
	return ""
}

// containsFold reports whether s contains the lower-case ASCII word sub,
// ignoring case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func looksLikeRegion(s string) bool {
	return strings.Count(s, "-") >= 2 && s[len(s)-1] >= '0' && s[len(s)-1] <= '9'
}

// parseQueueARN splits arn:aws:sqs:<region>:<account>:<name>.
func parseQueueARN(arn string) (queueRef, bool) {
	// strings.SplitN(arn, ":", 6) without its slice: authorization asks
	// for the queue's policy by ARN on every call.
	var p [6]string
	rest := arn
	for i := range 5 {
		var ok bool
		if p[i], rest, ok = strings.Cut(rest, ":"); !ok {
			return queueRef{}, false
		}
	}
	p[5] = rest
	if p[0] != "arn" || p[2] != "sqs" || p[3] == "" || p[4] == "" || p[5] == "" {
		return queueRef{}, false
	}
	return queueRef{scope: storage.Scope{Account: p[4], Region: p[3]}, name: p[5]}, true
}

// queueURL builds the URL of a queue as seen by a client that reached niwa
// through host.
func queueURL(host string, r queueRef) string {
	if host == "" {
		host = "localhost:4566"
	}
	return "http://" + host + "/" + r.scope.Account + "/" + r.name
}

// notifier wakes long-polling receivers of one queue when a message may
// have become receivable.
type notifier struct {
	mu sync.Mutex
	ch map[queueRef]chan struct{}
}

func newNotifier() *notifier { return &notifier{ch: map[queueRef]chan struct{}{}} }

// wait returns a channel closed at the next broadcast for r. Take it before
// looking at the store, so a send between the look and the wait is seen.
func (n *notifier) wait(r queueRef) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	c, ok := n.ch[r]
	if !ok {
		c = make(chan struct{})
		n.ch[r] = c
	}
	return c
}

func (n *notifier) broadcast(r queueRef) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.ch[r]; ok {
		close(c)
		delete(n.ch, r)
	}
}

func (n *notifier) broadcastAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, c := range n.ch {
		close(c)
		delete(n.ch, k)
	}
}

// unixMillis formats t as SQS's millisecond timestamps.
func unixMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
