package server

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/httpheader"
)

// Timeouts bound how long a connection may hold niwa's attention without
// making progress. Zero fields take the defaults below.
type Timeouts struct {
	// Header is how long a client has to send a request's headers, from
	// the moment niwa starts reading them.
	Header time.Duration
	// Body is how long a body read may wait for the next bytes. It is
	// renewed on every read, so a slow large upload that keeps sending
	// is never cut off; a client that promises a body and stops sending
	// gets S3's RequestTimeout (or its service's equivalent).
	Body time.Duration
	// Idle is how long a kept-alive connection may sit between requests.
	Idle time.Duration
}

// Default timeouts, close to what AWS endpoints do: S3 answers
// RequestTimeout after about 20 s without body bytes, and AWS's load
// balancers close idle keep-alive connections after 60 s.
const (
	DefaultHeaderTimeout = 20 * time.Second
	DefaultBodyTimeout   = 20 * time.Second
	DefaultIdleTimeout   = 60 * time.Second
)

func (t Timeouts) withDefaults() Timeouts {
	if t.Header <= 0 {
		t.Header = DefaultHeaderTimeout
	}
	if t.Body <= 0 {
		t.Body = DefaultBodyTimeout
	}
	if t.Idle <= 0 {
		t.Idle = DefaultIdleTimeout
	}
	return t
}

// edge is the HTTP-level wrapper around the gateway: it renews the body
// read deadline on every read and answers Expect: 100-continue in the
// way every SDK can parse.
type edge struct {
	next        http.Handler
	bodyTimeout time.Duration
	onRequest   func() // Config.OnRequest
}

func (e edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.onRequest != nil {
		e.onRequest()
	}
	if r.ProtoAtLeast(1, 1) && strings.EqualFold(httpheader.Get(r.Header, "Expect"), "100-continue") && r.ContentLength == 0 {
		// botocore sends "Expect: 100-continue" on every S3 PUT, even an
		// empty one, and waits up to a second for an answer. When the
		// first thing it reads is a final status rather than 100 Continue
		// (AWSConnection._handle_expect_response), it stores that status
		// line in the connection's response_class so that getresponse()
		// does not read it twice — and leaves it there. Go's net/http
		// sends 100 Continue only when a non-empty body is first read, so
		// an empty PUT got its 200 straight away, the connection stayed
		// in the pool, and the next Expect request on it got a real 100
		// Continue, sent its body, and then parsed its response with the
		// stale status tuple: the actual status line was read as a
		// header line, which ended the header block, so the response had
		// no Content-Length and botocore read until its 60 s read timeout.
		//
		// So an empty-bodied Expect request always gets 100 Continue
		// before its final response: at once, before the handler has set
		// any response header that net/http would copy into the 100
		// (there is no body whose sending it could spare). Non-empty
		// bodies need nothing: net/http sends 100 Continue when the handler first reads the
		// body, and when the handler answers without reading it, net/http
		// closes the connection (Connection: close), which resets
		// botocore's per-connection state. Never answering 100 there
		// also keeps Expect's point: a refused 5 GB upload is not sent.
		w.WriteHeader(http.StatusContinue)
	}
	if r.Body == nil || r.Body == http.NoBody || e.bodyTimeout <= 0 {
		e.next.ServeHTTP(w, r)
		return
	}
	// A shallow copy (what r.WithContext makes), so net/http's own view
	// of the body (which it drains or closes after the handler) is left
	// as it was. The body says so (gateway.CopiedBody), so the gateway
	// wraps it in place. The copy, the body's wrapper and its response
	// controller are one allocation.
	c := &bodyRequest{req: *r}
	c.body = deadlineBody{ReadCloser: r.Body, rc: *http.NewResponseController(w), timeout: e.bodyTimeout}
	c.req.Body = &c.body
	e.next.ServeHTTP(w, &c.req)
	if !c.body.done {
		// net/http drains up to 256 KiB of an unread body after the
		// handler so the connection can serve the next request; a
		// client that stalls there must not hold the connection either.
		_ = c.body.rc.SetReadDeadline(time.Now().Add(e.bodyTimeout))
	}
}

// bodyRequest is edge's copy of a request with a body, with the body's
// wrapper.
type bodyRequest struct {
	req  http.Request
	body deadlineBody
}

// deadlineBody gives every body read its own deadline: a client that
// stalls mid-body loses its connection after the timeout, while one that
// keeps sending, however slowly, is never cut off. Once the body has
// ended the deadline is cleared, because net/http then keeps a
// background read on the connection (to notice a client that goes away)
// and a deadline firing there would cancel a long-running handler.
type deadlineBody struct {
	io.ReadCloser
	rc      http.ResponseController
	timeout time.Duration
	done    bool
}

var _ gateway.CopiedBody = (*deadlineBody)(nil)

// RequestCopied tells the gateway the request holding this body is
// edge's own copy (gateway.CopiedBody).
func (d *deadlineBody) RequestCopied() {}

func (d *deadlineBody) Read(p []byte) (int, error) {
	if d.done {
		return d.ReadCloser.Read(p)
	}
	if err := d.rc.SetReadDeadline(time.Now().Add(d.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	n, err := d.ReadCloser.Read(p)
	if err == io.EOF {
		d.done = true
		_ = d.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
